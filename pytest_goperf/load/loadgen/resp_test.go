package main

import (
	"bufio"
	"strings"
	"testing"
)

func TestReadResponse(t *testing.T) {
	cases := []struct {
		name, raw string
		head      bool
		status    int
		keep      bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, 200, true},
		{"chunked", "HTTP/1.1 500 Internal\r\ntransfer-encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n", false, 500, true},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false, 200, false},
		{"until-eof", "HTTP/1.1 200 OK\r\n\r\nsome body", false, 200, false},
		{"http10", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, false},
		{"http10-keepalive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", false, 200, true},
		{"head", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, 200, true},
		{"no-content", "HTTP/1.1 204 No Content\r\n\r\n", false, 204, true},
	}
	for _, c := range cases {
		// a second response follows, so a wrong body length would be noticed
		br := bufio.NewReader(strings.NewReader(c.raw + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
		status, keep, err := readResponse(br, c.head)
		if err != nil || status != c.status || keep != c.keep {
			t.Fatalf("%s: got %d %v %v", c.name, status, keep, err)
		}
		if !c.keep {
			continue
		}
		if status, _, err := readResponse(br, false); err != nil || status != 404 {
			t.Fatalf("%s: next response: %d %v", c.name, status, err)
		}
	}
	if _, _, err := readResponse(bufio.NewReader(strings.NewReader("garbage\r\n\r\n")), false); err == nil {
		t.Fatal("garbage accepted")
	}
}
