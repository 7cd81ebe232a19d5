// Command loadgen is pytest-goperf's HTTP/1.1 load generator (stdlib only).
//
// Usage: loadgen -config run.json -result result.json
//
// Open model (rate > 0): requests are scheduled at a constant arrival rate and
// each latency is measured from its scheduled start, so a stalled service
// shows up in the tail instead of silently slowing the generator down
// (coordinated omission, as wrk2 and vegeta avoid it). At most `connections`
// requests are in flight; a request that could not be sent within `timeout`
// of its scheduled time, or is still queued when the run ends, is "dropped".
//
// Closed model (rate 0): `connections` workers send back to back, for
// maximum throughput.
//
// Requests scheduled during warmup are reported apart and kept out of the
// measured statistics. The run stops by itself after warmup + duration (plus
// at most `timeout` for requests in flight) and only targets loopback hosts
// or origins passed in `allow`.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type config struct {
	Target      string        `json:"target"`
	Allow       []string      `json:"allow"`
	Rate        float64       `json:"rate"`
	Connections int           `json:"connections"`
	Warmup      float64       `json:"warmup_s"`
	Duration    float64       `json:"duration_s"`
	Timeout     float64       `json:"timeout_s"`
	Requests    []requestSpec `json:"requests"`
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	os.Exit(code)
}

func main() {
	cfgPath := flag.String("config", "", "run configuration (JSON)")
	resultPath := flag.String("result", "", "where to write the JSON result")
	flag.Parse()
	if *cfgPath == "" || *resultPath == "" {
		fail(2, "usage: loadgen -config run.json -result result.json")
	}
	data, err := os.ReadFile(*cfgPath)
	if err != nil {
		fail(2, "%v", err)
	}
	var cfg config
	if err := json.Unmarshal(data, &cfg); err != nil {
		fail(2, "config %s: %v", *cfgPath, err)
	}
	target, err := checkTarget(cfg.Target, cfg.Allow)
	if err != nil {
		fail(3, "%v", err)
	}
	reqs, weights, err := prepare(target, cfg.Requests)
	if err != nil {
		fail(2, "%v", err)
	}
	if cfg.Connections < 1 {
		cfg.Connections = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10
	}
	if cfg.Duration <= 0 || cfg.Warmup < 0 || cfg.Rate < 0 || math.IsNaN(cfg.Rate) {
		fail(2, "duration must be > 0, warmup and rate >= 0")
	}
	r := newRun(cfg, target.Host, reqs, weights)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; r.interrupted.Store(true); r.stopOnce() }()
	fmt.Fprintf(os.Stderr, "loadgen: %s %s for %gs after %gs warmup\n", r.model(), cfg.Target, cfg.Duration, cfg.Warmup)
	res := r.execute()
	out, _ := json.MarshalIndent(res, "", " ")
	tmp := *resultPath + ".tmp"
	if err := os.WriteFile(tmp, append(out, '\n'), 0o644); err != nil {
		fail(2, "write result: %v", err)
	}
	if err := os.Rename(tmp, *resultPath); err != nil {
		fail(2, "write result: %v", err)
	}
}

type run struct {
	cfg          config
	host         string
	reqs         []prepared
	weights      []int
	start        time.Time
	warmupEnd    time.Time
	end          time.Time
	timeout      time.Duration
	ticks        chan int64 // scheduled offsets from start, in ns
	dropped      [2]atomic.Int64
	stopped      atomic.Bool
	interrupted  atomic.Bool
	stopCh       chan struct{}
	once         sync.Once
	sentInWindow int64
	connMu       sync.Mutex
	conns        map[net.Conn]struct{}
}

func newRun(cfg config, host string, reqs []prepared, weights []int) *run {
	return &run{cfg: cfg, host: host, reqs: reqs, weights: weights, stopCh: make(chan struct{}),
		timeout: time.Duration(cfg.Timeout * float64(time.Second)), conns: map[net.Conn]struct{}{}}
}

func (r *run) model() string {
	if r.cfg.Rate > 0 {
		return fmt.Sprintf("open model at %g req/s on %d connections,", r.cfg.Rate, r.cfg.Connections)
	}
	return fmt.Sprintf("closed model on %d connections,", r.cfg.Connections)
}

func (r *run) stopOnce() { r.once.Do(func() { r.stopped.Store(true); close(r.stopCh) }) }

func (r *run) phase(t time.Time) int {
	if t.Before(r.warmupEnd) {
		return 0
	}
	return 1
}

func (r *run) execute() map[string]any {
	r.start = time.Now()
	r.warmupEnd = r.start.Add(time.Duration(r.cfg.Warmup * float64(time.Second)))
	r.end = r.warmupEnd.Add(time.Duration(r.cfg.Duration * float64(time.Second)))
	open := r.cfg.Rate > 0
	if open {
		capacity := int(math.Min(r.cfg.Rate*r.cfg.Timeout, 1<<20)) + r.cfg.Connections
		r.ticks = make(chan int64, capacity)
		go r.schedule()
	}
	workers := make([]*worker, r.cfg.Connections)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{run: r, rng: rand.New(rand.NewPCG(uint64(i)+1, uint64(r.start.UnixNano())))}
		w.br = bufio.NewReaderSize(nil, 16<<10)
		for p := range w.st {
			w.st[p].status = map[int]int64{}
		}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			if open {
				w.openLoop()
			} else {
				w.closedLoop()
			}
			w.close()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(r.end.Add(r.timeout + time.Second))):
		r.stopOnce()
		r.connMu.Lock()
		for c := range r.conns {
			_ = c.SetDeadline(time.Now())
		}
		r.connMu.Unlock()
		<-done
	}
	finished := time.Now()
	if open {
		for off := range r.ticks { // never sent
			r.dropped[r.phase(r.start.Add(time.Duration(off)))].Add(1)
		}
	}
	var sent int64
	for _, w := range workers {
		sent += w.sent
	}
	r.sentInWindow = sent
	var total [2]stats
	for p := range total {
		total[p].status = map[int]int64{}
		for _, w := range workers {
			total[p].merge(&w.st[p])
		}
	}
	return r.report(&total, finished)
}

// schedule emits one tick per 1/rate seconds; a full queue drops the tick.
func (r *run) schedule() {
	defer close(r.ticks)
	rate := r.cfg.Rate
	total := int64(math.Floor((r.cfg.Warmup + r.cfg.Duration) * rate))
	var i int64
	for i < total && !r.stopped.Load() {
		due := int64(time.Since(r.start).Seconds()*rate) + 1
		if due > total {
			due = total
		}
		for ; i < due; i++ {
			off := int64(float64(i) / rate * 1e9)
			select {
			case r.ticks <- off:
			default:
				r.dropped[r.phase(r.start.Add(time.Duration(off)))].Add(1)
			}
		}
		next := r.start.Add(time.Duration(float64(i) / rate * 1e9))
		select {
		case <-time.After(time.Until(next)):
		case <-r.stopCh:
		}
	}
}
