package main

import (
	"testing"
)

// feed gives the reader raw in pieces of `step` bytes, as a socket would.
func feed(t *testing.T, raw string, step int, head bool) (statuses []int, keeps []bool, err error) {
	t.Helper()
	p := &respReader{buf: make([]byte, 64)}
	for off := 0; off < len(raw); {
		space := p.space()
		n := copy(space[:min(step, len(space))], raw[off:])
		if n == 0 {
			t.Fatalf("no space left in the buffer")
		}
		off += n
		p.end += n
		for {
			done, err := p.advance(head)
			if err != nil {
				return statuses, keeps, err
			}
			if !done {
				break
			}
			statuses, keeps = append(statuses, p.status), append(keeps, p.keep)
		}
	}
	return statuses, keeps, nil
}

func TestReadResponsePieces(t *testing.T) {
	next := "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	cases := []struct {
		name, raw string
		head      bool
		status    int
		keep      bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, 200, true},
		{"chunked", "HTTP/1.1 500 Internal\r\ntransfer-encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n", false, 500, true},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false, 200, false},
		{"http10", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, false},
		{"http10-keepalive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", false, 200, true},
		{"head", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, 200, true},
		{"no-content", "HTTP/1.1 204 No Content\r\n\r\n", false, 204, true},
		{"lf-only", "HTTP/1.1 302 Found\nLocation: /login\nContent-Length: 3\n\nabc", false, 302, true},
		{"early-hints", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false, 200, true},
		{"long-body", "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + string(make([]byte, 300)), false, 200, true},
	}
	for _, c := range cases {
		for _, step := range []int{1, 7, 64} {
			raw := c.raw
			if c.keep {
				raw += next // a wrong body length would show in the next response
			}
			statuses, keeps, err := feed(t, raw, step, c.head)
			if err != nil || len(statuses) == 0 || statuses[0] != c.status || keeps[0] != c.keep {
				t.Fatalf("%s step %d: got %v %v %v", c.name, step, statuses, keeps, err)
			}
			if c.keep && (len(statuses) != 2 || statuses[1] != 404) {
				t.Fatalf("%s step %d: next response: %v", c.name, step, statuses)
			}
		}
	}
}

func TestReadResponseErrors(t *testing.T) {
	if _, _, err := feed(t, "garbage\r\n\r\n", 5, false); err == nil {
		t.Fatal("garbage accepted")
	}
	if _, _, err := feed(t, "HTTP/1.1 200 OK\r\nX-Big: "+string(make([]byte, 100))+"\r\n\r\n", 8, false); err != errHeaderTooLarge {
		t.Fatalf("oversized header: %v", err)
	}
	p := &respReader{buf: make([]byte, 64)}
	n := copy(p.space(), "HTTP/1.1 200 OK\r\n\r\nbody until EOF")
	p.end += n
	if done, err := p.advance(false); done || err != nil || p.state != stUntilEOF || p.keep {
		t.Fatalf("until-EOF body: done %v err %v state %d", done, err, p.state)
	}
	p.reset()
	n = copy(p.space(), "HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\n\r\n")
	p.end += n
	if done, err := p.advance(false); !done || err != nil || string(p.location) != "/login" {
		t.Fatalf("location: %v %v %q", done, err, p.location)
	}
}
