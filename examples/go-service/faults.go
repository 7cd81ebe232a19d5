package main

// Fault switches, all off by default: each one plants a classic runtime
// fault so that its gate can be seen failing on a real service.
//
//	-leak-goroutines  one goroutine per request blocks forever on a channel no one reads
//	                  (fails thresholds.goroutines)
//	-leak-heap        every request keeps 2 KiB forever: a slow leak next to a 40 KiB response (fails thresholds.heap)
//	-pool-oversize    response buffers come from a sync.Pool that keeps them however large
//	                  they grew; with the capacity guard (the fix) they are dropped
//	                  (fails thresholds.heap)
//	-contend          one global mutex held across each request's work and a 1 ms wait
//	                  (fails thresholds.blocks)
//	-hot              one function burns most of the CPU (fails thresholds.cpu)
//	-slow-stw         a background goroutine copies 128 MiB buffers back to back: a copy
//	                  is one memmove the runtime cannot preempt, so every GC's
//	                  stop-the-world waits for it to finish (fails thresholds.gc)

import (
	"bytes"
	"flag"
	"log"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	leakGoroutines = flag.Bool("leak-goroutines", false, "fault: leak one goroutine per request")
	leakHeap       = flag.Bool("leak-heap", false, "fault: keep 2 KiB per request forever")
	poolOversize   = flag.Bool("pool-oversize", false, "fault: pool response buffers without a capacity guard")
	contend        = flag.Bool("contend", false, "fault: hold one global mutex across each request's work")
	hot            = flag.Bool("hot", false, "fault: one function takes most of the CPU")
	slowSTW        = flag.Bool("slow-stw", false, "fault: non-preemptible copies delay every stop-the-world")
)

var (
	leakedMu  sync.Mutex
	leaked    [][]byte
	contendMu sync.Mutex
	started   = time.Now()
	hotSink   atomic.Uint64
	bufPool   = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// maxPooledCap is the capacity guard: buffers grown past it are not put back.
const maxPooledCap = 64 << 10

// leakGoroutine parks a goroutine on a channel that nobody will ever read.
func leakGoroutine(result []byte) {
	ch := make(chan []byte)
	go func() { ch <- result }()
}

// leakBytes keeps a little memory for every request, forever.
func leakBytes() {
	leakedMu.Lock()
	leaked = append(leaked, make([]byte, 2048))
	leakedMu.Unlock()
}

// getBuffer returns a response buffer: fresh per request normally, pooled with -pool-oversize.
//
// With the fault, a report is rendered with three scratch buffers besides the
// response buffer, all from the pool and all sized for the largest report so
// far; reports grow with the service's uptime (256 bytes per ms, in 5 % steps).
// The pool keeps every one of them however large it grew, so each P's pool
// holds a few ever-larger buffers that survive each GC as its victim cache.
func getBuffer() *bytes.Buffer {
	if !*poolOversize {
		return new(bytes.Buffer)
	}
	want := int(time.Since(started).Milliseconds()) * 256
	var bufs [4]*bytes.Buffer
	for i := range bufs {
		b := bufPool.Get().(*bytes.Buffer)
		b.Reset()
		if b.Cap() < want {
			b = bytes.NewBuffer(make([]byte, 0, want+want/20))
		}
		bufs[i] = b
	}
	for _, b := range bufs[1:] {
		bufPool.Put(b) // scratch space, back to the pool
	}
	return bufs[0]
}

// putBuffer returns a pooled buffer; oversized ones are kept too: the fault.
// The fix is the capacity guard: if buf.Cap() > maxPooledCap { return }.
func putBuffer(buf *bytes.Buffer, guard bool) {
	if !*poolOversize {
		return
	}
	if guard && buf.Cap() > maxPooledCap {
		return
	}
	bufPool.Put(buf)
}

// withContention runs work under one global mutex, with a 1 ms wait inside it (as if for I/O).
func withContention(work func()) {
	contendMu.Lock()
	defer contendMu.Unlock()
	work()
	time.Sleep(time.Millisecond)
}

// hotSpot burns CPU in one function: about 1 ms of hashing per request, several times the rest of a request.
//
//go:noinline
func hotSpot(seed uint64) {
	h := seed
	for i := 0; i < 1_000_000; i++ {
		h = (h ^ uint64(i)) * 1099511628211
	}
	hotSink.Store(h)
}

// copyForever is the -slow-stw fault: a large copy is a single runtime memmove
// with no preemption point, so a stop-the-world that starts during one waits
// for the rest of it (the "time to safe point" part of the pause).  It copies
// back to back and yields between copies (without the yield the world could
// never stop), so it holds a P nearly all the time: 53-67 of 88-92 pauses were
// over 1 ms in 4 s traces.  When it slept a ninth of each copy instead, it
// waited for a P behind the handlers after every sleep, and only 30 of 92 were:
// few enough for a window with 15 % CPU steal to explain.  The buffers are
// mapped outside the Go heap so that they do not change how often GC runs.
func copyForever() {
	const size = 128 << 20
	src, err1 := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	dst, err2 := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err1 != nil || err2 != nil {
		log.Fatalf("-slow-stw: mmap: %v %v", err1, err2)
	}
	for {
		copy(dst, src)
		runtime.Gosched()
	}
}
