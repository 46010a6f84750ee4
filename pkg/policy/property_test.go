package policy_test

import (
	"fmt"
	"math/rand"
	"net/netip"
	"slices"
	"sort"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/policy"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/selector"
)

// The property: over generated tiers, policies, profiles, workload and host endpoints, network
// sets, outside addresses and packets, Trace's verdict in each direction equals the one of
// bruteForce below, a direct reading of Calico's rules written separately from the package (it
// shares only the selector language).

var (
	propNamespaces = []string{"ns1", "ns2"}
	propLabelKeys  = []string{"app", "tier"}
	propLabelVals  = []string{"a", "b", "c"}
	propAccounts   = []string{"", "sa1", "sa2"}
	propOutside    = []string{"10.0.0.5", "192.168.0.9", "8.8.8.8"}
)

type world struct {
	tiers    []*api.Tier
	gnps     []*api.GlobalNetworkPolicy
	nps      []*api.NetworkPolicy
	profiles []*api.Profile
	weps     []*api.WorkloadEndpoint
	heps     []*api.HostEndpoint
	sets     []*api.GlobalNetworkSet
}

func (w *world) resources() []resources.Resource {
	var out []resources.Resource
	for _, t := range w.tiers {
		out = append(out, t)
	}
	for _, p := range w.gnps {
		out = append(out, p)
	}
	for _, p := range w.nps {
		out = append(out, p)
	}
	for _, p := range w.profiles {
		out = append(out, p)
	}
	for _, e := range w.weps {
		out = append(out, e)
	}
	for _, e := range w.heps {
		out = append(out, e)
	}
	for _, s := range w.sets {
		out = append(out, s)
	}
	return out
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

func genLabels(r *rand.Rand) map[string]string {
	labels := map[string]string{}
	for _, k := range propLabelKeys {
		if r.Intn(3) > 0 {
			labels[k] = pick(r, propLabelVals)
		}
	}
	return labels
}

func genSelector(r *rand.Rand) string {
	k, v := pick(r, propLabelKeys), pick(r, propLabelVals)
	switch r.Intn(5) {
	case 0:
		return "all()"
	case 1:
		return fmt.Sprintf("%s != '%s'", k, v)
	case 2:
		return fmt.Sprintf("has(%s)", k)
	default:
		return fmt.Sprintf("%s == '%s'", k, v)
	}
}

func genRule(r *rand.Rand) api.Rule {
	rule := api.Rule{Action: pick(r, []api.Action{api.Allow, api.Allow, api.Deny, api.Pass, api.Log})}
	portCapable := false
	switch r.Intn(5) {
	case 0, 1:
		p := api.ProtocolFromString(pick(r, []string{"TCP", "UDP"}))
		rule.Protocol = &p
		portCapable = true
	case 2:
		p := api.ProtocolFromString("UDP")
		rule.NotProtocol = &p
	case 3:
		p := api.ProtocolFromString("ICMP")
		rule.Protocol = &p
		if r.Intn(2) == 0 {
			t := pick(r, []int{0, 8})
			rule.ICMP = &api.ICMPFields{Type: &t}
		}
	}
	for _, e := range []*api.EntityRule{&rule.Source, &rule.Destination} {
		if r.Intn(3) == 0 {
			e.Selector = genSelector(r)
		}
		if r.Intn(6) == 0 {
			e.NotSelector = genSelector(r)
		}
		if r.Intn(6) == 0 {
			e.NamespaceSelector = pick(r, []string{"projectcalico.org/name == 'ns1'", "projectcalico.org/name == 'ns2'", "global()", "all()"})
		}
		if r.Intn(8) == 0 {
			e.ServiceAccounts = &api.ServiceAccountMatch{Names: []string{pick(r, propAccounts[1:])}}
		}
		if r.Intn(5) == 0 {
			e.Nets = []string{pick(r, []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.0.0/16", "192.168.0.0/16"})}
		}
		if r.Intn(6) == 0 {
			e.NotNets = []string{pick(r, []string{"10.0.0.0/25", "10.0.1.0/24"})}
		}
		if portCapable && r.Intn(2) == 0 {
			if r.Intn(3) == 0 {
				e.Ports = []api.Port{{PortName: "http"}}
			} else {
				lo := uint16(pick(r, []int{80, 443, 1000}))
				e.Ports = []api.Port{{MinPort: lo, MaxPort: lo + uint16(r.Intn(2)*100)}}
			}
		}
		if portCapable && r.Intn(5) == 0 {
			e.NotPorts = []api.Port{api.SinglePort(uint16(pick(r, []int{80, 443})))}
		}
	}
	return rule
}

func genRules(r *rand.Rand) []api.Rule {
	var rules []api.Rule
	for i := r.Intn(4); i > 0; i-- {
		rules = append(rules, genRule(r))
	}
	return rules
}

func genOrder(r *rand.Rand) *float64 {
	if r.Intn(3) == 0 {
		return nil
	}
	o := float64(r.Intn(3))
	return &o
}

func genTypes(r *rand.Rand) []api.PolicyType {
	return pick(r, [][]api.PolicyType{nil, {api.PolicyTypeIngress}, {api.PolicyTypeEgress}, {api.PolicyTypeIngress, api.PolicyTypeEgress}})
}

func genWorld(r *rand.Rand) *world {
	w := &world{}
	order := 100.0
	action := pick(r, []api.Action{api.Deny, api.Pass})
	w.tiers = append(w.tiers, &api.Tier{ObjectMeta: metav1.ObjectMeta{Name: "t1"}, Spec: api.TierSpec{Order: &order, DefaultAction: &action}})
	tiers := []string{"", "default", "t1"}
	for i := r.Intn(5); i > 0; i-- {
		g := &api.GlobalNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("g%d", i)},
			Spec: api.GlobalNetworkPolicySpec{Tier: pick(r, tiers), Order: genOrder(r), Selector: genSelector(r), Types: genTypes(r),
				Ingress: genRules(r), Egress: genRules(r)}}
		if r.Intn(5) == 0 {
			g.Spec.NamespaceSelector = "projectcalico.org/name == 'ns1'"
		}
		w.gnps = append(w.gnps, g)
	}
	for i := r.Intn(5); i > 0; i-- {
		w.nps = append(w.nps, &api.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("n%d", i), Namespace: pick(r, propNamespaces)},
			Spec: api.NetworkPolicySpec{Tier: pick(r, tiers), Order: genOrder(r), Selector: genSelector(r), Types: genTypes(r),
				Ingress: genRules(r), Egress: genRules(r)}})
	}
	w.profiles = append(w.profiles, &api.Profile{ObjectMeta: metav1.ObjectMeta{Name: "prof"},
		Spec: api.ProfileSpec{Ingress: genRules(r), Egress: genRules(r)}})
	profiles := func() []string {
		if r.Intn(3) > 0 {
			return []string{"prof"}
		}
		return nil
	}
	for i := 0; i < 5; i++ {
		wep := &api.WorkloadEndpoint{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("n-k8s-p%d-eth0", i), Namespace: pick(r, propNamespaces), Labels: genLabels(r)},
			Spec: api.WorkloadEndpointSpec{Pod: fmt.Sprintf("p%d", i), IPNetworks: []string{fmt.Sprintf("10.0.%d.%d/32", i%2, 3+i*2)},
				Profiles: profiles(), ServiceAccountName: pick(r, propAccounts)}}
		if r.Intn(2) == 0 {
			wep.Spec.Ports = []api.WorkloadEndpointPort{{Name: "http", Protocol: api.ProtocolFromString("TCP"), Port: 8080}}
		}
		w.weps = append(w.weps, wep)
	}
	w.heps = append(w.heps, &api.HostEndpoint{ObjectMeta: metav1.ObjectMeta{Name: "host", Labels: genLabels(r)},
		Spec: api.HostEndpointSpec{Node: "n", InterfaceName: "eth0", ExpectedIPs: []string{"10.0.2.1"}, Profiles: profiles()}})
	w.sets = append(w.sets, &api.GlobalNetworkSet{ObjectMeta: metav1.ObjectMeta{Name: "set", Labels: genLabels(r)},
		Spec: api.GlobalNetworkSetSpec{Nets: []string{pick(r, []string{"10.0.0.0/28", "192.168.0.0/24"})}}})
	return w
}

