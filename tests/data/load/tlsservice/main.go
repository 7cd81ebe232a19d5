// Command tlsservice serves HTTP/1.1, HTTPS (with or without HTTP/2) or
// HTTP/2 without TLS only (h2c), to test the load generator's protocols and
// the errors a protocol mismatch gets. `-gencert DIR` writes a throwaway CA
// and a server certificate for 127.0.0.1 and localhost signed by it.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "service address")
	debugAddr := flag.String("debug-addr", "", "pprof address")
	cert := flag.String("cert", "", "server certificate (PEM): serve TLS")
	key := flag.String("key", "", "server key (PEM)")
	noH2 := flag.Bool("no-h2", false, "TLS: offer HTTP/1.1 only (no h2 in ALPN)")
	h2cOnly := flag.Bool("h2c-only", false, "no TLS, HTTP/2 with prior knowledge only (HTTP/1.1 requests are closed)")
	debugTLS := flag.Bool("debug-tls", false, "the debug listener serves TLS too")
	gencert := flag.String("gencert", "", "write ca.pem, cert.pem, key.pem into this folder and exit")
	flag.Parse()
	if *gencert != "" {
		if err := genCert(*gencert); err != nil {
			log.Fatal(err)
		}
		return
	}
	var mu sync.Mutex
	protos := map[string]int{}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos[r.Proto]++
		mu.Unlock()
		fmt.Fprintf(w, "hello over %s\n", r.Proto)
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) { // /status?code=201
		code, err := strconv.Atoi(r.URL.Query().Get("code"))
		if err != nil {
			code = http.StatusBadRequest
		}
		w.WriteHeader(code)
	})
	mux.HandleFunc("/hops", func(w http.ResponseWriter, r *http.Request) { // /hops?n=3: three redirects, then 200
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/hops?n=%d", n-1), http.StatusFound)
			return
		}
		fmt.Fprintln(w, "arrived")
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) { // /sleep?ms=5000
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/protos", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		for p, n := range protos {
			fmt.Fprintf(w, "%s %d\n", p, n)
		}
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ErrorLog: log.New(os.Stderr, "", 0)}
	if *noH2 {
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	if *h2cOnly {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		srv.Protocols = &p
	}
	if *debugAddr != "" {
		dbg := &http.Server{Addr: *debugAddr, Handler: http.DefaultServeMux}
		go func() {
			if *debugTLS {
				log.Fatal(dbg.ListenAndServeTLS(*cert, *key))
			}
			log.Fatal(dbg.ListenAndServe())
		}()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *cert != "" {
		log.Fatal(srv.ServeTLS(ln, *cert, *key))
	}
	log.Fatal(srv.Serve(ln))
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

func genCert(dir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "goperf test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER); err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, "cert.pem"), "CERTIFICATE", der); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, "key.pem"), "EC PRIVATE KEY", keyDER)
}
