package ipam

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// Report is the JSON `calicoctl ipam check -o FILE` writes and `ipam release --from-report`
// reads, with Calico's field names.
type Report struct {
	Version                    string                      `json:"version"`
	ClusterGUID                string                      `json:"clusterGUID"`
	DatastoreLocked            bool                        `json:"datastoreLocked"`
	ClusterInformationRevision string                      `json:"clusterInformationRevision"`
	ClusterType                string                      `json:"clusterType"`
	Allocations                map[string][]AllocationInfo `json:"allocations"`
	LeakedHandles              []LeakedHandle              `json:"leakedHandles"`
}

// AllocationInfo is one allocation of an address (an address may have several: a block and a
// workload disagreeing).
type AllocationInfo struct {
	IP                string `json:"ip"`
	Block             string `json:"block,omitempty"`
	Handle            string `json:"handle,omitempty"`
	SequenceNumber    uint64 `json:"sequenceNumber"`
	Pod               string `json:"pod,omitempty"`
	Namespace         string `json:"namespace,omitempty"`
	Node              string `json:"node,omitempty"`
	Type              string `json:"type,omitempty"`
	CreationTimestamp string `json:"creationTimestamp,omitempty"`
	InUse             bool   `json:"inUse"`
	Borrowed          bool   `json:"borrowed"`
	CoolingDown       bool   `json:"coolingDown"`
}

// LeakedHandle is a handle no block refers to.
type LeakedHandle struct {
	ID       string `json:"ID"`
	UID      string `json:"UID"`
	Revision string `json:"Revision"`
}

// InUseOwner says who uses an address outside IPAM's records: a workload endpoint or a node's
// tunnel.
type InUseOwner struct {
	Kind, Name string
}

// InUseAddresses collects the addresses workloads and nodes really use: WorkloadEndpoint
// ipNetworks and the nodes' IPIP, VXLAN and WireGuard tunnel addresses.
func (c *Client) InUseAddresses(ctx context.Context) (workloads, tunnels map[netip.Addr]InUseOwner, err error) {
	workloads, tunnels = map[netip.Addr]InUseOwner{}, map[netip.Addr]InUseOwner{}
	wepKind, _ := resources.ByKind("WorkloadEndpoint")
	weps, err := c.store.List(ctx, wepKind, datastore.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("listing workload endpoints: %w", err)
	}
	for _, it := range weps.Items {
		w := it.(*api.WorkloadEndpoint)
		for _, n := range w.Spec.IPNetworks {
			if p, err := netip.ParsePrefix(n); err == nil {
				workloads[p.Addr()] = InUseOwner{Kind: "WorkloadEndpoint", Name: w.Namespace + "/" + w.Name}
			} else if a, err := netip.ParseAddr(n); err == nil {
				workloads[a] = InUseOwner{Kind: "WorkloadEndpoint", Name: w.Namespace + "/" + w.Name}
			}
		}
	}
	nodes, err := c.store.List(ctx, nodeKind, datastore.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("listing nodes: %w", err)
	}
	for _, it := range nodes.Items {
		n := it.(*api.Node)
		addrs := []string{n.Spec.IPv4VXLANTunnelAddr, n.Spec.IPv6VXLANTunnelAddr}
		if n.Spec.BGP != nil {
			addrs = append(addrs, n.Spec.BGP.IPv4IPIPTunnelAddr)
		}
		if n.Spec.Wireguard != nil {
			addrs = append(addrs, n.Spec.Wireguard.InterfaceIPv4Address, n.Spec.Wireguard.InterfaceIPv6Address)
		}
		for _, s := range addrs {
			s, _, _ = strings.Cut(s, "/")
			if a, err := netip.ParseAddr(s); err == nil {
				tunnels[a] = InUseOwner{Kind: "Node", Name: n.Name}
			}
		}
	}
	return workloads, tunnels, nil
}

