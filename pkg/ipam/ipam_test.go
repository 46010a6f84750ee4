package ipam_test

import (
	"errors"
	"net/netip"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func assign(t *testing.T, c *ipam.Client, host, handle string, n4, n6 int) ([]netip.Prefix, []netip.Prefix, error) {
	t.Helper()
	return c.AutoAssign(ctxFor(t), ipam.AutoAssignArgs{Num4: n4, Num6: n6, HandleID: handle, Hostname: host,
		Attrs: map[string]string{ipam.AttrNode: host, ipam.AttrPod: handle, ipam.AttrNamespace: "default"}})
}

func mustAssign(t *testing.T, c *ipam.Client, host, handle string, n4, n6 int) ([]netip.Prefix, []netip.Prefix) {
	t.Helper()
	v4, v6, err := assign(t, c, host, handle, n4, n6)
	if err != nil {
		t.Fatalf("AutoAssign(%s, %s, %d, %d): %v", host, handle, n4, n6, err)
	}
	if len(v4) != n4 || len(v6) != n6 {
		t.Fatalf("AutoAssign(%s, %d, %d) gave %d and %d addresses", host, n4, n6, len(v4), len(v6))
	}
	return v4, v6
}

// blocksByCIDR reads every block.
func blocksByCIDR(t *testing.T, c *ipam.Client) map[string]*api.IPAMBlock {
	t.Helper()
	bs, err := c.ListBlocks(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*api.IPAMBlock{}
	for _, b := range bs {
		out[b.Spec.CIDR] = b
	}
	return out
}

func unique(t *testing.T, ps []netip.Prefix) {
	t.Helper()
	seen := map[netip.Addr]bool{}
	for _, p := range ps {
		if seen[p.Addr()] {
			t.Fatalf("address %s handed out twice", p.Addr())
		}
		seen[p.Addr()] = true
	}
}

func TestAutoAssignClaimsOneAffineBlockAndRecordsTheHandle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		addPool(t, b, "p1", "10.0.0.0/24", 26, "")
		b.addNode(t, "node1", nil)
		c := ipam.New(b.store)
		v4, _ := mustAssign(t, c, "node1", "k8s-pod-network.abc", 3, 0)
		unique(t, v4)
		block := netip.PrefixFrom(v4[0].Addr(), 26).Masked()
		for _, ip := range v4 {
			if ip.Bits() != 26 || !block.Contains(ip.Addr()) {
				t.Fatalf("address %s is not in block %s with the block's mask", ip, block)
			}
		}
		blocks := blocksByCIDR(t, c)
		got := blocks[block.String()]
		if len(blocks) != 1 || got == nil {
			t.Fatalf("blocks: %v", blocks)
		}
		if got.Spec.Affinity == nil || *got.Spec.Affinity != "host:node1" || got.Spec.AffinityClaimTime == nil {
			t.Errorf("block affinity %v, want host:node1 with a claim time", got.Spec.Affinity)
		}
		if len(got.Spec.Unallocated) != 61 || len(got.Spec.Attributes) != 1 || *got.Spec.Attributes[0].HandleID != "k8s-pod-network.abc" {
			t.Errorf("block content: %d unallocated, attributes %+v", len(got.Spec.Unallocated), got.Spec.Attributes)
		}
		if got.Spec.Attributes[0].ActiveOwnerAttrs["node"] != "node1" {
			t.Errorf("owner attributes %v", got.Spec.Attributes[0].ActiveOwnerAttrs)
		}
		affs, err := c.ListAffinities(ctxFor(t), "node1")
		if err != nil || len(affs) != 1 || affs[0].Spec.State != api.AffinityConfirmed || affs[0].Spec.CIDR != block.String() {
			t.Fatalf("affinities %+v, %v", affs, err)
		}
		handles, err := c.ListHandles(ctxFor(t))
		if err != nil || len(handles) != 1 || handles[0].Spec.Block[block.String()] != 3 || handles[0].Name != "k8s-pod-network.abc" {
			t.Fatalf("handles %+v, %v", handles, err)
		}
		// A second request of the same host fills the same block.
		more, _ := mustAssign(t, c, "node1", "k8s-pod-network.def", 5, 0)
		unique(t, append(v4, more...))
		if len(blocksByCIDR(t, c)) != 1 {
			t.Errorf("a second request claimed another block although the first has room")
		}
	})
}

