package cniplugin

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client/config"
)

// The daemon keeps one connection per configuration, and makes a new one when a file the
// configuration names changes or the connection is maxPooledAge old.
func TestDaemonRenewsConnections(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &Daemon{now: func() time.Time { return now }}
	defer d.closeAll()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &config.CalicoAPIConfig{}
	cfg.Spec.DatastoreType, cfg.Spec.EtcdEndpoints = "etcdv3", "http://127.0.0.1:1" // never dialled
	other := *cfg
	other.Spec.EtcdEndpoints = "http://127.0.0.1:2"
	connect := func(cfg *config.CalicoAPIConfig) any {
		t.Helper()
		c, _, release, err := d.connect(cfg)
		if err != nil {
			t.Fatal(err)
		}
		release()
		return c
	}
	first := connect(cfg)
	if connect(cfg) != first {
		t.Fatal("a second request on the same configuration got another connection")
	}
	if connect(&other) == first {
		t.Fatal("another configuration got the same connection")
	}
	// A file the configuration names: only a change of it (here a new modification time) renews.
	cfg = &config.CalicoAPIConfig{}
	cfg.Spec.DatastoreType, cfg.Spec.Kubeconfig = "kubernetes", kubeconfig
	withFile := connect(cfg)
	if connect(cfg) != withFile {
		t.Fatal("an unchanged kubeconfig renewed the connection")
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(kubeconfig, later, later); err != nil {
		t.Fatal(err)
	}
	renewed := connect(cfg)
	if renewed == withFile {
		t.Fatal("a changed kubeconfig kept the old connection")
	}
	now = now.Add(maxPooledAge + time.Second)
	if connect(cfg) == renewed {
		t.Fatalf("a connection older than %s was kept", maxPooledAge)
	}
	if n := len(d.pool); n != 1 {
		t.Errorf("%d pooled connections after the others aged out, want 1", n)
	}
}
