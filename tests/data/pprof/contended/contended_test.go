// Package contended is a small contended program for real block, mutex and
// allocation profiles from `go test -blockprofile -mutexprofile -memprofile`.
//
// bump is small enough to be inlined into worker's hot loop, and is also
// called rarely through a function value (never inlined): in pprof's full
// graph it can be "(partial-inline)" while with pprof's default
// -edgefraction the rare call falls under the cutoff.  Workers contend on
// one mutex and feed a channel, so all three profiles have samples.
package contended

import (
	"sync"
	"testing"
)

var (
	mu      sync.Mutex
	counter int
	sink    [][]byte
)

func bump(n int) {
	mu.Lock()
	for i := 0; i < 50; i++ {
		counter += n ^ i
	}
	mu.Unlock()
}

func keep(n int) []byte {
	return make([]byte, 64+n%8)
}

func worker(id int, out chan<- int, rare func(int), wg *sync.WaitGroup) {
	defer wg.Done()
	for v := 0; v < 40000; v++ {
		bump(v)
		if v%16 == 0 {
			b := keep(v)
			out <- len(b)
		}
		if v%997 == id {
			rare(v)
		}
	}
}

func TestContend(t *testing.T) {
	out := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go worker(i, out, bump, &wg)
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	total := 0
	for n := range out {
		total += n
		sink = append(sink[:len(sink)%1024], make([]byte, n))
	}
	if total == 0 || counter == 0 {
		t.Fatal("no work done")
	}
}
