// Command twelvefactor is a service as many teams write it, used unchanged by
// the tests: the port comes from $PORT, the API is served on the default mux,
// and net/http/pprof is registered on that same mux by a blank import, so the
// profiles are reachable on the API listener (bound to all interfaces).
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strings"
)

type order struct {
	Customer string   `json:"customer"`
	Items    []string `json:"items"`
}

type receipt struct {
	Customer string `json:"customer"`
	Lines    int    `json:"lines"`
	Digest   string `json:"digest"`
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	http.HandleFunc("/api/orders", handleOrder)
	log.Printf("listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}

// handleOrder does a little of what real handlers do: decode, format, hash, encode.
func handleOrder(w http.ResponseWriter, r *http.Request) {
	var o order
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var lines []string
	for round := 0; round < 80; round++ {
		var b strings.Builder
		for i, item := range o.Items {
			fmt.Fprintf(&b, "%s-%03d:%s;", strings.ToUpper(item), i, o.Customer)
		}
		lines = append(lines, b.String())
	}
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	body, _ := json.Marshal(map[string]any{"lines": lines, "digest": hex.EncodeToString(sum[:])})
	var out receipt
	_ = json.Unmarshal(body, &map[string]any{})
	out = receipt{Customer: o.Customer, Lines: len(lines), Digest: hex.EncodeToString(sum[:])}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
