package ipam

import (
	"context"
	"math"
	"net/netip"
	"sort"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// Usage counts addresses of a pool or block. Numbers are float64 because an IPv6 pool holds
// more than an int.
type Usage struct {
	Name     string // the pool's name ("" for a block)
	CIDR     netip.Prefix
	Total    float64
	InUse    float64
	Reserved float64
	Free     float64
}

// PoolUsage is one pool and its blocks, sorted by CIDR.
type PoolUsage struct {
	Usage
	Blocks []Usage
}

// Utilization computes the usage of every pool and its blocks (Calico's GetUtilization).
// Blocks of no pool are returned under a pool with an invalid CIDR ("orphaned").
func (c *Client) Utilization(ctx context.Context) ([]PoolUsage, error) {
	pools, err := c.listPools(ctx)
	if err != nil {
		return nil, err
	}
	blocks, err := c.ListBlocks(ctx)
	if err != nil {
		return nil, err
	}
	reserved, err := c.reservationPrefixes(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(pools, func(i, j int) bool { return pools[i].name < pools[j].name })
	out := make([]PoolUsage, len(pools))
	for i, p := range pools {
		out[i].Name, out[i].CIDR = p.name, p.prefix
		out[i].Total = math.Exp2(float64(hostBits(p.prefix)))
		out[i].Reserved = overlapCount(reserved, p.prefix)
	}
	var orphans []Usage
	// reservedInUse counts, per pool, reserved addresses that are nevertheless allocated: they
	// are in use, not free, and must not be subtracted twice.
	reservedInUse := make([]float64, len(out))
	for _, obj := range blocks {
		b, err := wrapBlock(obj)
		if err != nil {
			continue
		}
		var resFree, resAlloc float64
		for _, ord := range obj.Spec.Unallocated {
			if inPrefixes(reserved, ordinalIP(b.prefix, ord)) {
				resFree++
			}
		}
		for ord, a := range obj.Spec.Allocations {
			if a != nil && inPrefixes(reserved, ordinalIP(b.prefix, ord)) {
				resAlloc++
			}
		}
		u := Usage{CIDR: b.prefix, Total: float64(blockSize(b.prefix)), InUse: float64(b.inUse()),
			Reserved: resFree + resAlloc, Free: float64(len(obj.Spec.Unallocated)) - resFree}
		placed := false
		for i := range out {
			if out[i].CIDR.Contains(b.prefix.Addr()) {
				out[i].InUse += u.InUse
				reservedInUse[i] += resAlloc
				out[i].Blocks = append(out[i].Blocks, u)
				placed = true
				break
			}
		}
		if !placed {
			orphans = append(orphans, u)
		}
	}
	for i := range out {
		out[i].Free = max(0, out[i].Total-out[i].InUse-(out[i].Reserved-reservedInUse[i]))
		sort.Slice(out[i].Blocks, func(a, b int) bool { return out[i].Blocks[a].CIDR.Addr().Less(out[i].Blocks[b].CIDR.Addr()) })
	}
	if len(orphans) > 0 {
		sort.Slice(orphans, func(a, b int) bool { return orphans[a].CIDR.Addr().Less(orphans[b].CIDR.Addr()) })
		out = append(out, PoolUsage{Usage: Usage{Name: "orphaned allocation blocks"}, Blocks: orphans})
	}
	return out, nil
}

func inPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// overlapCount counts the addresses of p that the prefixes cover (reservations do not overlap
// each other in practice; overlapping ones are counted twice).
func overlapCount(ps []netip.Prefix, p netip.Prefix) float64 {
	n := 0.0
	for _, r := range ps {
		switch {
		case !r.Overlaps(p):
		case r.Bits() >= p.Bits():
			n += math.Exp2(float64(hostBits(r)))
		default:
			n += math.Exp2(float64(hostBits(p)))
		}
	}
	return n
}

func (c *Client) reservationPrefixes(ctx context.Context) ([]netip.Prefix, error) {
	l, err := c.store.List(ctx, reservationKind, listAll)
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, it := range l.Items {
		for _, s := range it.(*api.IPReservation).Spec.ReservedCIDRs {
			if p, err := netip.ParsePrefix(s); err == nil {
				out = append(out, p.Masked())
			} else if a, err := netip.ParseAddr(s); err == nil {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	return out, nil
}

// BorrowedIP is an address allocated to a node from a block affine to another node (or to
// none).
type BorrowedIP struct {
	IP, Node, Block, Owner, Type, Pod, Namespace string
}

// Borrowed lists the borrowed addresses, by block and address, and counts the allocations
// without a node attribute (whether those are borrowed is unknown).
func (c *Client) Borrowed(ctx context.Context) ([]BorrowedIP, int, error) {
	blocks, err := c.ListBlocks(ctx)
	if err != nil {
		return nil, 0, err
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].Spec.CIDR < blocks[j].Spec.CIDR })
	var out []BorrowedIP
	unknown := 0
	for _, obj := range blocks {
		b, err := wrapBlock(obj)
		if err != nil || b.host() == kinds.VirtualLoadBalancer {
			continue // the load balancer's addresses belong to Services, not nodes
		}
		for ord, a := range obj.Spec.Allocations {
			if a == nil || *a >= len(obj.Spec.Attributes) || obj.Spec.Attributes[*a].ReleasedAt != nil {
				continue
			}
			attrs := obj.Spec.Attributes[*a].ActiveOwnerAttrs
			node := attrs[AttrNode]
			if node == "" {
				unknown++
				continue
			}
			if node == b.host() {
				continue
			}
			typ := attrs[AttrType]
			switch {
			case attrs["vmi-name"] != "":
				typ = "vmi"
			case attrs[AttrPod] != "":
				typ = "pod"
			}
			out = append(out, BorrowedIP{IP: ordinalIP(b.prefix, ord).String(), Node: node, Block: obj.Spec.CIDR, Owner: b.host(),
				Type: typ, Pod: attrs[AttrPod], Namespace: attrs[AttrNamespace]})
		}
	}
	return out, unknown, nil
}
