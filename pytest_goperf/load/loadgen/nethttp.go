package main

// The second engine: Go's net/http and crypto/tls (standard library only),
// for https:// targets and HTTP/2 (h2 by ALPN over TLS; h2c by prior
// knowledge, which needs Go 1.24's http.Protocols: h2c_*.go). The epoll
// engine stays the plain HTTP/1.1 one.
//
// What stays identical across engines: slots come from the same shared
// counter (run.claimSlot) at i/rate, latency is measured from the scheduled
// start, a slot that cannot start within timeout or before the window ends
// is dropped, the send lag is the start minus the moment the request could
// have started, and failures fall into the same classes (connect, timeout,
// conn_reset, io, unexpected status). What differs: one goroutine per
// connection instead of an event loop, and net/http's own resend of an
// idempotent request on a reused keep-alive connection the server closed
// (counted in retries, as ours are).
//
// HTTP/1.1: `connections` workers, each with its own Transport and so its
// own connection, opened (TLS handshake included) when the run starts.
// HTTP/2: `connections` workers share one Transport: that many concurrent
// streams, multiplexed over one connection (Go opens another only when the
// server's stream limit is reached).

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type tlsSpec struct {
	CAFile     string `json:"ca_file"`
	Insecure   bool   `json:"insecure_skip_verify"`
	ServerName string `json:"server_name"`
}

type netEngine struct {
	r      *run
	tls    *tls.Config // nil for http://
	h2     bool
	origin string
	shards []*netShard
	opened atomic.Int64
	sent   atomic.Int64 // writes started inside the window
	mu     sync.Mutex
	protos map[string]int64 // measured responses by the protocol they came over
	root   context.Context  // cancelled a second after an interrupt, as the epoll engine times out its requests
	cancel context.CancelFunc
}

// netShard is a share of the counters (few locks, not one per worker: a
// histogram is 64 KiB).
type netShard struct {
	mu sync.Mutex
	st [2]phaseStats
}

// dialError marks a failure to establish the connection (TCP or TLS), the
// "connect" class.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func newNetEngine(r *run) (*netEngine, error) {
	e := &netEngine{r: r, h2: r.cfg.HTTP2, origin: r.target.Scheme + "://" + r.target.Host, protos: map[string]int64{}}
	e.root, e.cancel = context.WithCancel(context.Background())
	if r.target.Scheme == "https" {
		cfg := &tls.Config{InsecureSkipVerify: r.cfg.TLS.Insecure, ServerName: r.cfg.TLS.ServerName,
			NextProtos: []string{"http/1.1"}}
		if cfg.ServerName == "" {
			cfg.ServerName = r.target.Hostname()
		}
		if e.h2 {
			cfg.NextProtos = []string{"h2"}
		}
		if r.cfg.TLS.CAFile != "" {
			pem, err := os.ReadFile(r.cfg.TLS.CAFile)
			if err != nil {
				return nil, fmt.Errorf("tls ca_file: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("tls ca_file %s holds no PEM certificate", r.cfg.TLS.CAFile)
			}
			cfg.RootCAs = pool
		}
		e.tls = cfg
	} else if e.h2 {
		if err := h2cAvailable(); err != nil {
			return nil, err
		}
	}
	n := min(r.cfg.Connections, 2*runtime.GOMAXPROCS(0))
	for range n {
		s := &netShard{}
		for p := range s.st {
			s.st[p].specs = make([]specStats, len(r.specs))
		}
		e.shards = append(e.shards, s)
	}
	return e, nil
}

func (e *netEngine) protocol() string {
	switch {
	case e.h2 && e.tls != nil:
		return "HTTP/2 over TLS"
	case e.h2:
		return "HTTP/2 without TLS (h2c)"
	}
	return "HTTP/1.1 over TLS"
}

// dialer opens connections for one Transport: the first comes from the
// connection opened when the run started, later ones are dialled anew.
type dialer struct {
	e   *netEngine
	mu  sync.Mutex
	pre []net.Conn
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	if len(d.pre) > 0 {
		c := d.pre[0]
		d.pre = d.pre[1:]
		d.mu.Unlock()
		return c, nil
	}
	d.mu.Unlock()
	return d.e.open(ctx, network, addr)
}

