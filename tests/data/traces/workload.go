// workload.go is traced by make_traces.py: it exercises goroutine creation,
// channel and mutex blocking, sleeps, syscalls, preemption and GC so that the
// execution trace holds scheduler latency, blocking and STW pauses.
package main

import (
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"sync"
	"time"
)

var (
	sink  [][]byte
	extra func() // coroutine switches, set by workload_pull.go on Go 1.23+
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if os.Getenv("WORKLOAD_CPUPROFILE") != "" {
		// CPU profiling while tracing puts CPU-sample batches into the trace.
		if err := pprof.StartCPUProfile(io.Discard); err != nil {
			panic(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		panic(err)
	}
	if n > 0 {
		work(n)
		if extra != nil {
			extra()
		}
	}
	if os.Getenv("WORKLOAD_CPUPROFILE") != "" {
		burn(60 * time.Millisecond) // inside the trace: guarantees CPU samples
	}
	trace.Stop()
	f.Close()
}

func work(n int) {
	var mu sync.Mutex
	ch := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range ch {
				mu.Lock()
				buf := make([]byte, 128*(v%32+1))
				sink = append(sink, buf)
				if len(sink) > 2000 {
					sink = nil
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		ch <- i
		if i%400 == 0 {
			time.Sleep(time.Millisecond)
			os.Stat("/")
		}
		if i%1000 == 500 {
			runtime.Gosched()
		}
	}
	close(ch)
	wg.Wait()
}

// burn spins on the CPU for d so that the CPU profiler takes samples.
func burn(d time.Duration) {
	x := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 10000; i++ {
			x += i * i
		}
	}
	sinkInt = x
}

var sinkInt int
