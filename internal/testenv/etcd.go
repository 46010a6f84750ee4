// Package testenv starts the real servers tests run against: an etcd embedded in the test
// process, and (see kubeapiserver.go) a real kube-apiserver.
package testenv

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Etcd is a running embedded etcd.
type Etcd struct {
	Endpoint string
	server   *embed.Etcd
	dir      string
}

// TLSFiles makes an etcd serve clients over TLS.
type TLSFiles struct {
	CertFile, KeyFile string
	// TrustedCAFile, with ClientCertAuth, makes clients present a certificate signed by it.
	TrustedCAFile  string
	ClientCertAuth bool
}

// StartEtcd starts an etcd with its own data directory and ports. The caller must Stop it.
func StartEtcd() (*Etcd, error) { return StartEtcdTLS(nil) }

// StartEtcdTLS starts an etcd serving clients over https when tlsFiles is not nil.
func StartEtcdTLS(tlsFiles *TLSFiles) (*Etcd, error) {
	dir, err := os.MkdirTemp("", "calicoctl-etcd-*")
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		e, err := startEtcdIn(dir, tlsFiles)
		if err == nil {
			return e, nil
		}
		// A port picked as free may have been taken meanwhile: try other ports.
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o700)
	}
	os.RemoveAll(dir)
	return nil, fmt.Errorf("could not start an embedded etcd")
}

func startEtcdIn(dir string, tlsFiles *TLSFiles) (*Etcd, error) {
	clientPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	peerPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Dir = dir
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	scheme := "http"
	if tlsFiles != nil {
		scheme = "https"
		cfg.ClientTLSInfo = transport.TLSInfo{CertFile: tlsFiles.CertFile, KeyFile: tlsFiles.KeyFile, TrustedCAFile: tlsFiles.TrustedCAFile, ClientCertAuth: tlsFiles.ClientCertAuth}
	}
	clientURL, _ := url.Parse(fmt.Sprintf("%s://127.0.0.1:%d", scheme, clientPort))
	peerURL, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", peerPort))
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = fmt.Sprintf("%s=%s", cfg.Name, peerURL.String())
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd was not ready within 30s")
	}
	return &Etcd{Endpoint: clientURL.String(), server: e, dir: dir}, nil
}

// Stop shuts the server down and removes its data.
func (e *Etcd) Stop() {
	e.server.Close()
	os.RemoveAll(e.dir)
}

// EtcdForTest starts an etcd for one test and stops it when the test ends.
func EtcdForTest(t testing.TB) *Etcd {
	t.Helper()
	e, err := StartEtcd()
	if err != nil {
		t.Fatalf("starting embedded etcd: %v", err)
	}
	t.Cleanup(e.Stop)
	return e
}
