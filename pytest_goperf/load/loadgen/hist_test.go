package main

import (
	"math/rand/v2"
	"testing"
)

func TestBucketsRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, 255, 256, 257, 511, 512, 1000, 123456789, 1 << 40, 3_600_000_000_000} {
		lo, hi := bounds(bucketOf(v))
		if v < lo || v >= hi {
			t.Fatalf("%d not in bucket [%d,%d)", v, lo, hi)
		}
		if lo >= 256 && float64(hi-lo)/float64(lo) > 1.0/128+1e-12 {
			t.Fatalf("bucket [%d,%d) too wide", lo, hi)
		}
	}
}

func TestQuantileRelativeError(t *testing.T) {
	var h histogram
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]int64, 0, 10000)
	for i := 0; i < 10000; i++ {
		v := int64(r.ExpFloat64() * 1e6)
		vals = append(vals, v)
		h.record(v)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		got := h.quantile(q)
		// exact nearest rank
		sorted := append([]int64(nil), vals...)
		for i := 1; i < len(sorted); i++ {
			for j := i; j > 0 && sorted[j] < sorted[j-1]; j-- {
				sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
			}
		}
		rank := int(q*float64(len(sorted)) + 0.999999999)
		want := sorted[rank-1]
		if d := float64(got-want) / float64(want); d > 0.01 || d < -0.01 {
			t.Fatalf("q%.3f: got %d want %d (%.3f%%)", q, got, want, d*100)
		}
	}
}