func TestIPv6AllocationsUse122BlocksAndClaimMoreWhenFull(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		addPool(t, b, "v6", "fd00:10::/120", 122, "")
		b.addNode(t, "node1", nil)
		c := ipam.New(b.store)
		_, v6 := mustAssign(t, c, "node1", "h6", 0, 70)
		unique(t, v6)
		blocks := blocksByCIDR(t, c)
		if len(blocks) != 2 {
			t.Fatalf("70 addresses in /122 blocks of 64 need 2 blocks, got %d", len(blocks))
		}
		for cidr, bl := range blocks {
			if !strings.HasSuffix(cidr, "/122") || len(bl.Spec.Allocations) != 64 {
				t.Errorf("block %s has %d ordinals", cidr, len(bl.Spec.Allocations))
			}
		}
		for _, ip := range v6 {
			if ip.Bits() != 122 || !netip.MustParsePrefix("fd00:10::/120").Contains(ip.Addr()) {
				t.Errorf("address %s", ip)
			}
		}
	})
}

func TestExhaustionBorrowingStrictAffinityAndBlockLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		// Four blocks of 16.
		addPool(t, b, "small", "10.1.0.0/26", 28, "")
		b.addNode(t, "node1", nil)
		b.addNode(t, "node2", nil)
		c := ipam.New(b.store)
		a1, _ := mustAssign(t, c, "node1", "h1", 40, 0) // three blocks, 8 left in the last
		// node2 claims the last block and borrows the 8 left in node1's.
		a2, _ := mustAssign(t, c, "node2", "h2", 24, 0)
		unique(t, append(a1, a2...))
		borrowed := 0
		for _, bl := range blocksByCIDR(t, c) {
			for _, a := range bl.Spec.Allocations {
				if a != nil && bl.Spec.Attributes[*a].ActiveOwnerAttrs["node"] == "node2" && *bl.Spec.Affinity == "host:node1" {
					borrowed++
				}
			}
		}
		if borrowed != 8 {
			t.Errorf("node2 borrowed %d addresses from node1's blocks, want 8", borrowed)
		}
		// The pool is now full: a clear error, nothing allocated.
		_, _, err := assign(t, c, "node2", "h3", 1, 0)
		if err == nil || !strings.Contains(err.Error(), "exhausted") {
			t.Fatalf("exhausted pool: err = %v", err)
		}

		// Strict affinity: no borrowing.
		b.reset(t)
		addPool(t, b, "small", "10.1.0.0/27", 28, "")
		b.addNode(t, "node1", nil)
		b.addNode(t, "node2", nil)
		if err := c.SetConfig(ctxFor(t), ipam.Config{StrictAffinity: true, AutoAllocateBlocks: true}); err != nil {
			t.Fatal(err)
		}
		mustAssign(t, c, "node1", "h1", 20, 0) // both blocks
		got, _, err := assign(t, c, "node2", "h2", 1, 0)
		if err == nil || !strings.Contains(err.Error(), "strict affinity") || len(got) != 0 {
			t.Fatalf("strict affinity: got %v, err %v", got, err)
		}

		// maxBlocksPerHost 1: the second block is refused.
		b.reset(t)
		addPool(t, b, "small", "10.1.0.0/26", 28, "")
		b.addNode(t, "node1", nil)
		if err := c.SetConfig(ctxFor(t), ipam.Config{StrictAffinity: true, AutoAllocateBlocks: true, MaxBlocksPerHost: 1}); err != nil {
			t.Fatal(err)
		}
		got, _, err = assign(t, c, "node1", "h1", 20, 0)
		if err == nil || len(got) != 16 {
			t.Fatalf("max blocks 1: got %d addresses, err %v", len(got), err)
		}
		if n := len(blocksByCIDR(t, c)); n != 1 {
			t.Errorf("max blocks 1 but %d blocks", n)
		}
	})
}

