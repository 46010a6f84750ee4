package validation

import (
	"fmt"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Messages Calico itself uses, kept word for word.
const (
	protocolPortsMsg = "rules that specify ports must set protocol to TCP or UDP or SCTP"
	protocolICMPMsg  = "rules that specify ICMP fields must set protocol to ICMP or ICMPv6"
	protocolMsg      = "protocol must be TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number from 1 to 255"
)

// IANA numbers of the protocol names Calico accepts.
var protocolNumbers = map[string]int{
	api.ProtocolTCP: 6, api.ProtocolUDP: 17, api.ProtocolICMP: 1,
	api.ProtocolICMPv6: 58, api.ProtocolSCTP: 132, api.ProtocolUDPLite: 136,
}

const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
	protoUnset  = -1
	protoBad    = -2
)

// protocolNumber returns the number of p (names match in any case), or protoBad.
func protocolNumber(p api.Protocol) int {
	if n, err := p.NumValue(); err == nil {
		if n == 0 {
			return protoBad
		}
		return int(n)
	}
	for name, n := range protocolNumbers {
		if strings.EqualFold(name, p.StrVal) {
			return n
		}
	}
	return protoBad
}

// checkProtocol returns the protocol number, protoUnset for nil, or protoBad after recording it.
func checkProtocol(c *Collector, field string, p *api.Protocol) int {
	if p == nil {
		return protoUnset
	}
	n := protocolNumber(*p)
	if n == protoBad {
		c.Add(field, p.String(), protocolMsg)
	}
	return n
}

func supportsPorts(proto int) bool {
	return proto == protoTCP || proto == protoUDP || proto == protoSCTP
}

// checkRules checks a list of rules (field is e.g. "spec.ingress").
func checkRules(c *Collector, field string, rules []api.Rule) {
	if len(rules) > maxRules {
		tooMany(c, field, len(rules), maxRules, "rules", "split the policy in two")
	}
	for i := range rules {
		checkRule(c, idx(field, i), &rules[i])
	}
}

// checkRule applies the rules of Calico's policy_common.go to one rule, whatever its direction.
func checkRule(c *Collector, f string, r *api.Rule) {
	checkEnum(c, f+".action", string(r.Action), false, "Allow", "Deny", "Log", "Pass")

	ipVersion := 0
	if r.IPVersion != nil {
		if *r.IPVersion == 4 || *r.IPVersion == 6 {
			ipVersion = *r.IPVersion
		} else {
			c.Add(f+".ipVersion", *r.IPVersion, "must be 4 or 6")
		}
	}
	proto := checkProtocol(c, f+".protocol", r.Protocol)
	notProto := checkProtocol(c, f+".notProtocol", r.NotProtocol)

	for _, m := range []struct {
		name string
		icmp *api.ICMPFields
	}{{"icmp", r.ICMP}, {"notICMP", r.NotICMP}} {
		if m.icmp == nil {
			continue
		}
		if proto != protoICMP && proto != protoICMPv6 {
			c.Add(f+"."+m.name, icmpString(m.icmp), protocolICMPMsg)
		}
		checkICMP(c, f+"."+m.name, m.icmp)
	}
	if ipVersion != 0 {
		for _, p := range []struct {
			name string
			num  int
		}{{"protocol", proto}, {"notProtocol", notProto}} {
			if p.num == protoICMP && ipVersion != 4 {
				c.Add(f+".ipVersion", ipVersion, "%s ICMP requires ipVersion 4 (use ICMPv6 for IPv6)", p.name)
			}
			if p.num == protoICMPv6 && ipVersion != 6 {
				c.Add(f+".ipVersion", ipVersion, "%s ICMPv6 requires ipVersion 6 (use ICMP for IPv4)", p.name)
			}
		}
	}

	for _, e := range []struct {
		name string
		rule *api.EntityRule
	}{{"source", &r.Source}, {"destination", &r.Destination}} {
		ef := f + "." + e.name
		for _, l := range []struct {
			name  string
			ports []api.Port
		}{{"ports", e.rule.Ports}, {"notPorts", e.rule.NotPorts}} {
			if len(l.ports) == 0 {
				continue
			}
			// A protocol that does not parse has been reported already.
			if proto != protoBad && !supportsPorts(proto) {
				c.Add(ef+"."+l.name, portsString(l.ports), protocolPortsMsg)
			}
			if len(l.ports) > maxPorts {
				tooMany(c, ef+"."+l.name, len(l.ports), maxPorts, "ports", "use port ranges (min:max) or several rules")
			}
			for j, p := range l.ports {
				checkPort(c, idx(ef+"."+l.name, j), p)
			}
		}
		checkEntityRule(c, ef, e.rule)
	}
	if r.Destination.Services != nil {
		if len(r.Destination.Ports) > 0 {
			c.Add(f+".destination.ports", portsString(r.Destination.Ports), "ports cannot be specified with services in the destination: the service's own ports are used")
		}
		if len(r.Destination.NotPorts) > 0 {
			c.Add(f+".destination.notPorts", portsString(r.Destination.NotPorts), "notPorts cannot be specified with services in the destination: the service's own ports are used")
		}
	}
	checkRuleNets(c, f, r, ipVersion)

	if r.HTTP != nil {
		if r.Action != api.Allow {
			c.Add(f+".http", httpString(r.HTTP), "HTTP match is only valid on Allow rules")
		}
		if r.Protocol != nil && proto != protoBad && proto != protoTCP {
			c.Add(f+".protocol", r.Protocol.String(), "rules with HTTP match must have protocol TCP or unset")
		}
		checkHTTP(c, f+".http", r.HTTP)
	}
	if r.Metadata != nil {
		checkAnnotations(c, f+".metadata.annotations", r.Metadata.Annotations)
	}
}

