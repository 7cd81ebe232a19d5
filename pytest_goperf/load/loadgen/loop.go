package main

// The event loop: one OS thread, an epoll set of connections and a timerfd,
// no goroutine per request. Per request it makes one write and one read
// (plus an epoll_wait shared by every ready connection), which is what wrk
// does, without wrk's epoll_ctl calls.
//
// Open model: slot i is scheduled at i/rate. A loop claims the next slot as
// soon as it has a free connection, sleeps on the timerfd until spin before
// the slot, busy-polls the rest, and writes. Its send lag (write start minus
// the later of the slot time and the moment a connection became free) is the
// generator's own lateness and is reported apart from the latency.

import (
	"math/rand/v2"
	"runtime"
	"syscall"
	"time"
)

const epollET = 1 << 31

type loopCounters struct {
	opened, sentInWindow int64
}

type loop struct {
	r         *run
	ep, tfd   int
	conns     []*conn
	free      connQueue // connections without a request (connected or not), used first in, first out
	inflight  int
	rng       *rand.Rand
	events    []syscall.EpollEvent
	st        [2]phaseStats
	counters  loopCounters
	pending   int64 // claimed slot, or -1
	freeSince int64 // when the free list last went from empty to non-empty
	armedAt   int64 // the timer fires at this time (ns since start), or -1
	exhausted bool
	nextScan  int64
}

func newLoop(r *run, conns int, seed uint64) (*loop, error) {
	l := &loop{r: r, pending: -1, armedAt: -1, rng: rand.New(rand.NewPCG(seed, uint64(r.start.UnixNano()))),
		events: make([]syscall.EpollEvent, 256)}
	var err error
	if l.ep, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
		return nil, err
	}
	if l.tfd, err = timerCreate(); err != nil {
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: -1}
	if err := syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_ADD, l.tfd, &ev); err != nil {
		return nil, err
	}
	for p := range l.st {
		l.st[p].specs = make([]specStats, len(r.specs))
	}
	for i := 0; i < conns; i++ {
		c := &conn{idx: int32(i), fd: -1, rr: respReader{buf: make([]byte, 16<<10)}}
		l.conns = append(l.conns, c)
	}
	l.free = connQueue{buf: make([]*conn, conns)}
	for _, c := range l.conns {
		l.free.push(c)
	}
	return l, nil
}

func (l *loop) run() {
	runtime.LockOSThread()
	defer l.shutdown()
	r := l.r
	for _, c := range l.conns {
		l.preconnect(c, r.now())
	}
	for {
		now := r.now()
		if now >= l.nextScan {
			l.scan(now)
			l.nextScan = now + 5e6
		}
		wait := l.feed(now)
		if l.inflight == 0 && l.feedingOver(now) {
			return
		}
		ms := 10
		if wait >= 0 && wait <= r.spinNs {
			ms = 0 // close to the slot: poll instead of sleeping
		} else if wait > 0 {
			if wake := now + wait - r.spinNs; wake != l.armedAt {
				timerSet(l.tfd, time.Duration(wake-now))
				l.armedAt = wake
			}
		}
		n, e := epollWait(l.ep, l.events, ms)
		if e != 0 {
			continue // EINTR
		}
		now = r.now()
		for i := 0; i < n; i++ {
			l.event(&l.events[i], now)
		}
	}
}

func (l *loop) event(ev *syscall.EpollEvent, now int64) {
	if ev.Fd < 0 {
		l.armedAt = -1
		return
	}
	c := l.conns[ev.Fd]
	if c.gen != ev.Pad || c.state == cDown {
		return // an event of a socket closed earlier in this batch
	}
	if c.state == cConnecting {
		if ev.Events&(syscall.EPOLLOUT|syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
			l.connected(c, now)
		}
		return
	}
	if c.state == cWriting && ev.Events&syscall.EPOLLOUT != 0 {
		l.write(c, now)
	}
	if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		l.readable(c, now)
	}
}

