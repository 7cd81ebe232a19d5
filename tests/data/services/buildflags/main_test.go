package main

import "testing"

func BenchmarkDescribe(b *testing.B) {
	if !tagged {
		b.Fatal("built without -tags=goperf_demo")
	}
	for i := 0; i < b.N; i++ {
		_ = describe()
	}
}
