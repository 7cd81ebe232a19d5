package main

// An incremental HTTP/1.x response reader for non-blocking sockets: bytes
// arrive in pieces, the reader consumes what it can and says whether a whole
// response is done. It discards bodies without allocating (net/http's
// ReadResponse allocates a header map per response).

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

const (
	stHead = iota
	stBody
	stChunkSize
	stChunkData
	stTrailer
	stUntilEOF
)

// respReader is one connection's read state: buf[start:end] is unread.
type respReader struct {
	buf        []byte
	start, end int
	state      int
	remain     int64
	status     int
	keep       bool
	location   []byte // Location of a 3xx answer (copied: the buffer moves on)
	got        bool   // any byte of this response arrived
}

var errHeaderTooLarge = errors.New("response header larger than the 16 KiB read buffer")

func (p *respReader) reset() {
	p.start, p.end, p.state, p.got = 0, 0, stHead, false
	p.location = p.location[:0]
}

// space is where the next read goes; it compacts unread bytes to the front.
func (p *respReader) space() []byte {
	if p.start == p.end {
		p.start, p.end = 0, 0
	} else if p.start > 0 && p.end == len(p.buf) {
		n := copy(p.buf, p.buf[p.start:p.end])
		p.start, p.end = 0, n
	}
	return p.buf[p.end:]
}

// line returns the next complete line (with its '\n') or nil.
func (p *respReader) line() []byte {
	i := bytes.IndexByte(p.buf[p.start:p.end], '\n')
	if i < 0 {
		return nil
	}
	l := p.buf[p.start : p.start+i+1]
	p.start += i + 1
	return l
}

// advance consumes what arrived; done reports a complete response
// (p.status, p.keep). head: the request was HEAD (no body follows).
func (p *respReader) advance(head bool) (done bool, err error) {
	for {
		switch p.state {
		case stHead:
			end := headEnd(p.buf[p.start:p.end])
			if end < 0 {
				if p.start == 0 && p.end == len(p.buf) {
					return false, errHeaderTooLarge
				}
				return false, nil
			}
			if err := p.header(p.buf[p.start:p.start+end], head); err != nil {
				return false, err
			}
			p.start += end
			if p.status/100 == 1 { // an interim answer (103 Early Hints): the real one follows
				if p.status == 101 {
					return false, errors.New("the server switched protocols (101)")
				}
				continue
			}
			if p.state == stHead {
				return true, nil // no body
			}
		case stBody, stChunkData:
			n := int64(p.end - p.start)
			if n > p.remain {
				n = p.remain
			}
			p.start += int(n)
			p.remain -= n
			if p.remain > 0 {
				return false, nil
			}
			if p.state == stBody {
				p.state = stHead
				return true, nil
			}
			p.state = stChunkSize
		case stChunkSize:
			l := p.line()
			if l == nil {
				return false, p.full()
			}
			l = bytes.TrimSpace(l)
			if i := bytes.IndexByte(l, ';'); i >= 0 {
				l = l[:i]
			}
			size, err := strconv.ParseInt(string(l), 16, 64)
			if err != nil || size < 0 {
				return false, errors.New("malformed chunk size")
			}
			if size == 0 {
				p.state = stTrailer
			} else {
				p.state, p.remain = stChunkData, size+2
			}
		case stTrailer:
			l := p.line()
			if l == nil {
				return false, p.full()
			}
			if len(l) <= 2 && (len(l) == 1 || l[0] == '\r') {
				p.state = stHead
				return true, nil
			}
		case stUntilEOF:
			p.start = p.end
			return false, nil
		}
	}
}

func (p *respReader) full() error {
	if p.start == 0 && p.end == len(p.buf) {
		return errHeaderTooLarge
	}
	return nil
}

// headEnd is the length of the header block including its blank line, or -1.
func headEnd(b []byte) int {
	off := 0
	for {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return -1
		}
		l := b[off : off+i+1]
		off += i + 1
		if off > len(l) && (len(l) == 1 || (len(l) == 2 && l[0] == '\r')) {
			return off
		}
	}
}

// header parses a complete header block and chooses how the body is framed.
func (p *respReader) header(h []byte, head bool) error {
	nl := bytes.IndexByte(h, '\n')
	line := h[:nl+1]
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return fmt.Errorf("malformed status line %q", bytes.TrimSpace(line))
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil || status < 100 || status > 599 {
		return fmt.Errorf("malformed status line %q", bytes.TrimSpace(line))
	}
	p.status = status
	p.keep = line[7] == '1' // HTTP/1.1 defaults to keep-alive, 1.0 to close
	length, chunked := int64(-1), false
	for h = h[nl+1:]; len(h) > 0; {
		i := bytes.IndexByte(h, '\n')
		l := h[:i+1]
		h = h[i+1:]
		colon := bytes.IndexByte(l, ':')
		if colon < 0 {
			continue
		}
		name, value := l[:colon], bytes.TrimSpace(l[colon+1:])
		switch {
		case asciiEqualFold(name, "content-length"):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("bad Content-Length %q", value)
			}
			length = n
		case asciiEqualFold(name, "transfer-encoding"):
			chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
		case asciiEqualFold(name, "connection"):
			v := bytes.ToLower(value)
			if bytes.Contains(v, []byte("close")) {
				p.keep = false
			} else if bytes.Contains(v, []byte("keep-alive")) {
				p.keep = true
			}
		case asciiEqualFold(name, "location"):
			p.location = append(p.location[:0], value...)
		}
	}
	switch {
	case head || status/100 == 1 || status == 204 || status == 304:
		p.state = stHead
	case chunked:
		p.state = stChunkSize
	case length > 0:
		p.state, p.remain = stBody, length
	case length == 0:
		p.state = stHead
	default: // body runs until the server closes the connection
		p.state, p.keep = stUntilEOF, false
	}
	return nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
