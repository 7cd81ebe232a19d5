// syncblock records an execution trace in which goroutines block for every
// synchronization reason the runtime names: sync.Mutex, sync.RWMutex (read
// and write), sync.WaitGroup (all "sync"), sync.Cond ("sync.(*Cond).Wait"),
// channel send and receive, and select; plus sleeps, which are not sync.
//
// Usage: syncblock OUT.trace ROUNDS
package main

import (
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"time"
)

var (
	mu    sync.Mutex
	rw    sync.RWMutex
	cmu   sync.Mutex
	cond  = sync.NewCond(&cmu)
	ready int
	total int
)

func spin(n int) int {
	x := 0
	for i := 0; i < n; i++ {
		x += i ^ x
	}
	return x
}

func mutexWork(rounds int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < rounds; i++ {
		mu.Lock()
		total += spin(2000)
		mu.Unlock()
	}
}

func rwWork(rounds int, write bool, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < rounds; i++ {
		if write {
			rw.Lock()
			total += spin(3000)
			rw.Unlock()
		} else {
			rw.RLock()
			_ = spin(500)
			rw.RUnlock()
		}
	}
}

func condWork(rounds int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < rounds; i++ {
		cmu.Lock()
		for ready == 0 {
			cond.Wait()
		}
		ready--
		cmu.Unlock()
	}
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	rounds, _ := strconv.Atoi(os.Args[2])
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go mutexWork(rounds, &wg)
	}
	wg.Add(3)
	go rwWork(rounds, true, &wg)
	go rwWork(rounds, false, &wg)
	go rwWork(rounds, false, &wg)
	wg.Add(1)
	go condWork(rounds, &wg)
	go func() {
		for i := 0; i < rounds; i++ {
			time.Sleep(20 * time.Microsecond)
			cmu.Lock()
			ready++
			cmu.Unlock()
			cond.Signal()
		}
	}()
	in, out, quit := make(chan int), make(chan int, 1), make(chan struct{})
	wg.Add(1)
	go func() { // receives, selects
		defer wg.Done()
		for {
			select {
			case v := <-in:
				out <- v + spin(100)
			case <-quit:
				return
			}
		}
	}()
	for i := 0; i < rounds; i++ { // sends into an unbuffered channel, receives the answer
		in <- i
		<-out
		if i%50 == 0 {
			time.Sleep(10 * time.Microsecond)
		}
	}
	close(quit)
	wg.Wait() // blocks main on a WaitGroup ("sync")
	trace.Stop()
	if err := f.Close(); err != nil {
		panic(err)
	}
}
