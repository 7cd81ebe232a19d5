//go:build !go1.24

package main

import (
	"fmt"
	"net/http"
	"runtime"
)

// h2cAvailable: before Go 1.24 the standard library has no client for HTTP/2
// without TLS (golang.org/x/net/http2 has, but the generator builds from the
// standard library only).
func h2cAvailable() error {
	return fmt.Errorf("HTTP/2 without TLS (h2c) needs the load generator built with Go 1.24 or newer "+
		"(http.Protocols); this one was built with %s: use an https:// URL, a newer Go, or load.http2: false",
		runtime.Version())
}

func enableH2C(*http.Transport) {}
