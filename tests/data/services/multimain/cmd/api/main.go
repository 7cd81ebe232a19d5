// Command api is one of several mains in this module (cmd/api, cmd/worker),
// the layout most Go repositories use.  It has no health endpoint: the test
// waits for its port to accept connections.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"
	"strings"

	"example.com/multimain/internal/pricing"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "API address")
	pprofAddr := flag.String("pprof", "", "pprof address (loopback); empty: none")
	flag.Parse()
	if *pprofAddr != "" {
		dmux := http.NewServeMux()
		dmux.HandleFunc("/debug/pprof/", pprof.Index)
		dmux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dmux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() { log.Print(http.ListenAndServe(*pprofAddr, dmux)) }()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/price", func(w http.ResponseWriter, r *http.Request) {
		skus := strings.Split(r.URL.Query().Get("skus"), ",")
		fmt.Fprintf(w, "%d\n", pricing.Total(skus))
	})
	log.Printf("api on %s", *listen)
	log.Fatal(http.ListenAndServe(*listen, mux))
}
