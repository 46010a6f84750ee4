// Package ipam is Calico's IP address management on any datastore: pools are cut into blocks,
// hosts claim blocks (affinities) and hand out their addresses, and every address is recorded
// with a handle and owner attributes. The records are Calico's own (IPAMBlock, BlockAffinity,
// IPAMHandle, IPAMConfig, see pkg/resources/kinds/ipam.go), so that Calico's components and this
// package read and change the same data. Every write is a compare-and-swap on the revision the
// writer read (datastore.Store Create and Update); a lost race is retried, never overwritten,
// so concurrent allocators never hand out one address twice.
package ipam

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

var (
	blockKind       = mustKind("IPAMBlock")
	affinityKind    = mustKind("BlockAffinity")
	handleKind      = mustKind("IPAMHandle")
	configKind      = mustKind("IPAMConfig")
	poolKind        = mustKind("IPPool")
	nodeKind        = mustKind("Node")
	reservationKind = mustKind("IPReservation")
)

func mustKind(name string) *resources.Kind {
	k, ok := resources.ByKind(name)
	if !ok {
		panic("ipam: kind " + name + " is not registered")
	}
	return k
}

// datastoreRetries bounds every compare-and-swap loop, as Calico's.
const datastoreRetries = 100

// emptyBlockReclaimAge is how long another host's empty block must have been claimed before a
// host short of space may take it over.
const emptyBlockReclaimAge = time.Minute

// Intended uses of an address (IPPool allowedUses).
const (
	UseWorkload     = string(api.IPPoolAllowedUseWorkload)
	UseTunnel       = string(api.IPPoolAllowedUseTunnel)
	UseLoadBalancer = string(api.IPPoolAllowedUseLoadBalancer)
)

// Well-known attribute keys.
const (
	AttrNode      = "node"
	AttrPod       = "pod"
	AttrNamespace = "namespace"
	AttrTimestamp = "timestamp"
	AttrType      = "type"
)

// Errors callers test for.
var (
	// ErrNoPools: no enabled pool of the IP version is usable for this host and use.
	ErrNoPools = errors.New("no configured Calico pools")
	// ErrBlockLimit: the host holds its maximum number of blocks and they are full.
	ErrBlockLimit = errors.New("host has reached the limit of IPAM blocks (maxBlocksPerHost)")
	// ErrNotAssigned: an address to release or look up is not allocated.
	ErrNotAssigned = errors.New("address is not assigned")
	// ErrNoBlock: no block holds the address (it is outside every pool and every block).
	ErrNoBlock = errors.New("no IPAM block holds the address")
	// ErrAlreadyAssigned: AssignIP of an address someone holds.
	ErrAlreadyAssigned = errors.New("address is already assigned")
)

// Client allocates and releases addresses in one datastore.
type Client struct {
	store datastore.Store
	// now is the clock (tests move it to pass cooldowns).
	now func() time.Time
	// cooldown is the configured IPCooldownSeconds as last read, for the garbage collection
	// every block read does.
	cooldown atomic.Int64
	// blocks holds the blocks this client last wrote (or claimed, or read and found full),
	// with their revisions: a long-lived allocator updates its own blocks without reading them
	// first (a stale one fails the compare-and-swap and is read again).
	blocksMu sync.Mutex
	blocks   map[netip.Prefix]*api.IPAMBlock
	// starts holds what each host's last allocation started from, for startReuse.
	startsMu sync.Mutex
	starts   map[string]cachedStart
}

func (c *Client) cachedBlock(p netip.Prefix) *block {
	c.blocksMu.Lock()
	obj := c.blocks[p]
	c.blocksMu.Unlock()
	if obj == nil {
		return nil
	}
	b, err := wrapBlock(cloneBlock(obj))
	if err != nil {
		return nil
	}
	b.garbageCollect(secondsDuration(c.cooldown.Load()), c.now())
	return b
}

// knownFull tells whether the block, as this client last wrote or read it, has no free address
// and none that a released address's cooldown would free. It reads the remembered block in
// place (no copy).
func (c *Client) knownFull(p netip.Prefix, reserved func(netip.Addr) bool) bool {
	c.blocksMu.Lock()
	defer c.blocksMu.Unlock()
	obj := c.blocks[p]
	if obj == nil {
		return false
	}
	for _, a := range obj.Spec.Attributes {
		if a.ReleasedAt != nil {
			return false
		}
	}
	b := block{obj: obj, prefix: p}
	return b.freeCount(reserved) == 0
}

