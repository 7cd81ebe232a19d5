// Command storyservice misbehaves in known, countable ways so the load
// generator's figures can be checked against what the service itself saw.
//
//	POST /charge          drops the connection without an answer on every 20th request (5 %)
//	GET  /slow            one request at a time, 25 ms each: at most 40 requests/s
//	GET  /redirect        302 to /login;  GET /login: 200
//	GET  /users/{id}      200, records the id
//	/svc-a/...            the same routes behind a path prefix (anything else: 404)
//	GET  /stats           what it saw, as JSON (not counted itself)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

type stats struct {
	mu      sync.Mutex
	Routes  map[string]int64 `json:"routes"`  // requests by route, e.g. "charge", "svc-a/users"
	Crashes int64            `json:"crashes"` // connections dropped on purpose
	Conns   int64            `json:"conns"`   // TCP connections accepted
	Users   []int64          `json:"users"`   // ids asked for, in arrival order
}

var st = stats{Routes: map[string]int64{}}

func count(route string) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.Routes[route]++
	return st.Routes[route]
}

func routes(prefix string) *http.ServeMux {
	var slow sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/charge", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if count(prefix+"charge")%20 == 0 {
			st.mu.Lock()
			st.Crashes++
			st.mu.Unlock()
			panic(http.ErrAbortHandler) // net/http closes the connection, no answer
		}
		fmt.Fprintln(w, "charged")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		count(prefix + "slow")
		slow.Lock()
		time.Sleep(25 * time.Millisecond)
		slow.Unlock()
		fmt.Fprintln(w, "done")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		count(prefix + "redirect")
		w.Header().Set("Location", "login") // relative: the client keeps any path prefix
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		count(prefix + "login")
		fmt.Fprintln(w, "login page")
	})
	mux.HandleFunc("/users/", func(w http.ResponseWriter, r *http.Request) {
		count(prefix + "users")
		id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/users/"), 10, 64)
		if err != nil {
			http.Error(w, "bad user id", http.StatusBadRequest)
			return
		}
		st.mu.Lock()
		st.Users = append(st.Users, id)
		st.mu.Unlock()
		fmt.Fprintf(w, "user %d\n", id)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		count(prefix + "404")
		http.NotFound(w, r)
	})
	return mux
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "API address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("listen %s: %v", *addr, err)
	}
	log.Printf("api listening on %s", ln.Addr())
	top := routes("")
	mux := http.NewServeMux()
	mux.Handle("/svc-a/", http.StripPrefix("/svc-a", routes("svc-a/")))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		_ = json.NewEncoder(w).Encode(&st)
	})
	mux.Handle("/", top)
	srv := &http.Server{Handler: mux, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			st.mu.Lock()
			st.Conns++
			st.mu.Unlock()
		}
	}}
	log.Fatal(srv.Serve(ln))
}
