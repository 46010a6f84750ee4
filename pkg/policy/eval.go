package policy

import (
	"net/netip"
	"slices"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Direction is Ingress or Egress.
type Direction string

const (
	Ingress Direction = "Ingress"
	Egress  Direction = "Egress"
)

// selects reports whether a policy applies to an endpoint, in any direction.
func (m *Model) selects(p *Policy, e *Endpoint) bool {
	if p.Namespace != "" && (!e.namespaced() || e.Namespace != p.Namespace) {
		return false
	}
	if p.hostOnly && e.Kind != api.KindHostEndpoint {
		return false
	}
	if p.nsSelector != nil && !m.namespaceMatches(p.nsSelector, p.nsGlobal, e.namespaced(), e.Namespace) {
		return false
	}
	if p.saSelector != nil && (e.ServiceAccount == "" || !p.saSelector.Evaluate(m.serviceAccountLabels(e.Namespace, e.ServiceAccount))) {
		return false
	}
	return p.selector == nil || p.selector.Evaluate(e.Labels)
}

func (p *Policy) applies(d Direction) bool {
	if d == Ingress {
		return p.ingressType
	}
	return p.egressType
}

func (p *Policy) rules(d Direction) []rule {
	if d == Ingress {
		return p.ingress
	}
	return p.egress
}

func (p *Profile) rules(d Direction) []rule {
	if d == Ingress {
		return p.ingress
	}
	return p.egress
}

func (m *Model) namespaceMatches(sel interface {
	Evaluate(map[string]string) bool
}, global, namespaced bool, ns string) bool {
	if global {
		return !namespaced
	}
	return namespaced && sel.Evaluate(m.namespaceLabels(ns))
}

// namespaceLabels are a namespace's labels: those of its kns.<ns> profile, and its name. They
// are computed by NewModel for every namespace it saw; the model is read-only afterwards.
func (m *Model) namespaceLabels(ns string) map[string]string {
	if l, ok := m.nsLabels[ns]; ok {
		return l
	}
	return map[string]string{LabelName: ns}
}

func (m *Model) serviceAccountLabels(ns, sa string) map[string]string {
	l := map[string]string{LabelName: sa}
	for k, v := range m.saLabels[ns+"/"+sa] {
		l[k] = v
	}
	return l
}

// policiesFor returns the policies selecting an endpoint (any direction), in evaluation order.
func (m *Model) policiesFor(e *Endpoint, ps []*Policy) []*Policy {
	var out []*Policy
	for _, p := range ps {
		if m.selects(p, e) {
			out = append(out, p)
		}
	}
	return out
}

// applicable returns the enforced policies selecting an endpoint, in evaluation order.
func (m *Model) applicable(e *Endpoint) []*Policy {
	var out []*Policy
	if e.namespaced() {
		ns := m.nsPolicies[e.Namespace]
		// Merge global and namespaced policies back into evaluation order.
		out = make([]*Policy, 0, 8)
		gi, ni := 0, 0
		order := m.policyRank()
		for gi < len(m.global) || ni < len(ns) {
			var p *Policy
			if ni >= len(ns) || (gi < len(m.global) && order[m.global[gi]] < order[ns[ni]]) {
				p = m.global[gi]
				gi++
			} else {
				p = ns[ni]
				ni++
			}
			if m.selects(p, e) {
				out = append(out, p)
			}
		}
		return out
	}
	return m.policiesFor(e, m.global)
}

// policyRank maps each enforced policy to its position in evaluation order.
func (m *Model) policyRank() map[*Policy]int {
	if m.rank == nil {
		m.rank = make(map[*Policy]int, len(m.policies))
		for i, p := range m.policies {
			m.rank[p] = i
		}
	}
	return m.rank
}

// identity is one thing a peer address may be: an endpoint or a network set.
type identity struct {
	labels     map[string]string
	namespace  string
	namespaced bool
	sa         string
	ports      []NamedPort
}

// Peer is one end of a traced connection: an endpoint, an address, or both.
type Peer struct {
	// Endpoint is set when the peer is a Calico endpoint; policy applies to it.
	Endpoint *Endpoint
	// Addr is the address the packet carries (may be invalid when unknown).
	Addr netip.Addr
	ids  []identity
}

// NewPeer resolves an endpoint and/or an address into what rule selectors see: the endpoint,
// every other endpoint with the address, and every network set containing it.
func (m *Model) NewPeer(e *Endpoint, addr netip.Addr) *Peer {
	p := &Peer{Endpoint: e, Addr: addr}
	if e != nil {
		p.ids = append(p.ids, endpointIdentity(e))
		if !addr.IsValid() && len(e.IPs) > 0 {
			p.Addr = e.IPs[0]
		}
	}
	if p.Addr.IsValid() {
		for _, other := range m.byIP[p.Addr] {
			if other != e {
				p.ids = append(p.ids, endpointIdentity(other))
			}
		}
		for _, s := range m.netsets {
			if anyPrefixContains(s.Nets, p.Addr) {
				p.ids = append(p.ids, identity{labels: s.Labels, namespace: s.Namespace, namespaced: s.Namespace != ""})
			}
		}
	}
	return p
}

func endpointIdentity(e *Endpoint) identity {
	return identity{labels: e.Labels, namespace: e.Namespace, namespaced: e.namespaced(), sa: e.ServiceAccount, ports: e.Ports}
}

// Packet is what is traced: a protocol and ports (or an ICMP type and code).
type Packet struct {
	Protocol uint8  `json:"protocol"`
	SrcPort  uint16 `json:"sourcePort,omitempty"` // 0: unknown
	DstPort  uint16 `json:"port,omitempty"`       // 0: none
	ICMPType *int   `json:"icmpType,omitempty"`
	ICMPCode *int   `json:"icmpCode,omitempty"`
}

// ruleMatches reports whether a rule matches the packet between src and dst. scopeNS is the
// namespace of a namespaced policy: its selectors without a namespaceSelector stay in it.
func (m *Model) ruleMatches(r *rule, src, dst *Peer, pkt Packet, scopeNS string) bool {
	if r.ipVersion != 0 {
		v := ipVersion(src.Addr, dst.Addr)
		if v != r.ipVersion {
			return false
		}
	}
	if r.protocol != nil && *r.protocol != pkt.Protocol {
		return false
	}
	if r.notProtocol != nil && *r.notProtocol == pkt.Protocol {
		return false
	}
	if r.icmp != nil && !icmpMatches(r.icmp, pkt) {
		return false
	}
	if r.notICMP != nil && icmpMatches(r.notICMP, pkt) {
		return false
	}
	return m.entityMatches(&r.src, src, pkt.Protocol, pkt.SrcPort, scopeNS) &&
		m.entityMatches(&r.dst, dst, pkt.Protocol, pkt.DstPort, scopeNS)
}

func ipVersion(a, b netip.Addr) int {
	for _, x := range []netip.Addr{a, b} {
		if x.IsValid() {
			if x.Is4() {
				return 4
			}
			return 6
		}
	}
	return 4
}

func icmpMatches(m *icmpMatch, pkt Packet) bool {
	if pkt.Protocol != 1 && pkt.Protocol != 58 {
		return false
	}
	if m.typ != nil && (pkt.ICMPType == nil || *pkt.ICMPType != *m.typ) {
		return false
	}
	if m.code != nil && (pkt.ICMPCode == nil || *pkt.ICMPCode != *m.code) {
		return false
	}
	return true
}

// inScope reports whether an identity can be selected by an entity rule of a policy in scopeNS.
func (m *Model) inScope(e *entity, id *identity, scopeNS string) bool {
	if e.namespaceSelector != nil {
		return m.namespaceMatches(e.namespaceSelector, e.nsGlobal, id.namespaced, id.namespace)
	}
	if scopeNS != "" {
		return id.namespaced && id.namespace == scopeNS
	}
	return true
}

// selected reports whether an identity satisfies the entity's selector, namespace selector and
// service-account match.
func (m *Model) selected(e *entity, id *identity, scopeNS string) bool {
	if !m.inScope(e, id, scopeNS) {
		return false
	}
	if e.selector != nil && !e.selector.Evaluate(id.labels) {
		return false
	}
	if e.hasSA {
		if id.sa == "" {
			return false
		}
		if len(e.saNames) > 0 && !slices.Contains(e.saNames, id.sa) {
			return false
		}
		if e.saSelector != nil && !e.saSelector.Evaluate(m.serviceAccountLabels(id.namespace, id.sa)) {
			return false
		}
	}
	return true
}

func (m *Model) entityMatches(e *entity, p *Peer, proto uint8, port uint16, scopeNS string) bool {
	if e.services != nil {
		return false // Kubernetes Service endpoints are not part of the model
	}
	if len(e.nets) > 0 && !anyPrefixContains(e.nets, p.Addr) {
		return false
	}
	if len(e.notNets) > 0 && anyPrefixContains(e.notNets, p.Addr) {
		return false
	}
	selects := e.selector != nil || e.namespaceSelector != nil || e.hasSA
	if selects {
		found := false
		for i := range p.ids {
			if m.selected(e, &p.ids[i], scopeNS) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if e.notSelector != nil {
		for i := range p.ids {
			if m.inScope(e, &p.ids[i], scopeNS) && e.notSelector.Evaluate(p.ids[i].labels) {
				return false
			}
		}
	}
	if len(e.ports) > 0 && !m.portMatches(e, e.ports, p, proto, port, scopeNS, selects) {
		return false
	}
	if len(e.notPorts) > 0 && m.portMatches(e, e.notPorts, p, proto, port, scopeNS, selects) {
		return false
	}
	return true
}

// portMatches reports whether port is in one of the ranges, or is a named port of an identity
// of the peer (one the entity selects, when it has a selector) with the packet's protocol.
func (m *Model) portMatches(e *entity, ranges []portRange, p *Peer, proto uint8, port uint16, scopeNS string, selects bool) bool {
	if port == 0 || !portsSupported(proto) {
		return false
	}
	for _, r := range ranges {
		if r.name == "" {
			if port >= r.min && port <= r.max {
				return true
			}
			continue
		}
		for i := range p.ids {
			id := &p.ids[i]
			if selects && !m.selected(e, id, scopeNS) {
				continue
			}
			for _, np := range id.ports {
				if np.Name == r.name && np.Protocol == proto && np.Port == port {
					return true
				}
			}
		}
	}
	return false
}
