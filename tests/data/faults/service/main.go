// Command faultservice is an HTTP service that misbehaves in one chosen way (tests/faults).
//
// API faults: exit at once, never ready, crash after -n requests, answer slower
// than the load timeout, always 500, ignore SIGTERM, flood stdout.  Debug-endpoint faults:
// the CPU profile answers 404, 500, HTML, or is cut off mid-transfer; the
// trace endpoint hangs.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "API address")
	debugAddr := flag.String("debug-addr", "", "pprof address")
	mode := flag.String("mode", "ok", "the fault")
	n := flag.Int64("n", 20, "requests before crash-after crashes")
	flag.Parse()

	switch *mode {
	case "exit":
		fmt.Fprintln(os.Stderr, "faultservice: exiting at once on purpose")
		os.Exit(3)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
	case "flood":
		go flood()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("listen %s: %v", *addr, err)
	}
	log.Printf("api listening on %s", ln.Addr())
	var count atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if *mode == "never-ready" {
			http.Error(w, "warming up forever", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c := count.Add(1)
		switch *mode {
		case "crash-after":
			if c >= *n {
				log.Fatalf("faultservice: crashing after %d requests on purpose", c)
			}
		case "slow":
			time.Sleep(2 * time.Second)
		case "status500":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "done")
	})
	if *debugAddr != "" {
		go serveDebug(*debugAddr, *mode)
	}
	log.Fatal(http.Serve(ln, mux))
}

func serveDebug(addr, mode string) {
	dmux := http.NewServeMux()
	dmux.HandleFunc("/debug/pprof/", pprof.Index)
	if mode == "pprof-index-only" { // every /debug/pprof/* path to Index, as prometheus/pushgateway routes them
		listenDebug(addr, dmux)
		return
	}
	dmux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		switch mode {
		case "pprof-404":
			http.NotFound(w, r)
		case "pprof-500":
			http.Error(w, "profiler exploded", http.StatusInternalServerError)
		case "pprof-html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><body><h1>Login required</h1></body></html>")
		case "pprof-truncated":
			var buf bytes.Buffer
			r.ParseForm()
			r.Form.Set("seconds", "1")
			rec := &recorder{header: http.Header{}, body: &buf}
			pprof.Profile(rec, r)
			w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
			w.WriteHeader(http.StatusOK)
			w.Write(buf.Bytes()[:buf.Len()/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // close the connection mid-body
		default:
			pprof.Profile(w, r)
		}
	})
	dmux.HandleFunc("/debug/pprof/trace", func(w http.ResponseWriter, r *http.Request) {
		if mode == "trace-hang" {
			<-r.Context().Done() // never answers; returns when the client gives up
			return
		}
		pprof.Trace(w, r)
	})
	listenDebug(addr, dmux)
}

func listenDebug(addr string, dmux *http.ServeMux) {
	dln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("listen %s: %v", addr, err)
	}
	log.Print(http.Serve(dln, dmux))
}

// recorder collects a handler's answer so a truncated copy can be sent.
type recorder struct {
	header http.Header
	body   *bytes.Buffer
	status int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }

// flood writes to stdout as fast as the pipe takes it, forever (gigabytes in a window).
func flood() {
	line := bytes.Repeat([]byte("flood "), 170)
	line = append(line, '\n')
	block := bytes.Repeat(line, 64)
	for {
		os.Stdout.Write(block)
	}
}
