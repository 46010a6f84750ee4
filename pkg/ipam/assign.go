package ipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
	"github.com/calicoctl-go/calicoctl/pkg/resources/selector"
)

// AutoAssignArgs is one allocation request.
type AutoAssignArgs struct {
	Num4, Num6 int
	// HandleID names the allocation, for releasing it later (CNI: k8s-pod-network.<container>).
	HandleID string
	// Attrs are the owner attributes (node, pod, namespace, timestamp...).
	Attrs map[string]string
	// Hostname is the node the addresses are for; the Node resource must exist.
	Hostname string
	// IPv4Pools and IPv6Pools restrict the allocation to these pools (CIDRs), whatever their
	// node selectors say; empty means every enabled, automatic pool that selects the node.
	IPv4Pools, IPv6Pools []netip.Prefix
	// MaxBlocksPerHost overrides the configured limit when lower (0: the configuration's).
	MaxBlocksPerHost int
	// IntendedUse is Workload (the default), Tunnel or LoadBalancer.
	IntendedUse string
}

// AutoAssign allocates addresses for a host. It returns them with their block's prefix length
// (10.0.0.5/26), as Calico does; on error it returns what was allocated before it (the caller
// releases them by handle).
func (c *Client) AutoAssign(ctx context.Context, args AutoAssignArgs) (v4, v6 []netip.Prefix, err error) {
	if args.HandleID == "" {
		return nil, nil, errors.New("an allocation needs a handle ID")
	}
	if args.Num4+args.Num6 == 0 {
		return nil, nil, nil
	}
	args.HandleID = sanitizeHandle(args.HandleID)
	if args.IntendedUse == "" {
		args.IntendedUse = UseWorkload
	}
	if args.IntendedUse == UseLoadBalancer {
		// As Calico: LoadBalancer addresses belong to the virtual host "load-balancer", whose
		// affinities are of type virtual; no Node is involved.
		args.Hostname = kinds.VirtualLoadBalancer
	}
	// A single address may come from what this client last read for the host (see
	// startReuse). Only a write checks that it still holds: any failure (it is out of date, or
	// it says there is no pool or no room) is decided again from a fresh read.
	reuse := args.Num4+args.Num6 == 1
	v4, v6, err = c.autoAssign(ctx, args, reuse)
	if err != nil && reuse && len(v4)+len(v6) == 0 {
		c.forgetStart(args.Hostname)
		v4, v6, err = c.autoAssign(ctx, args, false)
	}
	return v4, v6, err
}

func (c *Client) autoAssign(ctx context.Context, args AutoAssignArgs, reuse bool) (v4, v6 []netip.Prefix, err error) {
	st, err := c.start(ctx, args.Hostname, reuse)
	if err != nil {
		return nil, nil, err
	}
	cfg, pools, reserved, labels := st.cfg, st.pools, st.reserved, st.nodeLabels
	r := &request{c: c, args: args, cfg: cfg, reserved: reserved, affinities: st.affinities, unchanged: st.unchanged}
	if args.Num4 > 0 {
		ps, err := selectPools(pools, false, args.IPv4Pools, labels, args)
		if err != nil {
			return nil, nil, err
		}
		if v4, err = r.assign(ctx, ps, args.Num4); err != nil {
			return v4, nil, err
		}
	}
	if args.Num6 > 0 {
		ps, err := selectPools(pools, true, args.IPv6Pools, labels, args)
		if err != nil {
			return v4, nil, err
		}
		if v6, err = r.assign(ctx, ps, args.Num6); err != nil {
			return v4, v6, err
		}
	}
	return v4, v6, nil
}

// start is what an allocation starts from.
type start struct {
	cfg        Config
	pools      []pool
	reserved   func(netip.Addr) bool
	nodeLabels map[string]string
	affinities []*api.BlockAffinity
	// unchanged, on a start this client read earlier, are the conditions under which it still
	// holds: the writes of the allocation carry them.
	unchanged []datastore.Unchanged
}

// startReuse is how long a client allocating single addresses for a host again and again (a
// long-lived allocator) reuses what the host's last allocation started from, instead of reading
// the configuration, pools, reservations, Node and affinities every time. The reuse needs a
// backend that writes conditionally on lists being unchanged (etcd): the allocation's one
// transaction then also checks that nothing it started from was created or changed since it was
// read, the Node still exists, and the reuse is only for the host's own blocks (a block claim,
// borrowing, or an existing handle start from a fresh read). Only a pool or reservation
// deleted outright (without being disabled first, as calicoctl does) goes unseen, for at most
// this long.
const startReuse = time.Second

