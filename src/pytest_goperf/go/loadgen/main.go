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
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type requestSpec struct {
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Headers  map[string]string `json:"headers"`
	Body     *string           `json:"body"`
	BodyFile string            `json:"body_file"`
	Weight   int               `json:"weight"`
}

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

type prepared struct {
	method string
	raw    []byte
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

// checkTarget allows loopback hosts and explicitly allowed origins only.
func checkTarget(raw string, allow []string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("target %q is not an http://host:port URL", raw)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("target %q: only plain http is supported", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		return u, nil
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, a := range allow {
		if strings.ToLower(strings.TrimRight(a, "/")) == origin {
			return u, nil
		}
	}
	return nil, fmt.Errorf("refusing to send load to %s: only loopback or the configured attach URL may be targeted", origin)
}

func prepare(target *url.URL, specs []requestSpec) ([]prepared, []int, error) {
	if len(specs) == 0 {
		specs = []requestSpec{{Method: "GET", Path: "/"}}
	}
	var reqs []prepared
	var cum []int
	total := 0
	for i, s := range specs {
		method := strings.ToUpper(s.Method)
		if method == "" {
			method = "GET"
		}
		path := s.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		var body []byte
		switch {
		case s.BodyFile != "":
			b, err := os.ReadFile(s.BodyFile)
			if err != nil {
				return nil, nil, fmt.Errorf("request %d (%s %s): body_file: %v", i+1, method, path, err)
			}
			body = b
		case s.Body != nil:
			body = []byte(*s.Body)
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "%s %s HTTP/1.1\r\n", method, path)
		host, agent := target.Host, "goperf-loadgen"
		for k, v := range s.Headers {
			if strings.ContainsAny(k+v, "\r\n") {
				return nil, nil, fmt.Errorf("request %d: header %q contains a line break", i+1, k)
			}
			switch strings.ToLower(k) {
			case "host": // a virtual host behind the attach URL
				host = v
			case "user-agent":
				agent = v
			case "content-length", "transfer-encoding", "connection":
				// computed here; a second value would make the request invalid
			default:
				fmt.Fprintf(&sb, "%s: %s\r\n", k, v)
			}
		}
		fmt.Fprintf(&sb, "Host: %s\r\nUser-Agent: %s\r\n", host, agent)
		if body != nil || method == "POST" || method == "PUT" || method == "PATCH" {
			fmt.Fprintf(&sb, "Content-Length: %d\r\n", len(body))
		}
		sb.WriteString("\r\n")
		raw := append([]byte(sb.String()), body...)
		w := s.Weight
		if w <= 0 {
			w = 1
		}
		total += w
		reqs = append(reqs, prepared{method: method, raw: raw})
		cum = append(cum, total)
	}
	return reqs, cum, nil
}

// stats is one phase's counters, owned by one worker until the merge.
type stats struct {
	hist     histogram
	requests int64
	ok       int64
	connect  int64
	timeout  int64
	ioErr    int64
	status   map[int]int64
}

func (s *stats) merge(o *stats) {
	s.hist.merge(&o.hist)
	s.requests += o.requests
	s.ok += o.ok
	s.connect += o.connect
	s.timeout += o.timeout
	s.ioErr += o.ioErr
	for k, v := range o.status {
		s.status[k] += v
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

type worker struct {
	run  *run
	rng  *rand.Rand
	conn net.Conn
	br   *bufio.Reader
	st   [2]stats
	sent int64 // requests written during the measured window, whenever scheduled
}

func (w *worker) openLoop() {
	r := w.run
	for off := range r.ticks {
		at := r.start.Add(time.Duration(off))
		p := r.phase(at)
		if r.stopped.Load() || time.Since(at) > r.timeout {
			r.dropped[p].Add(1)
			continue
		}
		if d := time.Until(at); d > 0 { // a tick can be handed out a little early
			time.Sleep(d)
		}
		w.do(at, &w.st[p], false)
	}
}

func (w *worker) closedLoop() {
	r := w.run
	for !r.stopped.Load() {
		now := time.Now()
		if !now.Before(r.end) {
			return
		}
		if !w.do(now, &w.st[r.phase(now)], true) {
			select { // do not spin on a refused connection
			case <-time.After(10 * time.Millisecond):
			case <-r.stopCh:
			}
		}
	}
}

func (w *worker) pick() *prepared {
	ws := w.run.weights
	if len(ws) == 1 {
		return &w.run.reqs[0]
	}
	x := w.rng.IntN(ws[len(ws)-1])
	for i, c := range ws {
		if x < c {
			return &w.run.reqs[i]
		}
	}
	return &w.run.reqs[len(ws)-1]
}

func (w *worker) dial() error {
	c, err := net.DialTimeout("tcp", w.run.host, w.run.timeout)
	if err != nil {
		return err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	w.conn = c
	w.br.Reset(c)
	w.run.connMu.Lock()
	w.run.conns[c] = struct{}{}
	w.run.connMu.Unlock()
	return nil
}

func (w *worker) close() {
	if w.conn != nil {
		w.run.connMu.Lock()
		delete(w.run.conns, w.conn)
		w.run.connMu.Unlock()
		_ = w.conn.Close()
		w.conn = nil
	}
}

// do sends one request; latency runs from `at`. It returns false on a
// connect error (so the closed model can back off).
func (w *worker) do(at time.Time, st *stats, closed bool) bool {
	spec := w.pick()
	st.requests++
	if now := time.Now(); !now.Before(w.run.warmupEnd) && now.Before(w.run.end) {
		w.sent++
	}
	for attempt := 0; ; attempt++ {
		reused := w.conn != nil
		if w.conn == nil {
			if err := w.dial(); err != nil {
				if isTimeout(err) {
					st.timeout++
					st.hist.record(int64(time.Since(at)))
				} else {
					st.connect++
				}
				return false
			}
		}
		status, keep, err := w.roundTrip(spec)
		if err != nil {
			w.close()
			if reused && attempt == 0 && !isTimeout(err) && !w.run.stopped.Load() {
				continue // the server closed an idle keep-alive connection: retry once
			}
			if isTimeout(err) {
				st.timeout++
				st.hist.record(int64(time.Since(at)))
			} else {
				st.ioErr++
			}
			return true
		}
		st.hist.record(int64(time.Since(at)))
		if !keep {
			w.close()
		}
		if status >= 400 {
			st.status[status]++
		} else {
			st.ok++
		}
		return true
	}
}

func (w *worker) roundTrip(spec *prepared) (int, bool, error) {
	_ = w.conn.SetDeadline(time.Now().Add(w.run.timeout))
	if _, err := w.conn.Write(spec.raw); err != nil {
		return 0, false, err
	}
	return readResponse(w.br, spec.method == "HEAD")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (r *run) report(total *[2]stats, finished time.Time) map[string]any {
	m, wu := &total[1], &total[0]
	window := r.cfg.Duration
	if r.interrupted.Load() {
		window = math.Max(finished.Sub(r.warmupEnd).Seconds(), 1e-9)
	}
	status := map[string]int64{}
	var statusErrs int64
	for k, v := range m.status {
		status[strconv.Itoa(k)] = v
		statusErrs += v
	}
	errs := m.connect + m.timeout + m.ioErr + statusErrs
	var rate any
	if r.cfg.Rate > 0 {
		rate = r.cfg.Rate
	}
	mean := 0.0
	if m.hist.n > 0 {
		mean = m.hist.sum / float64(m.hist.n)
	}
	model := "closed"
	if r.cfg.Rate > 0 {
		model = "open"
	}
	return map[string]any{
		"schema":         "goperf-load/1",
		"model":          model,
		"target":         r.cfg.Target,
		"rate_requested": rate,
		"connections":    r.cfg.Connections,
		"warmup_s":       r.cfg.Warmup,
		"duration_s":     window,
		"interrupted":    r.interrupted.Load(),
		"requests":       m.requests,
		"ok":             m.ok,
		"achieved_rate":  float64(m.requests) / window,
		"send_rate":      float64(r.sentInWindow) / window,
		"errors": map[string]any{
			"connect": m.connect, "timeout": m.timeout, "io": m.ioErr, "status": status, "total": errs,
		},
		"dropped": r.dropped[1].Load(),
		"warmup": map[string]any{
			"requests": wu.requests, "errors": wu.requests - wu.ok, "dropped": r.dropped[0].Load(),
		},
		"latency_ns": map[string]any{
			"count": m.hist.n, "min": m.hist.min, "mean": mean,
			"p50": m.hist.quantile(0.50), "p90": m.hist.quantile(0.90), "p99": m.hist.quantile(0.99),
			"p999": m.hist.quantile(0.999), "max": m.hist.max,
		},
		"histogram": map[string]any{
			"unit": "ns", "max_relative_error": 1.0 / 128, "buckets": m.hist.buckets(),
		},
	}
}
