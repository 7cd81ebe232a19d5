package main

// Counters per phase and the goperf-load/1 JSON result.

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// specStats counts the outcomes of one entry of the request mix.
type specStats struct {
	requests, ok                    int64
	connect, timeout, io, connReset int64
	status                          [600]int64 // final responses by status code, expected or not
}

// phaseStats is one phase's counters (warmup or measured), owned by one loop until the merge.
type phaseStats struct {
	lat   histogram // from the scheduled start (open model) or the send (closed model)
	lag   histogram // the generator's own lateness: write start - when it could have started
	specs []specStats
	// resends of requests with no byte on the wire, and redirects followed: per phase, so that the
	// measured figures leave the warmup's out as every other counter does
	retries, redirects int64
}

func (s *phaseStats) merge(o *phaseStats) {
	s.lat.merge(&o.lat)
	s.lag.merge(&o.lag)
	s.retries += o.retries
	s.redirects += o.redirects
	for i := range o.specs {
		d, x := &s.specs[i], &o.specs[i]
		d.requests += x.requests
		d.ok += x.ok
		d.connect += x.connect
		d.timeout += x.timeout
		d.io += x.io
		d.connReset += x.connReset
		for c, n := range x.status {
			d.status[c] += n
		}
	}
}

// errorsJSON is the goperf-load/1 "errors" object of some counters.
func (r *run) errorsJSON(ss ...*specStats) (map[string]any, int64) {
	var connect, timeout, io, reset, unexpected int64
	status := map[string]int64{}
	for _, s := range ss {
		connect += s.connect
		timeout += s.timeout
		io += s.io
		reset += s.connReset
		for c, n := range s.status {
			if n != 0 && !r.expect[c] {
				status[strconv.Itoa(c)] += n
				unexpected += n
			}
		}
	}
	total := connect + timeout + io + reset + unexpected
	return map[string]any{"connect": connect, "timeout": timeout, "io": io, "conn_reset": reset,
		"status": status, "total": total}, total
}

func statusJSON(ss ...*specStats) (map[string]int64, map[string]int64) {
	codes, classes := map[string]int64{}, map[string]int64{}
	for _, s := range ss {
		for c, n := range s.status {
			if n != 0 {
				codes[strconv.Itoa(c)] += n
				classes[strconv.Itoa(c/100)+"xx"] += n
			}
		}
	}
	return codes, classes
}

func quantiles(h *histogram) map[string]any {
	mean := 0.0
	if h.n > 0 {
		mean = h.sum / float64(h.n)
	}
	return map[string]any{
		"count": h.n, "min": h.min, "mean": mean, "p50": h.quantile(0.50), "p90": h.quantile(0.90),
		"p99": h.quantile(0.99), "p999": h.quantile(0.999), "max": h.max,
	}
}

func (r *run) report(total *[2]phaseStats, counters *loopCounters, finished time.Time) map[string]any {
	m, wu := &total[1], &total[0]
	window := r.cfg.Duration
	if r.interrupted.Load() {
		window = math.Max(finished.Sub(r.start).Seconds()-r.cfg.Warmup, 1e-9)
	}
	var all, allWarm []*specStats
	var requests, ok, warmRequests, warmOK int64
	byRequest := []map[string]any{}
	for i, sp := range r.specs {
		s, w := &m.specs[i], &wu.specs[i]
		all, allWarm = append(all, s), append(allWarm, w)
		requests += s.requests
		ok += s.ok
		warmRequests += w.requests
		warmOK += w.ok
		errs, _ := r.errorsJSON(s)
		codes, _ := statusJSON(s)
		byRequest = append(byRequest, map[string]any{"method": sp.method, "url": sp.url, "requests": s.requests,
			"ok": s.ok, "errors": errs, "status": codes})
	}
	errs, _ := r.errorsJSON(all...)
	codes, classes := statusJSON(all...)
	var rate any
	model := "closed"
	if r.cfg.Rate > 0 {
		rate, model = r.cfg.Rate, "open"
	}
	scheduled := r.scheduled(finished)
	dropped := [2]int64{}
	if r.cfg.Rate > 0 {
		dropped[0] = max(scheduled[0]-warmRequests, 0)
		dropped[1] = max(scheduled[1]-requests, 0)
	}
	return map[string]any{
		"schema":             "goperf-load/1",
		"model":              model,
		"target":             r.cfg.Target,
		"rate_requested":     rate,
		"connections":        r.cfg.Connections,
		"threads":            r.cfg.Threads,
		"warmup_s":           r.cfg.Warmup,
		"duration_s":         window,
		"interrupted":        r.interrupted.Load(),
		"requests":           requests,
		"ok":                 ok,
		"achieved_rate":      float64(requests) / window,
		"send_rate":          float64(counters.sentInWindow) / window,
		"errors":             errs,
		"status":             codes,
		"status_class":       classes,
		"expect_status":      r.expectNames,
		"follow_redirects":   r.cfg.FollowRedirects,
		"redirects_followed": m.redirects,
		"retries":            m.retries,
		"connections_opened": counters.opened,
		"dropped":            dropped[1],
		"warmup": map[string]any{
			"requests": warmRequests, "errors": warmRequests - warmOK, "dropped": dropped[0],
			"retries": wu.retries, "redirects_followed": wu.redirects,
		},
		"latency_ns":  quantiles(&m.lat),
		"send_lag_ns": quantiles(&m.lag),
		"histogram": map[string]any{
			"unit": "ns", "max_relative_error": 1.0 / 128, "buckets": m.lat.buckets(),
		},
		"by_request":     byRequest,
		"error_examples": r.errorExamples(),
	}
}

// errorExamples is the first message of each failure class that occurred.
func (r *run) errorExamples() map[string]string {
	out := map[string]string{}
	for class, name := range [...]string{failConnect: "connect", failTimeout: "timeout", failIO: "io", failReset: "conn_reset"} {
		if m := r.examples[class].Load(); m != nil {
			out[name] = *m
		}
	}
	return out
}

// expectation turns expect_status entries ("200", "2xx") into a lookup table.
func expectation(names []string) ([600]bool, []string, error) {
	var t [600]bool
	if len(names) == 0 {
		names = []string{"2xx"}
	}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if len(n) == 3 && n[1:] == "xx" && n[0] >= '1' && n[0] <= '5' {
			lo := int(n[0]-'0') * 100
			for c := lo; c < lo+100; c++ {
				t[c] = true
			}
			continue
		}
		c, err := strconv.Atoi(n)
		if err != nil || c < 100 || c > 599 {
			return t, nil, errBadExpect(n)
		}
		t[c] = true
	}
	return t, names, nil
}

type errBadExpect string

func (e errBadExpect) Error() string {
	return "expect_status: " + strconv.Quote(string(e)) + " is neither a status code (100-599) nor a class such as 2xx"
}
