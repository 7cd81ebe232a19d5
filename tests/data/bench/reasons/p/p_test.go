// Benchmarks whose baseline (no tags) and candidate (-tags regress) differ in
// one known way each, so every verdict reason of the bench gate can be driven
// by real `go test -bench` output.
package p

import (
	"os"
	"testing"
)

var (
	sink []byte
	sum  uint64
)

// work is a fixed amount of allocation-free CPU work (a few hundred nanoseconds).
func work() {
	h := uint64(14695981039346656037)
	for i := 0; i < 200; i++ {
		h ^= uint64(i)
		h *= 1099511628211
	}
	sum += h
}

func BenchmarkSteady(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}

// A custom unit whose better direction nobody declared.
func BenchmarkWidgets(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
	b.ReportMetric(3, "widgets/op")
}

// Allocation-free in the baseline; the candidate lets 48 bytes escape per op.
func BenchmarkZeroToAlloc(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if regress {
			sink = make([]byte, 48)
		}
		work()
	}
}

// The reverse: the candidate removed the allocation.
func BenchmarkAllocToZero(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if !regress {
			sink = make([]byte, 48)
		}
		work()
	}
}

// Reads an input the baseline does not have (like a gitignored file missing from a clean worktree).
func BenchmarkReadsTestdata(b *testing.B) {
	path := "testdata/missing.json"
	if regress {
		path = "testdata/big.json"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		work()
		sum += uint64(len(data))
	}
}

// The change breaks this benchmark.
func BenchmarkFailsInCandidate(b *testing.B) {
	if regress {
		b.Fatal("broken by the change")
	}
	for i := 0; i < b.N; i++ {
		work()
	}
}
