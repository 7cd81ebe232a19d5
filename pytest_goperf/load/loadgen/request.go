package main

// Requests: the target check and the request mix, serialized once up front.
// A path may vary per request through placeholders ({seq}, {rand:LO-HI});
// the rest of each request is fixed bytes, so building one costs a few
// appends into the connection's own buffer and no allocation.

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

type requestSpec struct {
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Headers  map[string]string `json:"headers"`
	Body     *string           `json:"body"`
	BodyFile string            `json:"body_file"`
	Weight   int               `json:"weight"`
}

const (
	segLit = iota
	segSeq
	segRand
)

type segment struct {
	kind   int
	lit    []byte
	lo, hi int64
}

// spec is one entry of the mix, ready to send.
type spec struct {
	method  string
	url     string // origin + prefix + path template: what error messages name
	path    string // prefix + path template
	head    []byte // "METHOD "
	segs    []segment
	tail    []byte // " HTTP/1.1\r\n" headers, Content-Length, blank line, body
	raw     []byte // the whole request when the path is fixed
	headers []byte // Host, User-Agent, user headers (for redirected requests)
	body    []byte
	close   bool // the user asked for Connection: close: a new connection per request
	seq     atomic.Int64
	host    string      // the Host header (a virtual host behind the attach URL, or the target's)
	agent   string      // User-Agent
	userHdr [][2]string // the user's other headers, for the net/http engine
}

// build returns the request bytes, expanding placeholders into dst.
func (s *spec) build(dst []byte, rng *rand.Rand) []byte {
	if s.segs == nil {
		return s.raw
	}
	dst = append(dst[:0], s.head...)
	for i := range s.segs {
		g := &s.segs[i]
		switch g.kind {
		case segLit:
			dst = append(dst, g.lit...)
		case segSeq:
			dst = strconv.AppendInt(dst, s.seq.Add(1), 10)
		case segRand:
			dst = strconv.AppendInt(dst, g.lo+rng.Int64N(g.hi-g.lo+1), 10)
		}
	}
	return append(dst, s.tail...)
}

// expandPath writes the request path (placeholders filled in) into dst.
func (s *spec) expandPath(dst []byte, rng *rand.Rand) []byte {
	if s.segs == nil {
		return append(dst[:0], s.path...)
	}
	dst = dst[:0]
	for i := range s.segs {
		g := &s.segs[i]
		switch g.kind {
		case segLit:
			dst = append(dst, g.lit...)
		case segSeq:
			dst = strconv.AppendInt(dst, s.seq.Add(1), 10)
		case segRand:
			dst = strconv.AppendInt(dst, g.lo+rng.Int64N(g.hi-g.lo+1), 10)
		}
	}
	return dst
}

// parsePath splits a path template into literal and placeholder segments
// (nil when there is no placeholder).
func parsePath(path string) ([]segment, error) {
	if !strings.ContainsAny(path, "{}") {
		return nil, nil
	}
	var segs []segment
	rest := path
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if close := strings.IndexByte(rest, '}'); close >= 0 && (open < 0 || close < open) {
			return nil, fmt.Errorf("path %q: '}' without '{'", path)
		}
		if open < 0 {
			segs = append(segs, segment{kind: segLit, lit: []byte(rest)})
			break
		}
		if open > 0 {
			segs = append(segs, segment{kind: segLit, lit: []byte(rest[:open])})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("path %q: '{' without '}'", path)
		}
		name := rest[open+1 : open+end]
		g, err := placeholder(name)
		if err != nil {
			return nil, fmt.Errorf("path %q: %v", path, err)
		}
		segs = append(segs, g)
		rest = rest[open+end+1:]
	}
	return segs, nil
}

func placeholder(name string) (segment, error) {
	if name == "seq" {
		return segment{kind: segSeq}, nil
	}
	if r, ok := strings.CutPrefix(name, "rand:"); ok {
		a, b, found := strings.Cut(r, "-")
		lo, err1 := strconv.ParseInt(a, 10, 64)
		hi, err2 := strconv.ParseInt(b, 10, 64)
		if found && err1 == nil && err2 == nil && 0 <= lo && lo <= hi {
			return segment{kind: segRand, lo: lo, hi: hi}, nil
		}
		return segment{}, fmt.Errorf("{%s}: expected {rand:LO-HI} with 0 <= LO <= HI", name)
	}
	return segment{}, fmt.Errorf("unknown placeholder {%s}: use {seq} or {rand:LO-HI}", name)
}

