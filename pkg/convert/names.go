package convert

import (
	"crypto/sha1"
	"encoding/hex"
	"net"
	"regexp"
	"strings"
)

// The v1 to v3 name rules of Calico's upgrade converters (libcalico-go lib/upgrade/converters):
// v3 names are lower-case DNS subdomains, so v1 names are normalised, and a name that had to
// change gets a short hash of the original appended so that two v1 names never collide.

var (
	nonNameChar    = regexp.MustCompile(`[^-.a-z0-9]+`)
	dotDashRun     = regexp.MustCompile(`[.-]*[.][.-]*`)
	edgeDotsDashes = regexp.MustCompile(`^[.-]*(.*?)[.-]*$`)
)

// normalizeName lower-cases a name, turns "/" into "." and any other character outside
// [-.a-z0-9] into "-", collapses runs of dots and dashes holding a dot into one dot, and trims
// dots and dashes at either end.
func normalizeName(name string) string {
	name = strings.ToLower(name)
	name = strings.ReplaceAll(name, "/", ".")
	name = nonNameChar.ReplaceAllString(name, "-")
	name = dotDashRun.ReplaceAllString(name, ".")
	return edgeDotsDashes.FindStringSubmatch(name)[1]
}

// nodeName converts a v1 node (host) name: normalised, never qualified.
func nodeName(v1 string) string { return normalizeName(v1) }

// convertName normalises a name and qualifies it when that changed it.
func convertName(v1 string) string { return qualified(v1, normalizeName(v1)) }

// convertNameNoDots is convertName for names that may not hold dots (policy and tier names).
func convertNameNoDots(v1 string) string {
	return qualified(v1, strings.ReplaceAll(normalizeName(v1), ".", "-"))
}

func qualified(orig, final string) string {
	if orig == final {
		return orig
	}
	sum := sha1.Sum([]byte(orig))
	return final + "-" + hex.EncodeToString(sum[:])[:8]
}

// ipName writes an IP for use in a name: 192-168-1-1, or for IPv6 all eight groups in full,
// 00aa-00bb-0000-0000-0000-0000-0000-00ff.
func ipName(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return strings.ReplaceAll(v4.String(), ".", "-")
	}
	ip16 := ip.To16()
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = hex.EncodeToString(ip16[2*i : 2*i+2])
	}
	return strings.Join(groups, "-")
}

// cidrName is the name of an IP pool converted from v1: its CIDR with '.', ':' and '/' as '-'
// (10.1.0.0/16 -> 10-1-0-0-16).
func cidrName(cidr *net.IPNet) string {
	return strings.NewReplacer(".", "-", ":", "-", "/", "-").Replace(cidr.String())
}

// profileName converts a v1 profile name; the Kubernetes namespace profiles "k8s_ns.<ns>" became
// "kns.<ns>".
func profileName(v1 string) string {
	if rest, ok := strings.CutPrefix(v1, "k8s_ns."); ok {
		return convertName("kns." + rest)
	}
	return convertName(v1)
}
