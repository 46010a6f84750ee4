// Package faultproxy is a test-only proxy in front of a real etcd (gRPC over plain HTTP/2) or a
// real kube-apiserver (HTTPS) that injects the faults a datastore client must survive: an answer
// lost after the server applied the request, connections refused for a while, a request raced
// by another writer just before it reaches the server, and (HTTP) 429/503 answers.
package faultproxy

import (
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"
)

// Rule says what to do with the requests it matches: the next Times of them (0: every one).
type Rule struct {
	// Match selects requests: for gRPC the method path ("/etcdserverpb.KV/Txn"), for HTTP
	// "METHOD /path" ("PUT /apis/crd.projectcalico.org/v1/tiers/t1"); a prefix matches.
	Match string
	Times int
	// Before runs before the request is passed on (another writer racing it).
	Before func()
	// DropAnswer passes the request on, lets the server act on it, and then closes the client's
	// connection instead of answering.
	DropAnswer bool
	// Status answers the request with this HTTP status instead of passing it on (HTTP only),
	// with Retry-After seconds when RetryAfter > 0.
	Status     int
	RetryAfter int
}

// Proxy listens on Addr and forwards to the target.
type Proxy struct {
	Addr string // host:port
	URL  string // scheme://Addr

	target string
	grpc   bool
	t      testing.TB

	mu      sync.Mutex
	rules   []*Rule
	hits    map[*Rule]int
	ln      net.Listener
	conns   map[net.Conn]bool
	httpSrv *http.Server
}

// GRPC starts a proxy for an etcd at target (http://host:port).
func GRPC(t testing.TB, target string) *Proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{target: u.Host, grpc: true, t: t, hits: map[*Rule]int{}, conns: map[net.Conn]bool{}}
	p.listen("127.0.0.1:0")
	p.URL = "http://" + p.Addr
	t.Cleanup(p.Close)
	return p
}

// HTTPS starts a proxy for an HTTPS server at target (a kube-apiserver), serving TLS with a
// certificate of its own (clients skip verification).
func HTTPS(t testing.TB, target string) *Proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{target: u.Host, t: t, hits: map[*Rule]int{}, conns: map[net.Conn]bool{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	rp.ErrorLog = nil
	cert := httptest.NewTLSServer(http.NotFoundHandler())
	tlsCfg := cert.TLS.Clone()
	cert.Close()
	p.httpSrv = &http.Server{Handler: p.handler(rp), TLSConfig: tlsCfg, ErrorLog: nil,
		ConnState: func(c net.Conn, s http.ConnState) {
			p.mu.Lock()
			defer p.mu.Unlock()
			if s == http.StateClosed || s == http.StateHijacked {
				delete(p.conns, c)
			} else {
				p.conns[c] = true
			}
		}}
	p.listen("127.0.0.1:0")
	p.URL = "https://" + p.Addr
	t.Cleanup(p.Close)
	return p
}

// Arm adds a rule; rules are tried in the order they were added.
func (p *Proxy) Arm(r Rule) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	rr := r
	p.rules = append(p.rules, &rr)
	return &rr
}

// Hits says how many requests a rule acted on.
func (p *Proxy) Hits(r *Rule) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[r]
}

// take returns the first rule matching what that still applies, counting it.
func (p *Proxy) take(what string) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.rules {
		if strings.HasPrefix(what, r.Match) && (r.Times == 0 || p.hits[r] < r.Times) {
			p.hits[r]++
			return r
		}
	}
	return nil
}

// Refuse closes every connection and stops listening for d, so that connections are refused,
// then listens on the same address again.
func (p *Proxy) Refuse(d time.Duration) {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	time.AfterFunc(d, func() { p.listen(p.Addr) })
}

func (p *Proxy) listen(addr string) {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Errorf("faultproxy: listening on %s: %v", addr, err)
		return
	}
	p.mu.Lock()
	p.ln, p.Addr = ln, ln.Addr().String()
	p.mu.Unlock()
	if p.httpSrv != nil {
		go p.httpSrv.Serve(tls.NewListener(ln, p.httpSrv.TLSConfig))
		return
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// Tracked before anything else, so that a Refuse that comes now closes it too.
			if !p.track(c, true) {
				c.Close()
				continue
			}
			go p.serveGRPC(c)
		}
	}()
}

