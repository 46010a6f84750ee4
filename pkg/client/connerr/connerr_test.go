package connerr_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client/connerr"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
)

// tlsServer serves TLS on loopback with the given certificate; clientCAs, when set, makes it
// require a client certificate signed by them. Every connection is read until it fails.
func tlsServer(t *testing.T, certFile, keyFile string, clientCAs *x509.CertPool) string {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}}
	if clientCAs != nil {
		cfg.ClientCAs, cfg.ClientAuth = clientCAs, tls.RequireAndVerifyClientCert
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return l.Addr().String()
}

func pool(t *testing.T, ca *testenv.CA) *x509.CertPool {
	pem, err := os.ReadFile(ca.File)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(pem)
	return p
}

// handshake connects as a client would, and reads once (a refused client certificate is only
// reported then under TLS 1.3).
func handshake(addr, serverName string, cfg *tls.Config) error {
	cfg = cfg.Clone()
	cfg.ServerName = serverName
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return nil
	}
	return err
}

// Real TLS handshakes that fail for each reason are classified as that reason, and worded with
// the setting that fixes it.
func TestTLSFailuresAreNamedWithTheirSetting(t *testing.T) {
	dir := t.TempDir()
	ca, err := testenv.NewCA(dir, "ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := testenv.NewCA(dir, "other")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(name string, o testenv.CertOptions) (string, string) {
		c, k, err := ca.Issue(name, o)
		if err != nil {
			t.Fatal(err)
		}
		return c, k
	}
	serve := func(name string, o testenv.CertOptions) string {
		c, k := issue(name, o)
		return tlsServer(t, c, k, nil)
	}
	good := serve("good", testenv.CertOptions{})
	expired := serve("expired", testenv.CertOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	future := serve("future", testenv.CertOptions{NotBefore: time.Now().Add(time.Hour), NotAfter: time.Now().Add(48 * time.Hour)})
	gc, gk := issue("mtls", testenv.CertOptions{})
	mtls := tlsServer(t, gc, gk, pool(t, ca))
	sc, sk, err := other.Issue("stranger", testenv.CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := tls.LoadX509KeyPair(sc, sk)

	trustCA := &tls.Config{RootCAs: pool(t, ca)}
	trustOther := &tls.Config{RootCAs: pool(t, other)}
	withStranger := &tls.Config{RootCAs: pool(t, ca), Certificates: []tls.Certificate{stranger}}
	for _, tc := range []struct {
		name, addr, serverName string
		cfg                    *tls.Config
		etcd                   connerr.Etcd
		want                   connerr.Problem
		wantText               string
	}{
		{"unknown CA", good, "127.0.0.1", trustOther, connerr.Etcd{}, connerr.UnknownCA, "the server's certificate is not signed by the CA this client trusts (x509: certificate signed by unknown authority); set ETCD_CA_CERT_FILE (etcdCACertFile)"},
		{"name mismatch", good, "etcd.example.com", trustCA, connerr.Etcd{}, connerr.NameMismatch, "the server's certificate is not valid for the name in the endpoint (x509: certificate is valid for localhost, not etcd.example.com); use a host name or address the certificate names in ETCD_ENDPOINTS"},
		{"expired", expired, "127.0.0.1", trustCA, connerr.Etcd{}, connerr.CertExpired, "the server's certificate has expired or is not yet valid (x509: certificate has expired or is not yet valid: current time"},
		{"not yet valid", future, "127.0.0.1", trustCA, connerr.Etcd{}, connerr.CertExpired, "the server's certificate has expired or is not yet valid"},
		{"client certificate required", mtls, "127.0.0.1", trustCA, connerr.Etcd{}, connerr.ClientCertRequired, "the server requires a client certificate (remote error: tls: certificate required); set ETCD_CERT_FILE and ETCD_KEY_FILE"},
		// Go's client does not even send a certificate that no CA the server names has signed.
		{"client certificate of another CA", mtls, "127.0.0.1", withStranger, connerr.Etcd{ClientCert: true}, connerr.ClientCertRequired, "the server refused the client certificate (remote error: tls: certificate required); set ETCD_CERT_FILE and ETCD_KEY_FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := handshake(tc.addr, tc.serverName, tc.cfg)
			if err == nil {
				t.Fatal("the handshake succeeded")
			}
			if p, _ := connerr.TLSProblem(err); p != tc.want {
				t.Errorf("classified as %v, want %v: %v", p, tc.want, err)
			}
			explained := tc.etcd.Connection("https://"+tc.addr, err)
			var unreachable *datastore.UnreachableError
			if !errors.As(explained, &unreachable) {
				t.Fatalf("explained as %T %v", explained, explained)
			}
			prefix := "cannot connect to etcd at https://" + tc.addr + ": "
			if !strings.HasPrefix(explained.Error(), prefix+tc.wantText) || strings.Contains(explained.Error(), "\n") {
				t.Errorf("got  %s\nwant %s%s...", explained, prefix, tc.wantText)
			}
		})
	}
	if err := handshake(good, "127.0.0.1", trustCA); err != nil {
		t.Errorf("the right CA: %v", err)
	}
}
