package ipam

import (
	"encoding/binary"
	"hash/fnv"
	"math/bits"
	"net/netip"
)

// Address arithmetic on netip values: ordinals within a block and block-sized subnets of a
// pool, for both IP versions.

func toUint128(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

func fromUint128(hi, lo uint64, v4 bool) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	a := netip.AddrFrom16(b)
	if v4 {
		return a.Unmap()
	}
	return a
}

// addShifted returns a + (n << shift).
func addShifted(a netip.Addr, n uint64, shift int) netip.Addr {
	hi, lo := toUint128(a)
	var nhi, nlo uint64
	switch {
	case shift == 0:
		nlo = n
	case shift < 64:
		nhi, nlo = n>>(64-shift), n<<shift
	default:
		nhi = n << (shift - 64)
	}
	lo, carry := bits.Add64(lo, nlo, 0)
	hi, _ = bits.Add64(hi, nhi, carry)
	return fromUint128(hi, lo, a.Is4())
}

// hostBits is the number of address bits a prefix leaves free.
func hostBits(p netip.Prefix) int { return p.Addr().BitLen() - p.Bits() }

// blockSize is the number of addresses in a block.
func blockSize(p netip.Prefix) int { return 1 << hostBits(p) }

// ordinalIP is the address at ordinal ord of block p.
func ordinalIP(p netip.Prefix, ord int) netip.Addr { return addShifted(p.Addr(), uint64(ord), 0) }

// ipOrdinal is the ordinal of a within block p (a must be inside p).
func ipOrdinal(p netip.Prefix, a netip.Addr) int {
	_, lo := toUint128(a)
	_, base := toUint128(p.Addr())
	return int(lo - base)
}

// subnetCount is how many blocks of size blockBits a pool holds, capped at 2^62 (an IPv6 pool
// has more than anyone walks).
func subnetCount(pool netip.Prefix, blockBits int) uint64 {
	n := blockBits - pool.Bits()
	if n >= 62 {
		return 1 << 62
	}
	return 1 << n
}

// subnet returns the i-th block of the pool.
func subnet(pool netip.Prefix, blockBits int, i uint64) netip.Prefix {
	a := addShifted(pool.Addr(), i, pool.Addr().BitLen()-blockBits)
	return netip.PrefixFrom(a, blockBits)
}

// hostStart is where a host starts walking a pool's blocks: a hash of its name, so that hosts
// spread over the pool and each one finds its own blocks first.
func hostStart(host string, count uint64) uint64 {
	h := fnv.New32()
	h.Write([]byte(host))
	return uint64(h.Sum32()) % count
}

// Subnet returns the i-th subnet of length bits of a prefix (10.0.0.0/16, 18, 1 -> 10.0.64.0/18).
func Subnet(p netip.Prefix, bits int, i uint64) netip.Prefix { return subnet(p.Masked(), bits, i) }

func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	return p.Masked(), err
}
