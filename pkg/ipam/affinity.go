package ipam

import (
	"context"
	"crypto/sha3"
	"encoding/base32"
	"errors"
	"fmt"
	"net/netip"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// errBlockClaimConflict: another host claimed the block first.
var errBlockClaimConflict = errors.New("block claimed by another host")

// errBlockNotEmpty: an affinity that must only be released from an empty block.
var errBlockNotEmpty = errors.New("block is not empty")

// affinityLabels are the labels Calico's Kubernetes backend selects affinities by.
func affinityLabels(host string, prefix netip.Prefix) map[string]string {
	sum := sha3.Sum256([]byte(host))
	v := "4"
	if prefix.Addr().Is6() {
		v = "6"
	}
	return map[string]string{
		"projectcalico.org/hostname-hash": base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]),
		"projectcalico.org/affinity-type": kinds.AffinityType(host),
		"projectcalico.org/ip-version":    v,
	}
}

func newAffinity(host string, prefix netip.Prefix, state string) *api.BlockAffinity {
	a := affinityKind.NewObject().(*api.BlockAffinity)
	a.Name = kinds.AffinityName(host, prefix.String())
	a.Labels = affinityLabels(host, prefix)
	a.Spec = api.BlockAffinitySpec{State: state, Node: host, Type: kinds.AffinityType(host), CIDR: prefix.String(), Deleted: "false"}
	return a
}

// pendingAffinity creates host's affinity to the block in state pending, or sets an existing
// unconfirmed one to pending, and returns it.
func (c *Client) pendingAffinity(ctx context.Context, host string, prefix netip.Prefix) (*api.BlockAffinity, error) {
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		created, err := c.store.Create(ctx, newAffinity(host, prefix, api.AffinityPending))
		if err == nil {
			return created.(*api.BlockAffinity), nil
		}
		if !datastore.IsAlreadyExists(err) {
			return nil, fmt.Errorf("claiming block %s for %s: %w", prefix, host, err)
		}
		got, err := c.store.Get(ctx, affinityKind, "", kinds.AffinityName(host, prefix.String()))
		if datastore.IsDoesNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		a := got.(*api.BlockAffinity)
		if a.Spec.State == api.AffinityConfirmed || a.Spec.State == "" {
			return a, nil
		}
		a.Spec.State = api.AffinityPending
		updated, err := c.store.Update(ctx, a)
		if err == nil {
			return updated.(*api.BlockAffinity), nil
		}
		// Changed or deleted since it was read (another claim of the host for the block
		// finished or gave up): start again.
		if !datastore.IsConflict(err) && !datastore.IsDoesNotExist(err) {
			return nil, fmt.Errorf("claiming block %s for %s: %w", prefix, host, err)
		}
	}
	return nil, fmt.Errorf("claiming block %s for %s: too many concurrent changes", prefix, host)
}

// claimBlock makes host the owner of the block at prefix, creating the block: the two-phase
// claim of Calico (affinity pending, block created, affinity confirmed), so that a crash at any
// point leaves nothing another host cannot repair. It returns errBlockClaimConflict when another
// host owns the block. The block returned is the copy rememberBlock keeps: callers must not change it.
func (c *Client) claimBlock(ctx context.Context, host string, prefix netip.Prefix) (*block, error) {
	aff, err := c.pendingAffinity(ctx, host, prefix)
	if err != nil {
		return nil, err
	}
	want := kinds.BlockAffinity(host)
	var b *block
	created, err := c.store.Create(ctx, newBlockObject(prefix, want, c.now()))
	switch {
	case err == nil:
		b, _ = wrapBlock(created.(*api.IPAMBlock))
	case datastore.IsAlreadyExists(err):
		existing, gerr := c.getBlock(ctx, prefix)
		if gerr != nil {
			return nil, gerr
		}
		if existing == nil || existing.affinity() != want {
			c.dropAffinity(ctx, aff)
			return nil, errBlockClaimConflict
		}
		b = existing
	default:
		return nil, fmt.Errorf("creating IPAM block %s: %w", prefix, err)
	}
	if aff.Spec.State != api.AffinityConfirmed {
		aff.Spec.State = api.AffinityConfirmed
		if _, err := c.store.Update(ctx, aff); err != nil && !datastore.IsConflict(err) {
			return nil, fmt.Errorf("confirming the affinity of %s to %s: %w", host, prefix, err)
		}
	}
	// The first allocation from the block then needs no read; the host's next allocation
	// starts from a fresh read, which has the new affinity.
	c.rememberBlock(b)
	c.forgetStart(host)
	return b, nil
}

