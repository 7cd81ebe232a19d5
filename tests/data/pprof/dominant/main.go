// Command dominant writes a CPU profile in which one function, main.burn,
// takes almost all the time: the failing case of the CPU-share gate.  It also
// has a recursive function (cum counted once per sample) and a small helper
// the compiler inlines (the "(inline)" rows of go tool pprof -top).
package main

import (
	"os"
	"runtime/pprof"
	"time"
)

var sink uint64

//go:noinline
func burn(d time.Duration) {
	end := time.Now().Add(d)
	h := sink
	for time.Now().Before(end) {
		for i := 0; i < 1<<20; i++ {
			h = (h ^ uint64(i)) * 1099511628211
		}
	}
	sink = h
}

//go:noinline
func spin(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for i := 0; i < 1<<16; i++ {
			sink = mix(sink, uint64(i))
		}
	}
}

// mix is small enough to be inlined into spin.
func mix(h, v uint64) uint64 { return (h ^ v) * 1099511628211 }

//go:noinline
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	burn(1200 * time.Millisecond)
	spin(150 * time.Millisecond)
	end := time.Now().Add(150 * time.Millisecond)
	for time.Now().Before(end) {
		sink += uint64(fib(22))
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		panic(err)
	}
}
