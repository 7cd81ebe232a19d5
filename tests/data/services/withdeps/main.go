// Command withdeps depends on a third-party module (github.com/google/uuid),
// which the go command fetches through the module proxy on first use.  It
// also reads its public URL from the environment, as services behind a
// proxy do.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"

	"github.com/google/uuid"
)

// nameFor derives a stable ID for a resource path (UUID v5, SHA-1 based).
func nameFor(base, path string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(base+path))
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "API address")
	debugAddr := flag.String("debug-addr", "", "pprof address")
	flag.Parse()
	base := os.Getenv("PUBLIC_URL")
	if base == "" {
		log.Fatal("PUBLIC_URL is not set")
	}
	if *debugAddr != "" {
		dmux := http.NewServeMux()
		dmux.HandleFunc("/debug/pprof/", pprof.Index)
		dmux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dmux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() { log.Print(http.ListenAndServe(*debugAddr, dmux)) }()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/id/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s\n", nameFor(base, r.URL.Path), uuid.NewString())
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("serving %s on %s", base, ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}