// errStaleStart: the start an allocation reused no longer holds, or does not cover what the
// allocation needs; it starts again from a fresh read.
var errStaleStart = errors.New("the IPAM data the allocation started from changed")

// cachedStart is a start as read, with its revision and the requests that read it.
type cachedStart struct {
	st   start
	rev  string
	reqs []datastore.ListRequest
	node bool // the Node existed
	cfg  bool // the configuration was stored
	at   time.Time
}

// start returns what an allocation for host starts from: with reuse, the host's last start
// while it is recent (with the conditions that it still holds), else a fresh read.
func (c *Client) start(ctx context.Context, host string, reuse bool) (start, error) {
	if reuse {
		c.startsMu.Lock()
		cs, ok := c.starts[host]
		c.startsMu.Unlock()
		if ok && c.now().Sub(cs.at) < startReuse {
			st := cs.st
			for i, r := range cs.reqs {
				st.unchanged = append(st.unchanged, datastore.Unchanged{Request: r, Since: cs.rev,
					Exists: (i == 0 && cs.cfg) || (i == 3 && cs.node)})
			}
			return st, nil
		}
	}
	return c.readStart(ctx, host)
}

func (c *Client) forgetStart(host string) {
	c.startsMu.Lock()
	delete(c.starts, host)
	c.startsMu.Unlock()
}

// startRequests are the reads an allocation for host starts from, in one ListMany.
func startRequests(host string) []datastore.ListRequest {
	return []datastore.ListRequest{
		{Kind: configKind, Options: datastore.ListOptions{Name: "default"}},
		{Kind: poolKind},
		{Kind: reservationKind},
		{Kind: nodeKind, Options: datastore.ListOptions{Name: host}},
		{Kind: affinityKind, Options: affinityOptions(host)},
	}
}

// readStart reads what an allocation for host starts from: the IPAM configuration, the pools,
// the reservations, the host's Node and its affinities. The reads are independent: a backend
// that reads several lists in one round trip (etcd: one transaction) gets them in one request,
// others in parallel requests, so that an allocation costs the latency of one read before its
// writes.
func (c *Client) readStart(ctx context.Context, host string) (start, error) {
	var st start
	noNode := func() error {
		return fmt.Errorf("node %q does not exist: addresses are assigned to the hosts of Node resources; create the Node or check the host name", host)
	}
	if ml, ok := c.store.(datastore.ManyLister); ok {
		reqs := startRequests(host)
		ls, err := ml.ListMany(ctx, reqs)
		if err != nil {
			return st, fmt.Errorf("reading the IPAM configuration, IP pools, reservations, node %s and its affinities: %w", host, err)
		}
		var cfg *api.IPAMConfig
		switch {
		case len(ls[0].Skipped) > 0:
			return st, fmt.Errorf("reading the IPAM configuration: %w", ls[0].Skipped[0])
		case len(ls[0].Items) > 0:
			cfg = ls[0].Items[0].(*api.IPAMConfig)
		}
		switch {
		case host == kinds.VirtualLoadBalancer:
		case len(ls[3].Skipped) > 0:
			return st, fmt.Errorf("reading node %s: %w", host, ls[3].Skipped[0])
		case len(ls[3].Items) == 0:
			return st, noNode()
		default:
			st.nodeLabels = ls[3].Items[0].GetLabels()
		}
		st.cfg, st.pools, st.reserved = c.configFrom(cfg), poolsFrom(ls[1]), reservationsFrom(ls[2])
		st.affinities = affinitiesFrom(ls[4])
		if _, ok := c.store.(datastore.Transactor); ok {
			c.startsMu.Lock()
			if c.starts == nil {
				c.starts = map[string]cachedStart{}
			}
			c.starts[host] = cachedStart{st: st, rev: ls[0].ResourceVersion, reqs: reqs, node: len(ls[3].Items) > 0, cfg: cfg != nil, at: c.now()}
			c.startsMu.Unlock()
		}
		return st, nil
	}
	var (
		node resources.Resource
		errs [5]error
		wg   sync.WaitGroup
	)
	wg.Add(5)
	go func() { defer wg.Done(); st.cfg, errs[0] = c.GetConfig(ctx) }()
	go func() { defer wg.Done(); st.pools, errs[1] = c.listPools(ctx) }()
	go func() { defer wg.Done(); st.reserved, errs[2] = c.reservations(ctx) }()
	go func() {
		defer wg.Done()
		if host != kinds.VirtualLoadBalancer {
			node, errs[3] = c.store.Get(ctx, nodeKind, "", host)
		}
	}()
	go func() { defer wg.Done(); st.affinities, errs[4] = c.ListAffinities(ctx, host) }()
	wg.Wait()
	if datastore.IsDoesNotExist(errs[3]) {
		return st, noNode()
	} else if errs[3] != nil {
		errs[3] = fmt.Errorf("reading node %s: %w", host, errs[3])
	}
	for _, err := range errs {
		if err != nil {
			return st, err
		}
	}
	if node != nil {
		st.nodeLabels = node.GetLabels()
	}
	return st, nil
}

