// Command go-service is the example microservice that pytest-goperf gates.
//
// It is deliberately ordinary: a JSON API with the hot spots real services
// have (encoding/json, fmt.Sprintf, a buffer allocated per request, an
// interface call in a hot loop that PGO can devirtualize), a health check,
// and net/http/pprof on a separate loopback-only debug listener.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "API listen address")
	debugAddr := flag.String("debug-addr", "127.0.0.1:6060", "pprof listen address (loopback); empty disables it")
	flag.Parse()
	if *slowSTW {
		go copyForever()
	}

	api := &http.Server{
		Addr:              *addr,
		Handler:           newAPIMux(),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("listen %s: %v", *addr, err)
	}
	log.Printf("api listening on %s", ln.Addr())
	go func() {
		if err := api.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("api: %v", err)
		}
	}()

	var debug *http.Server
	if *debugAddr != "" {
		// No WriteTimeout here: profile?seconds=N and trace?seconds=N stream
		// for N seconds and net/http/pprof refuses durations past it.
		debug = &http.Server{Addr: *debugAddr, Handler: newDebugMux(), ReadHeaderTimeout: 5 * time.Second}
		dln, err := net.Listen("tcp", *debugAddr)
		if err != nil {
			log.Fatalf("listen %s: %v", *debugAddr, err)
		}
		log.Printf("debug listening on %s", dln.Addr())
		go func() {
			if err := debug.Serve(dln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Fatalf("debug: %v", err)
			}
		}()
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = api.Shutdown(ctx)
	if debug != nil {
		_ = debug.Shutdown(ctx)
	}
	log.Printf("stopped")
}

func newAPIMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/process", handleProcess)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// newDebugMux serves net/http/pprof on its own mux, never on the API mux,
// so profiles are reachable only where the debug listener is bound.
func newDebugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
