package main

import "testing"

func BenchmarkTag(b *testing.B) {
	for i := 0; i < b.N; i++ {
		tag("order=42")
	}
}