// rememberBlock keeps b's object as this client's copy of the block. The caller hands it over:
// neither it nor b may be changed afterwards (cachedBlock hands out copies).
func (c *Client) rememberBlock(b *block) {
	c.blocksMu.Lock()
	defer c.blocksMu.Unlock()
	if c.blocks == nil {
		c.blocks = map[netip.Prefix]*api.IPAMBlock{}
	}
	c.blocks[b.prefix] = b.obj
}

func (c *Client) forgetBlock(p netip.Prefix) {
	c.blocksMu.Lock()
	delete(c.blocks, p)
	c.blocksMu.Unlock()
}

// cloneBlock copies a block deeply enough that changing the copy leaves the original alone.
func cloneBlock(o *api.IPAMBlock) *api.IPAMBlock {
	c := *o
	c.ObjectMeta = *o.ObjectMeta.DeepCopy()
	s := &c.Spec
	s.Allocations = make([]*int, len(o.Spec.Allocations))
	for i, a := range o.Spec.Allocations {
		if a != nil {
			v := *a
			s.Allocations[i] = &v
		}
	}
	s.Unallocated = append([]int(nil), o.Spec.Unallocated...)
	s.Attributes = make([]api.AllocationAttribute, len(o.Spec.Attributes))
	for i, a := range o.Spec.Attributes {
		s.Attributes[i] = a
		s.Attributes[i].ActiveOwnerAttrs = maps.Clone(a.ActiveOwnerAttrs)
		s.Attributes[i].AlternateOwnerAttrs = maps.Clone(a.AlternateOwnerAttrs)
	}
	s.SequenceNumberForAllocation = maps.Clone(o.Spec.SequenceNumberForAllocation)
	return &c
}

// New returns a Client on store.
func New(store datastore.Store) *Client { return &Client{store: store, now: time.Now} }

// Store is the datastore the client works on.
func (c *Client) Store() datastore.Store { return c.store }

// Config is the IPAM configuration, with Calico's defaults filled in.
type Config struct {
	StrictAffinity               bool
	AutoAllocateBlocks           bool
	MaxBlocksPerHost             int
	KubeVirtVMAddressPersistence api.VMAddressPersistence
	IPCooldownSeconds            int
}

// DefaultConfig is what GetConfig returns when nothing is stored.
var DefaultConfig = Config{AutoAllocateBlocks: true, KubeVirtVMAddressPersistence: api.VMAddressPersistenceEnabled}

// GetConfig reads the IPAM configuration.
func (c *Client) GetConfig(ctx context.Context) (Config, error) {
	cfg, _, err := c.getConfig(ctx)
	return cfg, err
}

func (c *Client) getConfig(ctx context.Context) (Config, *api.IPAMConfig, error) {
	obj, err := c.store.Get(ctx, configKind, "", "default")
	if datastore.IsDoesNotExist(err) {
		return DefaultConfig, nil, nil
	}
	if err != nil {
		return Config{}, nil, fmt.Errorf("reading the IPAM configuration: %w", err)
	}
	return c.configFrom(obj.(*api.IPAMConfig)), obj.(*api.IPAMConfig), nil
}

// configFrom is the configuration a stored IPAMConfig says, nil meaning none is stored.
func (c *Client) configFrom(obj *api.IPAMConfig) Config {
	if obj == nil {
		return DefaultConfig
	}
	s := obj.Spec
	cfg := Config{StrictAffinity: s.StrictAffinity, AutoAllocateBlocks: s.AutoAllocateBlocks, MaxBlocksPerHost: int(s.MaxBlocksPerHost),
		KubeVirtVMAddressPersistence: api.VMAddressPersistenceEnabled}
	if s.KubeVirtVMAddressPersistence != nil {
		cfg.KubeVirtVMAddressPersistence = *s.KubeVirtVMAddressPersistence
	}
	if s.IPCooldownSeconds != nil {
		cfg.IPCooldownSeconds = int(*s.IPCooldownSeconds)
	}
	c.cooldown.Store(int64(cfg.IPCooldownSeconds))
	return cfg
}