func TestAssignReleaseAndReuseAfterCooldown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		addPool(t, b, "one", "10.2.0.0/28", 28, "")
		b.addNode(t, "node1", nil)
		c := ipam.New(b.store)
		ctx := ctxFor(t)
		ip := netip.MustParseAddr("10.2.0.5")
		if err := c.AssignIP(ctx, ipam.AssignIPArgs{IP: ip, HandleID: "fixed", Hostname: "node1", Attrs: map[string]string{"node": "node1"}}); err != nil {
			t.Fatal(err)
		}
		if err := c.AssignIP(ctx, ipam.AssignIPArgs{IP: ip, HandleID: "other", Hostname: "node1"}); !errors.Is(err, ipam.ErrAlreadyAssigned) {
			t.Fatalf("assigning a taken address: %v", err)
		}
		if err := c.AssignIP(ctx, ipam.AssignIPArgs{IP: netip.MustParseAddr("192.168.9.9"), HandleID: "x", Hostname: "node1"}); err == nil || !strings.Contains(err.Error(), "not in any IP pool") {
			t.Fatalf("assigning outside every pool: %v", err)
		}
		a, err := c.GetAssignment(ctx, ip)
		if err != nil || a.HandleID != "fixed" || a.Attrs["node"] != "node1" {
			t.Fatalf("GetAssignment: %+v, %v", a, err)
		}
		rest, _ := mustAssign(t, c, "node1", "fill", 15, 0) // the block is now full
		for _, p := range rest {
			if p.Addr() == ip {
				t.Fatal("AutoAssign handed out the address AssignIP took")
			}
		}

		// With a cooldown, a released address is not handed out again before it passes.
		if err := c.SetConfig(ctx, ipam.Config{AutoAllocateBlocks: true, IPCooldownSeconds: 60}); err != nil {
			t.Fatal(err)
		}
		na, err := c.ReleaseIPs(ctx, ip)
		if err != nil || len(na) != 0 {
			t.Fatalf("release: %v %v", na, err)
		}
		if a, err := c.GetAssignment(ctx, ip); err != nil || !a.CoolingOff {
			t.Fatalf("an address in cooldown: %+v, %v", a, err)
		}
		if got, _, err := assign(t, c, "node1", "again", 1, 0); err == nil {
			t.Fatalf("an address in cooldown was handed out: %v", got)
		}
		ipam.SetClock(c, 61)
		got, _, err := assign(t, c, "node1", "again", 1, 0)
		if err != nil || got[0].Addr() != ip {
			t.Fatalf("after the cooldown: %v, %v", got, err)
		}
		// Releasing a free address or one outside every block reports it, changes nothing.
		na, err = c.ReleaseIPs(ctx, netip.MustParseAddr("192.168.9.9"))
		if err != nil || len(na) != 1 {
			t.Fatalf("release outside every block: %v, %v", na, err)
		}
	})
}

func TestReleaseByHandleFreesEveryAddressAndDeletesTheHandle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		addPool(t, b, "p", "10.3.0.0/24", 26, "")
		addPool(t, b, "p6", "fd00:3::/120", 122, "")
		b.addNode(t, "node1", nil)
		c := ipam.New(b.store)
		ctx := ctxFor(t)
		v4, v6 := mustAssign(t, c, "node1", "k8s-pod-network.x", 2, 1)
		mustAssign(t, c, "node1", "keep", 1, 0)
		if err := c.ReleaseByHandle(ctx, "k8s-pod-network.x"); err != nil {
			t.Fatal(err)
		}
		for _, p := range append(v4, v6...) {
			if _, err := c.GetAssignment(ctx, p.Addr()); !errors.Is(err, ipam.ErrNotAssigned) {
				t.Errorf("%s still assigned after release by handle: %v", p, err)
			}
		}
		hs, _ := c.ListHandles(ctx)
		if len(hs) != 1 || hs[0].Name != "keep" {
			t.Errorf("handles after release: %+v", hs)
		}
		if err := c.ReleaseByHandle(ctx, "k8s-pod-network.x"); !errors.Is(err, ipam.ErrNotAssigned) {
			t.Errorf("second release of the handle: %v", err)
		}
		// The v6 block stays: it is affine to node1.
		if len(blocksByCIDR(t, c)) != 2 {
			t.Errorf("affine blocks were deleted")
		}
	})
}

