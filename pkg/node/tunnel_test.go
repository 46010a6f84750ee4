package node_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/node"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func getNode(t *testing.T, c *client.Client, name string) *api.Node {
	t.Helper()
	obj, err := c.Get(context.Background(), kind(t, "Node"), "", name)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*api.Node)
}

// The tunnel address comes from IPAM with Calico's handle and attributes, is kept across
// restarts, and is released when no pool needs it any more.
func TestStartupAllocatesTunnelAddresses(t *testing.T) {
	for _, tc := range []struct {
		name, handle, attrType string
		set                    func(*node.Config)
		field                  func(*api.Node) string
		off                    func(*api.IPPool)
	}{
		{"ipip", "ipip-tunnel-addr-node1", "ipipTunnelAddress", func(c *node.Config) { c.IPv4IPIP = "Always" },
			func(n *api.Node) string {
				if n.Spec.BGP == nil {
					return ""
				}
				return n.Spec.BGP.IPv4IPIPTunnelAddr
			}, func(p *api.IPPool) { p.Spec.IPIPMode = "Never" }},
		{"vxlan", "vxlan-tunnel-addr-node1", "vxlanTunnelAddress", func(c *node.Config) { c.IPv4VXLAN = "CrossSubnet" },
			func(n *api.Node) string { return n.Spec.IPv4VXLANTunnelAddr }, func(p *api.IPPool) { p.Spec.VXLANMode = "Never" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := etcdClient(t)
			cfg := testConfig(t, "node1")
			cfg.IPv4PoolCIDR = "10.244.0.0/16"
			tc.set(&cfg)
			logs, err := run(t, c, cfg)
			if err != nil {
				t.Fatalf("%v\n%s", err, logs)
			}
			addr := tc.field(getNode(t, c, "node1"))
			a, err := netip.ParseAddr(addr)
			if err != nil || !netip.MustParsePrefix("10.244.0.0/16").Contains(a) {
				t.Fatalf("tunnel address %q is not in the pool\n%s", addr, logs)
			}
			if !strings.Contains(logs, "Assigned tunnel address to node") || !strings.Contains(logs, addr) {
				t.Errorf("log lacks the assignment of %s:\n%s", addr, logs)
			}
			im := ipam.New(c.Store())
			blocks, err := im.ListBlocks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, b := range blocks {
				for _, p := range node.Borrowed(b, "node1") {
					if p.Addr() != a {
						continue
					}
					found = true
					ord := int(a.As4()[3]) - int(netip.MustParsePrefix(b.Spec.CIDR).Addr().As4()[3])
					at := b.Spec.Attributes[*b.Spec.Allocations[ord]]
					if at.HandleID == nil || *at.HandleID != tc.handle || at.ActiveOwnerAttrs["type"] != tc.attrType || at.ActiveOwnerAttrs["node"] != "node1" {
						t.Errorf("allocation of %s: handle %v, attributes %v", a, at.HandleID, at.ActiveOwnerAttrs)
					}
				}
			}
			if !found {
				t.Fatalf("no IPAM block records %s for node1", a)
			}

			// A restart keeps the address.
			if logs, err := run(t, c, cfg); err != nil || tc.field(getNode(t, c, "node1")) != addr || strings.Contains(logs, "Assigned tunnel address") {
				t.Fatalf("restart: err %v, address %q (was %s)\n%s", err, tc.field(getNode(t, c, "node1")), addr, logs)
			}

			// The pool no longer encapsulates: the address is released and cleared.
			obj, err := c.Get(ctx, kind(t, "IPPool"), "", "default-ipv4-ippool")
			if err != nil {
				t.Fatal(err)
			}
			tc.off(obj.(*api.IPPool))
			if _, err := c.Update(ctx, obj); err != nil {
				t.Fatal(err)
			}
			if logs, err := run(t, c, cfg); err != nil || tc.field(getNode(t, c, "node1")) != "" {
				t.Fatalf("after the pool stopped encapsulating: err %v, address %q\n%s", err, tc.field(getNode(t, c, "node1")), logs)
			}
			if err := im.ReleaseByHandle(ctx, tc.handle); err == nil {
				t.Errorf("handle %s still exists after the release", tc.handle)
			}
		})
	}
}

// The node's BlockSource: its confirmed affine blocks, and a /32 for an address it borrowed
// from another host's block.
func TestIPAMBlocksGivesAffineBlocksAndBorrowedAddresses(t *testing.T) {
	ctx := context.Background()
	c := etcdClient(t)
	for _, n := range []string{"node1", "node2"} {
		cfg := testConfig(t, n)
		cfg.IP = map[string]string{"node1": "10.0.0.5", "node2": "10.0.0.6"}[n]
		cfg.IPv4PoolCIDR = "10.250.0.0/26" // one block: the second host must borrow
		if logs, err := run(t, c, cfg); err != nil {
			t.Fatalf("%v\n%s", err, logs)
		}
	}
	im := ipam.New(c.Store())
	src := node.IPAMBlocks{IPAM: im}
	v4, _, err := im.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 1, HandleID: "k8s-pod-network.a", Hostname: "node1", Attrs: map[string]string{"node": "node1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !netip.MustParsePrefix("10.250.0.0/26").Contains(v4[0].Addr()) {
		t.Fatalf("assigned %v", v4)
	}
	borrowed, _, err := im.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 1, HandleID: "k8s-pod-network.b", Hostname: "node2", Attrs: map[string]string{"node": "node2"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		node string
		want []string
	}{
		{"node1", []string{"10.250.0.0/26"}},
		{"node2", []string{netip.PrefixFrom(borrowed[0].Addr(), 32).String()}},
	} {
		got, err := src.Blocks(ctx, tc.node)
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.Join(strs(got), " "); s != strings.Join(tc.want, " ") {
			t.Errorf("Blocks(%s) = %s, want %s", tc.node, s, strings.Join(tc.want, " "))
		}
	}
	if err := im.ReleaseByHandle(ctx, "k8s-pod-network.b"); err != nil {
		t.Fatal(err)
	}
	if got, err := src.Blocks(ctx, "node2"); err != nil || len(got) != 0 {
		t.Errorf("after the release, Blocks(node2) = %v, %v; want nothing", got, err)
	}
	if err := im.ReleaseHostAffinities(ctx, "node1", false); err != nil {
		t.Fatal(err)
	}
	// node1 keeps its address in a block no host owns now: it is advertised as a host route.
	want := netip.PrefixFrom(v4[0].Addr(), 32)
	if got, err := src.Blocks(ctx, "node1"); err != nil || len(got) != 1 || got[0] != want {
		t.Errorf("after releasing the affinity, Blocks(node1) = %v, %v; want %s", got, err, want)
	}
}

func strs(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
