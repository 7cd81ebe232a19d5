package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func requestBody(items int) string {
	parts := make([]string, items)
	for i := range parts {
		parts[i] = fmt.Sprintf("%q", fmt.Sprintf("item-%d", i))
	}
	return `{"customer":"acme","currency":"EUR","items":[` + strings.Join(parts, ",") + `]}`
}

func TestProcess(t *testing.T) {
	rec := httptest.NewRecorder()
	handleProcess(rec, httptest.NewRequest(http.MethodPost, "/api/process", strings.NewReader(requestBody(3))))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `"sku":"ITEM-0-0000-EUR"`) {
		t.Fatalf("unexpected body %s", rec.Body)
	}
}

func BenchmarkHandleRequest(b *testing.B) {
	for _, tc := range []struct {
		name  string
		items int
	}{{"small", 2}, {"large", 50}} {
		body := requestBody(tc.items)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				rec := httptest.NewRecorder()
				handleProcess(rec, httptest.NewRequest(http.MethodPost, "/api/process", strings.NewReader(body)))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
