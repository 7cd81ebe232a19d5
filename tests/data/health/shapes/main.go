// Command shapes is a small HTTP service whose memory and goroutine shape
// is chosen by flags, for the runtime gates' tests and repeatability runs:
//
//	-leak-bytes N       keep N bytes per request forever (a leak at a constant rate per request)
//	-cache-bytes N      fill a cache with N bytes during the first -cache-fill seconds, then keep it
//	-pool W             serve through W workers fed by a channel (few goroutines), with an
//	                    allocation burst every -burst requests
//	-pprof-prefix P     mount net/http/pprof under P (e.g. /admin/pprof/) instead of /debug/pprof/
//	-ring N             push N values per request onto a generic Ring[uint64]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"
)

var ringPushes = flag.Int("ring", 0, "pushes per request onto a generic ring (a generic method in the CPU profile)")

var (
	mu      sync.Mutex
	kept    [][]byte
	cache   [][]byte
	cached  int
	started time.Time
	sink    []byte
)

type job struct {
	n    int
	done chan int
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "API address")
	debugAddr := flag.String("debug-addr", "", "pprof address")
	prefix := flag.String("pprof-prefix", "/debug/pprof/", "where net/http/pprof is mounted")
	leakBytes := flag.Int("leak-bytes", 0, "bytes kept per request, forever")
	cacheBytes := flag.Int("cache-bytes", 0, "bytes cached during the first -cache-fill")
	cacheFill := flag.Duration("cache-fill", 6*time.Second, "how long the cache fills")
	pool := flag.Int("pool", 0, "serve through this many workers fed by a channel (0: in the handler)")
	burst := flag.Int("burst", 50, "with -pool: every N-th job allocates a 4 MiB burst")
	flag.Parse()

	var jobs chan job
	if *pool > 0 {
		jobs = make(chan job)
		for i := 0; i < *pool; i++ {
			go worker(jobs, *burst)
		}
	}
	var count int
	var countMu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		countMu.Lock()
		count++
		n := count
		if started.IsZero() {
			started = time.Now()
		}
		countMu.Unlock()
		if *leakBytes > 0 {
			mu.Lock()
			kept = append(kept, make([]byte, *leakBytes))
			mu.Unlock()
		}
		if *cacheBytes > 0 {
			fill(*cacheBytes, *cacheFill)
		}
		result := n
		if jobs != nil {
			j := job{n: n, done: make(chan int, 1)}
			jobs <- j
			result = <-j.done
		} else {
			result = work(n)
		}
		fmt.Fprintf(w, "done %d\n", result)
	})
	if *debugAddr != "" {
		dmux := http.NewServeMux()
		p := *prefix
		dmux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			// pprof.Index finds a profile's name after /debug/pprof/ only.
			r.URL.Path = "/debug/pprof/" + strings.TrimPrefix(r.URL.Path, p)
			pprof.Index(w, r)
		})
		dmux.HandleFunc(p+"profile", pprof.Profile)
		dmux.HandleFunc(p+"trace", pprof.Trace)
		dln, err := net.Listen("tcp", *debugAddr)
		if err != nil {
			log.Fatalf("listen %s: %v", *debugAddr, err)
		}
		go func() { log.Print(http.Serve(dln, dmux)) }()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("listen %s: %v", *addr, err)
	}
	log.Printf("api listening on %s", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}

// fill grows the cache evenly over the first fillFor after the first request, up to size bytes.
func fill(size int, fillFor time.Duration) {
	mu.Lock()
	defer mu.Unlock()
	want := size
	if el := time.Since(started); el < fillFor {
		want = int(float64(size) * float64(el) / float64(fillFor))
	}
	for cached < want {
		chunk := make([]byte, 64<<10)
		cache = append(cache, chunk)
		cached += len(chunk)
	}
}

func worker(jobs <-chan job, burst int) {
	for j := range jobs {
		if burst > 0 && j.n%burst == 0 {
			b := make([]byte, 4<<20) // an allocation burst, garbage at once
			b[len(b)-1] = byte(j.n)
			sink = b
		}
		j.done <- work(j.n)
	}
}

// work renders and encodes a small report and hashes it: CPU spread over fmt,
// encoding/json and one hash loop, as in an ordinary handler.
func work(n int) int {
	type line struct {
		SKU   string `json:"sku"`
		Label string `json:"label"`
		Score int    `json:"score"`
	}
	lines := make([]line, 400)
	for i := range lines {
		lines[i] = line{SKU: fmt.Sprintf("SKU-%04d-%d", i, n), Label: fmt.Sprintf("item %d of request %d", i, n), Score: n ^ i}
	}
	data, _ := json.Marshal(lines)
	h := uint64(n)
	for r := 0; r < 2; r++ {
		for _, c := range data {
			h = (h ^ uint64(c)) * 1099511628211
		}
	}
	var ring Ring[uint64] // a generic method in the CPU profile: main.(*Ring[go.shape.uint64]).Push
	for i := 0; i < *ringPushes; i++ {
		ring.Push(h ^ uint64(i))
	}
	return int((h ^ ring.Sum()) & 0xffff)
}

// Ring keeps the last 64 values pushed.
type Ring[T ~uint64] struct {
	buf [64]T
	n   int
}

// Push adds v, dropping the oldest value.
//
//go:noinline
func (r *Ring[T]) Push(v T) {
	r.buf[r.n%len(r.buf)] = v * 31
	r.n++
}

// Sum adds up the values kept.
func (r *Ring[T]) Sum() T {
	var s T
	for _, v := range r.buf {
		s += v
	}
	return s
}
