package main

import (
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestPlaceholders(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8080/svc-a/")
	body := `{"a":1}`
	specs, _, err := prepare(u, []requestSpec{
		{Method: "post", Path: "/users/{seq}/orders/{rand:5-7}", Body: &body},
		{Path: "fixed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := specs[0]
	if s.url != "http://127.0.0.1:8080/svc-a/users/{seq}/orders/{rand:5-7}" {
		t.Fatalf("url %q", s.url)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	seen := map[string]bool{}
	for i := 1; i <= 50; i++ {
		buf = s.build(buf, rng)
		line := string(buf[:strings.IndexByte(string(buf), '\r')])
		parts := strings.Split(strings.Fields(line)[1], "/")
		if line[:5] != "POST " || parts[3] != strconv.Itoa(i) || parts[5] < "5" || parts[5] > "7" {
			t.Fatalf("request %d: %q", i, line)
		}
		seen[parts[5]] = true
		if !strings.HasSuffix(string(buf), "Content-Length: 7\r\n\r\n"+body) {
			t.Fatalf("tail: %q", buf)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("rand values %v", seen)
	}
	if got := string(specs[1].build(nil, rng)); !strings.HasPrefix(got, "GET /svc-a/fixed HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n") {
		t.Fatalf("fixed request %q", got)
	}
	for _, bad := range []string{"/u/{id}", "/u/{rand:3-1}", "/u/{rand:x}", "/u/{seq", "/u/seq}"} {
		if _, err := parsePath(bad); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
}

func TestRedirect(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8080/svc-a")
	body := "x=1"
	specs, _, _ := prepare(u, []requestSpec{{Method: "POST", Path: "/pay", Body: &body,
		Headers: map[string]string{"Connection": "close"}}})
	s := specs[0]
	if !s.close || !strings.Contains(string(s.raw), "Connection: close\r\n") {
		t.Fatalf("Connection: close not kept: %q", s.raw)
	}
	cases := []struct {
		status   int
		location string
		want     string // request line, or "" for not followed
		body     bool
	}{
		{302, "done", "GET /svc-a/done HTTP/1.1", false},
		{303, "/login?next=1", "GET /login?next=1 HTTP/1.1", false},
		{307, "http://127.0.0.1:8080/svc-a/again", "POST /svc-a/again HTTP/1.1", true},
		{301, "http://other.example/x", "", false},
		{302, "", "", false},
	}
	for _, c := range cases {
		req, _ := redirect(u, s, s.raw, c.status, c.location)
		if c.want == "" {
			if req != nil {
				t.Fatalf("%d %s followed: %q", c.status, c.location, req)
			}
			continue
		}
		got := string(req)
		if !strings.HasPrefix(got, c.want+"\r\n") || strings.HasSuffix(got, body) != c.body {
			t.Fatalf("%d %s: %q", c.status, c.location, got)
		}
	}
}

func TestExpectation(t *testing.T) {
	e, names, err := expectation(nil)
	if err != nil || !e[200] || !e[299] || e[302] || names[0] != "2xx" {
		t.Fatalf("default: %v %v", names, err)
	}
	e, _, err = expectation([]string{"200", "3xx"})
	if err != nil || !e[200] || e[201] || !e[302] {
		t.Fatal("200 + 3xx")
	}
	if _, _, err := expectation([]string{"600"}); err == nil {
		t.Fatal("600 accepted")
	}
}