// --- the brute-force evaluator ---

// bfID is one thing an address can be: an endpoint or a network set.
type bfID struct {
	labels     map[string]string
	ns         string
	namespaced bool
	sa         string
	httpPort   bool
}

// bfPeer is one end of the packet: its address, what the address is, and the endpoint (if any).
type bfPeer struct {
	ip  netip.Addr
	ids []bfID
	ep  *bfEndpoint
}

type bfEndpoint struct {
	ns, name string
	workload bool
	labels   map[string]string
	profiles []string
	sa       string
	httpPort bool
	ip       netip.Addr
}

func endpointsOf(w *world) []*bfEndpoint {
	var out []*bfEndpoint
	for _, e := range w.weps {
		l := map[string]string{"projectcalico.org/namespace": e.Namespace}
		if e.Spec.ServiceAccountName != "" {
			l["projectcalico.org/serviceaccount"] = e.Spec.ServiceAccountName
		}
		for k, v := range e.Labels {
			l[k] = v
		}
		out = append(out, &bfEndpoint{ns: e.Namespace, name: e.Name, workload: true, labels: l, profiles: e.Spec.Profiles,
			sa: e.Spec.ServiceAccountName, httpPort: len(e.Spec.Ports) > 0, ip: netip.MustParsePrefix(e.Spec.IPNetworks[0]).Addr()})
	}
	for _, h := range w.heps {
		out = append(out, &bfEndpoint{name: h.Name, labels: h.Labels, profiles: h.Spec.Profiles, ip: netip.MustParseAddr(h.Spec.ExpectedIPs[0])})
	}
	return out
}