// selectPools is Calico's determinePools: the requested pools (which must exist and be
// enabled), or else every enabled automatic pool whose node selector matches; then those that
// allow the intended use.
func selectPools(all []pool, v6 bool, requested []netip.Prefix, nodeLabels map[string]string, args AutoAssignArgs) ([]pool, error) {
	version := 4
	if v6 {
		version = 6
	}
	var out []pool
	if len(requested) > 0 {
		for _, want := range requested {
			found := false
			for _, p := range all {
				if p.prefix == want.Masked() {
					if p.spec.Disabled {
						return nil, fmt.Errorf("the requested IP pool %s is disabled", want)
					}
					out = append(out, p)
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("the requested IP pool %s does not exist: create it or name an existing pool", want)
			}
		}
	} else {
		for _, p := range all {
			if p.prefix.Addr().Is6() != v6 || p.spec.Disabled {
				continue
			}
			if p.spec.AssignmentMode != nil && *p.spec.AssignmentMode == api.AssignmentModeManual {
				continue
			}
			// The load balancer is no node: node selectors do not apply to it.
			if sel := p.spec.NodeSelector; sel != "" && sel != "all()" && args.IntendedUse != UseLoadBalancer {
				s, err := selector.Parse(sel)
				if err != nil || !s.Evaluate(nodeLabels) {
					continue
				}
			}
			out = append(out, p)
		}
	}
	kept := out[:0]
	for _, p := range out {
		if p.prefix.Addr().Is6() == v6 && p.allows(args.IntendedUse) {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("%w for node %s: no enabled IPv%d pool allows %s addresses on this node (check the pools' nodeSelector, disabled and allowedUses)", ErrNoPools, args.Hostname, version, args.IntendedUse)
	}
	return kept, nil
}

// request carries one AutoAssign through its IP versions.
type request struct {
	c        *Client
	args     AutoAssignArgs
	cfg      Config
	reserved func(netip.Addr) bool
	// affinities are the host's, read when the request started.
	affinities []*api.BlockAffinity
	// unchanged are the conditions of a reused start (nil after a fresh read).
	unchanged []datastore.Unchanged
}

func inPools(pools []pool, p netip.Prefix) bool {
	for _, pl := range pools {
		if pl.prefix.Contains(p.Addr()) && pl.blockBits == p.Bits() {
			return true
		}
	}
	return false
}

// assign allocates num addresses from pools: first from the host's blocks, then from blocks it
// claims, then (without strict affinity) borrowed from other blocks.
func (r *request) assign(ctx context.Context, pools []pool, num int) ([]netip.Prefix, error) {
	c, host := r.c, r.args.Hostname
	maxBlocks := r.cfg.MaxBlocksPerHost
	if r.args.MaxBlocksPerHost > 0 && (maxBlocks == 0 || r.args.MaxBlocksPerHost < maxBlocks) {
		maxBlocks = r.args.MaxBlocksPerHost
	}
	if maxBlocks == 0 {
		maxBlocks = 20
	}
	var owned []netip.Prefix
	for _, a := range r.affinities {
		if p, err := netip.ParsePrefix(a.Spec.CIDR); err == nil && a.Spec.Node == host && inPools(pools, p) {
			owned = append(owned, p)
		}
	}
	// Blocks this client last saw full are tried last: a full block is then read again only
	// when none of the host's other blocks has room (to find addresses released meanwhile).
	full := make(map[netip.Prefix]bool, len(owned))
	for _, b := range owned {
		full[b] = c.knownFull(b, r.reserved)
	}
	sort.SliceStable(owned, func(i, j int) bool { return !full[owned[i]] && full[owned[j]] })
	var out []netip.Prefix
	take := func(b netip.Prefix, affinityCheck bool) error {
		ips, err := c.assignFromBlock(ctx, b, num-len(out), r.args.HandleID, r.args.Attrs, host, affinityCheck, r.reserved, r.unchanged)
		for _, ip := range ips {
			out = append(out, netip.PrefixFrom(ip, b.Bits()))
		}
		return err
	}
	for _, b := range owned {
		if len(out) == num {
			return out, nil
		}
		if err := take(b, true); err != nil {
			return out, err
		}
	}
	if len(out) < num && r.unchanged != nil {
		return out, errStaleStart // a reused start is only for the host's own blocks
	}
	limitHit := false
	for len(out) < num && r.cfg.AutoAllocateBlocks {
		if len(owned) >= maxBlocks {
			limitHit = true
			break
		}
		b, err := c.findAndClaimBlock(ctx, pools, host, owned)
		if err != nil {
			return out, err
		}
		if b == nil {
			break // no free block left in the pools
		}
		owned = append(owned, *b)
		if err := take(*b, true); err != nil {
			return out, err
		}
	}
	if len(out) < num && !r.cfg.StrictAffinity {
		if err := r.borrow(ctx, pools, num, &out, take); err != nil {
			return out, err
		}
	}
	if len(out) < num {
		switch {
		case r.cfg.StrictAffinity:
			return out, fmt.Errorf("assigned %d of %d addresses for %s: no more free affine blocks and strict affinity enabled", len(out), num, host)
		case limitHit && len(out) == 0:
			return out, fmt.Errorf("%w (%d) and no other block has a free address", ErrBlockLimit, maxBlocks)
		default:
			return out, fmt.Errorf("assigned %d of %d addresses for %s: the IP pools (%s) are exhausted", len(out), num, host, poolNames(pools))
		}
	}
	return out, nil
}

func poolNames(pools []pool) string {
	s := ""
	for i, p := range pools {
		if i > 0 {
			s += ", "
		}
		s += p.name + " " + p.prefix.String()
	}
	return s
}

// borrow takes free addresses from blocks of the pools that are not the host's.
func (r *request) borrow(ctx context.Context, pools []pool, num int, out *[]netip.Prefix, take func(netip.Prefix, bool) error) error {
	blocks, err := r.c.ListBlocks(ctx)
	if err != nil {
		return err
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].Name < blocks[j].Name })
	for _, obj := range blocks {
		if len(*out) == num {
			return nil
		}
		b, err := wrapBlock(obj)
		if err != nil || !inPools(pools, b.prefix) || b.freeCount(r.reserved) == 0 {
			continue
		}
		if err := take(b.prefix, false); err != nil {
			return err
		}
	}
	return nil
}

