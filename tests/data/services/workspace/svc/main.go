// Command wsvc is the service module of a go.work workspace: it imports
// example.com/wlib, which only the workspace provides (no require, no replace).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"

	"example.com/wlib"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "API address")
	debugAddr := flag.String("debug-addr", "", "pprof address")
	flag.Parse()
	if *debugAddr != "" {
		dmux := http.NewServeMux()
		dmux.HandleFunc("/debug/pprof/", pprof.Index)
		dmux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dmux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() { log.Print(http.ListenAndServe(*debugAddr, dmux)) }()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/status", http.StatusFound) // a health path that redirects
	})
	mux.HandleFunc("/slug", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, wlib.Slug(r.URL.Query().Get("q")))
	})
	log.Printf("listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