func TestReservationsNodeSelectorsDisabledPoolsAndAllowedUses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		addPool(t, b, "zone-a", "10.4.0.0/28", 28, `,"nodeSelector":"zone == 'a'"`)
		addPool(t, b, "zone-b", "10.5.0.0/28", 28, `,"nodeSelector":"zone == 'b'"`)
		addPool(t, b, "off", "10.6.0.0/28", 28, `,"disabled":true`)
		addPool(t, b, "tunnels", "10.7.0.0/28", 28, `,"allowedUses":["Tunnel"]`)
		create(t, b, "IPReservation", `{"metadata":{"name":"r"},"spec":{"reservedCIDRs":["10.4.0.0/30"]}}`)
		b.addNode(t, "node-a", map[string]string{"zone": "a"})
		c := ipam.New(b.store)
		got, _, err := assign(t, c, "node-a", "h", 16, 0)
		if err == nil || len(got) != 12 {
			t.Fatalf("zone a with 4 reserved: %d addresses, err %v", len(got), err)
		}
		for _, p := range got {
			if !netip.MustParsePrefix("10.4.0.0/28").Contains(p.Addr()) || netip.MustParsePrefix("10.4.0.0/30").Contains(p.Addr()) {
				t.Errorf("address %s: outside zone a's pool or reserved", p)
			}
		}
		tun, _, err := c.AutoAssign(ctxFor(t), ipam.AutoAssignArgs{Num4: 1, HandleID: "ipip-tunnel-addr-node-a", Hostname: "node-a", IntendedUse: ipam.UseTunnel})
		if err != nil || !netip.MustParsePrefix("10.7.0.0/28").Contains(tun[0].Addr()) {
			t.Fatalf("tunnel address %v, %v", tun, err)
		}
		// Asking for a disabled pool by name is refused.
		_, _, err = c.AutoAssign(ctxFor(t), ipam.AutoAssignArgs{Num4: 1, HandleID: "x", Hostname: "node-a", IPv4Pools: []netip.Prefix{netip.MustParsePrefix("10.6.0.0/28")}})
		if err == nil || !strings.Contains(err.Error(), "disabled") {
			t.Fatalf("disabled pool: %v", err)
		}
		// A node no pool selects.
		b.addNode(t, "node-c", map[string]string{"zone": "c"})
		_, _, err = assign(t, c, "node-c", "h", 1, 0)
		if !errors.Is(err, ipam.ErrNoPools) {
			t.Fatalf("node no pool selects: %v", err)
		}
		// A node that does not exist.
		if _, _, err = assign(t, c, "ghost", "h", 1, 0); err == nil || !strings.Contains(err.Error(), `node "ghost" does not exist`) {
			t.Fatalf("missing node: %v", err)
		}
	})
}

func TestReleaseNodeAndPoolAffinitiesKeepOtherNodesAddresses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		addPool(t, b, "p", "10.8.0.0/27", 28, "")
		b.addNode(t, "node1", nil)
		b.addNode(t, "node2", nil)
		c := ipam.New(b.store)
		ctx := ctxFor(t)
		n1, _ := mustAssign(t, c, "node1", "h1", 20, 0) // both blocks: 16 + 4
		n2, _ := mustAssign(t, c, "node2", "h2", 3, 0)  // borrowed from node1's second block
		if err := ipam.ReleaseNode(ctx, b.store, "node1"); err != nil {
			t.Fatal(err)
		}
		for _, p := range n1 {
			if _, err := c.GetAssignment(ctx, p.Addr()); !errors.Is(err, ipam.ErrNotAssigned) {
				t.Fatalf("node1's %s still assigned", p)
			}
		}
		for _, p := range n2 {
			if a, err := c.GetAssignment(ctx, p.Addr()); err != nil || a.HandleID != "h2" {
				t.Fatalf("node2's %s lost: %v", p, err)
			}
		}
		if affs, _ := c.ListAffinities(ctx, "node1"); len(affs) != 0 {
			t.Errorf("node1 keeps affinities %v", affs)
		}
		blocks := blocksByCIDR(t, c)
		if len(blocks) != 1 {
			t.Fatalf("want only the block holding node2's addresses, got %d", len(blocks))
		}
		for _, bl := range blocks {
			if bl.Spec.Affinity != nil {
				t.Errorf("block %s still affine to %s", bl.Spec.CIDR, *bl.Spec.Affinity)
			}
		}
		// Pool affinities: node2 claims a block, the pool's affinities are released.
		mustAssign(t, c, "node2", "h3", 1, 0)
		if err := ipam.ReleasePoolAffinities(ctx, b.store, "10.8.0.0/27"); err != nil {
			t.Fatal(err)
		}
		if affs, _ := c.ListAffinities(ctx, ""); len(affs) != 0 {
			t.Errorf("affinities left after ReleasePoolAffinities: %d", len(affs))
		}
		if _, err := c.GetAssignment(ctx, n2[0].Addr()); err != nil {
			t.Errorf("an address was lost with the pool's affinities: %v", err)
		}
	})
}

