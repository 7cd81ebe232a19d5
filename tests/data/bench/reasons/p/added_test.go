//go:build regress

package p

import "testing"

// Only the candidate has it: new in the candidate.
func BenchmarkAdded(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}
