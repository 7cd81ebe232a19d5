// Command configfile reads its addresses from a config file at a path
// relative to its working folder, as many services do, and serves pprof on a
// separate debug listener named in that file.  It reads static/banner.txt the
// same way, so a test can see that the rest of its folder is still there.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"strings"
)

type config struct {
	Listen      string `json:"listen"`
	DebugListen string `json:"debug_listen"`
	Greeting    string `json:"greeting"`
}

func main() {
	path := flag.String("config", "config/app.json", "config file, relative to the working folder")
	flag.Parse()
	raw, err := os.ReadFile(*path)
	if err != nil {
		log.Fatalf("config: %v", err)
	}
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		log.Fatalf("config %s: %v", *path, err)
	}
	banner, err := os.ReadFile("static/banner.txt")
	if err != nil {
		log.Fatalf("static: %v", err)
	}
	if cfg.DebugListen != "" {
		dmux := http.NewServeMux()
		dmux.HandleFunc("/debug/pprof/", pprof.Index)
		dmux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dmux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		dln, err := net.Listen("tcp", cfg.DebugListen)
		if err != nil {
			log.Fatalf("debug listen: %v", err)
		}
		go func() { log.Print(http.Serve(dln, dmux)) }()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/greet", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		var b strings.Builder
		for i := 0; i < n%64+16; i++ {
			fmt.Fprintf(&b, "%s #%d\n", cfg.Greeting, i)
		}
		_, _ = w.Write([]byte(b.String()))
	})
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	log.Printf("%s: %q, ready to serve on %s", strings.TrimSpace(string(banner)), cfg.Greeting, ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}
