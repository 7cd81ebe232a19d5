package main

import "testing"

func BenchmarkOK(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work(100)
	}
}

func BenchmarkPanics(b *testing.B) {
	panic("benchfaults: deliberate panic")
}

func BenchmarkFatal(b *testing.B) {
	b.Fatal("benchfaults: deliberate b.Fatal")
}
