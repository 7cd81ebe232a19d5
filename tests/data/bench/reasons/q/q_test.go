// A second package with a benchmark of the same name as one in package p.
package q

import "testing"

var sum uint64

func BenchmarkSteady(b *testing.B) {
	for i := 0; i < b.N; i++ {
		h := uint64(1469598103934665603)
		for j := 0; j < 400; j++ {
			h ^= uint64(j)
			h *= 1099511628211
		}
		sum += h
	}
}