func (e *netEngine) open(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := net.Dialer{Timeout: time.Duration(e.r.timeoutNs)}
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &dialError{err}
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	e.opened.Add(1)
	if e.tls == nil {
		return c, nil
	}
	tc := tls.Client(c, e.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, &dialError{fmt.Errorf("TLS handshake: %w", err)}
	}
	if e.h2 && tc.ConnectionState().NegotiatedProtocol != "h2" {
		c.Close()
		return nil, &dialError{fmt.Errorf("the server's TLS offers no HTTP/2 (ALPN negotiated %q), but http2 was asked for",
			tc.ConnectionState().NegotiatedProtocol)}
	}
	return tc, nil
}

func (e *netEngine) transport(d *dialer) *http.Transport {
	tr := &http.Transport{
		Proxy:               nil, // never $http_proxy: the target is loopback or the attach URL
		DisableCompression:  true,
		MaxIdleConns:        e.r.cfg.Connections,
		MaxIdleConnsPerHost: e.r.cfg.Connections,
		IdleConnTimeout:     0,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if e.tls != nil {
		tr.DialTLSContext = d.dial
	} else {
		tr.DialContext = d.dial
	}
	if e.h2 {
		tr.TLSNextProto = nil
		tr.ForceAttemptHTTP2 = true
		if e.tls == nil {
			enableH2C(tr)
		}
	}
	return tr
}

func (e *netEngine) client(d *dialer) *http.Client {
	r := e.r
	return &http.Client{Transport: e.transport(d), CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !r.cfg.FollowRedirects || len(via) > 10 || req.URL.Scheme != r.target.Scheme ||
			!strings.EqualFold(req.URL.Host, r.target.Host) {
			return http.ErrUseLastResponse // counted by its 3xx status
		}
		if hops, _ := req.Context().Value(hopsKey{}).(*atomic.Int32); hops != nil {
			hops.Add(1)
		}
		return nil
	}}
}

// hopsKey keys a request's redirect counter in its context: CheckRedirect is the client's, shared by all.
type hopsKey struct{}

type netWorker struct {
	e      *netEngine
	client *http.Client
	shard  *netShard
	rng    *rand.Rand
	path   []byte
}

func (e *netEngine) execute() (map[string]any, error) {
	r := e.r
	r.start = time.Now()
	workers := make([]*netWorker, r.cfg.Connections)
	var shared *http.Client
	var sharedDialer *dialer
	if e.h2 {
		sharedDialer = &dialer{e: e}
		shared = e.client(sharedDialer)
	}
	var wg sync.WaitGroup
	for i := range workers {
		w := &netWorker{e: e, shard: e.shards[i%len(e.shards)],
			rng: rand.New(rand.NewPCG(uint64(i)+1, uint64(r.start.UnixNano())))}
		d := sharedDialer
		if shared != nil {
			w.client = shared
		} else {
			d = &dialer{e: e}
			w.client = e.client(d)
		}
		workers[i] = w
		if shared == nil || i == 0 { // open the connections at the start, as the epoll engine does
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.timeoutNs))
				defer cancel()
				if c, err := e.open(ctx, "tcp", r.target.Host); err == nil {
					d.mu.Lock()
					d.pre = append(d.pre, c)
					d.mu.Unlock()
				} // a failure here is not an error yet: the first request tries again and counts it
			}()
		}
	}
	wg.Wait()
	for _, w := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run() }()
	}
	wg.Wait()
	finished := time.Now()
	var total [2]phaseStats
	for p := range total {
		total[p].specs = make([]specStats, len(r.specs))
		for _, s := range e.shards {
			total[p].merge(&s.st[p])
		}
	}
	counters := loopCounters{opened: e.opened.Load(), sentInWindow: e.sent.Load()}
	res := r.report(&total, &counters, finished)
	res["engine"] = "net/http"
	res["protocols"] = e.protos
	return res, nil
}

