// Command vendored builds from its vendor/ folder only (go mod vendor): the
// tests build it with -mod=vendor, no module proxy and an empty module cache.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"

	"github.com/google/uuid"
)

func tag(s string) string {
	return uuid.NewMD5(uuid.NameSpaceOID, []byte(s)).String()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "API address")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/tag", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, tag(r.URL.RawQuery))
	})
	log.Printf("listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
