// Sub-benchmarks whose names are full of regexp metacharacters, as real code has them
// (type names, sizes, operators).  A suggested `go test -bench` command must select
// exactly one of them.
package oddnames

import "testing"

var sum uint64

func BenchmarkMarshal(b *testing.B) {
	for _, name := range []string{"map[string]int", "[]byte", "size(1KB)", "a+b*c?", "x|y", `back\slash`, "map"} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sum += uint64(i)
			}
		})
	}
}
