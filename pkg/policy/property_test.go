package policy_test

import (
	"fmt"
	"math/rand"
	"net/netip"
	"sort"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/policy"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/selector"
)

// The property: over generated tiers, policies, profiles, endpoints and packets, Trace's
// verdict in each direction equals the one of bruteForce below, a direct reading of Calico's
// rules written separately from the package (it shares only the selector language).

var (
	propNamespaces = []string{"ns1", "ns2"}
	propLabelKeys  = []string{"app", "tier"}
	propLabelVals  = []string{"a", "b", "c"}
)

type world struct {
	tiers    []*api.Tier
	gnps     []*api.GlobalNetworkPolicy
	nps      []*api.NetworkPolicy
	profiles []*api.Profile
	weps     []*api.WorkloadEndpoint
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
	return out
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

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
	switch r.Intn(4) {
	case 0:
		p := api.ProtocolFromString(pick(r, []string{"TCP", "UDP"}))
		rule.Protocol = &p
		portCapable = true
	case 1:
		p := api.ProtocolFromString("UDP")
		rule.NotProtocol = &p
	}
	for _, e := range []*api.EntityRule{&rule.Source, &rule.Destination} {
		if r.Intn(3) == 0 {
			e.Selector = genSelector(r)
		}
		if r.Intn(6) == 0 {
			e.NotSelector = genSelector(r)
		}
		if r.Intn(6) == 0 {
			e.NamespaceSelector = fmt.Sprintf("projectcalico.org/name == '%s'", pick(r, propNamespaces))
		}
		if r.Intn(5) == 0 {
			e.Nets = []string{pick(r, []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.0.0/16"})}
		}
		if r.Intn(6) == 0 {
			e.NotNets = []string{pick(r, []string{"10.0.0.0/25", "10.0.1.0/24"})}
		}
		if portCapable && r.Intn(2) == 0 {
			lo := uint16(pick(r, []int{80, 443, 1000}))
			e.Ports = []api.Port{{MinPort: lo, MaxPort: lo + uint16(r.Intn(2)*100)}}
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
		w.gnps = append(w.gnps, &api.GlobalNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("g%d", i)},
			Spec: api.GlobalNetworkPolicySpec{Tier: pick(r, tiers), Order: genOrder(r), Selector: genSelector(r), Types: genTypes(r),
				Ingress: genRules(r), Egress: genRules(r)}})
	}
	for i := r.Intn(5); i > 0; i-- {
		w.nps = append(w.nps, &api.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("n%d", i), Namespace: pick(r, propNamespaces)},
			Spec: api.NetworkPolicySpec{Tier: pick(r, tiers), Order: genOrder(r), Selector: genSelector(r), Types: genTypes(r),
				Ingress: genRules(r), Egress: genRules(r)}})
	}
	w.profiles = append(w.profiles, &api.Profile{ObjectMeta: metav1.ObjectMeta{Name: "prof"},
		Spec: api.ProfileSpec{Ingress: genRules(r), Egress: genRules(r)}})
	for i := 0; i < 5; i++ {
		labels := map[string]string{}
		for _, k := range propLabelKeys {
			if r.Intn(3) > 0 {
				labels[k] = pick(r, propLabelVals)
			}
		}
		var profiles []string
		if r.Intn(3) > 0 {
			profiles = []string{"prof"}
		}
		w.weps = append(w.weps, &api.WorkloadEndpoint{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("n-k8s-p%d-eth0", i), Namespace: pick(r, propNamespaces), Labels: labels},
			Spec:       api.WorkloadEndpointSpec{Pod: fmt.Sprintf("p%d", i), IPNetworks: []string{fmt.Sprintf("10.0.%d.%d/32", i%2, 10+i)}, Profiles: profiles}})
	}
	return w
}

// --- the brute-force evaluator ---

func labelsOf(w *world, e *api.WorkloadEndpoint) map[string]string {
	l := map[string]string{"projectcalico.org/namespace": e.Namespace}
	for k, v := range e.Labels {
		l[k] = v
	}
	return l
}

func sel(s string) *selector.Selector {
	if s == "" {
		return selector.MustParse("all()")
	}
	return selector.MustParse(s)
}

type bfPolicy struct {
	tier, ns, name      string
	tierOrder, order    float64
	ingressOK, egressOK bool
	ingress, egress     []api.Rule
	selector            string
}