func peerOf(w *world, eps []*bfEndpoint, ep *bfEndpoint, ip netip.Addr) bfPeer {
	p := bfPeer{ip: ip, ep: ep}
	for _, e := range eps {
		if e.ip == ip {
			p.ids = append(p.ids, bfID{labels: e.labels, ns: e.ns, namespaced: e.workload, sa: e.sa, httpPort: e.httpPort})
		}
	}
	for _, s := range w.sets {
		if netip.MustParsePrefix(s.Spec.Nets[0]).Contains(ip) {
			p.ids = append(p.ids, bfID{labels: s.Labels})
		}
	}
	return p
}

func sel(s string) *selector.Selector {
	if s == "" {
		return selector.MustParse("all()")
	}
	return selector.MustParse(s)
}

func bfEntity(e api.EntityRule, p bfPeer, port uint16, proto uint8, scopeNS string) bool {
	in := func(nets []string) bool {
		for _, n := range nets {
			if netip.MustParsePrefix(n).Contains(p.ip) {
				return true
			}
		}
		return false
	}
	if len(e.Nets) > 0 && !in(e.Nets) {
		return false
	}
	if in(e.NotNets) {
		return false
	}
	scope := func(id bfID) bool {
		switch {
		case e.NamespaceSelector == "global()":
			return !id.namespaced
		case e.NamespaceSelector != "":
			return id.namespaced && sel(e.NamespaceSelector).Evaluate(map[string]string{"projectcalico.org/name": id.ns})
		case scopeNS != "":
			return id.namespaced && id.ns == scopeNS
		}
		return true
	}
	selecting := e.Selector != "" || e.NamespaceSelector != "" || e.ServiceAccounts != nil
	picked := func(id bfID) bool {
		if !scope(id) || !sel(e.Selector).Evaluate(id.labels) {
			return false
		}
		return e.ServiceAccounts == nil || (id.sa != "" && slices.Contains(e.ServiceAccounts.Names, id.sa))
	}
	if selecting && !slices.ContainsFunc(p.ids, picked) {
		return false
	}
	if e.NotSelector != "" && slices.ContainsFunc(p.ids, func(id bfID) bool { return scope(id) && sel(e.NotSelector).Evaluate(id.labels) }) {
		return false
	}
	inPorts := func(ps []api.Port) bool {
		if (proto != 6 && proto != 17) || port == 0 {
			return false
		}
		for _, pr := range ps {
			if pr.PortName != "" {
				if proto == 6 && port == 8080 && slices.ContainsFunc(p.ids, func(id bfID) bool { return id.httpPort && (!selecting || picked(id)) }) {
					return true
				}
				continue
			}
			if port >= pr.MinPort && port <= pr.MaxPort {
				return true
			}
		}
		return false
	}
	if len(e.Ports) > 0 && !inPorts(e.Ports) {
		return false
	}
	return !inPorts(e.NotPorts)
}