// Close stops the proxy.
func (p *Proxy) Close() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// track records an open connection (on) or forgets a closed one. It refuses to record one while
// the proxy is refusing connections or closed: the caller must close it.
func (p *Proxy) track(c net.Conn, on bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !on {
		delete(p.conns, c)
		return true
	}
	if p.ln == nil {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) handler(rp *httputil.ReverseProxy) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rule := p.take(r.Method + " " + r.URL.Path)
		if rule == nil {
			rp.ServeHTTP(w, r)
			return
		}
		if rule.Before != nil {
			rule.Before()
		}
		switch {
		case rule.Status != 0:
			if rule.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(rule.RetryAfter))
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rule.Status)
			reason := map[int]string{429: "TooManyRequests", 503: "ServiceUnavailable"}[rule.Status]
			// As the API server does, the delay is also in the Status details.
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected by faultproxy","reason":"`+reason+`","details":{"retryAfterSeconds":`+strconv.Itoa(rule.RetryAfter)+`},"code":`+strconv.Itoa(rule.Status)+`}`)
		case rule.DropAnswer:
			rp.ServeHTTP(httptest.NewRecorder(), r) // the server acts on it...
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close() // ...and the answer is lost
			}
		default:
			rp.ServeHTTP(w, r)
		}
	})
}

// HTTP/2 frame types and flags the gRPC proxy looks at.
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	frameContinuation = 0x9
	flagEndHeaders    = 0x4
	flagPadded        = 0x8
	flagPriority      = 0x20
)

const clientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// serveGRPC passes HTTP/2 frames both ways, reading the method of each request from its headers
// and acting on the rules that match it.
func (p *Proxy) serveGRPC(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		p.track(client, false)
		return
	}
	if !p.track(server, true) {
		client.Close()
		server.Close()
		p.track(client, false)
		return
	}
	closeBoth := func() {
		client.Close()
		server.Close()
		p.track(client, false)
		p.track(server, false)
	}
	defer closeBoth()

	var mu sync.Mutex
	drop := map[uint32]bool{} // streams whose answer is to be lost
	go func() {
		defer closeBoth()
		for {
			hdr, payload, err := readFrame(server)
			if err != nil {
				return
			}
			stream := binary.BigEndian.Uint32(hdr[5:9]) & 0x7fffffff
			mu.Lock()
			lost := drop[stream] && (hdr[3] == frameHeaders || hdr[3] == frameData)
			mu.Unlock()
			if lost {
				return // the server answered: the client never hears it
			}
			if _, err := client.Write(append(hdr, payload...)); err != nil {
				return
			}
		}
	}()

	preface := make([]byte, len(clientPreface))
	if _, err := io.ReadFull(client, preface); err != nil || string(preface) != clientPreface {
		return
	}
	if _, err := server.Write(preface); err != nil {
		return
	}
	dec := hpack.NewDecoder(4096, nil)
	var block []byte
	for {
		hdr, payload, err := readFrame(client)
		if err != nil {
			return
		}
		typ, flags := hdr[3], hdr[4]
		stream := binary.BigEndian.Uint32(hdr[5:9]) & 0x7fffffff
		if typ == frameHeaders || typ == frameContinuation {
			frag := payload
			if typ == frameHeaders {
				if flags&flagPadded != 0 && len(frag) > 0 {
					pad := int(frag[0])
					frag = frag[1:]
					if pad <= len(frag) {
						frag = frag[:len(frag)-pad]
					}
				}
				if flags&flagPriority != 0 && len(frag) >= 5 {
					frag = frag[5:]
				}
				block = nil
			}
			block = append(block, frag...)
			if flags&flagEndHeaders != 0 {
				fields, err := dec.DecodeFull(block)
				if err != nil {
					return
				}
				for _, f := range fields {
					if f.Name != ":path" {
						continue
					}
					if rule := p.take(f.Value); rule != nil {
						if rule.Before != nil {
							rule.Before()
						}
						if rule.DropAnswer {
							mu.Lock()
							drop[stream] = true
							mu.Unlock()
						}
					}
				}
			}
		}
		if _, err := server.Write(append(hdr, payload...)); err != nil {
			return
		}
	}
}

func readFrame(r io.Reader) (hdr, payload []byte, err error) {
	hdr = make([]byte, 9)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, err
	}
	n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, nil, err
	}
	return hdr, payload, nil
}