// findAndClaimBlock walks each pool's blocks from the host's starting point and claims the
// first subnet that has no block (or reclaims another host's long-empty block). nil means the
// pools have no free block.
func (c *Client) findAndClaimBlock(ctx context.Context, pools []pool, host string, owned []netip.Prefix) (*netip.Prefix, error) {
	// Most of the time one of the first subnets of the host's walk is free: look at those one
	// by one before reading every block of the cluster.
	if p, err := c.claimNearStart(ctx, pools, host, owned); p != nil || err != nil {
		return p, err
	}
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		blocks, err := c.ListBlocks(ctx)
		if err != nil {
			return nil, err
		}
		existing := make(map[netip.Prefix]*api.IPAMBlock, len(blocks))
		for _, b := range blocks {
			if p, err := netip.ParsePrefix(b.Spec.CIDR); err == nil {
				existing[p.Masked()] = b
			}
		}
		var candidate *netip.Prefix
		var reclaim *api.IPAMBlock
		for _, p := range pools {
			n := subnetCount(p.prefix, p.blockBits)
			start := hostStart(host, n)
			// Among any len(existing)+1 consecutive subnets one is free, unless the pool is
			// full: the walk is never longer than that.
			limit := n
			if uint64(len(existing))+1 < limit {
				limit = uint64(len(existing)) + 1
			}
			for i := uint64(0); i < limit; i++ {
				s := subnet(p.prefix, p.blockBits, (start+i)%n)
				b, taken := existing[s]
				if !taken {
					candidate = &s
					break
				}
				// Only another host's block: never the load balancer's.
				if reclaim == nil && b.Spec.Affinity != nil && strings.HasPrefix(*b.Spec.Affinity, "host:") && *b.Spec.Affinity != kinds.BlockAffinity(host) && b.Spec.AffinityClaimTime != nil &&
					c.now().Sub(b.Spec.AffinityClaimTime.Time) > emptyBlockReclaimAge {
					if wb, err := wrapBlock(b); err == nil && wb.empty() {
						reclaim = b
					}
				}
			}
			if candidate != nil {
				break
			}
		}
		if candidate == nil && reclaim != nil {
			// Another host's empty block: release its affinity (only if still empty and
			// unchanged), then claim it.
			wb, _ := wrapBlock(reclaim)
			if err := c.ReleaseAffinity(ctx, wb.host(), wb.prefix, true); err != nil && !errors.Is(err, errBlockNotEmpty) {
				return nil, err
			}
			candidate = &wb.prefix
		}
		if candidate == nil {
			return nil, nil
		}
		if _, err := c.claimBlock(ctx, host, *candidate); err != nil {
			if errors.Is(err, errBlockClaimConflict) {
				continue
			}
			return nil, err
		}
		return candidate, nil
	}
	return nil, fmt.Errorf("claiming a block for %s: too many concurrent claims", host)
}

