// Command dominant writes a CPU profile in which one function, main.burn,
// takes almost all the time: the failing case of the CPU-share gate.  It also
// has a recursive function (cum counted once per sample) and a small helper
// the compiler inlines (the "(inline)" rows of go tool pprof -top).
//
// The phases are bounded by work, not by wall time, so their CPU shares stay
// about 75/17/6 however busy the machine is.
package main

import (
	"os"
	"runtime/pprof"
)

var sink uint64

//go:noinline
func burn(rounds int) {
	h := sink
	for r := 0; r < rounds; r++ {
		for i := 0; i < 1<<20; i++ {
			h = (h ^ uint64(i)) * 1099511628211
		}
	}
	sink = h
}

//go:noinline
func spin(rounds int) {
	for r := 0; r < rounds; r++ {
		for i := 0; i < 1<<20; i++ {
			sink = mix(sink, uint64(i))
		}
	}
}

// mix is small enough to be inlined into spin, and does most of spin's work,
// so its "(inline)" row holds tens of samples rather than one or two.
func mix(h, v uint64) uint64 {
	h = (h ^ v) * 1099511628211
	h = (h ^ (v >> 7)) * 1099511628211
	h = (h ^ (v >> 13)) * 1099511628211
	return (h ^ (v >> 29)) * 1099511628211
}

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
	burn(800)
	spin(60)
	for i := 0; i < 800; i++ {
		sink += uint64(fib(22))
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		panic(err)
	}
}
