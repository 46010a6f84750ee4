package ipam

import (
	"maps"
	"net/netip"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// block wraps a stored IPAMBlock with its parsed CIDR. Every method changes the object in
// memory only; the caller writes it back with a compare-and-swap.
type block struct {
	obj    *api.IPAMBlock
	prefix netip.Prefix
}

func newBlockObject(prefix netip.Prefix, affinity string, now time.Time) *api.IPAMBlock {
	n := blockSize(prefix)
	b := blockKind.NewObject().(*api.IPAMBlock)
	b.Name = kinds.BlockName(prefix.String())
	b.Spec.CIDR = prefix.String()
	if affinity != "" {
		a := affinity
		b.Spec.Affinity = &a
		t := metav1.NewTime(now)
		b.Spec.AffinityClaimTime = &t
	}
	b.Spec.Allocations = make([]*int, n)
	b.Spec.Unallocated = make([]int, n)
	for i := range b.Spec.Unallocated {
		b.Spec.Unallocated[i] = i
	}
	b.Spec.Attributes = []api.AllocationAttribute{}
	b.Spec.SequenceNumber = uint64(now.UnixNano())
	return b
}

func wrapBlock(obj *api.IPAMBlock) (*block, error) {
	p, err := netip.ParsePrefix(obj.Spec.CIDR)
	if err != nil {
		return nil, err
	}
	return &block{obj: obj, prefix: p.Masked()}, nil
}

func (b *block) affinity() string {
	if b.obj.Spec.Affinity == nil {
		return ""
	}
	return *b.obj.Spec.Affinity
}

// host is the node the block is affine to (the load balancer's blocks: load-balancer), ""
// when none.
func (b *block) host() string {
	a := b.affinity()
	if h, ok := strings.CutPrefix(a, "host:"); ok {
		return h
	}
	if h, ok := strings.CutPrefix(a, "virtual:"); ok {
		return h
	}
	return ""
}

// inUse counts allocated addresses, those cooling down included.
func (b *block) inUse() int { return len(b.obj.Spec.Allocations) - len(b.obj.Spec.Unallocated) }

// empty reports whether no address is allocated (cooling addresses count as allocated).
func (b *block) empty() bool {
	for _, a := range b.obj.Spec.Allocations {
		if a != nil {
			return false
		}
	}
	return true
}

// freeCount counts unallocated addresses that no reservation covers.
func (b *block) freeCount(reserved func(netip.Addr) bool) int {
	n := 0
	for _, ord := range b.obj.Spec.Unallocated {
		if reserved == nil || !reserved(ordinalIP(b.prefix, ord)) {
			n++
		}
	}
	return n
}

// attribute returns the index of an attribute equal to {handle, attrs}, adding it if needed:
// every address of one request shares one entry, as in Calico.
func (b *block) attribute(handle string, attrs map[string]string) int {
	for i, a := range b.obj.Spec.Attributes {
		if a.ReleasedAt == nil && a.HandleID != nil && *a.HandleID == handle && maps.Equal(a.ActiveOwnerAttrs, attrs) {
			return i
		}
	}
	h := handle
	b.obj.Spec.Attributes = append(b.obj.Spec.Attributes, api.AllocationAttribute{HandleID: &h, ActiveOwnerAttrs: maps.Clone(attrs)})
	return len(b.obj.Spec.Attributes) - 1
}

func (b *block) markAllocated(ord, attr int) {
	i := attr
	b.obj.Spec.Allocations[ord] = &i
	if b.obj.Spec.SequenceNumberForAllocation == nil {
		b.obj.Spec.SequenceNumberForAllocation = map[string]uint64{}
	}
	b.obj.Spec.SequenceNumberForAllocation[strconv.Itoa(ord)] = b.obj.Spec.SequenceNumber
}

// autoAssign takes up to num free addresses from the head of the unallocated queue, leaving
// reserved ones in place.
func (b *block) autoAssign(num int, handle string, attrs map[string]string, reserved func(netip.Addr) bool) []netip.Addr {
	var ips []netip.Addr
	keep := b.obj.Spec.Unallocated[:0:0]
	attr := -1
	for _, ord := range b.obj.Spec.Unallocated {
		ip := ordinalIP(b.prefix, ord)
		if len(ips) == num || (reserved != nil && reserved(ip)) {
			keep = append(keep, ord)
			continue
		}
		if attr < 0 {
			attr = b.attribute(handle, attrs)
		}
		b.markAllocated(ord, attr)
		ips = append(ips, ip)
	}
	b.obj.Spec.Unallocated = keep
	return ips
}

// assign allocates one given address; false when it is already allocated.
func (b *block) assign(ip netip.Addr, handle string, attrs map[string]string) bool {
	ord := ipOrdinal(b.prefix, ip)
	if b.obj.Spec.Allocations[ord] != nil {
		return false
	}
	for i, u := range b.obj.Spec.Unallocated {
		if u == ord {
			b.obj.Spec.Unallocated = append(b.obj.Spec.Unallocated[:i:i], b.obj.Spec.Unallocated[i+1:]...)
			break
		}
	}
	b.markAllocated(ord, b.attribute(handle, attrs))
	return true
}

// handleOf returns the handle an allocated ordinal was given, and whether the ordinal is
// allocated and not cooling down.
func (b *block) handleOf(ord int) (string, bool) {
	a := b.obj.Spec.Allocations[ord]
	if a == nil || *a >= len(b.obj.Spec.Attributes) {
		return "", false
	}
	attr := b.obj.Spec.Attributes[*a]
	if attr.ReleasedAt != nil {
		return "", false
	}
	if attr.HandleID == nil {
		return "", true
	}
	return *attr.HandleID, true
}

// release marks the ordinals released at now: they point at a {releasedAt} attribute until the
// cooldown has passed. It returns the ordinals that were not allocated and, per handle, how many
// were released.
func (b *block) release(ords []int, now time.Time) (notAllocated []int, handles map[string]int) {
	handles = map[string]int{}
	released := -1
	for _, ord := range ords {
		h, ok := b.handleOf(ord)
		if !ok {
			notAllocated = append(notAllocated, ord)
			continue
		}
		if h != "" {
			handles[h]++
		}
		if released < 0 {
			t := metav1.NewTime(now)
			b.obj.Spec.Attributes = append(b.obj.Spec.Attributes, api.AllocationAttribute{ReleasedAt: &t})
			released = len(b.obj.Spec.Attributes) - 1
		}
		b.markAllocated(ord, released)
	}
	return notAllocated, handles
}

// releaseByHandle releases every address allocated under handle and returns how many.
func (b *block) releaseByHandle(handle string, now time.Time) int {
	var ords []int
	for ord := range b.obj.Spec.Allocations {
		if h, ok := b.handleOf(ord); ok && h == handle {
			ords = append(ords, ord)
		}
	}
	if len(ords) > 0 {
		b.release(ords, now)
	}
	return len(ords)
}

// garbageCollect returns to the tail of the unallocated queue the released ordinals whose
// cooldown has passed, and drops attributes nothing refers to any more.
func (b *block) garbageCollect(cooldown time.Duration, now time.Time) {
	s := &b.obj.Spec
	for ord, a := range s.Allocations {
		if a == nil || *a >= len(s.Attributes) {
			continue
		}
		if r := s.Attributes[*a].ReleasedAt; r != nil && !now.Before(r.Add(cooldown)) {
			s.Allocations[ord] = nil
			s.Unallocated = append(s.Unallocated, ord)
			delete(s.SequenceNumberForAllocation, strconv.Itoa(ord))
		}
	}
	used := make([]bool, len(s.Attributes))
	for _, a := range s.Allocations {
		if a != nil && *a < len(used) {
			used[*a] = true
		}
	}
	remap := make([]int, len(s.Attributes))
	kept := s.Attributes[:0:0]
	for i, a := range s.Attributes {
		if used[i] {
			remap[i] = len(kept)
			kept = append(kept, a)
		}
	}
	if len(kept) == len(s.Attributes) {
		return
	}
	s.Attributes = kept
	for ord, a := range s.Allocations {
		if a != nil && *a < len(remap) {
			v := remap[*a]
			s.Allocations[ord] = &v
		}
	}
}