func (w *netWorker) run() {
	r := w.e.r
	freeSince := r.now()
	for {
		now := r.now()
		if r.stopped.Load() || now >= r.feedEndNs() {
			return
		}
		if !r.open {
			w.do(now, now, now)
			continue
		}
		slot, ok := r.claimSlot(now)
		if !ok {
			return
		}
		at := r.slotAt(slot)
		if at-now > r.spinNs {
			time.Sleep(time.Duration(at - now - r.spinNs))
		}
		for now = r.now(); now < at; now = r.now() { // the last stretch polled, as the epoll engine does
			runtime.Gosched()
		}
		if r.stopped.Load() || now >= r.feedEndNs() {
			return // never sent: counted as dropped
		}
		if now-at > r.timeoutNs {
			continue // could not start within timeout of its schedule: dropped
		}
		w.do(at, max(at, freeSince), now)
		freeSince = r.now()
	}
}

// do sends one request scheduled at `at` that could start from `ready`.
func (w *netWorker) do(at, ready, now int64) {
	e, r := w.e, w.e.r
	p := 1
	if at < r.warmupNs {
		p = 0
	}
	si := r.pick(w.rng)
	sp := r.specs[si]
	w.path = sp.expandPath(w.path, w.rng)
	ctx, cancel := context.WithTimeout(e.root, time.Duration(r.timeoutNs))
	defer cancel()
	var attempts, hops atomic.Int32 // the hooks run on the Transport's goroutines
	ctx = context.WithValue(ctx, hopsKey{}, &hops)
	var wroteFlag atomic.Bool
	trace := &httptrace.ClientTrace{
		GetConn: func(string) { attempts.Add(1) },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wroteFlag.Store(true)
			}
		},
	}
	var body io.Reader
	if sp.body != nil {
		body = strings.NewReader(string(sp.body))
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), sp.method, e.origin+string(w.path), body)
	if err != nil {
		r.note(failIO, err.Error())
		return
	}
	req.Host = sp.host
	req.Header.Set("User-Agent", sp.agent)
	for _, kv := range sp.userHdr {
		req.Header.Add(kv[0], kv[1])
	}
	req.Close = sp.close
	if now >= r.warmupNs && now < r.endNs {
		e.sent.Add(1)
	}
	resp, err := w.client.Do(req)
	wrote := wroteFlag.Load()
	proto := ""
	code := 0
	if err == nil {
		proto, code = resp.Proto, resp.StatusCode
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && e.h2 && resp.ProtoMajor != 2 {
			err = fmt.Errorf("the service answered %s although HTTP/2 was asked for", resp.Proto)
			wrote = false
		}
	}
	end := r.now()
	w.shard.mu.Lock()
	defer w.shard.mu.Unlock()
	st := &w.shard.st[p]
	// every hop of a followed redirect is a connection attempt too: what is left are the Transport's resends
	st.redirects += int64(hops.Load())
	st.retries += max(int64(attempts.Load()-hops.Load())-1, 0)
	ss := &st.specs[si]
	ss.requests++
	if r.open && p == 1 {
		st.lag.record(now - ready)
	}
	if err != nil {
		class := classify(err, wrote)
		r.note(class, err.Error())
		switch class {
		case failConnect:
			ss.connect++
		case failTimeout:
			ss.timeout++
			st.lat.record(end - at)
		case failReset:
			ss.connReset++
		default:
			ss.io++
		}
		if class == failConnect && !r.open {
			time.Sleep(10 * time.Millisecond) // back off as the epoll engine does
		}
		return
	}
	ss.status[code]++
	if r.expect[code] {
		ss.ok++
	}
	st.lat.record(end - at)
	if p == 1 {
		e.mu.Lock()
		e.protos[proto]++
		e.mu.Unlock()
	}
}

// classify sorts a net/http failure into the engines' common classes.
func classify(err error, wrote bool) int {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.As(err, &ne) && ne.Timeout() {
		return failTimeout
	}
	var de *dialError
	if errors.As(err, &de) {
		return failConnect
	}
	if !wrote {
		return failIO
	}
	msg := err.Error()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || strings.Contains(msg, "server closed") ||
		strings.Contains(msg, "connection reset") || strings.Contains(msg, "GOAWAY") ||
		strings.Contains(msg, "stream error") || strings.Contains(msg, "connection lost") {
		return failReset // dropped after the request was written
	}
	return failIO
}