type bfPacket struct {
	proto    uint8
	port     uint16
	icmpType int
}

func bfRule(r api.Rule, src, dst bfPeer, pkt bfPacket, scopeNS string) bool {
	num := map[string]uint8{"TCP": 6, "UDP": 17, "ICMP": 1}
	if r.Protocol != nil && num[r.Protocol.String()] != pkt.proto {
		return false
	}
	if r.NotProtocol != nil && num[r.NotProtocol.String()] == pkt.proto {
		return false
	}
	if r.ICMP != nil && (pkt.proto != 1 || *r.ICMP.Type != pkt.icmpType) {
		return false
	}
	return bfEntity(r.Source, src, 0, pkt.proto, scopeNS) && bfEntity(r.Destination, dst, pkt.port, pkt.proto, scopeNS)
}

type bfPolicy struct {
	tier, ns, name, nsSelector string
	tierOrder, order           float64
	ingressOK, egressOK        bool
	ingress, egress            []api.Rule
	selector                   string
}

func bruteForce(w *world, at *bfEndpoint, src, dst bfPeer, ingress bool, pkt bfPacket) string {
	if at == nil {
		return policy.NoPolicy
	}
	tierOrder := map[string]float64{"default": 1_000_000, "t1": *w.tiers[0].Spec.Order}
	tierAction := map[string]api.Action{"default": api.Deny, "t1": *w.tiers[0].Spec.DefaultAction}
	var ps []bfPolicy
	add := func(tier, ns, name, nsSel string, order *float64, s string, types []api.PolicyType, in, eg []api.Rule) {
		if tier == "" {
			tier = "default"
		}
		p := bfPolicy{tier: tier, ns: ns, name: name, nsSelector: nsSel, tierOrder: tierOrder[tier], order: 1e18, ingress: in, egress: eg, selector: s}
		if order != nil {
			p.order = *order
		}
		if len(types) == 0 {
			p.ingressOK, p.egressOK = len(in) > 0 || len(eg) == 0, len(eg) > 0
		}
		for _, t := range types {
			p.ingressOK = p.ingressOK || t == api.PolicyTypeIngress
			p.egressOK = p.egressOK || t == api.PolicyTypeEgress
		}
		ps = append(ps, p)
	}
	for _, g := range w.gnps {
		add(g.Spec.Tier, "", g.Name, g.Spec.NamespaceSelector, g.Spec.Order, g.Spec.Selector, g.Spec.Types, g.Spec.Ingress, g.Spec.Egress)
	}
	for _, n := range w.nps {
		add(n.Spec.Tier, n.Namespace, n.Name, "", n.Spec.Order, n.Spec.Selector, n.Spec.Types, n.Spec.Ingress, n.Spec.Egress)
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.tierOrder != b.tierOrder {
			return a.tierOrder < b.tierOrder
		}
		if a.order != b.order {
			return a.order < b.order
		}
		return a.ns+"/"+a.name < b.ns+"/"+b.name
	})
	var applicable []bfPolicy
	for _, p := range ps {
		dirOK := p.egressOK
		if ingress {
			dirOK = p.ingressOK
		}
		if !dirOK || !sel(p.selector).Evaluate(at.labels) {
			continue
		}
		if p.ns != "" && (!at.workload || p.ns != at.ns) {
			continue
		}
		if p.nsSelector != "" && (!at.workload || !sel(p.nsSelector).Evaluate(map[string]string{"projectcalico.org/name": at.ns})) {
			continue
		}
		applicable = append(applicable, p)
	}
	for _, tier := range []string{"t1", "default"} {
		var inTier []bfPolicy
		for _, p := range applicable {
			if p.tier == tier {
				inTier = append(inTier, p)
			}
		}
		if len(inTier) == 0 {
			continue
		}
		passed := false
	tierLoop:
		for _, p := range inTier {
			rules := p.egress
			if ingress {
				rules = p.ingress
			}
			for _, r := range rules {
				if !bfRule(r, src, dst, pkt, p.ns) {
					continue
				}
				switch r.Action {
				case api.Allow, api.Deny:
					return string(r.Action)
				case api.Pass:
					passed = true
					break tierLoop
				}
			}
		}
		if passed || tierAction[tier] == api.Pass {
			continue
		}
		return "Deny"
	}
	if slices.Contains(at.profiles, "prof") {
		rules := w.profiles[0].Spec.Egress
		if ingress {
			rules = w.profiles[0].Spec.Ingress
		}
		for _, r := range rules {
			if !bfRule(r, src, dst, pkt, "") {
				continue
			}
			if r.Action == api.Allow || r.Action == api.Deny {
				return string(r.Action)
			}
			if r.Action == api.Pass {
				break
			}
		}
	}
	return "Deny"
}

func TestTraceAgreesWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewSource(20261203))
	checked := map[string]int{}
	for iter := 0; iter < 500; iter++ {
		w := genWorld(r)
		m := policy.NewModel(policy.Input{Resources: w.resources()})
		if err := m.CheckValid(); err != nil {
			t.Fatal(err)
		}
		eps := endpointsOf(w)
		for k := 0; k < 20; k++ {
			// Each end is an endpoint, or (one of them at most) an outside address.
			src, dst := pick(r, eps), pick(r, eps)
			srcIP, dstIP := src.ip, dst.ip
			switch r.Intn(6) {
			case 0:
				src, srcIP = nil, netip.MustParseAddr(pick(r, propOutside))
			case 1:
				dst, dstIP = nil, netip.MustParseAddr(pick(r, propOutside))
			}
			pkt := bfPacket{proto: pick(r, []uint8{6, 6, 17, 1})}
			policyPkt := policy.Packet{Protocol: pkt.proto}
			if pkt.proto == 1 {
				pkt.icmpType = pick(r, []int{0, 8})
				policyPkt.ICMPType = &pkt.icmpType
			} else {
				pkt.port = pick(r, []uint16{80, 443, 1050, 22, 8080})
				policyPkt.DstPort = pkt.port
			}
			res := m.Trace(m.NewPeer(m.EndpointByAddr(srcIP), srcIP), m.NewPeer(m.EndpointByAddr(dstIP), dstIP), policyPkt)
			sp, dp := peerOf(w, eps, src, srcIP), peerOf(w, eps, dst, dstIP)
			wantEg := bruteForce(w, src, sp, dp, false, pkt)
			wantIn := bruteForce(w, dst, sp, dp, true, pkt)
			if res.Egress.Action != wantEg || res.Ingress.Action != wantIn {
				t.Fatalf("iteration %d, %s -> %s %+v: trace egress %s (%s), ingress %s (%s); brute force egress %s, ingress %s\nworld: %s",
					iter, srcIP, dstIP, pkt, res.Egress.Action, res.Egress.Reason, res.Ingress.Action, res.Ingress.Reason, wantEg, wantIn, dump(w))
			}
			checked[res.Egress.DecidedBy]++
			checked[res.Ingress.DecidedBy]++
		}
	}
	t.Logf("verdicts by how they were decided: %v", checked)
	// The generator must reach every way of deciding, or the property proves little.
	for _, by := range []string{policy.ByRule, policy.ByTierDefault, policy.ByProfileRule, policy.ByNoProfile, policy.ByNoEndpoint} {
		if checked[by] < 50 {
			t.Errorf("only %d verdicts decided by %s: %v", checked[by], by, checked)
		}
	}
}

func dump(w *world) string {
	s := ""
	for _, r := range w.resources() {
		s += fmt.Sprintf("\n%+v", r)
	}
	return s
}