// nearStart is how many subnets of its walk a host reads one by one before listing all blocks.
const nearStart = 32

// claimNearStart claims the first free subnet among the first nearStart of each pool's walk,
// in the order the full walk would find it; nil when they are all taken.
func (c *Client) claimNearStart(ctx context.Context, pools []pool, host string, owned []netip.Prefix) (*netip.Prefix, error) {
	mine := map[netip.Prefix]bool{}
	for _, o := range owned {
		mine[o] = true
	}
	for _, p := range pools {
		n := subnetCount(p.prefix, p.blockBits)
		start := hostStart(host, n)
		for i := uint64(0); i < min(n, nearStart); i++ {
			s := subnet(p.prefix, p.blockBits, (start+i)%n)
			if mine[s] {
				continue
			}
			b, err := c.getBlock(ctx, s)
			if err != nil {
				return nil, err
			}
			if b != nil {
				continue
			}
			if _, err := c.claimBlock(ctx, host, s); err != nil {
				if errors.Is(err, errBlockClaimConflict) {
					continue
				}
				return nil, err
			}
			return &s, nil
		}
	}
	return nil, nil
}

// assignFromBlock allocates up to num free addresses of one block: the handle and the block by
// compare-and-swap, in one transaction where the backend has them (else the handle first); a
// lost race (undoing the handle in the two-step case) tries again on the block as stored. With
// affinityCheck, only a block affine to host is used; unchanged are the conditions of a reused
// start (errStaleStart when they fail).
func (c *Client) assignFromBlock(ctx context.Context, prefix netip.Prefix, num int, handle string, attrs map[string]string, host string, affinityCheck bool, reserved func(netip.Addr) bool, unchanged []datastore.Unchanged) ([]netip.Addr, error) {
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		// The block as this client last wrote it saves a read; the compare-and-swap below
		// fails if anyone changed it since, and the loop then reads it.
		b := c.cachedBlock(prefix)
		cached := b != nil
		if !cached {
			var err error
			if b, err = c.getBlock(ctx, prefix); err != nil || b == nil {
				return nil, err
			}
		}
		var ips []netip.Addr
		if !affinityCheck || b.affinity() == kinds.BlockAffinity(host) {
			ips = b.autoAssign(num, handle, attrs, reserved)
		}
		if len(ips) == 0 {
			if cached {
				// Only what is stored decides that the block has no room for us.
				c.forgetBlock(prefix)
				continue
			}
			// Remembered as read, so that the next allocations try the host's other blocks
			// first.
			c.rememberBlock(b)
			return nil, nil
		}
		written, err := c.writeNewHandleAndBlock(ctx, handle, b, len(ips), unchanged)
		if errors.Is(err, errStaleStart) {
			return nil, err
		}
		if err == nil && !written {
			// The handle exists already (another address of the same allocation), or the
			// backend writes one object at a time: the handle first, then the block, as Calico
			// writes them.
			if err := c.incrementHandle(ctx, handle, prefix.String(), len(ips)); err != nil {
				return nil, err
			}
			if err = c.writeBlock(ctx, b); err != nil {
				if derr := c.decrementHandle(ctx, handle, prefix.String(), len(ips)); derr != nil {
					return nil, derr
				}
			}
		}
		if err == nil {
			c.rememberBlock(b)
			return ips, nil
		}
		c.forgetBlock(prefix)
		if !datastore.IsConflict(err) && !datastore.IsDoesNotExist(err) {
			return nil, fmt.Errorf("writing IPAM block %s: %w", prefix, err)
		}
	}
	return nil, fmt.Errorf("assigning from IPAM block %s: too many concurrent changes", prefix)
}