func TestConfigurationRules(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		c := ipam.New(b.store)
		cfg, err := c.GetConfig(ctxFor(t))
		if err != nil || cfg != ipam.DefaultConfig {
			t.Fatalf("default config %+v, %v", cfg, err)
		}
		if err := c.SetConfig(ctxFor(t), ipam.Config{}); err == nil {
			t.Error("disabling both strict affinity and block auto-allocation was accepted")
		}
		want := ipam.Config{StrictAffinity: true, AutoAllocateBlocks: true, MaxBlocksPerHost: 4, KubeVirtVMAddressPersistence: api.VMAddressPersistenceEnabled, IPCooldownSeconds: 30}
		if err := c.SetConfig(ctxFor(t), want); err != nil {
			t.Fatal(err)
		}
		if got, err := c.GetConfig(ctxFor(t)); err != nil || got != want {
			t.Fatalf("config read back %+v, %v", got, err)
		}
	})
}

// LoadBalancer addresses belong to Calico's virtual host "load-balancer": blocks affine to
// "virtual:load-balancer", affinities of type virtual (on etcd under /calico/ipam/v2/virtual/),
// no Node needed; ipam check counts them as in use, and lists of every affinity include them.
func TestLoadBalancerAddressesUseTheVirtualHost(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		addPool(t, b, "lb", "10.8.0.0/28", 28, `,"allowedUses":["LoadBalancer"]`)
		addPool(t, b, "pods", "10.9.0.0/28", 28, "")
		b.addNode(t, "node1", nil)
		c := ipam.New(b.store)
		ctx := ctxFor(t)
		lb, _, err := c.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 2, HandleID: "lb-0123", IntendedUse: ipam.UseLoadBalancer})
		if err != nil || len(lb) != 2 || !netip.MustParsePrefix("10.8.0.0/28").Contains(lb[0].Addr()) {
			t.Fatalf("LoadBalancer addresses %v, %v", lb, err)
		}
		mustAssign(t, c, "node1", "pod", 1, 0)
		if a := blocksByCIDR(t, c)["10.8.0.0/28"].Spec.Affinity; a == nil || *a != "virtual:load-balancer" {
			t.Fatalf("LoadBalancer block affinity %v", a)
		}
		affs, err := c.ListAffinities(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, a := range affs {
			seen = append(seen, a.Spec.Type+":"+a.Spec.Node+":"+a.Spec.CIDR)
		}
		sort.Strings(seen)
		if strings.Join(seen, " ") != "host:node1:10.9.0.0/28 virtual:load-balancer:10.8.0.0/28" {
			t.Fatalf("every affinity: %v", seen)
		}
		if b.rawEtcd != nil {
			r, err := b.rawEtcd.Get(ctx, "/calico/ipam/v2/virtual/load-balancer/ipv4/block/10.8.0.0-28")
			if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != `{"state":"confirmed","deleted":false}` {
				t.Fatalf("the virtual affinity's key: %v %v", r, err)
			}
		}
		if b.kube != nil {
			dyn, err := dynamic.NewForConfig(b.kube.RESTConfig())
			if err != nil {
				t.Fatal(err)
			}
			u, err := dyn.Resource(schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "blockaffinities"}).Get(ctx, "load-balancer-10-8-0-0-28", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if typ, _, _ := unstructured.NestedString(u.Object, "spec", "type"); typ != "virtual" || u.GetLabels()["projectcalico.org/affinity-type"] != "virtual" {
				t.Fatalf("the virtual affinity's custom resource: type %q, labels %v", typ, u.GetLabels())
			}
		}
		res, err := c.Check(ctx, nil, "test", false)
		if err != nil {
			t.Fatal(err)
		}
		if res.LoadBalancerIPs != 2 || len(res.NotInUse) != 1 || res.NotInUse[0].Handle != "pod" {
			t.Fatalf("check: %d LoadBalancer IPs, not in use %+v", res.LoadBalancerIPs, res.NotInUse)
		}
		// Service addresses carry no node: they are not counted as "borrowed, unknown".
		if borrowed, unknown, err := c.Borrowed(ctx); err != nil || len(borrowed) != 0 || unknown != 0 {
			t.Fatalf("borrowed %v, %d without a node, %v", borrowed, unknown, err)
		}
		if err := c.ReleaseByHandle(ctx, "lb-0123"); err != nil {
			t.Fatalf("releasing the LoadBalancer handle: %v", err)
		}
	})
}

