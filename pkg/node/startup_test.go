package node_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/node"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func etcdClient(t *testing.T) *client.Client {
	t.Helper()
	e := testenv.EtcdForTest(t)
	cfg := &config.CalicoAPIConfig{}
	cfg.Spec.DatastoreType = "etcdv3"
	cfg.Spec.EtcdEndpoints = e.Endpoint
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func kind(t *testing.T, name string) *resources.Kind {
	k, ok := resources.ByKind(name)
	if !ok {
		t.Fatalf("no kind %s", name)
	}
	return k
}

func testConfig(t *testing.T, name string) node.Config {
	dir := t.TempDir()
	return node.Config{NodeName: name, NodeNameFile: filepath.Join(dir, "nodename"), IP: "10.0.0.5", Backend: "bird",
		IPv6PoolCIDR: "none", StateDir: dir}
}

func run(t *testing.T, c *client.Client, cfg node.Config) (string, error) {
	var buf bytes.Buffer
	log := slog.New(node.NewLogHandler(&buf, slog.LevelInfo))
	_, err := node.Run(context.Background(), c, cfg, log)
	return buf.String(), err
}

func TestStartupCreatesTheNodeAndTheClusterDefaults(t *testing.T) {
	c := etcdClient(t)
	cfg := testConfig(t, "node1")
	cfg.AS = "1.10"
	logs, err := run(t, c, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	for _, line := range []string{
		"Using NODENAME environment for node name node1",
		"Building new node resource",
		"Using IPv4 address from environment: IP=10.0.0.5",
		"Using AS number specified in environment (AS=65546)",
		"Created default IPv4 pool (",
		"Using node name: node1",
	} {
		if !strings.Contains(logs, line) {
			t.Errorf("log lacks %q:\n%s", line, logs)
		}
	}
	ctx := context.Background()
	obj, err := c.Get(ctx, kind(t, "Node"), "", "node1")
	if err != nil {
		t.Fatal(err)
	}
	n := obj.(*api.Node)
	if n.Spec.BGP == nil || n.Spec.BGP.IPv4Address != "10.0.0.5/32" || n.Spec.BGP.ASNumber == nil || *n.Spec.BGP.ASNumber != 65546 {
		t.Errorf("node spec %+v", n.Spec.BGP)
	}
	pool, err := c.Get(ctx, kind(t, "IPPool"), "", "default-ipv4-ippool")
	if err != nil {
		t.Fatal(err)
	}
	if p := pool.(*api.IPPool).Spec; !p.NATOutgoing || p.BlockSize != 26 || p.IPIPMode != "Never" {
		t.Errorf("default pool %+v", p)
	}
	ci, err := c.Get(ctx, kind(t, "ClusterInformation"), "", "default")
	if err != nil {
		t.Fatal(err)
	}
	if s := ci.(*api.ClusterInformation).Spec; len(s.ClusterGUID) != 32 || s.CalicoVersion == "" || s.DatastoreReady == nil || !*s.DatastoreReady {
		t.Errorf("cluster information %+v", s)
	}
	for _, id := range [][2]string{{"FelixConfiguration", "default"}, {"FelixConfiguration", "node.node1"}, {"BGPConfiguration", "default"}} {
		if _, err := c.Get(ctx, kind(t, id[0]), "", id[1]); err != nil {
			t.Errorf("%s %s: %v", id[0], id[1], err)
		}
	}
	if b, _ := os.ReadFile(cfg.NodeNameFile); string(b) != "node1" {
		t.Errorf("node name file holds %q", b)
	}
	// A second start on the same host keeps everything and changes the address.
	cfg.IP = "10.0.0.6"
	if logs, err := run(t, c, cfg); err != nil || !strings.Contains(logs, "IPv4 address has changed") {
		t.Fatalf("restart with a new address: %v\n%s", err, logs)
	}
}

// Bad input is refused before anything is written.
func TestStartupRefusesBadInput(t *testing.T) {
	c := etcdClient(t)
	ctx := context.Background()
	other := kind(t, "Node").NewObject().(*api.Node)
	other.Name = "taken"
	other.Spec.BGP = &api.NodeBGPSpec{IPv4Address: "10.9.9.9/24"}
	if _, err := c.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(*node.Config)
		err    string
	}{
		{"invalid AS", func(c *node.Config) { c.AS = "99999999999" }, "The AS number specified in the environment (AS=99999999999) is not valid"},
		{"unknown autodetection method", func(c *node.Config) { c.IP = "autodetect"; c.IPMethod = "magic" }, "IP_AUTODETECTION_METHOD: invalid IP autodetection method: magic"},
		{"IPv6 in IP", func(c *node.Config) { c.IP = "2001:db8::1" }, "Environment does not contain a valid IPv4 address: IP=2001:db8::1"},
		{"bad IPIP mode", func(c *node.Config) { c.IPv4IPIP = "sometimes" }, "Unrecognized IPIP mode specified in CALICO_IPV4POOL_IPIP 'sometimes'"},
		{"name used by another host", func(c *node.Config) { c.NodeName = "taken" }, "node name taken is already used by another host (IPv4 address 10.9.9.9/24"},
		{"address used by another node", func(c *node.Config) { c.IP = "10.9.9.9" }, "IPv4 address conflict: node taken already uses 10.9.9.9"},
		{"unknown backend", func(c *node.Config) { c.Backend = "gobgp" }, "unknown networking backend CALICO_NETWORKING_BACKEND=gobgp"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "fresh")
			tc.change(&cfg)
			_, err := run(t, c, cfg)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
			if _, err := c.Get(ctx, kind(t, "Node"), "", "fresh"); !datastore.IsDoesNotExist(err) {
				t.Errorf("node fresh was written: %v", err)
			}
			obj, _ := c.Get(ctx, kind(t, "Node"), "", "taken")
			if got := obj.(*api.Node).Spec.BGP.IPv4Address; got != "10.9.9.9/24" {
				t.Errorf("node taken changed to %s", got)
			}
			pools, _ := c.List(ctx, kind(t, "IPPool"), datastore.ListOptions{})
			if len(pools.Items) != 0 {
				t.Errorf("a refused start-up created %d pools", len(pools.Items))
			}
		})
	}
}
