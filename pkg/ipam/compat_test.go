package ipam_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/calicoctl-go/calicoctl/pkg/ipam"
)

func keysOf(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// TestEtcdRecordsAreCalicosKeysAndJSON reads back, with a plain etcd client, what an allocation
// wrote, and allocates from a block written the way Calico writes it.
func TestEtcdRecordsAreCalicosKeysAndJSON(t *testing.T) {
	b := backends[0]
	b.reset(t)
	addPool(t, b, "p", "10.9.0.0/24", 26, "")
	b.addNode(t, "node1", nil)
	c := ipam.New(b.store)
	v4, _ := mustAssign(t, c, "node1", "k8s-pod-network.cid", 2, 0)
	block := netip.PrefixFrom(v4[0].Addr(), 26).Masked()
	ctx := context.Background()
	get := func(key string) map[string]any {
		t.Helper()
		r, err := b.rawEtcd.Get(ctx, key)
		if err != nil || len(r.Kvs) != 1 {
			t.Fatalf("key %s: %v (%d values)", key, err, len(r.Kvs))
		}
		var m map[string]any
		if err := json.Unmarshal(r.Kvs[0].Value, &m); err != nil {
			t.Fatalf("%s: %s", key, r.Kvs[0].Value)
		}
		return m
	}
	blockKey := "/calico/ipam/v2/assignment/ipv4/block/" + strings.Replace(block.String(), "/", "-", 1)
	bl := get(blockKey)
	if got, want := keysOf(bl), "affinity,affinity_claim_time,allocations,attributes,cidr,deleted,sequenceNumber,sequenceNumberForAllocation,unallocated"; got != want {
		t.Errorf("block fields %s, want %s", got, want)
	}
	attr := bl["attributes"].([]any)[0].(map[string]any)
	if keysOf(attr) != "handle_id,secondary" || attr["handle_id"] != "k8s-pod-network.cid" {
		t.Errorf("attribute %v", attr)
	}
	aff := get("/calico/ipam/v2/host/node1/ipv4/block/" + strings.Replace(block.String(), "/", "-", 1))
	if aff["state"] != "confirmed" || aff["deleted"] != false || len(aff) != 2 {
		t.Errorf("affinity value %v", aff)
	}
	h := get("/calico/ipam/v2/handle/k8s-pod-network.cid")
	if blk := h["block"].(map[string]any); blk[block.String()] != float64(2) || len(h) != 2 {
		t.Errorf("handle value %v", h)
	}

	// A block as Calico writes it (another host's, one address taken): this package reads and
	// changes it.
	calico := `{"cidr":"10.9.0.192/26","affinity":null,"allocations":[0` + strings.Repeat(",null", 63) +
		`],"unallocated":[` + seq(1, 64) + `],"attributes":[{"handle_id":"calico-made","secondary":{"node":"other","pod":"p","namespace":"ns"}}],"sequenceNumber":1,"sequenceNumberForAllocation":{"0":0},"deleted":false,"strictAffinity":false}`
	if _, err := b.rawEtcd.Put(ctx, "/calico/ipam/v2/assignment/ipv4/block/10.9.0.192-26", calico); err != nil {
		t.Fatal(err)
	}
	a, err := c.GetAssignment(ctx, netip.MustParseAddr("10.9.0.192"))
	if err != nil || a.HandleID != "calico-made" || a.Attrs["namespace"] != "ns" {
		t.Fatalf("reading Calico's block: %+v, %v", a, err)
	}
	if na, err := c.ReleaseIPs(ctx, netip.MustParseAddr("10.9.0.192")); err != nil || len(na) != 0 {
		t.Fatalf("releasing from Calico's block: %v %v", na, err)
	}
	// Empty and affine to nobody: deleted, as Calico does.
	if r, _ := b.rawEtcd.Get(ctx, "/calico/ipam/v2/assignment/ipv4/block/10.9.0.192-26"); len(r.Kvs) != 0 {
		t.Errorf("an empty unaffine block was kept: %s", r.Kvs[0].Value)
	}
	// The configuration key.
	if err := c.SetConfig(ctx, ipam.Config{StrictAffinity: true, AutoAllocateBlocks: true, MaxBlocksPerHost: 3}); err != nil {
		t.Fatal(err)
	}
	cfg := get("/calico/ipam/v2/config")
	if cfg["strict_affinity"] != true || cfg["auto_allocate_blocks"] != true || cfg["maxBlocksPerHost"] != float64(3) {
		t.Errorf("config value %v", cfg)
	}
}

func seq(from, to int) string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, ",")
}

// TestKubernetesRecordsAreCalicosCustomResources reads back, without this package, the custom
// resources an allocation wrote.
func TestKubernetesRecordsAreCalicosCustomResources(t *testing.T) {
	b := backends[1]
	b.reset(t)
	addPool(t, b, "p", "fd00:9::/120", 122, "")
	b.addNode(t, "node1", nil)
	c := ipam.New(b.store)
	_, v6 := mustAssign(t, c, "node1", "K8s-Pod-Network.CID", 0, 1)
	block := netip.PrefixFrom(v6[0].Addr(), 122).Masked()
	// fd00:9::40/122 -> fd00-9--40-122, as Calico's names.CIDRToName
	crName := strings.NewReplacer(":", "-", "/", "-").Replace(block.String())
	dyn, err := dynamic.NewForConfig(b.kube.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	get := func(plural, name string) *unstructured.Unstructured {
		t.Helper()
		u, err := dyn.Resource(schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: plural}).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s/%s: %v", plural, name, err)
		}
		return u
	}
	bl := get("ipamblocks", crName)
	if cidr, _, _ := unstructured.NestedString(bl.Object, "spec", "cidr"); cidr != block.String() {
		t.Errorf("block cidr %q", cidr)
	}
	if a, _, _ := unstructured.NestedString(bl.Object, "spec", "affinity"); a != "host:node1" {
		t.Errorf("block affinity %q", a)
	}
	aff := get("blockaffinities", "node1-"+crName)
	spec, _, _ := unstructured.NestedMap(aff.Object, "spec")
	if spec["state"] != "confirmed" || spec["deleted"] != "false" || spec["node"] != "node1" || spec["cidr"] != block.String() {
		t.Errorf("affinity spec %v", spec)
	}
	if aff.GetLabels()["projectcalico.org/ip-version"] != "6" || aff.GetLabels()["projectcalico.org/hostname-hash"] == "" {
		t.Errorf("affinity labels %v", aff.GetLabels())
	}
	h := get("ipamhandles", "k8s-pod-network.cid")
	if id, _, _ := unstructured.NestedString(h.Object, "spec", "handleID"); id != "K8s-Pod-Network.CID" {
		t.Errorf("handle id %q", id)
	}
}