// checkTarget allows loopback hosts and explicitly allowed origins only.
func checkTarget(raw string, allow []string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("target %q is not an http://host:port URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("target %q: only http:// and https:// are supported", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		return u, nil
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, a := range allow { // an origin URL, host:port, or a bare host (any port)
		e := strings.ToLower(strings.TrimRight(strings.TrimSpace(a), "/"))
		if i := strings.Index(e, "://"); i >= 0 {
			if j := strings.IndexByte(e[i+3:], '/'); j >= 0 {
				e = e[:i+3+j] // an attach URL with a path prefix names its origin
			}
		}
		if e == origin || e == strings.ToLower(u.Host) || e == strings.ToLower(host) {
			return u, nil
		}
	}
	return nil, fmt.Errorf("refusing to send load to %s: only loopback or the configured attach URL may be targeted", origin)
}

// prepare serializes the mix; the target URL's path is a prefix of every
// request path (an attach URL such as http://host/svc-a keeps its /svc-a).
func prepare(target *url.URL, specs []requestSpec) ([]*spec, []int, error) {
	if len(specs) == 0 {
		specs = []requestSpec{{Method: "GET", Path: "/"}}
	}
	prefix := strings.TrimRight(target.EscapedPath(), "/")
	origin := target.Scheme + "://" + target.Host
	var out []*spec
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
		path = prefix + path
		if strings.ContainsAny(path, " \r\n") {
			return nil, nil, fmt.Errorf("request %d: path %q contains a space or line break", i+1, path)
		}
		segs, err := parsePath(path)
		if err != nil {
			return nil, nil, fmt.Errorf("request %d (%s): %v", i+1, method, err)
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
		var hb strings.Builder
		host, agent, closeConn := target.Host, "goperf-loadgen", false
		var userHdr [][2]string
		for k, v := range s.Headers {
			if strings.ContainsAny(k+v, "\r\n") {
				return nil, nil, fmt.Errorf("request %d: header %q contains a line break", i+1, k)
			}
			switch strings.ToLower(k) {
			case "host": // a virtual host behind the attach URL
				host = v
			case "user-agent":
				agent = v
			case "connection":
				closeConn = strings.Contains(strings.ToLower(v), "close")
			case "content-length", "transfer-encoding":
				// computed here; a second value would make the request invalid
			default:
				fmt.Fprintf(&hb, "%s: %s\r\n", k, v)
				userHdr = append(userHdr, [2]string{k, v})
			}
		}
		fmt.Fprintf(&hb, "Host: %s\r\nUser-Agent: %s\r\n", host, agent)
		if closeConn {
			hb.WriteString("Connection: close\r\n")
		}
		sp := &spec{method: method, url: origin + path, path: path, segs: segs, headers: []byte(hb.String()),
			body: body, close: closeConn, head: []byte(method + " "), host: host, agent: agent, userHdr: userHdr}
		tail := " HTTP/1.1\r\n" + hb.String()
		if body != nil || method == "POST" || method == "PUT" || method == "PATCH" {
			tail += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
		}
		sp.tail = append([]byte(tail+"\r\n"), body...)
		if segs == nil {
			sp.raw = append(append([]byte(nil), sp.head...), append([]byte(path), sp.tail...)...)
		}
		w := s.Weight
		if w <= 0 {
			w = 1
		}
		total += w
		out = append(out, sp)
		cum = append(cum, total)
	}
	return out, cum, nil
}

// redirect builds the request that follows a 3xx answer, or returns nil when
// it must not be followed (no Location, another origin, a bad URL).
func redirect(target *url.URL, s *spec, sent []byte, status int, location string) (request []byte, head bool) {
	if location == "" {
		return nil, false
	}
	sp := strings.IndexByte(string(sent), ' ')
	rest := string(sent[sp+1:])
	path := rest[:strings.IndexByte(rest, ' ')]
	base, err := url.Parse(target.Scheme + "://" + target.Host + path)
	if err != nil {
		return nil, false
	}
	next, err := base.Parse(location)
	if err != nil || next.Scheme != target.Scheme || !strings.EqualFold(next.Host, target.Host) {
		return nil, false
	}
	method, body := s.method, s.body
	if status != 307 && status != 308 && method != "HEAD" {
		method, body = "GET", nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n%s", method, next.RequestURI(), s.headers)
	if body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	return append([]byte(b.String()), body...), method == "HEAD"
}
