package main

// One connection's life inside an event loop: connect, write the request,
// read the response, and classify every way it can fail. The rule that keeps
// errors honest: a request is sent again only if none of its bytes reached
// the wire, and every such retry is counted.

import (
	"syscall"
)

const (
	cDown       = iota // no socket
	cConnecting        // non-blocking connect under way, request attached
	cIdle              // connected, no request
	cWriting           // request partly written, waiting for EPOLLOUT
	cReading           // request written, response pending
)

const (
	failConnect = iota
	failTimeout
	failIO
	failReset
)

const idlePeek = 50e6 // ns: a connection idle this long is checked for a server close before reuse

type conn struct {
	idx       int32
	gen       int32
	fd        int
	state     int
	rr        respReader
	out       []byte // the request being written
	woff      int
	wbuf      []byte // build buffer for templated paths
	spec      *spec
	si        int
	phase     int
	at        int64 // latency origin, ns since the run started
	began     int64 // start of the current attempt, for the timeout
	idleSince int64
	notBefore int64 // closed model: back off after a refused connection
	head      bool
	retried   bool
	hops      int
	warming   bool // connecting ahead of any request (all connections open at the start)
}

// preconnect opens c before any request needs it, so the service sees the
// same connections through the whole window (as wrk does); a failure is not
// an error yet: the first request on c will try again and count it.
func (l *loop) preconnect(c *conn, now int64) {
	c.warming = true
	l.connect(c, now)
	if c.state == cWriting || c.state == cReading { // connected at once: nothing to write
		c.state, c.idleSince, c.warming = cIdle, now, false
	}
}

// start sends c.out on c, connecting first if needed.
func (l *loop) start(c *conn, now int64) {
	c.woff, c.began = 0, now
	if c.state == cConnecting && c.warming { // still opening: the request goes out once connected
		c.warming = false
		return
	}
	if c.state == cIdle && now-c.idleSince > idlePeek && peerClosed(c.fd) {
		l.closeConn(c) // the server closed it while idle: nothing was sent yet
	}
	if c.state == cDown {
		l.connect(c, now)
		return
	}
	l.write(c, now)
}

func (l *loop) connect(c *conn, now int64) {
	fd, inProgress, err := dialNonblock(l.r.sa, l.r.family)
	if err != nil {
		if c.warming {
			c.warming = false
			return
		}
		l.r.note(failConnect, "connect: "+err.Error())
		l.fail(c, failConnect, now)
		return
	}
	l.counters.opened++
	c.fd, c.gen = fd, c.gen+1
	c.rr.reset()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET, Fd: c.idx, Pad: c.gen}
	if err := syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		_ = syscall.Close(fd)
		c.fd = -1
		if c.warming {
			c.warming = false
			return
		}
		l.fail(c, failIO, now)
		return
	}
	if inProgress {
		c.state, c.began = cConnecting, now
		return
	}
	if c.warming {
		c.state = cWriting // connected at once; preconnect makes it idle
		return
	}
	l.write(c, now)
}

// connected finishes a non-blocking connect.
func (l *loop) connected(c *conn, now int64) {
	err := connectError(c.fd)
	if c.warming {
		c.warming = false
		if err != nil {
			l.closeConn(c)
		} else {
			c.state, c.idleSince = cIdle, now
		}
		return
	}
	if err != nil {
		l.r.note(failConnect, "connect: "+err.Error())
		l.fail(c, failConnect, now)
		return
	}
	l.write(c, now)
}

func (l *loop) write(c *conn, now int64) {
	c.state = cWriting
	for c.woff < len(c.out) {
		n, e := rawWrite(c.fd, c.out[c.woff:])
		switch e {
		case 0:
			c.woff += n
			continue
		case syscall.EAGAIN:
			return // EPOLLOUT resumes
		case syscall.EINTR:
			continue
		}
		if c.woff == 0 && !c.retried { // not a byte on the wire: safe to send again, once
			c.retried = true
			l.st[c.phase].retries++
			l.closeConn(c)
			l.connect(c, now)
			return
		}
		if e == syscall.EPIPE || e == syscall.ECONNRESET {
			l.fail(c, failReset, now)
		} else {
			l.fail(c, failIO, now)
		}
		return
	}
	c.state = cReading
}