// writeNewHandleAndBlock records n addresses of block b under a handle that does not exist yet
// and writes the block, in one transaction when the backend has them: the allocation then never
// exists half-written. written is false, with no error, when the backend writes one object at a
// time or the handle exists already: the caller then writes them one after the other. An error
// is the block's (a conflict: read it again) or the transaction's.
func (c *Client) writeNewHandleAndBlock(ctx context.Context, handle string, b *block, n int, unchanged []datastore.Unchanged) (written bool, err error) {
	t, ok := c.store.(datastore.Transactor)
	if !ok {
		return false, nil
	}
	h := handleKind.NewObject().(*api.IPAMHandle)
	h.Name = handle
	h.Spec = api.IPAMHandleSpec{HandleID: handle, Block: map[string]int{b.prefix.String(): n}}
	b.obj.Spec.SequenceNumber++
	if b.obj.Spec.Attributes == nil {
		b.obj.Spec.Attributes = []api.AllocationAttribute{}
	}
	got, err := t.WriteAll(ctx, []resources.Resource{h, b.obj}, unchanged...)
	if err == nil {
		// A retried transaction that had been applied returns the stored copies.
		b.obj.ResourceVersion = got[1].GetResourceVersion()
		return true, nil
	}
	b.obj.Spec.SequenceNumber--
	var failed *datastore.WriteAllError
	if !errors.As(err, &failed) {
		return false, err
	}
	switch {
	case failed.Index >= 2:
		return false, errStaleStart // what the allocation started from changed
	case failed.Index == 0 && unchanged != nil:
		return false, errStaleStart // the handle exists: the two-step write, from a fresh read
	case failed.Index == 0 && datastore.IsAlreadyExists(err):
		return false, nil
	}
	return false, err
}

// AssignIPArgs is a request for one given address.
type AssignIPArgs struct {
	IP          netip.Addr
	HandleID    string
	Attrs       map[string]string
	Hostname    string
	IntendedUse string
}

// AssignIP allocates one given address. The address must be in a pool (which must allow the
// use, when one is given); a missing block is claimed for the host.
func (c *Client) AssignIP(ctx context.Context, args AssignIPArgs) error {
	if args.HandleID == "" {
		return errors.New("an allocation needs a handle ID")
	}
	args.HandleID = sanitizeHandle(args.HandleID)
	pools, err := c.listPools(ctx)
	if err != nil {
		return err
	}
	p, ok := poolFor(pools, args.IP)
	if !ok {
		return fmt.Errorf("%s is not in any IP pool: create a pool holding it first", args.IP)
	}
	if args.IntendedUse != "" && !p.allows(args.IntendedUse) {
		return fmt.Errorf("IP pool %s does not allow %s addresses (allowedUses)", p.name, args.IntendedUse)
	}
	cfg, err := c.GetConfig(ctx)
	if err != nil {
		return err
	}
	prefix := netip.PrefixFrom(args.IP, p.blockBits).Masked()
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		b, err := c.getBlock(ctx, prefix)
		if err != nil {
			return err
		}
		if b == nil {
			if _, err := c.claimBlock(ctx, args.Hostname, prefix); err != nil && !errors.Is(err, errBlockClaimConflict) {
				return err
			}
			continue
		}
		if cfg.StrictAffinity && b.affinity() != kinds.BlockAffinity(args.Hostname) {
			return fmt.Errorf("cannot assign %s to %s: its block %s belongs to %q and strict affinity is enabled", args.IP, args.Hostname, prefix, b.affinity())
		}
		if !b.assign(args.IP, args.HandleID, args.Attrs) {
			return fmt.Errorf("%w: %s", ErrAlreadyAssigned, args.IP)
		}
		if err := c.incrementHandle(ctx, args.HandleID, prefix.String(), 1); err != nil {
			return err
		}
		err = c.writeBlock(ctx, b)
		if err == nil {
			return nil
		}
		if derr := c.decrementHandle(ctx, args.HandleID, prefix.String(), 1); derr != nil {
			return derr
		}
		if !datastore.IsConflict(err) && !datastore.IsDoesNotExist(err) {
			return err
		}
	}
	return fmt.Errorf("assigning %s: too many concurrent changes", args.IP)
}
