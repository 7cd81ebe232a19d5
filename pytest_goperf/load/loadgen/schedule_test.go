package main

import (
	"math"
	"testing"
)

func openRun(rate float64, arrivals string) *run {
	return &run{open: true, nsPerSlot: 1e9 / rate, total: int64(10 * rate), jitter: arrivals != "constant"}
}

// Each jittered slot stays in its own interval, and slotsBefore counts exactly the slots due before a time.
func TestJitteredSlotsKeepOrderAndCount(t *testing.T) {
	r := openRun(500, "jittered")
	prev := int64(-1)
	for i := int64(0); i < r.total; i++ {
		at := r.slotAt(i)
		lo, hi := int64(float64(i)*r.nsPerSlot), int64(float64(i+1)*r.nsPerSlot)
		if at < lo || at >= hi || at <= prev {
			t.Fatalf("slot %d at %d: outside [%d, %d) or not after %d", i, at, lo, hi, prev)
		}
		prev = at
	}
	for _, ns := range []int64{0, 1, 1_999_999, 2_000_000, 3_123_457, 5e9, 9_999_999_999, 2e10} {
		want := int64(0)
		for i := int64(0); i < r.total && r.slotAt(i) < ns; i++ {
			want++
		}
		if got := r.slotsBefore(ns); got != want {
			t.Errorf("slotsBefore(%d) = %d, want %d", ns, got, want)
		}
	}
}

// The reason for the jitter: at 500 req/s a constant schedule puts every
// request at one of two phases of a 250 Hz tick; jittered, the phases are
// uniform (8 bins of 0.5 ms each hold 1/8 of 5000 slots, within 20 %).
func TestJitteredPhasesAreUniformAgainstTheTick(t *testing.T) {
	const tick = 4_000_000
	for _, arrivals := range []string{"jittered", "constant"} {
		r := openRun(500, arrivals)
		var bins [8]int
		for i := int64(0); i < r.total; i++ {
			bins[(r.slotAt(i)%tick)*8/tick]++
		}
		uniform := true
		for _, n := range bins {
			if math.Abs(float64(n)-float64(r.total)/8) > 0.2*float64(r.total)/8 {
				uniform = false
			}
		}
		if uniform != (arrivals == "jittered") {
			t.Errorf("%s: phase bins %v", arrivals, bins)
		}
	}
}

// A claim skips exactly the slots already more than timeout late, jittered or not.
func TestClaimSkipsOnlyStaleSlots(t *testing.T) {
	for _, arrivals := range []string{"jittered", "constant"} {
		r := openRun(500, arrivals)
		r.timeoutNs = 1e9
		now := int64(3_000_000_001) // slots due before 2.000000001 s are stale
		slot, ok := r.claimSlot(now)
		if !ok || r.slotAt(slot) < now-r.timeoutNs || slot > 0 && r.slotAt(slot-1) >= now-r.timeoutNs {
			t.Errorf("%s: claimed slot %d due at %d", arrivals, slot, r.slotAt(slot))
		}
		if next, _ := r.claimSlot(now); next != slot+1 {
			t.Errorf("%s: next claim %d after %d", arrivals, next, slot)
		}
	}
}