// readable drains the socket (edge-triggered: a short read means empty).
func (l *loop) readable(c *conn, now int64) {
	for c.state != cDown {
		space := c.rr.space()
		n, e := rawRead(c.fd, space)
		switch {
		case e == syscall.EAGAIN:
			return
		case e == syscall.EINTR:
			continue
		case e != 0 || n == 0:
			l.eof(c, e, now)
			return
		}
		c.rr.end += n
		c.rr.got = true
		if c.state != cReading && c.state != cWriting {
			l.closeConn(c) // bytes nobody asked for: do not reuse this connection
			return
		}
		for c.state == cReading || c.state == cWriting {
			done, err := c.rr.advance(c.head)
			if err != nil {
				l.r.note(failIO, err.Error())
				l.fail(c, failIO, now)
				return
			}
			if !done {
				break
			}
			l.complete(c, now)
		}
		if n < len(space) && c.rr.state != stUntilEOF {
			return // a short read drained the socket; a body that runs until the close reads on to its EOF
		}
	}
}

// eof: the server closed the connection (or reset it).
func (l *loop) eof(c *conn, e syscall.Errno, now int64) {
	switch c.state {
	case cReading, cWriting:
		if c.woff == 0 && !c.rr.got && !c.retried { // closed before a byte of ours went out
			c.retried = true
			l.st[c.phase].retries++
			l.closeConn(c)
			l.connect(c, now)
			return
		}
		if e == 0 && c.rr.state == stUntilEOF {
			l.complete(c, now) // the body ran until the close
			return
		}
		if e == 0 || e == syscall.ECONNRESET || e == syscall.EPIPE || e == syscall.ECONNABORTED {
			how := "closed"
			if e != 0 {
				how = e.Error()
			}
			l.r.note(failReset, "the connection was "+how+" after the request was written, before a full response")
			l.fail(c, failReset, now) // dropped after the request was written
		} else {
			l.r.note(failIO, "read: "+e.Error())
			l.fail(c, failIO, now)
		}
	case cConnecting:
		if c.warming {
			c.warming = false
			l.closeConn(c)
			return
		}
		l.r.note(failConnect, "connect: the connection was closed while opening")
		l.fail(c, failConnect, now)
	default:
		l.closeConn(c) // an idle keep-alive connection closed by the server
	}
}

// complete handles a whole response: follow a redirect or record the outcome.
func (l *loop) complete(c *conn, now int64) {
	status, keep := c.rr.status, c.rr.keep && c.state == cReading && c.rr.start == c.rr.end
	if status/100 == 3 && l.r.cfg.FollowRedirects && c.hops < 10 {
		if req, head := redirect(l.r.target, c.spec, c.out, status, string(c.rr.location)); req != nil {
			c.hops++
			l.st[c.phase].redirects++
			c.out, c.head, c.retried = req, head, false
			if !keep {
				l.closeConn(c)
			}
			c.rr.reset()
			l.start(c, now)
			return
		}
	}
	st := &l.st[c.phase].specs[c.si]
	st.status[status]++
	if l.r.expect[status] {
		st.ok++
	}
	l.st[c.phase].lat.record(now - c.at)
	if keep {
		c.state, c.idleSince = cIdle, now
		c.rr.reset()
	} else {
		l.closeConn(c)
	}
	l.release(c, now)
}

func (l *loop) fail(c *conn, why int, now int64) {
	st := &l.st[c.phase].specs[c.si]
	switch why {
	case failConnect:
		st.connect++
		c.notBefore = now + 10e6
	case failTimeout:
		st.timeout++
		l.st[c.phase].lat.record(now - c.at)
	case failReset:
		st.connReset++
	default:
		st.io++
	}
	l.closeConn(c)
	l.release(c, now)
}

func (l *loop) closeConn(c *conn) {
	if c.fd >= 0 {
		_ = syscall.Close(c.fd) // also leaves the epoll set
		c.fd = -1
	}
	c.state = cDown
	c.gen++
}

// peerClosed peeks without blocking: true when the server already closed.
func peerClosed(fd int) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(fd, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return n == 0 && err == nil || err != nil && err != syscall.EAGAIN
}
