package node_test

import (
	"context"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/birdctl"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/node"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// The agent reacts to IPAM changes in proportion: blocks and affinities of other hosts do not
// reconfigure it (its control socket's "Last reconfiguration" stays put), while its own
// affinity, an address it borrows from another host's block and that address's release each
// change what it advertises.
func TestAgentReactsOnlyToItsOwnIPAMChanges(t *testing.T) {
	c := etcdClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	port := uint16(1797)
	bgpConf := kind(t, "BGPConfiguration").NewObject().(*api.BGPConfiguration)
	bgpConf.Name, bgpConf.Spec.ListenPort = "default", port
	if _, err := c.Create(ctx, bgpConf); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "node-a")
	cfg.IP = "127.0.0.61"
	cfg.ListenAddress = "127.0.0.61"
	cfg.BirdSocket = filepath.Join(dir, "bird.ctl")
	cfg.Bird6Socket = "none"
	logs := &testenv.SyncBuffer{}
	log := slog.New(node.NewLogHandler(logs, slog.LevelInfo))
	st, err := node.Run(ctx, c, cfg, log)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	im := ipam.New(c.Store())
	agent := &node.Agent{Client: c, Config: cfg, Log: log, NodeName: st.NodeName, Blocks: node.IPAMBlocks{IPAM: im},
		ResyncInterval: time.Hour}
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- agent.Serve(ctx, func() { close(started) }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("agent: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("agent did not start\n%s", logs)
	}

	query := func(cmd string) string {
		lines, err := birdctl.Query(cfg.BirdSocket, cmd)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return strings.Join(lines, "\n")
	}
	lastConf := func() string {
		for _, l := range strings.Split(query("show status"), "\n") {
			if _, rest, ok := strings.Cut(l, "Last reconfiguration on "); ok {
				return rest
			}
		}
		t.Fatalf("no reconfiguration time in show status:\n%s", query("show status"))
		return ""
	}
	// settled waits until no reconfiguration happened for 1.5 s (the time has seconds).
	settled := func() string {
		conf := lastConf()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
			time.Sleep(1500 * time.Millisecond)
			next := lastConf()
			if next == conf {
				return conf
			}
			conf = next
		}
		t.Fatalf("the agent keeps reconfiguring\n%s", logs)
		return ""
	}
	hasRoute := func(p string) func() (bool, string) {
		return func() (bool, string) {
			out := query("show route")
			return strings.Contains(out, p), out
		}
	}

	// Another host (a Node without BGP: no session) and its affinity, blocks, allocations and
	// releases: no reconfiguration for them.
	nodeB := kind(t, "Node").NewObject()
	nodeB.SetName("node-b")
	if _, err := c.Create(ctx, nodeB); err != nil {
		t.Fatal(err)
	}
	conf := settled()
	if _, _, err := im.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 3, HandleID: "k8s-pod-network.pod-b", Hostname: "node-b",
		Attrs: map[string]string{ipam.AttrNode: "node-b"}}); err != nil {
		t.Fatal(err)
	}
	if err := im.ReleaseByHandle(ctx, "k8s-pod-network.pod-b"); err != nil {
		t.Fatal(err)
	}
	// A pool of one block that node-b takes: node-a will have to borrow from it.
	small := netip.MustParsePrefix("10.79.0.0/26")
	pool := kind(t, "IPPool").NewObject().(*api.IPPool)
	pool.Name, pool.Spec = "small", api.IPPoolSpec{CIDR: small.String(), BlockSize: 26, NodeSelector: "all()"}
	if _, err := c.Create(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, _, err := im.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 1, HandleID: "k8s-pod-network.pod-b2", Hostname: "node-b", IPv4Pools: []netip.Prefix{small},
		Attrs: map[string]string{ipam.AttrNode: "node-b"}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if got := lastConf(); got != conf {
		t.Fatalf("another host's IPAM changes reconfigured the agent (last reconfiguration %s, was %s)", got, conf)
	}
	if routes := query("show route"); strings.Contains(routes, "10.") {
		t.Fatalf("the agent advertises another host's blocks:\n%s", routes)
	}

	// Its own block: advertised.
	own, _, err := im.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 1, HandleID: "k8s-pod-network.pod-a", Hostname: "node-a",
		Attrs: map[string]string{ipam.AttrNode: "node-a"}})
	if err != nil {
		t.Fatal(err)
	}
	affs, err := im.ListAffinities(ctx, "node-a")
	if err != nil || len(affs) != 1 || !netip.MustParsePrefix(affs[0].Spec.CIDR).Contains(own[0].Addr()) {
		t.Fatalf("affinities of node-a: %v, %v", affs, err)
	}
	eventually(t, 10*time.Second, "node-a's block to be advertised", hasRoute(affs[0].Spec.CIDR))

	// An address borrowed from node-b's block: advertised as a /32; released: withdrawn.
	conf = settled()
	borrowed, _, err := im.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 1, HandleID: "k8s-pod-network.pod-a2", Hostname: "node-a", IPv4Pools: []netip.Prefix{small},
		Attrs: map[string]string{ipam.AttrNode: "node-a"}})
	if err != nil {
		t.Fatal(err)
	}
	host := borrowed[0].Addr().String() + "/32"
	eventually(t, 10*time.Second, "the borrowed "+host+" to be advertised", hasRoute(host))
	if got := lastConf(); got == conf {
		t.Errorf("the borrowed address was advertised without a reconfiguration (%s)", got)
	}
	if err := im.ReleaseByHandle(ctx, "k8s-pod-network.pod-a2"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the released "+host+" to be withdrawn", func() (bool, string) {
		ok, out := hasRoute(host)()
		return !ok, out
	})
}

// eventually waits up to timeout for cond, failing with what and cond's last state.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
	}
	t.Fatalf("timed out waiting for %s; last: %s", what, last)
}
