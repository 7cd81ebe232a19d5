//go:build go1.24

package main

import "net/http"

// h2cAvailable: Go 1.24 added http.Protocols, and with it HTTP/2 without TLS
// (prior knowledge) in the standard library.
func h2cAvailable() error { return nil }

// enableH2C makes the Transport speak HTTP/2 without TLS to http:// URLs.
func enableH2C(tr *http.Transport) {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr.Protocols = &p
}
