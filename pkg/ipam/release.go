package ipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// blockOf returns the block prefix holding addr: from its pool's block size, or else from the
// stored blocks (a pool may be gone while its blocks remain).
func (c *Client) blockOf(ctx context.Context, pools []pool, blocks *[]*api.IPAMBlock, addr netip.Addr) (netip.Prefix, error) {
	if p, ok := poolFor(pools, addr); ok {
		return netip.PrefixFrom(addr, p.blockBits).Masked(), nil
	}
	if *blocks == nil {
		bs, err := c.ListBlocks(ctx)
		if err != nil {
			return netip.Prefix{}, err
		}
		*blocks = bs
	}
	for _, b := range *blocks {
		if p, err := netip.ParsePrefix(b.Spec.CIDR); err == nil && p.Contains(addr) {
			return p.Masked(), nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("%w: %s", ErrNoBlock, addr)
}

// ReleaseIPs releases addresses, whoever holds them. It returns the addresses that were not
// allocated (nothing is changed for those).
func (c *Client) ReleaseIPs(ctx context.Context, addrs ...netip.Addr) (notAssigned []netip.Addr, err error) {
	if _, err := c.GetConfig(ctx); err != nil {
		return nil, err
	}
	pools, err := c.listPools(ctx)
	if err != nil {
		return nil, err
	}
	var blocks []*api.IPAMBlock
	byBlock := map[netip.Prefix][]netip.Addr{}
	var order []netip.Prefix
	for _, a := range addrs {
		p, err := c.blockOf(ctx, pools, &blocks, a)
		if errors.Is(err, ErrNoBlock) {
			notAssigned = append(notAssigned, a)
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, seen := byBlock[p]; !seen {
			order = append(order, p)
		}
		byBlock[p] = append(byBlock[p], a)
	}
	for _, p := range order {
		na, err := c.releaseFromBlock(ctx, p, byBlock[p])
		notAssigned = append(notAssigned, na...)
		if err != nil {
			return notAssigned, err
		}
	}
	return notAssigned, nil
}

func (c *Client) releaseFromBlock(ctx context.Context, prefix netip.Prefix, addrs []netip.Addr) ([]netip.Addr, error) {
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		b, err := c.getBlock(ctx, prefix)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return addrs, nil
		}
		ords := make([]int, len(addrs))
		for i, a := range addrs {
			ords[i] = ipOrdinal(prefix, a)
		}
		notAllocated, handles := b.release(ords, c.now())
		var na []netip.Addr
		for _, o := range notAllocated {
			na = append(na, ordinalIP(prefix, o))
		}
		if len(handles) == 0 && len(notAllocated) == len(ords) {
			return na, nil
		}
		if err := c.storeReleased(ctx, b); err != nil {
			if datastore.IsConflict(err) || datastore.IsDoesNotExist(err) {
				continue
			}
			return nil, err
		}
		for h, n := range handles {
			if err := c.decrementHandle(ctx, h, prefix.String(), n); err != nil {
				return na, err
			}
		}
		return na, nil
	}
	return nil, fmt.Errorf("releasing addresses of IPAM block %s: too many concurrent changes", prefix)
}

// storeReleased writes a block after a release: garbage-collected with the configured cooldown,
// and deleted when it is empty and affine to no host.
func (c *Client) storeReleased(ctx context.Context, b *block) error {
	b.garbageCollect(secondsDuration(c.cooldown.Load()), c.now())
	if b.empty() && b.affinity() == "" {
		return c.deleteBlock(ctx, b)
	}
	return c.writeBlock(ctx, b)
}

// ReleaseByHandle releases every address allocated under a handle and deletes the handle. A
// handle that does not exist is ErrNotAssigned.
func (c *Client) ReleaseByHandle(ctx context.Context, handle string) error {
	handle = sanitizeHandle(handle)
	if _, err := c.GetConfig(ctx); err != nil {
		return err
	}
	got, err := c.store.Get(ctx, handleKind, "", handle)
	if datastore.IsDoesNotExist(err) {
		return fmt.Errorf("%w: no handle %s", ErrNotAssigned, handle)
	}
	if err != nil {
		return fmt.Errorf("reading IPAM handle %s: %w", handle, err)
	}
	h := got.(*api.IPAMHandle)
	cidrs := make([]string, 0, len(h.Spec.Block))
	for cidr := range h.Spec.Block {
		cidrs = append(cidrs, cidr)
	}
	sort.Strings(cidrs)
	for _, cidr := range cidrs {
		prefix, err := netip.ParsePrefix(cidr)
		if err != nil {
			continue
		}
		if err := c.releaseHandleFromBlock(ctx, prefix.Masked(), handle); err != nil {
			return err
		}
		if err := c.decrementHandle(ctx, handle, cidr, h.Spec.Block[cidr]); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) releaseHandleFromBlock(ctx context.Context, prefix netip.Prefix, handle string) error {
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		b, err := c.getBlock(ctx, prefix)
		if err != nil || b == nil {
			return err
		}
		if b.releaseByHandle(handle, c.now()) == 0 {
			return nil
		}
		err = c.storeReleased(ctx, b)
		if err == nil {
			return nil
		}
		if !datastore.IsConflict(err) && !datastore.IsDoesNotExist(err) {
			return err
		}
	}
	return fmt.Errorf("releasing handle %s from IPAM block %s: too many concurrent changes", handle, prefix)
}

// Assignment is what is known about one allocated address.
type Assignment struct {
	Block      netip.Prefix
	HandleID   string
	Attrs      map[string]string
	Alternate  map[string]string
	CoolingOff bool
}

// GetAssignment looks an address up; ErrNotAssigned when it is free.
func (c *Client) GetAssignment(ctx context.Context, addr netip.Addr) (*Assignment, error) {
	if _, err := c.GetConfig(ctx); err != nil {
		return nil, err
	}
	pools, err := c.listPools(ctx)
	if err != nil {
		return nil, err
	}
	var blocks []*api.IPAMBlock
	prefix, err := c.blockOf(ctx, pools, &blocks, addr)
	if errors.Is(err, ErrNoBlock) {
		return nil, ErrNotAssigned
	}
	if err != nil {
		return nil, err
	}
	b, err := c.getBlock(ctx, prefix)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, ErrNotAssigned
	}
	a := b.obj.Spec.Allocations[ipOrdinal(prefix, addr)]
	if a == nil || *a >= len(b.obj.Spec.Attributes) {
		return nil, ErrNotAssigned
	}
	attr := b.obj.Spec.Attributes[*a]
	out := &Assignment{Block: prefix, Attrs: attr.ActiveOwnerAttrs, Alternate: attr.AlternateOwnerAttrs, CoolingOff: attr.ReleasedAt != nil}
	if attr.HandleID != nil {
		out.HandleID = *attr.HandleID
	}
	return out, nil
}