func checkICMP(c *Collector, f string, m *api.ICMPFields) {
	if m.Type != nil && (*m.Type < 0 || *m.Type > 254) {
		c.Add(f+".type", *m.Type, "ICMP type must be from 0 to 254 (e.g. 8 for echo request)")
	}
	if m.Code != nil {
		if *m.Code < 0 || *m.Code > 255 {
			c.Add(f+".code", *m.Code, "ICMP code must be from 0 to 255")
		}
		if m.Type == nil {
			c.Add(f+".code", *m.Code, "ICMP code specified without an ICMP type: set type too")
		}
	}
}

// checkPort checks one port, range or port name of a rule.
func checkPort(c *Collector, field string, p api.Port) {
	if p.PortName != "" {
		if p.MinPort != 0 || p.MaxPort != 0 {
			c.Add(field, p.String(), "a named port cannot also have a port number")
		}
		checkPortName(c, field, p.PortName)
		return
	}
	if p.MinPort > p.MaxPort {
		c.Add(field, p.String(), "a port range min:max needs min <= max, e.g. 8000:8080")
		return
	}
	if p.MinPort < 1 {
		c.Add(field, p.String(), "a port must be a number from 1 to 65535, a range such as 8000:8080, or a port name such as http").
			Calico("", "port range invalid, port number must be between 1 and 65535")
	}
}

// checkEntityRule checks the selectors and services of a rule's source or destination.
func checkEntityRule(c *Collector, f string, e *api.EntityRule) {
	if e.Selector != "" {
		checkSelector(c, f+".selector", e.Selector, false)
	}
	if e.NotSelector != "" {
		checkSelector(c, f+".notSelector", e.NotSelector, false)
	}
	if e.NamespaceSelector != "" {
		sel := checkSelector(c, f+".namespaceSelector", e.NamespaceSelector, true)
		if sel != nil && sel.UsesGlobal() && sel.String() != "global()" {
			c.Add(f+".namespaceSelector", e.NamespaceSelector, "global() cannot be combined with other selectors: write namespaceSelector: global() on its own")
		}
	}
	if sa := e.ServiceAccounts; sa != nil {
		if sa.Selector != "" {
			checkSelector(c, f+".serviceAccounts.selector", sa.Selector, false)
		}
		for i, n := range sa.Names {
			checkName(c, idx(f+".serviceAccounts.names", i), n)
		}
	}
	if s := e.Services; s != nil {
		sf := f + ".services"
		if s.Name == "" {
			c.Add(sf+".name", s.Name, "services must specify a service name")
		} else {
			checkName(c, sf+".name", s.Name)
		}
		if s.Namespace != "" {
			checkName(c, sf+".namespace", s.Namespace)
		}
		if e.NamespaceSelector != "" {
			c.Add(sf, s.Name, "cannot specify namespaceSelector and services on the same rule: use services.namespace")
		}
		if e.Selector != "" || e.NotSelector != "" {
			c.Add(sf, s.Name, "cannot specify selector/notSelector and services on the same rule")
		}
		if e.ServiceAccounts != nil {
			c.Add(sf, s.Name, "cannot specify serviceAccounts and services on the same rule")
		}
		if len(e.Nets) > 0 || len(e.NotNets) > 0 {
			c.Add(sf, s.Name, "cannot specify nets/notNets and services on the same rule: a service rule uses the service's endpoint addresses")
		}
	}
}

