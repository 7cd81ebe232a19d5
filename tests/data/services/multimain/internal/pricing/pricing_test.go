package pricing

import (
	"strconv"
	"testing"
)

func BenchmarkTotal(b *testing.B) {
	skus := make([]string, 64)
	for i := range skus {
		skus[i] = "sku-" + strconv.Itoa(i*37)
	}
	for i := 0; i < b.N; i++ {
		if Total(skus) == 0 {
			b.Fatal("zero")
		}
	}
}