// SetConfig stores the IPAM configuration, with Calico's rules.
func (c *Client) SetConfig(ctx context.Context, cfg Config) error {
	if !cfg.StrictAffinity && !cfg.AutoAllocateBlocks {
		return errors.New("IPAM configuration: cannot disable both StrictAffinity and AutoAllocateBlocks")
	}
	if cfg.MaxBlocksPerHost < 0 {
		return errors.New("IPAM configuration: MaxBlocksPerHost must be 0 (no limit) or more")
	}
	if cfg.MaxBlocksPerHost > 0 && !cfg.StrictAffinity {
		return errors.New("IPAM configuration: MaxBlocksPerHost needs StrictAffinity (a host could otherwise borrow past its limit); set strict affinity too")
	}
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		_, stored, err := c.getConfig(ctx)
		if err != nil {
			return err
		}
		obj := configKind.NewObject().(*api.IPAMConfig)
		obj.Name = "default"
		if stored != nil {
			obj = stored
		}
		p := cfg.KubeVirtVMAddressPersistence
		if p == "" {
			p = api.VMAddressPersistenceEnabled
		}
		obj.Spec.StrictAffinity, obj.Spec.AutoAllocateBlocks = cfg.StrictAffinity, cfg.AutoAllocateBlocks
		obj.Spec.MaxBlocksPerHost = int32(cfg.MaxBlocksPerHost)
		obj.Spec.KubeVirtVMAddressPersistence = &p
		obj.Spec.IPCooldownSeconds = nil
		if cfg.IPCooldownSeconds != 0 {
			v := int32(cfg.IPCooldownSeconds)
			obj.Spec.IPCooldownSeconds = &v
		}
		if stored == nil {
			_, err = c.store.Create(ctx, obj)
		} else {
			_, err = c.store.Update(ctx, obj)
		}
		if datastore.IsAlreadyExists(err) || datastore.IsConflict(err) {
			continue
		}
		return err
	}
	return errors.New("IPAM configuration: too many concurrent changes; try again")
}

// pool is an IP pool as the allocator sees it.
type pool struct {
	name      string
	prefix    netip.Prefix
	blockBits int
	spec      api.IPPoolSpec
}

func (c *Client) listPools(ctx context.Context) ([]pool, error) {
	l, err := c.store.List(ctx, poolKind, datastore.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing IP pools: %w", err)
	}
	return poolsFrom(l), nil
}

func poolsFrom(l *datastore.List) []pool {
	out := make([]pool, 0, len(l.Items))
	for _, it := range l.Items {
		p := it.(*api.IPPool)
		prefix, err := netip.ParsePrefix(p.Spec.CIDR)
		if err != nil {
			continue
		}
		bits := p.Spec.BlockSize
		if bits == 0 {
			bits = 26
			if prefix.Addr().Is6() {
				bits = 122
			}
		}
		out = append(out, pool{name: p.Name, prefix: prefix.Masked(), blockBits: bits, spec: p.Spec})
	}
	return out
}

func (p pool) allows(use string) bool {
	uses := p.spec.AllowedUses
	if len(uses) == 0 {
		uses = []api.IPPoolAllowedUse{api.IPPoolAllowedUseWorkload, api.IPPoolAllowedUseTunnel}
	}
	for _, u := range uses {
		if string(u) == use {
			return true
		}
	}
	return false
}

// poolFor returns the pool holding addr, disabled ones included.
func poolFor(pools []pool, addr netip.Addr) (pool, bool) {
	for _, p := range pools {
		if p.prefix.Contains(addr) {
			return p, true
		}
	}
	return pool{}, false
}

// reservations returns a test of whether an address is covered by an IPReservation.
func (c *Client) reservations(ctx context.Context) (func(netip.Addr) bool, error) {
	l, err := c.store.List(ctx, reservationKind, datastore.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing IP reservations: %w", err)
	}
	return reservationsFrom(l), nil
}