func (l *loop) feedingOver(now int64) bool {
	r := l.r
	return r.stopped.Load() || now >= r.feedEndNs() || (r.open && l.exhausted && l.pending < 0)
}

// feed starts every request that is due and returns the ns until the next
// slot (-1: nothing to wait for).
func (l *loop) feed(now int64) int64 {
	r := l.r
	if !r.open {
		if !l.feedingOver(now) {
			l.feedClosed(now)
		}
		return -1
	}
	for {
		if l.feedingOver(now) {
			l.pending = -1 // never sent: counted as dropped
			return -1
		}
		if l.pending < 0 {
			if l.free.n == 0 {
				return -1
			}
			l.claim(now)
			if l.pending < 0 {
				return -1
			}
		}
		at := r.slotAt(l.pending)
		if at > now {
			return at - now
		}
		if now-at > r.timeoutNs { // could not start within timeout of its schedule: dropped
			l.pending = -1
			continue
		}
		c := l.free.pop()
		l.dispatch(c, at, max(at, l.freeSince), now)
		l.pending = -1
		now = r.now()
	}
}

func (l *loop) feedClosed(now int64) {
	for k := l.free.n; k > 0; k-- {
		c := l.free.pop()
		if c.notBefore > now {
			l.free.push(c) // still backing off after a refused connection
			continue
		}
		l.dispatch(c, now, now, now)
		now = l.r.now()
	}
}

// claim takes the next slot from the shared counter (see run.claimSlot).
func (l *loop) claim(now int64) {
	slot, ok := l.r.claimSlot(now)
	if !ok {
		l.exhausted = true
		return
	}
	l.pending = slot
}

// dispatch starts one request scheduled at `at` that could start from `ready`.
func (l *loop) dispatch(c *conn, at, ready, now int64) {
	r := l.r
	p := 1
	if at < r.warmupNs {
		p = 0
	}
	c.si = r.pick(l.rng)
	c.spec = r.specs[c.si]
	c.out = c.spec.build(c.wbuf, l.rng)
	if c.spec.segs != nil {
		c.wbuf = c.out
	}
	c.at, c.phase, c.head, c.retried, c.hops = at, p, c.spec.method == "HEAD", false, 0
	l.st[p].specs[c.si].requests++
	if r.open && p == 1 {
		l.st[p].lag.record(now - ready)
	}
	if now >= r.warmupNs && now < r.endNs {
		l.counters.sentInWindow++
	}
	l.inflight++
	l.start(c, now)
}

func (l *loop) release(c *conn, now int64) {
	l.inflight--
	if l.free.n == 0 {
		l.freeSince = now // a slot due before now waited for this connection, not for us
	}
	l.free.push(c)
}

// connQueue is a fixed ring of connections (it never holds more than the loop owns).
type connQueue struct {
	buf     []*conn
	head, n int
}

func (q *connQueue) push(c *conn) {
	q.buf[(q.head+q.n)%len(q.buf)] = c
	q.n++
}

func (q *connQueue) pop() *conn {
	c := q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return c
}

// scan times out requests that ran too long (and, a second after an
// interrupt, every request still in flight).
func (l *loop) scan(now int64) {
	r := l.r
	force := r.stopped.Load() && now >= r.stopNs.Load()+1e9
	for _, c := range l.conns {
		if c.state == cDown || c.state == cIdle || !force && now-c.began < r.timeoutNs {
			continue
		}
		if c.warming { // a connection opened ahead of need that never came up
			c.warming = false
			l.closeConn(c)
			continue
		}
		l.r.note(failTimeout, "no full response within the request timeout")
		l.fail(c, failTimeout, now)
	}
}

func (l *loop) shutdown() {
	for _, c := range l.conns {
		l.closeConn(c)
	}
	_ = syscall.Close(l.tfd)
	_ = syscall.Close(l.ep)
}
