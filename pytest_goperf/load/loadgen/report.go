package main

// Counters per phase and the goperf-load/1 JSON result.

import (
	"math"
	"strconv"
	"time"
)

// stats is one phase's counters, owned by one worker until the merge.
type stats struct {
	hist     histogram
	requests int64
	ok       int64
	connect  int64
	timeout  int64
	ioErr    int64
	status   map[int]int64
}

func (s *stats) merge(o *stats) {
	s.hist.merge(&o.hist)
	s.requests += o.requests
	s.ok += o.ok
	s.connect += o.connect
	s.timeout += o.timeout
	s.ioErr += o.ioErr
	for k, v := range o.status {
		s.status[k] += v
	}
}

func (r *run) report(total *[2]stats, finished time.Time) map[string]any {
	m, wu := &total[1], &total[0]
	window := r.cfg.Duration
	if r.interrupted.Load() {
		window = math.Max(finished.Sub(r.warmupEnd).Seconds(), 1e-9)
	}
	status := map[string]int64{}
	var statusErrs int64
	for k, v := range m.status {
		status[strconv.Itoa(k)] = v
		statusErrs += v
	}
	errs := m.connect + m.timeout + m.ioErr + statusErrs
	var rate any
	if r.cfg.Rate > 0 {
		rate = r.cfg.Rate
	}
	mean := 0.0
	if m.hist.n > 0 {
		mean = m.hist.sum / float64(m.hist.n)
	}
	model := "closed"
	if r.cfg.Rate > 0 {
		model = "open"
	}
	return map[string]any{
		"schema":         "goperf-load/1",
		"model":          model,
		"target":         r.cfg.Target,
		"rate_requested": rate,
		"connections":    r.cfg.Connections,
		"warmup_s":       r.cfg.Warmup,
		"duration_s":     window,
		"interrupted":    r.interrupted.Load(),
		"requests":       m.requests,
		"ok":             m.ok,
		"achieved_rate":  float64(m.requests) / window,
		"send_rate":      float64(r.sentInWindow) / window,
		"errors": map[string]any{
			"connect": m.connect, "timeout": m.timeout, "io": m.ioErr, "status": status, "total": errs,
		},
		"dropped": r.dropped[1].Load(),
		"warmup": map[string]any{
			"requests": wu.requests, "errors": wu.requests - wu.ok, "dropped": r.dropped[0].Load(),
		},
		"latency_ns": map[string]any{
			"count": m.hist.n, "min": m.hist.min, "mean": mean,
			"p50": m.hist.quantile(0.50), "p90": m.hist.quantile(0.90), "p99": m.hist.quantile(0.99),
			"p999": m.hist.quantile(0.999), "max": m.hist.max,
		},
		"histogram": map[string]any{
			"unit": "ns", "max_relative_error": 1.0 / 128, "buckets": m.hist.buckets(),
		},
	}
}
