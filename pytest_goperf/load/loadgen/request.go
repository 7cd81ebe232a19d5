package main

// Requests: the target check and the request mix, serialized once up front.

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

type requestSpec struct {
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Headers  map[string]string `json:"headers"`
	Body     *string           `json:"body"`
	BodyFile string            `json:"body_file"`
	Weight   int               `json:"weight"`
}

type prepared struct {
	method string
	raw    []byte
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
	for _, a := range allow { // an origin URL, host:port, or a bare host (any port)
		e := strings.ToLower(strings.TrimRight(strings.TrimSpace(a), "/"))
		if e == origin || e == strings.ToLower(u.Host) || e == strings.ToLower(host) {
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