func reservationsFrom(l *datastore.List) func(netip.Addr) bool {
	var prefixes []netip.Prefix
	for _, it := range l.Items {
		for _, s := range it.(*api.IPReservation).Spec.ReservedCIDRs {
			if p, err := netip.ParsePrefix(s); err == nil {
				prefixes = append(prefixes, p.Masked())
			} else if a, err := netip.ParseAddr(s); err == nil {
				prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	if len(prefixes) == 0 {
		return nil
	}
	return func(a netip.Addr) bool {
		for _, p := range prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
}

// getBlock reads a block; a missing block (or one Calico is deleting) is (nil, nil).
func (c *Client) getBlock(ctx context.Context, prefix netip.Prefix) (*block, error) {
	obj, err := c.store.Get(ctx, blockKind, "", kinds.BlockName(prefix.String()))
	if datastore.IsDoesNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading IPAM block %s: %w", prefix, err)
	}
	if obj.(*api.IPAMBlock).Spec.Deleted {
		return nil, nil
	}
	b, err := wrapBlock(obj.(*api.IPAMBlock))
	if err != nil {
		return nil, fmt.Errorf("IPAM block %s: %w", prefix, err)
	}
	// Released addresses whose cooldown has passed go back to the free queue; written with the
	// block's next update.
	b.garbageCollect(time.Duration(c.cooldown.Load())*time.Second, c.now())
	return b, nil
}

// writeBlock stores a changed block: compare-and-swap on the revision it was read at, the
// sequence number bumped as Calico does on every block update.
func (c *Client) writeBlock(ctx context.Context, b *block) error {
	b.obj.Spec.SequenceNumber++
	if b.obj.Spec.Attributes == nil {
		b.obj.Spec.Attributes = []api.AllocationAttribute{}
	}
	got, err := c.store.Update(ctx, b.obj)
	if err == nil {
		// A retried write that had been applied returns the stored copy, not obj.
		b.obj.ResourceVersion = got.GetResourceVersion()
	}
	return err
}

// deleteBlock deletes a block on the condition that it is unchanged since it was read.
func (c *Client) deleteBlock(ctx context.Context, b *block) error {
	if d, ok := c.store.(datastore.KnownDeleter); ok {
		_, err := d.DeleteKnown(ctx, b.obj)
		return err
	}
	_, err := c.store.Delete(ctx, blockKind, "", b.obj.Name, b.obj.ResourceVersion)
	return err
}

// ListBlocks returns every block.
func (c *Client) ListBlocks(ctx context.Context) ([]*api.IPAMBlock, error) {
	l, err := c.store.List(ctx, blockKind, datastore.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing IPAM blocks: %w", err)
	}
	out := make([]*api.IPAMBlock, 0, len(l.Items))
	for _, it := range l.Items {
		if b := it.(*api.IPAMBlock); !b.Spec.Deleted {
			out = append(out, b)
		}
	}
	return out, nil
}

// ListHandles returns every handle.
func (c *Client) ListHandles(ctx context.Context) ([]*api.IPAMHandle, error) {
	l, err := c.store.List(ctx, handleKind, datastore.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing IPAM handles: %w", err)
	}
	out := make([]*api.IPAMHandle, 0, len(l.Items))
	for _, it := range l.Items {
		if h := it.(*api.IPAMHandle); !h.Spec.Deleted {
			out = append(out, h)
		}
	}
	return out, nil
}

// ListAffinities returns the affinities of one host, or of every host when host is "".
func (c *Client) ListAffinities(ctx context.Context, host string) ([]*api.BlockAffinity, error) {
	l, err := c.store.List(ctx, affinityKind, affinityOptions(host))
	if err != nil {
		return nil, fmt.Errorf("listing block affinities: %w", err)
	}
	return affinitiesFrom(l), nil
}

// affinityOptions selects the affinities of one host, or of every host when host is "".
func affinityOptions(host string) datastore.ListOptions {
	if host == "" {
		return datastore.ListOptions{}
	}
	return datastore.ListOptions{Name: host + "/", Prefix: true}
}

func affinitiesFrom(l *datastore.List) []*api.BlockAffinity {
	out := make([]*api.BlockAffinity, 0, len(l.Items))
	for _, it := range l.Items {
		if a := it.(*api.BlockAffinity); a.Spec.Deleted != "true" {
			out = append(out, a)
		}
	}
	return out
}

func secondsDuration(s int64) time.Duration { return time.Duration(s) * time.Second }

var listAll = datastore.ListOptions{}