func (c *Client) dropAffinity(ctx context.Context, a *api.BlockAffinity) {
	if d, ok := c.store.(datastore.KnownDeleter); ok {
		_, _ = d.DeleteKnown(ctx, a)
		return
	}
	_, _ = c.store.Delete(ctx, affinityKind, "", a.Name, a.ResourceVersion)
}

// ClaimAffinity claims for host every block of cidr (a block or a larger range inside one
// pool). It returns the blocks claimed and those another host holds.
func (c *Client) ClaimAffinity(ctx context.Context, cidr netip.Prefix, host string) (claimed, failed []netip.Prefix, err error) {
	pools, err := c.listPools(ctx)
	if err != nil {
		return nil, nil, err
	}
	p, ok := poolFor(pools, cidr.Addr())
	if !ok || !p.prefix.Contains(cidr.Masked().Addr()) || cidr.Bits() < p.prefix.Bits() {
		return nil, nil, fmt.Errorf("the range %s is not inside an IP pool", cidr)
	}
	if cidr.Bits() > p.blockBits {
		cidr = netip.PrefixFrom(cidr.Addr(), p.blockBits)
	}
	cidr = cidr.Masked()
	n := subnetCount(cidr, p.blockBits)
	for i := uint64(0); i < n; i++ {
		s := subnet(cidr, p.blockBits, i)
		if _, err := c.claimBlock(ctx, host, s); errors.Is(err, errBlockClaimConflict) {
			failed = append(failed, s)
		} else if err != nil {
			return claimed, failed, err
		} else {
			claimed = append(claimed, s)
		}
	}
	return claimed, failed, nil
}

// ReleaseAffinity releases host's affinity to the block at prefix. With requireEmpty, a block
// that still holds addresses keeps it (errBlockNotEmpty); otherwise an empty block is deleted
// and a used one loses its affinity but keeps its addresses.
func (c *Client) ReleaseAffinity(ctx context.Context, host string, prefix netip.Prefix, requireEmpty bool) error {
	name := kinds.AffinityName(host, prefix.String())
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		got, err := c.store.Get(ctx, affinityKind, "", name)
		if datastore.IsDoesNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		aff := got.(*api.BlockAffinity)
		b, err := c.getBlock(ctx, prefix)
		if err != nil {
			return err
		}
		if b == nil || b.affinity() != kinds.BlockAffinity(host) {
			c.dropAffinity(ctx, aff) // stale: the block is gone or someone else's
			return nil
		}
		if requireEmpty && !b.empty() {
			return errBlockNotEmpty
		}
		aff.Spec.State = api.AffinityPendingDeletion
		up, err := c.store.Update(ctx, aff)
		if datastore.IsConflict(err) {
			continue
		}
		if err != nil {
			return err
		}
		aff = up.(*api.BlockAffinity)
		if b.empty() {
			err = c.deleteBlock(ctx, b)
		} else {
			b.obj.Spec.Affinity, b.obj.Spec.AffinityClaimTime = nil, nil
			err = c.writeBlock(ctx, b)
		}
		if datastore.IsConflict(err) {
			continue
		}
		if err != nil && !datastore.IsDoesNotExist(err) {
			return err
		}
		c.dropAffinity(ctx, aff)
		return nil
	}
	return fmt.Errorf("releasing the affinity of %s to %s: too many concurrent changes", host, prefix)
}

// ReleaseHostAffinities releases every block affinity of host.
func (c *Client) ReleaseHostAffinities(ctx context.Context, host string, requireEmpty bool) error {
	affs, err := c.ListAffinities(ctx, host)
	if err != nil {
		return err
	}
	for _, a := range affs {
		if a.Spec.Node != host {
			continue
		}
		p, err := netip.ParsePrefix(a.Spec.CIDR)
		if err != nil {
			continue
		}
		if err := c.ReleaseAffinity(ctx, host, p, requireEmpty); err != nil && !errors.Is(err, errBlockNotEmpty) {
			return err
		}
	}
	return nil
}
