// Command buildflags shows what its build was given: a version set with
// -ldflags "-X main.version=...", a build tag, and whether cgo was on.  It logs
// them in the line a log readiness check waits for.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"strings"
)

var version = "dev"

// describe is what the service reports about its build.
func describe() string {
	return fmt.Sprintf("version=%s tagged=%v cgo=%v", version, tagged, cgoEnabled)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "API address")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/build", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, strings.Repeat(describe()+"\n", 4))
	})
	log.Printf("serving %s on %s", describe(), *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