// CheckResult is what `ipam check` found.
type CheckResult struct {
	Blocks      []*api.IPAMBlock
	Allocations int // addresses the blocks record
	ActivePools []netip.Prefix
	TunnelIPs   int
	WorkloadIPs int
	// LoadBalancerIPs counts the addresses of the load balancer's blocks: Calico's
	// kube-controllers assigns them to Services, which this check does not read, so they are
	// never reported as leaked (nor released from a report).
	LoadBalancerIPs int
	HandlesMatched  int
	ByNode          map[string]int
	Report          Report
	NotInUse        []AllocationInfo // allocated, nobody uses them (cooling ones excluded)
	InUseNoPool     []netip.Addr     // used, outside every active pool
	InUseNoAlloc    []netip.Addr     // used, in a pool, not allocated
	LeakedHandles   []LeakedHandle   // handles no block refers to
	MissingHandles  []string         // handles blocks refer to that do not exist
	InvalidBlocks   []string         // "<cidr>: <problem>"
	ProblemAddrs    map[string]bool  // addresses with a problem, for --show-problem-ips
}

// Problems counts everything the check found wrong.
func (r *CheckResult) Problems() int {
	return len(r.NotInUse) + len(r.InUseNoPool) + len(r.InUseNoAlloc) + len(r.LeakedHandles) + len(r.MissingHandles) + len(r.InvalidBlocks)
}

// Check compares IPAM's records with the addresses workloads and nodes use. The report lists
// every allocation when full, otherwise only the addresses with a problem.
func (c *Client) Check(ctx context.Context, ci *api.ClusterInformation, version string, full bool) (*CheckResult, error) {
	if _, err := c.GetConfig(ctx); err != nil {
		return nil, err
	}
	blocks, err := c.ListBlocks(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].Spec.CIDR < blocks[j].Spec.CIDR })
	pools, err := c.listPools(ctx)
	if err != nil {
		return nil, err
	}
	workloads, tunnels, err := c.InUseAddresses(ctx)
	if err != nil {
		return nil, err
	}
	handles, err := c.ListHandles(ctx)
	if err != nil {
		return nil, err
	}
	r := &CheckResult{Blocks: blocks, TunnelIPs: len(tunnels), WorkloadIPs: len(workloads), ByNode: map[string]int{}, ProblemAddrs: map[string]bool{}}
	r.Report = Report{Version: version, Allocations: map[string][]AllocationInfo{}, LeakedHandles: []LeakedHandle{}}
	if ci != nil {
		r.Report.ClusterGUID, r.Report.ClusterType = ci.Spec.ClusterGUID, ci.Spec.ClusterType
		r.Report.ClusterInformationRevision = ci.ResourceVersion
		r.Report.DatastoreLocked = ci.Spec.DatastoreReady != nil && !*ci.Spec.DatastoreReady
	}
	for _, p := range pools {
		if !p.spec.Disabled {
			r.ActivePools = append(r.ActivePools, p.prefix)
		}
	}
	allocated := map[netip.Addr]bool{}
	referenced := map[string]bool{}
	progress := progressOf(ctx)
	progress.Start(len(blocks), "checking blocks")
	defer progress.Done()
	for _, obj := range blocks {
		progress.Add(1)
		b, err := wrapBlock(obj)
		if err != nil {
			r.InvalidBlocks = append(r.InvalidBlocks, fmt.Sprintf("%s: invalid CIDR", obj.Spec.CIDR))
			continue
		}
		if problem := validateBlock(b, c.now()); problem != "" {
			r.InvalidBlocks = append(r.InvalidBlocks, obj.Spec.CIDR+": "+problem)
		}
		for ord, a := range obj.Spec.Allocations {
			if a == nil || *a >= len(obj.Spec.Attributes) {
				continue
			}
			attr := obj.Spec.Attributes[*a]
			ip := ordinalIP(b.prefix, ord)
			info := AllocationInfo{IP: ip.String(), Block: obj.Spec.CIDR, SequenceNumber: obj.Spec.SequenceNumberForAllocation[strconv.Itoa(ord)],
				Pod: attr.ActiveOwnerAttrs[AttrPod], Namespace: attr.ActiveOwnerAttrs[AttrNamespace], Node: attr.ActiveOwnerAttrs[AttrNode],
				Type: attr.ActiveOwnerAttrs[AttrType], CreationTimestamp: attr.ActiveOwnerAttrs[AttrTimestamp], CoolingDown: attr.ReleasedAt != nil}
			if attr.HandleID != nil {
				info.Handle = *attr.HandleID
				referenced[*attr.HandleID] = true
			}
			info.Borrowed = info.Node != "" && info.Node != b.host()
			_, wl := workloads[ip]
			_, tn := tunnels[ip]
			info.InUse = wl || tn
			r.Allocations++
			allocated[ip] = true
			if info.Node != "" {
				r.ByNode[info.Node]++
			}
			if b.host() == kinds.VirtualLoadBalancer {
				r.LoadBalancerIPs++
				info.InUse = true
			}
			problem := !info.InUse && !info.CoolingDown
			if problem {
				r.NotInUse = append(r.NotInUse, info)
				r.ProblemAddrs[info.IP] = true
			}
			if full || problem {
				r.Report.Allocations[info.IP] = append(r.Report.Allocations[info.IP], info)
			}
		}
	}
	inUse := make([]netip.Addr, 0, len(workloads)+len(tunnels))
	for a := range workloads {
		inUse = append(inUse, a)
	}
	for a := range tunnels {
		if _, dup := workloads[a]; !dup {
			inUse = append(inUse, a)
		}
	}
	sort.Slice(inUse, func(i, j int) bool { return inUse[i].Less(inUse[j]) })
	for _, a := range inUse {
		if allocated[a] {
			continue
		}
		inPool := false
		for _, p := range r.ActivePools {
			inPool = inPool || p.Contains(a)
		}
		if inPool {
			r.InUseNoAlloc = append(r.InUseNoAlloc, a)
		} else {
			r.InUseNoPool = append(r.InUseNoPool, a)
		}
		r.ProblemAddrs[a.String()] = true
		r.Report.Allocations[a.String()] = append(r.Report.Allocations[a.String()], AllocationInfo{IP: a.String(), InUse: true})
	}
	existing := map[string]bool{}
	for _, h := range handles {
		existing[h.Name] = true
		if referenced[h.Name] {
			r.HandlesMatched++
			continue
		}
		lh := LeakedHandle{ID: h.Name, UID: string(h.UID), Revision: h.ResourceVersion}
		r.LeakedHandles = append(r.LeakedHandles, lh)
		r.Report.LeakedHandles = append(r.Report.LeakedHandles, lh)
	}
	for h := range referenced {
		if !existing[h] {
			r.MissingHandles = append(r.MissingHandles, h)
		}
	}
	sort.Strings(r.MissingHandles)
	sort.Slice(r.LeakedHandles, func(i, j int) bool { return r.LeakedHandles[i].ID < r.LeakedHandles[j].ID })
	return r, nil
}

