package cmd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
)

// certAuthority issues certificates for one test.
type certAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

func newCA(t *testing.T, dir, name string) *certAuthority {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &certAuthority{cert: cert, key: key, dir: dir}
	writePEM(t, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)
	return ca
}

// issue writes name.pem and name-key.pem, a certificate for 127.0.0.1 usable by servers and clients.
func (ca *certAuthority) issue(t *testing.T, name string) (certFile, keyFile string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	kder, _ := x509.MarshalECPrivateKey(key)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// An etcd that requires client certificates: the right files work; a wrong CA or a missing client
// certificate fail within the timeout with an error that says what is wrong.
func TestEtcdWithTLSClientCertificates(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, dir, "ca")
	other := newCA(t, dir, "other-ca")
	serverCert, serverKey := ca.issue(t, "server")
	clientCert, clientKey := ca.issue(t, "client")
	e, err := testenv.StartEtcdTLS(&testenv.TLSFiles{CertFile: serverCert, KeyFile: serverKey, TrustedCAFile: filepath.Join(dir, "ca.pem"), ClientCertAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DATASTORE_TYPE", "etcdv3")
	t.Setenv("ETCD_ENDPOINTS", e.Endpoint)
	t.Setenv("CALICO_DATASTORE_TIMEOUT", "3s")
	c := cli{t: t}

	t.Setenv("ETCD_CA_CERT_FILE", filepath.Join(dir, "ca.pem"))
	t.Setenv("ETCD_CERT_FILE", clientCert)
	t.Setenv("ETCD_KEY_FILE", clientKey)
	c.ok("apply", "-f", writeFile(t, "pool.yaml", pool1))
	if got := c.ok("get", "ippools", "-o", "name"); got != "ippool/pool1\n" {
		t.Fatalf("get over TLS: %q", got)
	}

	t.Setenv("ETCD_CA_CERT_FILE", filepath.Join(dir, "other-ca.pem"))
	_ = other
	start := time.Now()
	r := c.run("", "get", "ippools")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot connect to etcd at "+e.Endpoint+": the server's certificate is not signed by the CA this client trusts (x509: certificate signed by unknown authority); set ETCD_CA_CERT_FILE") {
		t.Errorf("wrong CA: code %d stderr %q", r.code, r.stderr)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("wrong CA took %s", took)
	}

	t.Setenv("ETCD_CA_CERT_FILE", filepath.Join(dir, "ca.pem"))
	t.Setenv("ETCD_CERT_FILE", "")
	t.Setenv("ETCD_KEY_FILE", "")
	r = c.run("", "get", "ippools")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot connect to etcd at "+e.Endpoint+": the server requires a client certificate") {
		t.Errorf("no client certificate: code %d stderr %q", r.code, r.stderr)
	}

	t.Setenv("ETCD_CERT_FILE", filepath.Join(dir, "missing.pem"))
	t.Setenv("ETCD_KEY_FILE", clientKey)
	r = c.run("", "get", "ippools")
	if r.code != 1 || !strings.Contains(r.stderr, "missing.pem") {
		t.Errorf("missing certificate file: code %d stderr %q", r.code, r.stderr)
	}
}
