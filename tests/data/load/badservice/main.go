// Command badservice misbehaves on purpose so tests can check the errors
// pytest-goperf gives for services that exit, hang, crash or fail.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var (
	leakMu sync.Mutex
	leaked [][]byte
	never  = make(chan struct{})
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "API address")
	debugAddr := flag.String("debug-addr", "", "pprof address")
	mode := flag.String("mode", "ok", "ok | exit | never-ready | wrong-port | status500 | crash-after | slow | leak")
	n := flag.Int64("n", 50, "requests before crash-after crashes")
	writeTimeout := flag.Duration("debug-write-timeout", 0, "WriteTimeout of the debug server")
	flag.Parse()

	if *mode == "exit" {
		fmt.Fprintln(os.Stderr, "badservice: giving up at once on purpose")
		os.Exit(3)
	}
	listen := *addr
	if *mode == "wrong-port" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		log.Fatalf("listen %s: %v", listen, err)
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
		case "status500":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "crash-after":
			if c >= *n {
				log.Fatalf("badservice: crashing after %d requests on purpose", c)
			}
		case "slow":
			time.Sleep(300 * time.Millisecond)
		case "leak":
			// Keeps 16 KiB and one parked goroutine per request, forever.
			leakMu.Lock()
			leaked = append(leaked, make([]byte, 16<<10))
			leakMu.Unlock()
			go func() { <-never }()
		}
		fmt.Fprintln(w, "done")
	})
	if *debugAddr != "" {
		dmux := http.NewServeMux()
		dmux.HandleFunc("/debug/pprof/", pprof.Index)
		dmux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
			// Go <= 1.22 refused profiles longer than the server's WriteTimeout
			// (newer releases extend the deadline); answer as they did.
			sec, _ := strconv.ParseFloat(r.FormValue("seconds"), 64)
			if *writeTimeout > 0 && float64(*writeTimeout) < sec*float64(time.Second) {
				w.Header().Set("X-Go-Pprof", "1")
				w.Header().Del("Content-Disposition")
				http.Error(w, "profile duration exceeds server's WriteTimeout", http.StatusBadRequest)
				return
			}
			pprof.Profile(w, r)
		})
		dmux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		dln, err := net.Listen("tcp", *debugAddr)
		if err != nil {
			log.Fatalf("listen %s: %v", *debugAddr, err)
		}
		srv := &http.Server{Handler: dmux, WriteTimeout: *writeTimeout}
		go func() { log.Print(srv.Serve(dln)) }()
	}
	log.Fatal(http.Serve(ln, mux))
}
