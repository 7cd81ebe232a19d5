package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ProcessRequest is the body of POST /api/process.
type ProcessRequest struct {
	Customer string   `json:"customer"`
	Currency string   `json:"currency"`
	Items    []string `json:"items"`
}

// LineItem is one transformed item of the response.
type LineItem struct {
	SKU   string  `json:"sku"`
	Label string  `json:"label"`
	Score uint64  `json:"score"`
	Price float64 `json:"price"`
}

// ProcessResponse is what POST /api/process returns.
type ProcessResponse struct {
	Customer string     `json:"customer"`
	Currency string     `json:"currency"`
	Lines    []LineItem `json:"lines"`
	Total    float64    `json:"total"`
	Digest   string     `json:"digest"`
}

// Scorer is called in the hot loop through an interface; with a profile, PGO
// devirtualizes the dominant implementation and inlines it.
type Scorer interface {
	Score(seed uint64, data []byte) uint64
}

type fnvScorer struct{}

func (fnvScorer) Score(seed uint64, data []byte) uint64 {
	h := seed ^ 14695981039346656037
	for _, c := range data {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

type sumScorer struct{}

func (sumScorer) Score(seed uint64, data []byte) uint64 {
	for _, c := range data {
		seed = seed*31 + uint64(c)
	}
	return seed
}

// scorers is indexed by currency; almost all traffic uses the first one.
var scorers = map[string]Scorer{"EUR": fnvScorer{}, "USD": fnvScorer{}, "XTS": sumScorer{}}

const scoreRounds = 16

func scoreItem(s Scorer, item string) uint64 {
	data := []byte(item)
	var h uint64
	for i := 0; i < scoreRounds; i++ {
		h = s.Score(h+uint64(i), data)
	}
	return h
}

func transform(req *ProcessRequest) ProcessResponse {
	currency := strings.ToUpper(req.Currency)
	if currency == "" {
		currency = "EUR"
	}
	s, ok := scorers[currency]
	if !ok {
		s = fnvScorer{}
	}
	resp := ProcessResponse{Customer: req.Customer, Currency: currency, Lines: make([]LineItem, 0, len(req.Items))}
	var digest uint64
	for i, item := range req.Items {
		score := scoreItem(s, item)
		price := float64(score%10000) / 100
		line := LineItem{
			SKU:   fmt.Sprintf("%s-%04d-%s", strings.ToUpper(item), i, currency),
			Label: fmt.Sprintf("%s for %s (%d of %d)", item, req.Customer, i+1, len(req.Items)),
			Score: score,
			Price: price,
		}
		resp.Lines = append(resp.Lines, line)
		resp.Total += price
		digest ^= score
	}
	resp.Digest = fmt.Sprintf("%016x", digest)
	return resp
}

func handleProcess(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	var req ProcessRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	var resp ProcessResponse
	if *contend {
		withContention(func() { resp = transform(&req) })
	} else {
		resp = transform(&req)
	}
	if *hot {
		hotSpot(uint64(len(resp.Lines)))
	}
	// A fresh buffer per request: a typical allocation hot spot.
	buf := getBuffer()
	defer putBuffer(buf, false)
	if err := json.NewEncoder(buf).Encode(&resp); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
	if *leakHeap {
		leakBytes()
	}
	if *leakGoroutines {
		leakGoroutine(buf.Bytes())
	}
}