// checkRuleNets requires strictly masked CIDRs, all of one IP version that matches ipVersion
// (0 = not set), and no catch-all network in notNets.
func checkRuleNets(c *Collector, f string, r *api.Rule, ipVersion int) {
	firstFam, firstNet := 0, ""
	for _, l := range []struct {
		field string
		nets  []string
		not   bool
	}{
		{f + ".source.nets", r.Source.Nets, false},
		{f + ".source.notNets", r.Source.NotNets, true},
		{f + ".destination.nets", r.Destination.Nets, false},
		{f + ".destination.notNets", r.Destination.NotNets, true},
	} {
		for i, n := range l.nets {
			field := idx(l.field, i)
			p, ok := checkNet(c, field, n, false)
			if !ok {
				continue
			}
			if l.not && p.Bits() == 0 {
				c.Add(field, n, "notNets cannot contain %s: it matches every address, so the rule would never match", n)
				continue
			}
			fam := family(p.Addr())
			switch {
			case ipVersion != 0 && fam != ipVersion:
				c.Add(field, n, "rule IP version doesn't match CIDR version: ipVersion is %d but %s is an IPv%d network", ipVersion, n, fam)
			case firstFam != 0 && fam != firstFam:
				c.Add(field, n, "rule contains both IPv4 and IPv6 CIDRs (%s and %s): use one rule per IP version", firstNet, n)
			case firstFam == 0:
				firstFam, firstNet = fam, n
			}
		}
	}
}

func checkHTTP(c *Collector, f string, h *api.HTTPMatch) {
	if len(h.Methods) > 20 {
		c.Add(f+".methods", len(h.Methods), "at most 20 methods may be listed")
	}
	seen := map[string]bool{}
	for i, m := range h.Methods {
		if seen[m] {
			c.Add(idx(f+".methods", i), m, "method %s is listed more than once", m)
		}
		seen[m] = true
	}
	if len(h.Paths) > 20 {
		c.Add(f+".paths", len(h.Paths), "at most 20 paths may be listed")
	}
	for i, p := range h.Paths {
		pf := idx(f+".paths", i)
		switch {
		case p.Exact != "" && p.Prefix != "":
			c.Add(pf, fmt.Sprintf("exact: %s, prefix: %s", p.Exact, p.Prefix), "set exactly one of exact or prefix, not both")
			continue
		case p.Exact == "" && p.Prefix == "":
			c.Add(pf, "", "set one of exact or prefix, e.g. exact: /healthz or prefix: /api/")
			continue
		}
		sub, v := ".exact", p.Exact
		if v == "" {
			sub, v = ".prefix", p.Prefix
		}
		if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "? #") {
			c.Add(pf+sub, v, "an HTTP path must start with / and contain no space, ? or #")
		}
		if len(v) > 1024 {
			c.Add(pf+sub, v, "an HTTP path may be at most 1024 characters long")
		}
	}
}

func portsString(ports []api.Port) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = p.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func icmpString(m *api.ICMPFields) string {
	var parts []string
	if m.Type != nil {
		parts = append(parts, fmt.Sprintf("type: %d", *m.Type))
	}
	if m.Code != nil {
		parts = append(parts, fmt.Sprintf("code: %d", *m.Code))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func httpString(h *api.HTTPMatch) string {
	var parts []string
	if len(h.Methods) > 0 {
		parts = append(parts, "methods: ["+strings.Join(h.Methods, ", ")+"]")
	}
	for _, p := range h.Paths {
		if p.Exact != "" {
			parts = append(parts, "exact: "+p.Exact)
		}
		if p.Prefix != "" {
			parts = append(parts, "prefix: "+p.Prefix)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