// ReleaseReported releases addresses a check report found allocated and unused, each only if
// it is still allocated under the same handle and sequence number (so an address reused since
// the report is left alone). It returns how many were released.
func (c *Client) ReleaseReported(ctx context.Context, allocs []AllocationInfo) (int, error) {
	if _, err := c.GetConfig(ctx); err != nil {
		return 0, err
	}
	byBlock := map[netip.Prefix][]AllocationInfo{}
	var order []netip.Prefix
	for _, a := range allocs {
		p, err := netip.ParsePrefix(a.Block)
		if err != nil {
			return 0, fmt.Errorf("the report names block %q for %s, which is not a CIDR", a.Block, a.IP)
		}
		p = p.Masked()
		if _, seen := byBlock[p]; !seen {
			order = append(order, p)
		}
		byBlock[p] = append(byBlock[p], a)
	}
	released := 0
	progress := progressOf(ctx)
	progress.Start(len(order), "releasing")
	defer progress.Done()
	for _, p := range order {
		progress.Add(1)
		n, err := c.releaseReportedFromBlock(ctx, p, byBlock[p])
		released += n
		if err != nil {
			return released, err
		}
	}
	return released, nil
}

func (c *Client) releaseReportedFromBlock(ctx context.Context, prefix netip.Prefix, allocs []AllocationInfo) (int, error) {
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		b, err := c.getBlock(ctx, prefix)
		if err != nil || b == nil {
			return 0, err
		}
		var ords []int
		for _, a := range allocs {
			ip, err := netip.ParseAddr(a.IP)
			if err != nil || !prefix.Contains(ip) {
				continue
			}
			ord := ipOrdinal(prefix, ip)
			h, ok := b.handleOf(ord)
			if ok && h == a.Handle && b.obj.Spec.SequenceNumberForAllocation[strconv.Itoa(ord)] == a.SequenceNumber {
				ords = append(ords, ord)
			}
		}
		if len(ords) == 0 {
			return 0, nil
		}
		_, handles := b.release(ords, c.now())
		if err := c.storeReleased(ctx, b); err != nil {
			if datastore.IsConflict(err) || datastore.IsDoesNotExist(err) {
				continue
			}
			return 0, err
		}
		for h, n := range handles {
			if err := c.decrementHandle(ctx, h, prefix.String(), n); err != nil {
				return len(ords), err
			}
		}
		return len(ords), nil
	}
	return 0, fmt.Errorf("releasing addresses of IPAM block %s: too many concurrent changes", prefix)
}

// DeleteLeakedHandle deletes a handle a report found leaked, only if it has not changed since
// (same revision and uid). false means it changed or is gone: skipped.
func (c *Client) DeleteLeakedHandle(ctx context.Context, h LeakedHandle) (bool, error) {
	got, err := c.store.Get(ctx, handleKind, "", h.ID)
	if datastore.IsDoesNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if got.GetResourceVersion() != h.Revision || string(got.GetUID()) != h.UID {
		return false, nil
	}
	err = c.deleteHandle(ctx, got.(*api.IPAMHandle))
	if datastore.IsConflict(err) || datastore.IsDoesNotExist(err) {
		return false, nil
	}
	return err == nil, err
}
