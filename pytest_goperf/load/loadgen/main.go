// Command loadgen is pytest-goperf's HTTP/1.1 load generator (stdlib only, Linux).
//
// Usage: loadgen -config run.json -result result.json [-cpuprofile cpu.pprof]
//
// Open model (rate > 0): requests are scheduled at a constant arrival rate and
// each latency is measured from its scheduled start, so a stalled service
// shows up in the tail instead of silently slowing the generator down
// (coordinated omission, as wrk2 and vegeta avoid it). At most `connections`
// requests are in flight; a request that cannot start within `timeout` of its
// schedule, or before the window ends, is "dropped" and never sent.
//
// Arrivals are jittered by default: slot i is due at a point drawn uniformly
// in [i, i+1) intervals, not at exactly i intervals, and a slot due in the
// window may still start up to one interval after the window ends (the slack
// the last slot has at constant pacing). A strictly periodic
// schedule phase-locks with the kernel's scheduler tick, which paces the CPU
// profiler's signals on tick-accounted kernels: at 500 req/s against a 250 Hz
// tick, the same function's share of a service's CPU profile read anywhere
// from 13 % to 95 % between runs (66 % at 513 req/s, or jittered). The rate,
// the count per interval and the coordinated-omission correction are
// unchanged; "arrivals": "constant" keeps wrk2's and vegeta's exact pacing.
//
// Closed model (rate 0): every connection sends back to back, for maximum
// throughput.
//
// Requests scheduled during warmup are reported apart and kept out of the
// measured statistics. The run stops by itself after warmup + duration (plus
// at most `timeout` for requests in flight) and only targets loopback hosts
// or origins passed in `allow`.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type config struct {
	Target          string        `json:"target"`
	Allow           []string      `json:"allow"`
	Rate            float64       `json:"rate"`
	Connections     int           `json:"connections"`
	Threads         int           `json:"threads"`
	Warmup          float64       `json:"warmup_s"`
	Duration        float64       `json:"duration_s"`
	Timeout         float64       `json:"timeout_s"`
	Spin            *float64      `json:"spin_us"`
	ExpectStatus    []string      `json:"expect_status"`
	FollowRedirects bool          `json:"follow_redirects"`
	Requests        []requestSpec `json:"requests"`
	HTTP2           bool          `json:"http2"`
	TLS             tlsSpec       `json:"tls"`
	Arrivals        string        `json:"arrivals"` // "jittered" (default) or "constant"
}

// defaultSpin is how long (us) before a slot the loop stops sleeping and
// polls: a tenth of the interval between slots, at most 200 us, so the
// polling costs at most a tenth of a core (docs/load.md has the figures).
func defaultSpin(rate float64) float64 {
	if rate <= 0 {
		return 0
	}
	return min(200, 0.1e6/rate)
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	os.Exit(code)
}