// A client allocating one address after another for a host reuses what the host's last
// allocation started from, and still sees at once what others changed since: a reservation, a
// pool disabled, the Node deleted.
func TestAllocationsSeeChangesMadeByOthersAtOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		addPool(t, b, "p", "10.12.0.0/28", 28, "")
		b.addNode(t, "node1", map[string]string{"zone": "a"})
		c, other := ipam.New(b.store), ipam.New(b.store)
		_ = other
		ctx := ctxFor(t)
		first, _ := mustAssign(t, c, "node1", "h1", 1, 0)
		mustAssign(t, c, "node1", "h2", 1, 0)

		// Another writer reserves the rest of the block: the next address is not taken from it.
		create(t, b, "IPReservation", `{"metadata":{"name":"r"},"spec":{"reservedCIDRs":["10.12.0.0/28"]}}`)
		if got, _, err := assign(t, c, "node1", "h3", 1, 0); err == nil {
			t.Fatalf("an address of a reserved range was allocated: %v", got)
		}
		kind := mustKind(t, "IPReservation")
		if _, err := b.store.Delete(ctx, kind, "", "r", ""); err != nil {
			t.Fatal(err)
		}
		mustAssign(t, c, "node1", "h4", 1, 0)

		// The pool disabled by another writer: nothing more from it.
		pools := mustKind(t, "IPPool")
		obj, err := b.store.Get(ctx, pools, "", "p")
		if err != nil {
			t.Fatal(err)
		}
		obj.(*api.IPPool).Spec.Disabled = true
		if _, err := b.store.Update(ctx, obj); err != nil {
			t.Fatal(err)
		}
		if got, _, err := assign(t, c, "node1", "h5", 1, 0); !errors.Is(err, ipam.ErrNoPools) {
			t.Fatalf("allocation from a disabled pool: %v, %v", got, err)
		}
		obj, _ = b.store.Get(ctx, pools, "", "p")
		obj.(*api.IPPool).Spec.Disabled = false
		if _, err := b.store.Update(ctx, obj); err != nil {
			t.Fatal(err)
		}
		mustAssign(t, c, "node1", "h6", 1, 0)

		// The Node deleted: no more addresses for it.
		if err := ipam.ReleaseNode(ctx, b.store, "node1"); err != nil {
			t.Fatal(err)
		}
		b.deleteNode(t, "node1")
		if got, _, err := assign(t, c, "node1", "h7", 1, 0); err == nil || !strings.Contains(err.Error(), `node "node1" does not exist`) {
			t.Fatalf("allocation for a deleted node: %v, %v", got, err)
		}
		if a, err := other.GetAssignment(ctx, first[0].Addr()); err == nil {
			t.Fatalf("%s still assigned after its node was released: %+v", first[0], a)
		}
	})
}
