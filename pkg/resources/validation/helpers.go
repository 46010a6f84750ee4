package validation

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"strings"

	k8svalidation "k8s.io/apimachinery/pkg/util/validation"

	"github.com/calicoctl-go/calicoctl/internal/lazyregexp"
	"github.com/calicoctl-go/calicoctl/pkg/resources/selector"
)

// Shared building blocks of the per-kind validators: address parsing, selectors, names, enums.

var (
	nameLabelRegex = lazyregexp.New(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// Interface names as Linux allows them (at most 15 characters).
	interfaceRegex = lazyregexp.New(`^[a-zA-Z0-9_.-]{1,15}$`)
	// A log severity as Calico's components accept it.
	logSeverityRegex = lazyregexp.New(`^(?i)(Trace|Debug|Info|Warning|Error|Fatal)?$`)
	portNameChars    = lazyregexp.New(`^[a-zA-Z0-9_.-]{1,128}$`)
	containerIDRegex = lazyregexp.New(`^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`)
)

const logSeverities = "Trace, Debug, Info, Warning, Error or Fatal"

// parseCIDROrIP reads "10.0.0.0/8" or a bare address, which stands for a /32 or /128.
func parseCIDROrIP(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := parseIP(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseIP reads a plain IPv4 or IPv6 address (no zone).
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("an address with a zone is not allowed")
	}
	return a, nil
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// checkNet requires a strictly masked network. allowIP also accepts a bare address. It returns
// the network, or false after recording the error.
func checkNet(c *Collector, field, s string, allowIP bool) (netip.Prefix, bool) {
	var p netip.Prefix
	var err error
	if allowIP {
		p, err = parseCIDROrIP(s)
	} else {
		p, err = netip.ParsePrefix(s)
	}
	if err != nil {
		if a, ipErr := parseIP(s); ipErr == nil && !allowIP {
			c.Add(field, s, "must be a CIDR, not a bare address: write %s/%d", s, a.BitLen())
		} else {
			c.Add(field, s, "must be a CIDR such as 10.0.0.0/16 or fd00::/64")
		}
		return p, false
	}
	if m := p.Masked(); m != p {
		c.Add(field, s, "%s is not a network address: use %s", s, m)
		return p, false
	}
	return p, true
}

// checkCIDR accepts any CIDR (host bits may be set) or a bare address.
func checkCIDR(c *Collector, field, s string) (netip.Prefix, bool) {
	p, err := parseCIDROrIP(s)
	if err != nil {
		c.Add(field, s, "must be an IP address or a CIDR such as 10.0.0.0/16 or fd00::/64")
		return p, false
	}
	return p, true
}

// checkCIDRFamily accepts a CIDR or address of one family (4 or 6); host bits may be set.
func checkCIDRFamily(c *Collector, field, s string, fam int) {
	p, err := parseCIDROrIP(s)
	if err != nil || family(p.Addr()) != fam {
		if fam == 4 {
			c.Add(field, s, "must be an IPv4 address or CIDR, e.g. 10.0.0.1/24")
		} else {
			c.Add(field, s, "must be an IPv6 address or CIDR, e.g. fd00::1/64")
		}
	}
}

// checkIP accepts an address of the given family; fam 0 accepts either.
func checkIP(c *Collector, field, s string, fam int) {
	a, err := parseIP(s)
	switch {
	case err != nil && fam == 0:
		c.Add(field, s, "must be an IP address, e.g. 10.0.0.1 or fd00::1")
	case fam == 4 && (err != nil || !a.Is4()):
		c.Add(field, s, "must be an IPv4 address, e.g. 10.0.0.1")
	case fam == 6 && (err != nil || a.Is4()):
		c.Add(field, s, "must be an IPv6 address, e.g. fd00::1")
	}
}

func checkMAC(c *Collector, field, s string) {
	if _, err := net.ParseMAC(s); err != nil {
		c.Add(field, s, "must be a MAC address, e.g. 66:cf:1a:2b:3c:4d")
	}
}

// checkSelector parses a selector and, unless allowGlobal, refuses global(). It returns the parsed
// selector, or nil after recording an error.
func checkSelector(c *Collector, field, s string, allowGlobal bool) *selector.Selector {
	if len(s) > maxSelector {
		tooLong(c, field, s, maxSelector)
		return nil
	}
	sel, err := selector.Parse(s)
	if err != nil {
		c.Add(field, s, "%s", err.Error())
		return nil
	}
	if sel.UsesGlobal() && !allowGlobal {
		c.Add(field, s, "global() can only be used in a rule's namespaceSelector, on its own")
		return nil
	}
	return sel
}

// checkName requires a resource name (DNS-1123 subdomain).
func checkName(c *Collector, field, s string) {
	if len(s) > 253 || !dns1123Subdomain.MatchString(s) {
		c.Add(field, s, "must be a resource name: lower case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters")
	}
}

// checkPortName requires a Kubernetes port name such as "http" or "metrics-tls".
func checkPortName(c *Collector, field, s string) {
	if s == "" {
		c.Add(field, s, "a port name is required")
		return
	}
	errs := k8svalidation.IsValidPortName(s)
	if !portNameChars.MatchString(s) {
		errs = append(errs, "may only contain letters, digits, '_', '.' and '-'")
	}
	if len(errs) > 0 {
		c.Add(field, s, "invalid port name (e.g. http or metrics-tls): %s", strings.Join(errs, "; "))
	}
}

// checkEnum requires s to be one of allowed; empty is accepted when optional.
func checkEnum(c *Collector, field, s string, optional bool, allowed ...string) {
	if s == "" && optional {
		return
	}
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	// Calico reports enums as its CRD schema does: the path and the allowed values, no value.
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	c.Add(field, s, "got '%s'; must be %s", s, oneOf(allowed)).
		Calico(field, "supported values: "+strings.Join(quoted, ", ")).WithoutValue()
}

// checkEnumFold is checkEnum ignoring case.
func checkEnumFold(c *Collector, field, s string, optional bool, allowed ...string) {
	if s == "" && optional {
		return
	}
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return
		}
	}
	c.Add(field, s, "must be %s", oneOf(allowed))
}

