//go:build !regress

package p

import "testing"

// Only the baseline has it: the candidate removed it.
func BenchmarkRemoved(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}
