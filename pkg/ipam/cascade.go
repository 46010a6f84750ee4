package ipam

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
)

// ReleaseNode frees what a deleted node held: every address whose owner attributes name it
// (its pods' and tunnels' addresses) and every block affinity it had. Empty blocks are deleted;
// blocks still holding other nodes' (borrowed) addresses stay, affine to nobody.
func ReleaseNode(ctx context.Context, store datastore.Store, node string) error {
	c := New(store)
	if _, err := c.GetConfig(ctx); err != nil {
		return err
	}
	blocks, err := c.ListBlocks(ctx)
	if err != nil {
		return err
	}
	for _, obj := range blocks {
		b, err := wrapBlock(obj)
		if err != nil {
			continue
		}
		var addrs []netip.Addr
		for ord, a := range obj.Spec.Allocations {
			if a == nil || *a >= len(obj.Spec.Attributes) {
				continue
			}
			attr := obj.Spec.Attributes[*a]
			if attr.ReleasedAt == nil && attr.ActiveOwnerAttrs[AttrNode] == node {
				addrs = append(addrs, ordinalIP(b.prefix, ord))
			}
		}
		if len(addrs) == 0 {
			continue
		}
		if _, err := c.releaseFromBlock(ctx, b.prefix, addrs); err != nil {
			return fmt.Errorf("releasing the addresses of node %s: %w", node, err)
		}
	}
	if err := c.ReleaseHostAffinities(ctx, node, false); err != nil {
		return fmt.Errorf("releasing the block affinities of node %s: %w", node, err)
	}
	return nil
}

// ReleasePoolAffinities releases every host's affinity to the blocks of a pool (before the pool
// is deleted): empty blocks are deleted, blocks with addresses keep them, affine to nobody.
// poolCIDR is the pool's spec.cidr.
func ReleasePoolAffinities(ctx context.Context, store datastore.Store, poolCIDR string) error {
	cidr, err := netip.ParsePrefix(poolCIDR)
	if err != nil {
		return fmt.Errorf("releasing the block affinities of pool %q: not a CIDR", poolCIDR)
	}
	c := New(store)
	affs, err := c.ListAffinities(ctx, "")
	if err != nil {
		return err
	}
	cidr = cidr.Masked()
	for _, a := range affs {
		p, err := netip.ParsePrefix(a.Spec.CIDR)
		if err != nil || !cidr.Contains(p.Addr()) || p.Bits() < cidr.Bits() {
			continue
		}
		if err := c.ReleaseAffinity(ctx, a.Spec.Node, p.Masked(), false); err != nil {
			return fmt.Errorf("releasing the affinity of %s to block %s of pool %s: %w", a.Spec.Node, p, cidr, err)
		}
	}
	return nil
}
