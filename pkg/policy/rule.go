package policy

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/selector"
)

// rule is an api.Rule compiled once: selectors parsed, networks as prefixes, protocols as
// numbers and ports as ranges. The evaluator (trace) and the linter (shadowing) both read this
// form, so that they agree on what a rule means.
type rule struct {
	index       int
	action      api.Action
	ipVersion   int    // 0: any
	protocol    *uint8 // nil: any
	notProtocol *uint8
	icmp        *icmpMatch
	notICMP     *icmpMatch
	src, dst    entity
	http        bool // an HTTP match: layer 7, not evaluated here
	raw         api.Rule
}

type icmpMatch struct {
	typ, code *int
}

// entity is the compiled source or destination half of a rule.
type entity struct {
	nets, notNets []netip.Prefix
	// selector, notSelector and namespaceSelector are nil when the field is absent.
	selector, notSelector, namespaceSelector *selector.Selector
	// nsGlobal is namespaceSelector "global()": only non-namespaced peers.
	nsGlobal bool
	// saNames and saSelector are the serviceAccounts match; hasSA says it is present.
	hasSA      bool
	saNames    []string
	saSelector *selector.Selector
	ports      []portRange
	notPorts   []portRange
	services   *api.ServiceMatch
}

// portRange is an inclusive range of port numbers, or a named port (name set).
type portRange struct {
	min, max uint16
	name     string
}

func (p portRange) String() string {
	switch {
	case p.name != "":
		return p.name
	case p.min == p.max:
		return fmt.Sprint(p.min)
	default:
		return fmt.Sprintf("%d:%d", p.min, p.max)
	}
}

// Protocol numbers of the names Calico accepts.
var protocolNumbers = map[string]uint8{
	"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132, "udplite": 136,
}

// ProtocolNumber returns the IP protocol number of a protocol name or number ("TCP", "6").
func ProtocolNumber(p string) (uint8, error) {
	if n, ok := protocolNumbers[strings.ToLower(p)]; ok {
		return n, nil
	}
	n, err := api.ProtocolFromString(p).NumValue()
	if err != nil || n == 0 {
		return 0, fmt.Errorf("unknown protocol %q: use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255", p)
	}
	return n, nil
}

// ProtocolName is the name Calico prints for a protocol number, or the number.
func ProtocolName(n uint8) string {
	for name, num := range protocolNumbers {
		if num == n {
			return api.ProtocolFromString(name).String()
		}
	}
	return fmt.Sprint(n)
}

func protocolOf(p *api.Protocol) (*uint8, error) {
	if p == nil {
		return nil, nil
	}
	n, err := ProtocolNumber(p.String())
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// portsSupported reports whether a protocol number has ports (TCP, UDP, SCTP, UDPLite).
func portsSupported(n uint8) bool { return n == 6 || n == 17 || n == 132 || n == 136 }

func compileRules(rules []api.Rule) ([]rule, error) {
	out := make([]rule, 0, len(rules))
	for i, r := range rules {
		c, err := compileRule(i, r)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func compileRule(i int, r api.Rule) (rule, error) {
	c := rule{index: i, action: r.Action, raw: r, http: r.HTTP != nil}
	if r.IPVersion != nil {
		c.ipVersion = *r.IPVersion
	}
	var err error
	if c.protocol, err = protocolOf(r.Protocol); err != nil {
		return c, err
	}
	if c.notProtocol, err = protocolOf(r.NotProtocol); err != nil {
		return c, err
	}
	if r.ICMP != nil {
		c.icmp = &icmpMatch{typ: r.ICMP.Type, code: r.ICMP.Code}
	}
	if r.NotICMP != nil {
		c.notICMP = &icmpMatch{typ: r.NotICMP.Type, code: r.NotICMP.Code}
	}
	if c.src, err = compileEntity(r.Source); err != nil {
		return c, fmt.Errorf("source: %w", err)
	}
	if c.dst, err = compileEntity(r.Destination); err != nil {
		return c, fmt.Errorf("destination: %w", err)
	}
	return c, nil
}

func compileEntity(e api.EntityRule) (entity, error) {
	var c entity
	var err error
	if c.nets, err = prefixes(e.Nets); err != nil {
		return c, err
	}
	if c.notNets, err = prefixes(e.NotNets); err != nil {
		return c, err
	}
	if c.selector, err = optSelector(e.Selector); err != nil {
		return c, err
	}
	if c.notSelector, err = optSelector(e.NotSelector); err != nil {
		return c, err
	}
	if c.namespaceSelector, err = optSelector(e.NamespaceSelector); err != nil {
		return c, err
	}
	c.nsGlobal = c.namespaceSelector != nil && c.namespaceSelector.String() == "global()"
	if sa := e.ServiceAccounts; sa != nil {
		c.hasSA = true
		c.saNames = sa.Names
		if c.saSelector, err = optSelector(sa.Selector); err != nil {
			return c, err
		}
	}
	c.ports = ranges(e.Ports)
	c.notPorts = ranges(e.NotPorts)
	c.services = e.Services
	return c, nil
}

func optSelector(s string) (*selector.Selector, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	return selector.Parse(s)
}

func prefixes(nets []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(nets))
	for _, n := range nets {
		p, err := ParsePrefix(n)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// ParsePrefix parses a CIDR or a bare address (a /32 or /128), masked.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("invalid network %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid network %q", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

func ranges(ports []api.Port) []portRange {
	out := make([]portRange, 0, len(ports))
	for _, p := range ports {
		out = append(out, portRange{min: p.MinPort, max: p.MaxPort, name: p.PortName})
	}
	return out
}

func anyPrefixContains(ps []netip.Prefix, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