// oneOf writes "A", "A or B", "A, B or C".
func oneOf(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// oneOfAnd writes "A", "A and B", "A, B and C".
func oneOfAnd(words []string) string {
	s := oneOf(words)
	if i := strings.LastIndex(s, " or "); i >= 0 {
		s = s[:i] + " and " + s[i+4:]
	}
	return s
}

func checkLogSeverity(c *Collector, field, s string) {
	if !logSeverityRegex.MatchString(s) {
		c.Add(field, s, "must be %s (any case)", logSeverities)
	}
}

func checkRange(c *Collector, field string, v, lo, hi int64) {
	if v < lo || v > hi {
		c.Add(field, v, "must be from %d to %d", lo, hi)
	}
}

// checkWireguardKey requires a base64 Curve25519 public key (32 bytes).
func checkWireguardKey(c *Collector, field, s string) {
	if b, err := base64.StdEncoding.DecodeString(s); err != nil || len(b) != 32 {
		c.Add(field, s, "must be a base64-encoded WireGuard public key (32 bytes)")
	}
}

// checkAnnotations checks annotation keys and total size, as for metadata.
func checkAnnotations(c *Collector, field string, annotations map[string]string) {
	size := 0
	for k, v := range annotations {
		if errs := k8svalidation.IsQualifiedName(strings.ToLower(k)); len(errs) > 0 {
			c.Add(field, k, "invalid annotation key: %s", strings.Join(errs, "; "))
		}
		size += len(k) + len(v)
	}
	if size > 256*1024 {
		c.Add(field, fmt.Sprintf("%d bytes", size), "annotations may total at most 256 KiB")
	}
}

// idx writes field[i].
func idx(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// Limits of Calico's CRD schema. They hold on etcd too, so that the data stays migratable to the
// Kubernetes datastore.
const (
	maxSelector = 1024 // characters in any selector
	maxPorts    = 50   // entries in a rule's ports or notPorts
	maxRules    = 1024 // rules in one direction of a policy or profile
)

// tooLong reports a string over a schema maxLength, in the schema's words.
func tooLong(c *Collector, field, s string, max int) {
	c.Add(field, fmt.Sprintf("%d characters", len(s)), "%d characters is over the limit of %d", len(s), max).
		Calico(field, fmt.Sprintf("may not be more than %d bytes", max)).WithoutValue()
}

// tooMany reports a list over a schema maxItems, in the schema's words.
func tooMany(c *Collector, field string, n, max int, what, advice string) {
	c.Add(field, n, "%d %s is over the limit of %d: %s", n, what, max, advice).
		Calico(field, fmt.Sprintf("must have at most %d items", max)).WithoutValue()
}
