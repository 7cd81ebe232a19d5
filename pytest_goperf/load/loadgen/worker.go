package main

// A worker owns one keep-alive connection and sends the requests it is handed.

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"net"
	"time"
)

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