// validateBlock finds what makes a block inconsistent (Calico's validateBlock); "" when fine.
func validateBlock(b *block, now time.Time) string {
	s := b.obj.Spec
	n := blockSize(b.prefix)
	if len(s.Allocations) != n {
		return fmt.Sprintf("%d allocation entries for %d addresses", len(s.Allocations), n)
	}
	used := make([]bool, len(s.Attributes))
	allocated := 0
	for ord, a := range s.Allocations {
		if a == nil {
			continue
		}
		allocated++
		if *a < 0 || *a >= len(s.Attributes) {
			return fmt.Sprintf("ordinal %d points at attribute %d of %d", ord, *a, len(s.Attributes))
		}
		used[*a] = true
	}
	for i, u := range used {
		if !u {
			return fmt.Sprintf("attribute %d is not used by any allocation", i)
		}
		if r := s.Attributes[i].ReleasedAt; r != nil && r.Unix() > now.Unix()+1 {
			return fmt.Sprintf("attribute %d was released in the future (%s)", i, r.Time)
		}
	}
	seen := map[int]bool{}
	for _, o := range s.Unallocated {
		switch {
		case o < 0 || o >= n:
			return fmt.Sprintf("unallocated ordinal %d is out of range", o)
		case seen[o]:
			return fmt.Sprintf("unallocated ordinal %d is listed twice", o)
		case s.Allocations[o] != nil:
			return fmt.Sprintf("ordinal %d is both allocated and unallocated", o)
		}
		seen[o] = true
	}
	if len(s.Unallocated)+allocated != n {
		return fmt.Sprintf("%d unallocated and %d allocated ordinals for %d addresses", len(s.Unallocated), allocated, n)
	}
	return ""
}
