package convert

import (
	"fmt"
	"net"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// rules converts v1 rules in order: the order is what a rule list means.
func rules(in []v1Rule, field string) ([]api.Rule, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]api.Rule, len(in))
	for i, r := range in {
		var err error
		if out[i], err = rule(r); err != nil {
			return nil, fmt.Errorf("spec.%s[%d]: %w", field, i, err)
		}
	}
	return out, nil
}

func rule(r v1Rule) (api.Rule, error) {
	action, err := ruleAction(r.Action)
	if err != nil {
		return api.Rule{}, err
	}
	src, err := entityRule(r.Source, "source")
	if err != nil {
		return api.Rule{}, err
	}
	dst, err := entityRule(r.Destination, "destination")
	if err != nil {
		return api.Rule{}, err
	}
	return api.Rule{
		Action:      action,
		IPVersion:   r.IPVersion,
		Protocol:    protocol(r.Protocol),
		ICMP:        r.ICMP,
		NotProtocol: protocol(r.NotProtocol),
		NotICMP:     r.NotICMP,
		Source:      src,
		Destination: dst,
	}, nil
}

// ruleAction maps v1 actions (allow, deny, log, next-tier/pass; empty meant allow) to v3.
func ruleAction(a string) (api.Action, error) {
	switch strings.ToLower(a) {
	case "", "allow":
		return api.Allow, nil
	case "deny":
		return api.Deny, nil
	case "log":
		return api.Log, nil
	case "pass", "next-tier":
		return api.Pass, nil
	}
	return "", fmt.Errorf("action '%s' is not a v1 rule action: use allow, deny, log or next-tier", a)
}

// protocol turns v1's lower-case names into v3's (tcp -> TCP, icmpv6 -> ICMPv6); numbers stay.
func protocol(p *api.Protocol) *api.Protocol {
	if p == nil {
		return nil
	}
	if _, err := p.NumValue(); err == nil {
		return p
	}
	v3 := api.ProtocolFromString(p.StrVal)
	return &v3
}

func entityRule(e v1EntityRule, field string) (api.EntityRule, error) {
	nets, err := networks(e.Nets, e.Net, field+".net")
	if err != nil {
		return api.EntityRule{}, err
	}
	notNets, err := networks(e.NotNets, e.NotNet, field+".notNet")
	if err != nil {
		return api.EntityRule{}, err
	}
	return api.EntityRule{
		Nets:        nets,
		Selector:    mergeTag(selector(e.Selector), e.Tag),
		Ports:       e.Ports,
		NotNets:     notNets,
		NotSelector: mergeTag(selector(e.NotSelector), e.NotTag),
		NotPorts:    e.NotPorts,
	}, nil
}

// networks joins v1's nets and deprecated net (which comes last, as in Calico) and masks each
// address to its network, as Calico's converter does.
func networks(nets []string, single, field string) ([]string, error) {
	all := append([]string(nil), nets...)
	if single != "" {
		all = append(all, single)
	}
	var out []string
	for _, n := range all {
		ipnet, err := parseNet(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		out = append(out, ipnet.String())
	}
	return out, nil
}

// parseNet reads a CIDR or a bare address (a /32 or /128), masked to its network.
func parseNet(s string) (*net.IPNet, error) {
	if !strings.Contains(s, "/") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("'%s' is not an IP address or CIDR", s)
		}
		bits := 128
		if ip.To4() != nil {
			ip, bits = ip.To4(), 32
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	_, ipnet, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("'%s' is not an IP address or CIDR", s)
	}
	return ipnet, nil
}

// mergeTag turns a v1 tag (a profile tag, which v3 made a label) into a selector term.
func mergeTag(sel, tag string) string {
	switch {
	case tag == "":
		return sel
	case sel == "":
		return tag + " == ''"
	default:
		return "(" + sel + ") && " + tag + " == ''"
	}
}

// selector renames v1's Kubernetes namespace label, calico/k8s_ns, to v3's
// projectcalico.org/namespace, outside quoted strings; the rest of the text is kept as written.
func selector(s string) string {
	const old, repl = "calico/k8s_ns", "projectcalico.org/namespace"
	if !strings.Contains(s, old) {
		return s
	}
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case strings.HasPrefix(s[i:], old) && !labelByte(before(s, i)) && !labelByte(at(s, i+len(old))):
			b.WriteString(repl)
			i += len(old) - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func before(s string, i int) byte {
	if i == 0 {
		return 0
	}
	return s[i-1]
}

func at(s string, i int) byte {
	if i >= len(s) {
		return 0
	}
	return s[i]
}

func labelByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_./-", c) >= 0
}
