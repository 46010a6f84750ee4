package ipam_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/ipam"
)

// TestCheckFindsEveryKindOfProblem builds, on etcd, each inconsistency ipam check reports and
// checks that it is found, and only it.
func TestCheckFindsEveryKindOfProblem(t *testing.T) {
	b := backends[0]
	b.reset(t)
	addPool(t, b, "p", "10.90.0.0/24", 26, "")
	b.addNode(t, "node1", nil)
	c := ipam.New(b.store)
	v4, _ := mustAssign(t, c, "node1", "h1", 2, 0)
	used, leaked := v4[0].Addr(), v4[1].Addr()
	create(t, b, "WorkloadEndpoint", `{"metadata":{"name":"node1-k8s-a-eth0","namespace":"ns1"},"spec":{"node":"node1","orchestrator":"k8s","pod":"a","endpoint":"eth0","interfaceName":"cali1","ipNetworks":["`+used.String()+`/32"]}}`)
	create(t, b, "WorkloadEndpoint", `{"metadata":{"name":"node1-k8s-b-eth0","namespace":"ns1"},"spec":{"node":"node1","orchestrator":"k8s","pod":"b","endpoint":"eth0","interfaceName":"cali2","ipNetworks":["10.90.0.250/32"]}}`)
	create(t, b, "WorkloadEndpoint", `{"metadata":{"name":"node1-k8s-c-eth0","namespace":"ns1"},"spec":{"node":"node1","orchestrator":"k8s","pod":"c","endpoint":"eth0","interfaceName":"cali3","ipNetworks":["192.168.1.1/32"]}}`)
	ctx := context.Background()
	if _, err := b.rawEtcd.Put(ctx, "/calico/ipam/v2/handle/leaked", `{"block":{"10.90.0.0/26":1},"deleted":false}`); err != nil {
		t.Fatal(err)
	}
	// Ordinal 0 both allocated (to handle "ghost", which does not exist) and unallocated.
	bad := `{"cidr":"10.90.0.192/26","affinity":null,"allocations":[0` + strings.Repeat(",null", 63) + `],"unallocated":[` + seq(0, 64) +
		`],"attributes":[{"handle_id":"ghost","secondary":{"node":"node1"}}],"sequenceNumber":1,"sequenceNumberForAllocation":{},"deleted":false}`
	if _, err := b.rawEtcd.Put(ctx, "/calico/ipam/v2/assignment/ipv4/block/10.90.0.192-26", bad); err != nil {
		t.Fatal(err)
	}
	r, err := c.Check(ctx, nil, "test", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.NotInUse) != 2 || !containsIP(r.NotInUse, leaked) || !containsIP(r.NotInUse, netip.MustParseAddr("10.90.0.192")) {
		t.Errorf("allocated but not in use: %+v", r.NotInUse)
	}
	if len(r.InUseNoAlloc) != 1 || r.InUseNoAlloc[0].String() != "10.90.0.250" {
		t.Errorf("in use, not allocated: %v", r.InUseNoAlloc)
	}
	if len(r.InUseNoPool) != 1 || r.InUseNoPool[0].String() != "192.168.1.1" {
		t.Errorf("in use outside every pool: %v", r.InUseNoPool)
	}
	if len(r.LeakedHandles) != 1 || r.LeakedHandles[0].ID != "leaked" {
		t.Errorf("leaked handles: %+v", r.LeakedHandles)
	}
	if len(r.MissingHandles) != 1 || r.MissingHandles[0] != "ghost" {
		t.Errorf("missing handles: %v", r.MissingHandles)
	}
	if len(r.InvalidBlocks) != 1 || !strings.Contains(r.InvalidBlocks[0], "ordinal 0 is both allocated and unallocated") {
		t.Errorf("invalid blocks: %v", r.InvalidBlocks)
	}
	if r.Problems() != 7 || r.Allocations != 3 || r.WorkloadIPs != 3 {
		t.Errorf("%d problems, %d allocations, %d workload IPs", r.Problems(), r.Allocations, r.WorkloadIPs)
	}
	if a := r.Report.Allocations[used.String()]; len(a) != 1 || !a[0].InUse || a[0].Handle != "h1" || a[0].Node != "node1" {
		t.Errorf("report entry of the used address: %+v", a)
	}
}

func containsIP(infos []ipam.AllocationInfo, ip netip.Addr) bool {
	for _, i := range infos {
		if i.IP == ip.String() {
			return true
		}
	}
	return false
}
