package main

import "testing"

func BenchmarkNameFor(b *testing.B) {
	for i := 0; i < b.N; i++ {
		nameFor("http://127.0.0.1:8080", "/id/42")
	}
}
