package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA and a certificate it issued, usable both as etcd server and client
// certificate, all PEM-encoded.
type testPKI struct {
	caPEM, certPEM, keyPEM string
	serverCert             tls.Certificate
	caPool                 *x509.CertPool
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "etcd"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := testPKI{
		caPEM:   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})),
		caPool:  x509.NewCertPool(),
	}
	p.caPool.AddCert(ca)
	if p.serverCert, err = tls.X509KeyPair([]byte(p.certPEM), []byte(p.keyPEM)); err != nil {
		t.Fatal(err)
	}
	return p
}

// handshake proves cfg works against a server that presents a certificate from p's CA and
// requires a client certificate from it.
func handshake(t *testing.T, p testPKI, cfg *tls.Config) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{p.serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.caPool,
	}
	srv.StartTLS()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatalf("TLS request with the built config: %v", err)
	}
	_ = resp.Body.Close()
}

func TestEtcdTLSWithCertificates(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	caFile := writeFile(t, filepath.Join(dir, "ca.pem"), p.caPEM)
	certFile := writeFile(t, filepath.Join(dir, "cert.pem"), p.certPEM)
	keyFile := writeFile(t, filepath.Join(dir, "key.pem"), p.keyPEM)

	tests := []struct {
		name string
		etcd EtcdConfig
	}{
		{"files", EtcdConfig{EtcdCACertFile: caFile, EtcdCertFile: certFile, EtcdKeyFile: keyFile}},
		{"inline", EtcdConfig{EtcdCACert: p.caPEM, EtcdCert: p.certPEM, EtcdKey: p.keyPEM}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.etcd.EtcdEndpoints = "https://127.0.0.1:2379"
			s := CalicoAPIConfigSpec{DatastoreType: EtcdV3, EtcdConfig: tt.etcd}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			cfg, err := s.EtcdTLS()
			if err != nil {
				t.Fatal(err)
			}
			if cfg == nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 {
				t.Fatalf("config = %+v, want a CA pool and one client certificate", cfg)
			}
			handshake(t, p, cfg)
		})
	}
}

// TestEtcdTLSInlineFromFile proves inline PEM survives the config file (a YAML block scalar).
func TestEtcdTLSInlineFromFile(t *testing.T) {
	dir := isolate(t)
	p := newTestPKI(t)
	indent := func(s string) string { return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ") + "\n" }
	path := writeFile(t, filepath.Join(dir, "c.cfg"),
		"apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdEndpoints: https://127.0.0.1:2379\n"+
			"  etcdCACert: |\n"+indent(p.caPEM)+"  etcdCert: |\n"+indent(p.certPEM)+"  etcdKey: |\n"+indent(p.keyPEM))
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Spec.EtcdTLS()
	if err != nil {
		t.Fatal(err)
	}
	handshake(t, p, cfg)
}

func TestEtcdTLSWithoutCertificates(t *testing.T) {
	tests := []struct {
		name      string
		endpoints string
		wantNil   bool
	}{
		{"http endpoints: no TLS", "http://a:2379,http://b:2379", true},
		{"https endpoint: system roots", "http://a:2379, https://b:2379", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := CalicoAPIConfigSpec{EtcdConfig: EtcdConfig{EtcdEndpoints: tt.endpoints}}
			cfg, err := s.EtcdTLS()
			if err != nil {
				t.Fatal(err)
			}
			if (cfg == nil) != tt.wantNil {
				t.Fatalf("config = %+v, want nil: %v", cfg, tt.wantNil)
			}
			if cfg != nil && (cfg.RootCAs != nil || len(cfg.Certificates) != 0) {
				t.Errorf("config = %+v, want system roots (nil RootCAs) and no client certificate", cfg)
			}
		})
	}
}

func TestEtcdTLSErrors(t *testing.T) {
	p := newTestPKI(t)
	other := newTestPKI(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "ca.pem")
	certFile := writeFile(t, filepath.Join(dir, "cert.pem"), p.certPEM)
	otherKeyFile := writeFile(t, filepath.Join(dir, "other-key.pem"), other.keyPEM)
	badCA := strings.Replace(p.caPEM, "MII", "XXX", 1)

	tests := []struct {
		name       string
		etcd       EtcdConfig
		want       string
		wantPrefix bool
	}{
		{name: "inline mixed with files", etcd: EtcdConfig{EtcdCACert: p.caPEM, EtcdCertFile: certFile},
			want: "Cannot mix inline certificate-key and certificate / key files"},
		{name: "missing CA file", etcd: EtcdConfig{EtcdCACertFile: missing},
			want: "reading etcdCACertFile " + missing + ": open " + missing + ": no such file or directory"},
		{name: "CA without PEM", etcd: EtcdConfig{EtcdCACert: "not a certificate"},
			want: "etcdCACert: no PEM-encoded CERTIFICATE found"},
		{name: "CA that does not parse", etcd: EtcdConfig{EtcdCACert: badCA},
			want: "etcdCACert: parsing the CA certificate: ", wantPrefix: true},
		{name: "certificate without key", etcd: EtcdConfig{EtcdCertFile: certFile},
			want: "etcdCertFile " + certFile + " is set but no client key is (etcdKeyFile or etcdKey); a client certificate needs both"},
		{name: "key without certificate", etcd: EtcdConfig{EtcdKey: p.keyPEM},
			want: "etcdKey is set but no client certificate is (etcdCertFile or etcdCert); a client key needs both"},
		{name: "key that does not match", etcd: EtcdConfig{EtcdCertFile: certFile, EtcdKeyFile: otherKeyFile},
			want: "loading the etcd client certificate from etcdCertFile " + certFile + " and etcdKeyFile " + otherKeyFile + ": ", wantPrefix: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := CalicoAPIConfigSpec{EtcdConfig: tt.etcd}
			_, err := s.EtcdTLS()
			ok := err != nil && err.Error() == tt.want
			if tt.wantPrefix {
				ok = err != nil && strings.HasPrefix(err.Error(), tt.want)
			}
			if !ok {
				t.Errorf("error =\n  %v\nwant\n  %s", err, tt.want)
			}
		})
	}
}
