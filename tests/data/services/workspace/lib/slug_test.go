package wlib

import "testing"

func BenchmarkSlug(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if Slug("Hello, Workspace World 2024!") != "hello-workspace-world-2024" {
			b.Fatal("wrong slug")
		}
	}
}
