package node_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
)

// ipamClient is Calico IPAM on the test's etcd, as the CNI plugin would use it.
func ipamClient(t *testing.T, endpoint string) *ipam.Client {
	t.Helper()
	cfg := &config.CalicoAPIConfig{}
	cfg.Spec.DatastoreType = "etcdv3"
	cfg.Spec.EtcdEndpoints = endpoint
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return ipam.New(c.Store())
}

// waitRoute waits until `ip route show <prefix>` in ns satisfies ok.
func waitRoute(t *testing.T, ns, prefix, what string, ok func(string) bool) {
	t.Helper()
	waitFor(t, 15*time.Second, what, func() (bool, string) {
		r := sh(t, "ip", "-n", ns, "route", "show", prefix)
		return ok(r), fmt.Sprintf("ip -n %s route show %s: %q", ns, prefix, r)
	})
}

// Addresses allocated through IPAM for a node make its block's route arrive in the other
// node's kernel, with a blackhole for the block on the node itself; an address borrowed from
// another node's block is advertised as a /32; releasing the affinity withdraws both.
func TestFabricIPAMBlockRoutes(t *testing.T) {
	needFabric(t)
	ctx := context.Background()
	e := testenv.EtcdForTest(t)
	f := newFabric(t, "10.214.9")
	endpoint := f.proxy(strings.TrimPrefix(e.Endpoint, "http://"))
	env := "CALICO_IPV4POOL_CIDR=10.77.0.0/16"
	agents := []*agent{f.startAgent("a", 11, endpoint, env), f.startAgent("b", 12, endpoint, env)}
	a, b := agents[0], agents[1]
	waitSessions(t, agents, func(x *agent) []string {
		if x == a {
			return []string{"node-to-node mesh " + b.IP}
		}
		return []string{"node-to-node mesh " + a.IP}
	})

	im := ipamClient(t, e.Endpoint)
	v4, _, err := im.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 2, HandleID: "k8s-pod-network.pod-a", Hostname: "a",
		Attrs: map[string]string{ipam.AttrNode: "a", ipam.AttrPod: "pod-a", ipam.AttrNamespace: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	affs, err := im.ListAffinities(ctx, "a")
	if err != nil || len(affs) != 1 {
		t.Fatalf("affinities of a: %v, %v", affs, err)
	}
	block := affs[0].Spec.CIDR
	if p := netip.MustParsePrefix(block); !p.Contains(v4[0].Addr()) || p.Bits() != 26 {
		t.Fatalf("block %s does not hold %v", block, v4)
	}
	waitRoute(t, b.NS, block, "a's block in b's kernel via a", func(r string) bool {
		return strings.HasPrefix(r, block+" via "+a.IP) && strings.Contains(r, "proto bird")
	})
	waitRoute(t, a.NS, block, "the blackhole for a's block in a's kernel", func(r string) bool {
		return strings.HasPrefix(r, "blackhole "+block) && strings.Contains(r, "proto bird")
	})
	if !strings.Contains(a.Out.String(), "Advertising block") {
		t.Errorf("a did not log advertising its block:\n%s", a.Out.String())
	}

	// A pool of one block: a takes it, b must borrow, and advertises what it borrowed as a /32,
	// which reaches a (more specific than a's blackhole).
	calicoctl(t, e.Endpoint, "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: small}\nspec: {cidr: 10.78.0.0/26, blockSize: 26}\n", "apply", "-f", "-")
	small := []netip.Prefix{netip.MustParsePrefix("10.78.0.0/26")}
	if _, _, err := im.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 1, HandleID: "k8s-pod-network.pod-a2", Hostname: "a", IPv4Pools: small,
		Attrs: map[string]string{ipam.AttrNode: "a"}}); err != nil {
		t.Fatal(err)
	}
	borrowed, _, err := im.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 1, HandleID: "k8s-pod-network.pod-b", Hostname: "b", IPv4Pools: small,
		Attrs: map[string]string{ipam.AttrNode: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	host := borrowed[0].Addr().String()
	waitRoute(t, a.NS, host, "b's borrowed "+host+" in a's kernel via b", func(r string) bool {
		return strings.HasPrefix(r, host+" via "+b.IP) && strings.Contains(r, "proto bird")
	})
	waitRoute(t, b.NS, "10.78.0.0/26", "a's small block in b's kernel", func(r string) bool {
		return strings.HasPrefix(r, "10.78.0.0/26 via "+a.IP)
	})
	if r := sh(t, "ip", "-n", b.NS, "route", "show", "type", "blackhole"); strings.Contains(r, "10.78.0.0/26") {
		t.Errorf("b blackholes a block it only borrows from:\n%s", r)
	}

	// Releasing the borrowed address withdraws its /32; releasing a's affinities withdraws the
	// block routes on both sides.
	if err := im.ReleaseByHandle(ctx, "k8s-pod-network.pod-b"); err != nil {
		t.Fatal(err)
	}
	waitRoute(t, a.NS, host, host+" to leave a's kernel", func(r string) bool { return r == "" })
	for _, h := range []string{"k8s-pod-network.pod-a", "k8s-pod-network.pod-a2"} {
		if err := im.ReleaseByHandle(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.ReleaseHostAffinities(ctx, "a", true); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{block, "10.78.0.0/26"} {
		waitRoute(t, b.NS, p, p+" to leave b's kernel", func(r string) bool { return r == "" })
		waitRoute(t, a.NS, p, "the blackhole "+p+" to leave a's kernel", func(r string) bool { return r == "" })
	}
	if !strings.Contains(a.Out.String(), "Withdrew block") {
		t.Errorf("a did not log withdrawing its block:\n%s", a.Out.String())
	}

	// The running agents follow a pool that starts to need tunnel addresses: each gets one
	// from IPAM, stored on its Node, and the tunnel address's block is advertised.
	calicoctl(t, e.Endpoint, "", "patch", "ippool", "default-ipv4-ippool", "-p", `{"spec":{"ipipMode":"Always"}}`)
	for _, x := range agents {
		waitFor(t, 15*time.Second, x.Name+"'s IPIP tunnel address", func() (bool, string) {
			out := calicoctl(t, e.Endpoint, "", "get", "node", x.Name, "-o", "jsonpath={.spec.bgp.ipv4IPIPTunnelAddr}")
			return strings.HasPrefix(out, "10.77."), out
		})
	}
	addr := strings.TrimSpace(calicoctl(t, e.Endpoint, "", "get", "node", "a", "-o", "jsonpath={.spec.bgp.ipv4IPIPTunnelAddr}"))
	if got := calicoctl(t, e.Endpoint, "", "ipam", "show", "--ip="+addr); !strings.Contains(got, "Handle ID: ipip-tunnel-addr-a\n") || !strings.Contains(got, "ipipTunnelAddress") {
		t.Errorf("ipam show --ip=%s:\n%s", addr, got)
	}
	affs, err = im.ListAffinities(ctx, "a")
	if err != nil || len(affs) != 1 {
		t.Fatalf("affinities of a after its tunnel address: %v, %v", affs, err)
	}
	waitRoute(t, b.NS, affs[0].Spec.CIDR, "the block of a's tunnel address in b's kernel", func(r string) bool {
		return strings.HasPrefix(r, affs[0].Spec.CIDR+" via "+a.IP)
	})
}