func bfEntity(e api.EntityRule, ep *api.WorkloadEndpoint, w *world, port uint16, proto uint8, scopeNS string) bool {
	ip := netip.MustParsePrefix(ep.Spec.IPNetworks[0]).Addr()
	in := func(nets []string) bool {
		for _, n := range nets {
			if netip.MustParsePrefix(n).Contains(ip) {
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
	nsOK := true
	if e.NamespaceSelector != "" {
		nsOK = sel(e.NamespaceSelector).Evaluate(map[string]string{"projectcalico.org/name": ep.Namespace})
	} else if scopeNS != "" {
		nsOK = ep.Namespace == scopeNS
	}
	if (e.Selector != "" || e.NamespaceSelector != "") && !(nsOK && sel(e.Selector).Evaluate(labelsOf(w, ep))) {
		return false
	}
	if e.NotSelector != "" && nsOK && sel(e.NotSelector).Evaluate(labelsOf(w, ep)) {
		return false
	}
	inPorts := func(ps []api.Port) bool {
		if proto != 6 && proto != 17 {
			return false
		}
		for _, p := range ps {
			if port >= p.MinPort && port <= p.MaxPort {
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

func bfRule(r api.Rule, src, dst *api.WorkloadEndpoint, w *world, proto uint8, port uint16, scopeNS string) bool {
	num := func(p *api.Protocol) uint8 {
		if p.String() == "TCP" {
			return 6
		}
		return 17
	}
	if r.Protocol != nil && num(r.Protocol) != proto {
		return false
	}
	if r.NotProtocol != nil && num(r.NotProtocol) == proto {
		return false
	}
	return bfEntity(r.Source, src, w, 0, proto, scopeNS) && bfEntity(r.Destination, dst, w, port, proto, scopeNS)
}

func bruteForce(w *world, at, src, dst *api.WorkloadEndpoint, ingress bool, proto uint8, port uint16) string {
	tierOrder := map[string]float64{"default": 1_000_000, "t1": *w.tiers[0].Spec.Order}
	tierAction := map[string]api.Action{"default": api.Deny, "t1": *w.tiers[0].Spec.DefaultAction}
	inf := 1e18
	var ps []bfPolicy
	add := func(tier, ns, name string, order *float64, s string, types []api.PolicyType, in, eg []api.Rule) {
		if tier == "" {
			tier = "default"
		}
		p := bfPolicy{tier: tier, ns: ns, name: name, tierOrder: tierOrder[tier], order: inf, ingress: in, egress: eg, selector: s}
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
		add(g.Spec.Tier, "", g.Name, g.Spec.Order, g.Spec.Selector, g.Spec.Types, g.Spec.Ingress, g.Spec.Egress)
	}
	for _, n := range w.nps {
		add(n.Spec.Tier, n.Namespace, n.Name, n.Spec.Order, n.Spec.Selector, n.Spec.Types, n.Spec.Ingress, n.Spec.Egress)
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
		if dirOK && (p.ns == "" || p.ns == at.Namespace) && sel(p.selector).Evaluate(labelsOf(w, at)) {
			applicable = append(applicable, p)
		}
	}
	for _, tier := range []string{"t1", "default"} {
		if tierOrder["t1"] > tierOrder["default"] {
			panic("t1 comes first")
		}
		var inTier []bfPolicy
		for _, p := range applicable {
			if p.tier == tier {
				inTier = append(inTier, p)
			}
		}
		if len(inTier) == 0 {
			continue
		}
		result := ""
	tierLoop:
		for _, p := range inTier {
			rules := p.egress
			if ingress {
				rules = p.ingress
			}
			for _, r := range rules {
				if !bfRule(r, src, dst, w, proto, port, p.ns) {
					continue
				}
				switch r.Action {
				case api.Allow, api.Deny:
					return string(r.Action)
				case api.Pass:
					result = "pass"
					break tierLoop
				}
			}
		}
		if result == "pass" || tierAction[tier] == api.Pass {
			continue
		}
		return "Deny"
	}
	for _, name := range at.Spec.Profiles {
		prof := w.profiles[0]
		if prof.Name != name {
			continue
		}
		rules := prof.Spec.Egress
		if ingress {
			rules = prof.Spec.Ingress
		}
		for _, r := range rules {
			if bfRule(r, src, dst, w, proto, port, "") && (r.Action == api.Allow || r.Action == api.Deny) {
				return string(r.Action)
			}
			if bfRule(r, src, dst, w, proto, port, "") && r.Action == api.Pass {
				break
			}
		}
	}
	return "Deny"
}

func TestTraceAgreesWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewSource(20261203))
	checked := map[string]int{}
	for iter := 0; iter < 400; iter++ {
		w := genWorld(r)
		m := policy.NewModel(policy.Input{Resources: w.resources()})
		if err := m.CheckValid(); err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 15; k++ {
			src, dst := pick(r, w.weps), pick(r, w.weps)
			proto := pick(r, []uint8{6, 17, 1})
			var port uint16
			if proto != 1 {
				port = pick(r, []uint16{80, 443, 1050, 22})
			}
			sp, err := m.FindEndpoint("", src.Namespace, src.Name)
			if err != nil {
				t.Fatal(err)
			}
			dp, err := m.FindEndpoint("", dst.Namespace, dst.Name)
			if err != nil {
				t.Fatal(err)
			}
			res := m.Trace(m.NewPeer(sp, netip.Addr{}), m.NewPeer(dp, netip.Addr{}), policy.Packet{Protocol: proto, DstPort: port})
			wantEg := bruteForce(w, src, src, dst, false, proto, port)
			wantIn := bruteForce(w, dst, src, dst, true, proto, port)
			if res.Egress.Action != wantEg || res.Ingress.Action != wantIn {
				t.Fatalf("iteration %d, %s -> %s %d/%d: trace egress %s (%s), ingress %s (%s); brute force egress %s, ingress %s\nworld: %s",
					iter, src.Name, dst.Name, proto, port, res.Egress.Action, res.Egress.Reason, res.Ingress.Action, res.Ingress.Reason, wantEg, wantIn, dump(w))
			}
			checked[res.Egress.DecidedBy]++
			checked[res.Ingress.DecidedBy]++
		}
	}
	t.Logf("verdicts by how they were decided: %v", checked)
	// The generator must reach every way of deciding, or the property proves little.
	for _, by := range []string{policy.ByRule, policy.ByTierDefault, policy.ByProfileRule, policy.ByNoProfile} {
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