func main() {
	cfgPath := flag.String("config", "", "run configuration (JSON)")
	resultPath := flag.String("result", "", "where to write the JSON result")
	cpuProfile := flag.String("cpuprofile", "", "write the generator's own CPU profile here")
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
	r, err := newRun(cfg, target)
	if err != nil {
		fail(2, "%v", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; r.interrupt() }()
	fmt.Fprintf(os.Stderr, "loadgen: %s %s for %gs after %gs warmup\n", r.model(), cfg.Target, cfg.Duration, cfg.Warmup)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fail(2, "cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := r.execute()
	if err != nil {
		fail(2, "%v", err)
	}
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
	cfg         config
	target      *url.URL
	sa          syscall.Sockaddr
	family      int
	specs       []*spec
	weights     []int // cumulative
	expect      [600]bool
	expectNames []string
	open        bool
	start       time.Time
	warmupNs    int64
	endNs       int64
	timeoutNs   int64
	spinNs      int64
	nsPerSlot   float64
	jitter      bool         // slot i due at (i + u_i) intervals, u_i uniform in [0, 1)
	total       int64        // slots in warmup + window
	next        atomic.Int64 // the next unclaimed slot
	stopped     atomic.Bool
	stopNs      atomic.Int64
	interrupted atomic.Bool
	examples    [4]atomic.Pointer[string] // first message of each failure class
	net         *netEngine                // https:// or HTTP/2: Go's net/http (nethttp.go)
}

func newRun(cfg config, target *url.URL) (*run, error) {
	if cfg.Duration <= 0 || cfg.Warmup < 0 || cfg.Rate < 0 || math.IsNaN(cfg.Rate) {
		return nil, fmt.Errorf("duration must be > 0, warmup and rate >= 0")
	}
	cfg.Connections = max(cfg.Connections, 1)
	cfg.Threads = min(max(cfg.Threads, 1), cfg.Connections)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10
	}
	spin := defaultSpin(cfg.Rate)
	if cfg.Spin != nil {
		spin = max(*cfg.Spin, 0)
	}
	r := &run{cfg: cfg, target: target, open: cfg.Rate > 0, spinNs: int64(spin * 1e3),
		warmupNs: int64(cfg.Warmup * 1e9), timeoutNs: int64(cfg.Timeout * 1e9)}
	r.endNs = r.warmupNs + int64(cfg.Duration*1e9)
	var err error
	if r.specs, r.weights, err = prepare(target, cfg.Requests); err != nil {
		return nil, err
	}
	if r.expect, r.expectNames, err = expectation(cfg.ExpectStatus); err != nil {
		return nil, err
	}
	if target.Scheme == "https" || cfg.HTTP2 {
		if r.net, err = newNetEngine(r); err != nil {
			return nil, err
		}
	} else if r.sa, r.family, err = sockaddr(target.Host); err != nil {
		return nil, fmt.Errorf("target %s: %v", cfg.Target, err)
	}
	switch cfg.Arrivals {
	case "", "jittered":
		r.jitter = true
	case "constant":
	default:
		return nil, fmt.Errorf("arrivals must be jittered or constant, got %q", cfg.Arrivals)
	}
	if r.open {
		r.nsPerSlot = 1e9 / cfg.Rate
		r.total = int64(math.Floor((cfg.Warmup + cfg.Duration) * cfg.Rate))
	}
	return r, nil
}

func (r *run) model() string {
	engine := "epoll engine, HTTP/1.1"
	if r.net != nil {
		engine = "net/http engine, " + r.net.protocol()
	}
	if r.open {
		return fmt.Sprintf("open model at %g req/s on %d connections (%s),", r.cfg.Rate, r.cfg.Connections, engine)
	}
	return fmt.Sprintf("closed model on %d connections (%s),", r.cfg.Connections, engine)
}

func (r *run) now() int64 { return int64(time.Since(r.start)) }

// slotAt is when slot i is due (ns since start). A jittered slot stays inside
// its own interval, so slots keep their order and every interval holds one:
// the warmup and the window hold as many as at constant pacing.
func (r *run) slotAt(i int64) int64 {
	at := float64(i)
	if r.jitter {
		at += unitHash(uint64(i)) // in [i, i+1)
	}
	return int64(at * r.nsPerSlot)
}

// feedEndNs is when the loops stop starting requests: the window's end, plus
// one interval for jittered slots, so the last slot (due anywhere in the
// window's last interval) has the slack it has at constant pacing.
func (r *run) feedEndNs() int64 {
	if r.open && r.jitter {
		return r.endNs + int64(r.nsPerSlot)
	}
	return r.endNs
}

// unitHash maps i to [0, 1) (splitmix64's finalizer): a fixed, well-spread
// offset per slot, so every engine and thread agrees on a slot's time.
func unitHash(x uint64) float64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// slotsBefore counts the slots due before ns.
func (r *run) slotsBefore(ns int64) int64 {
	k := max(min(int64(math.Ceil(float64(ns)/r.nsPerSlot)), r.total), 0) // at constant pacing
	for k > 0 && r.slotAt(k-1) >= ns {
		k--
	}
	for k < r.total && r.slotAt(k) < ns {
		k++
	}
	return k
}

func (r *run) interrupt() {
	r.stopNs.Store(r.now())
	r.interrupted.Store(true)
	r.stopped.Store(true)
	if r.net != nil {
		time.AfterFunc(time.Second, r.net.cancel) // requests still in flight then end as timeouts
	}
}

// claimSlot takes the next slot from the shared counter, skipping slots that
// can no longer start within timeout of their schedule; false: none left.
// Both engines claim here, so every slot is sent at most once.
func (r *run) claimSlot(now int64) (int64, bool) {
	for {
		cur := r.next.Load()
		if cur >= r.total {
			return 0, false
		}
		first := cur
		if stale := now - r.timeoutNs; stale > 0 && r.slotAt(cur) < stale { // only when cur is stale: one hash per claim
			first = r.slotsBefore(stale)
		}
		if first >= r.total {
			if r.next.CompareAndSwap(cur, r.total) {
				return 0, false
			}
			continue
		}
		if r.next.CompareAndSwap(cur, first+1) {
			return first, true
		}
	}
}

// note keeps the first message of each error class for the result, so a
// failure says what actually went wrong ("x509: certificate signed by unknown
// authority", "malformed status line ...") and not only how often.
func (r *run) note(class int, msg string) {
	if r.examples[class].Load() == nil {
		r.examples[class].CompareAndSwap(nil, &msg)
	}
}

func (r *run) pick(rng *rand.Rand) int {
	ws := r.weights
	if len(ws) == 1 {
		return 0
	}
	x := rng.IntN(ws[len(ws)-1])
	for i, c := range ws {
		if x < c {
			return i
		}
	}
	return len(ws) - 1
}

// scheduled counts the slots (warmup, window) that were due before the run ended.
func (r *run) scheduled(finished time.Time) [2]int64 {
	if !r.open {
		return [2]int64{}
	}
	n := r.total
	if r.interrupted.Load() {
		n = r.slotsBefore(min(r.stopNs.Load(), r.endNs))
	}
	warm := min(r.slotsBefore(r.warmupNs), n)
	return [2]int64{warm, n - warm}
}

func (r *run) execute() (map[string]any, error) {
	if r.net != nil {
		return r.net.execute()
	}
	r.start = time.Now()
	loops := make([]*loop, r.cfg.Threads)
	for i := range loops {
		n := r.cfg.Connections / r.cfg.Threads
		if i < r.cfg.Connections%r.cfg.Threads {
			n++
		}
		l, err := newLoop(r, n, uint64(i)+1)
		if err != nil {
			return nil, err
		}
		loops[i] = l
	}
	var wg sync.WaitGroup
	for _, l := range loops {
		wg.Add(1)
		go func() { defer wg.Done(); l.run() }()
	}
	wg.Wait()
	finished := time.Now()
	var total [2]phaseStats
	var counters loopCounters
	for p := range total {
		total[p].specs = make([]specStats, len(r.specs))
		for _, l := range loops {
			total[p].merge(&l.st[p])
		}
	}
	for _, l := range loops {
		counters.opened += l.counters.opened
		counters.sentInWindow += l.counters.sentInWindow
	}
	res := r.report(&total, &counters, finished)
	res["engine"] = "epoll"
	return res, nil
}
