package node

import (
	"context"
	"fmt"
	"net/netip"
	"sort"

	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// IPAMBlocks is the node's BlockSource on Calico IPAM: the blocks affine to the node (confirmed
// affinities, the ones confd's calico_aggr exports), and a host route (/32, /128) for every
// address the node holds in a block affine to another host or to none (a borrowed address,
// which that host's aggregate does not cover for this node).
type IPAMBlocks struct {
	IPAM *ipam.Client
}

// Blocks implements BlockSource.
func (s IPAMBlocks) Blocks(ctx context.Context, node string) ([]netip.Prefix, error) {
	affs, err := s.IPAM.ListAffinities(ctx, node)
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range affs {
		if a.Spec.State != "" && a.Spec.State != api.AffinityConfirmed {
			continue // pending, or being released: neither advertised nor blackholed
		}
		p, err := netip.ParsePrefix(a.Spec.CIDR)
		if err != nil {
			return nil, fmt.Errorf("block affinity %s: invalid cidr %q", a.Name, a.Spec.CIDR)
		}
		out = append(out, p.Masked())
	}
	blocks, err := s.IPAM.ListBlocks(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if b.Spec.Affinity != nil && *b.Spec.Affinity == "host:"+node {
			continue
		}
		out = append(out, Borrowed(b, node)...)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].Addr().Compare(out[j].Addr()); c != 0 {
			return c < 0
		}
		return out[i].Bits() < out[j].Bits()
	})
	return out, nil
}

// Borrowed returns the addresses of block b allocated to node (owner attribute "node"), as
// host prefixes; addresses released and cooling down are not counted.
func Borrowed(b *api.IPAMBlock, node string) []netip.Prefix {
	cidr, err := netip.ParsePrefix(b.Spec.CIDR)
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for ord, attr := range b.Spec.Allocations {
		if attr == nil || *attr < 0 || *attr >= len(b.Spec.Attributes) {
			continue
		}
		a := b.Spec.Attributes[*attr]
		if a.ReleasedAt != nil || a.ActiveOwnerAttrs[ipam.AttrNode] != node {
			continue
		}
		addr := addOrdinal(cidr.Masked().Addr(), ord)
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out
}

// addOrdinal is the address ord places after base.
func addOrdinal(base netip.Addr, ord int) netip.Addr {
	b := base.As16()
	carry := uint(ord)
	for i := 15; i >= 0 && carry > 0; i-- {
		sum := uint(b[i]) + carry&0xff
		b[i] = byte(sum)
		carry = carry>>8 + sum>>8
	}
	a := netip.AddrFrom16(b)
	if base.Is4() {
		return a.Unmap()
	}
	return a
}
