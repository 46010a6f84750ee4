// Package policy evaluates Calico's policy model without a node: which tiers, policies and
// profiles apply to an endpoint (Explain), what they do to one packet (Trace), and what in them
// can never work as written (Lint). It works on resources alone, from a datastore or from files,
// and follows Felix's semantics:
//
//   - tiers in order (then by name); in a tier, policies by order (unset last), then by name;
//   - in a policy, rules in order: Allow and Deny decide, Pass leaves the tier, Log goes on;
//   - a tier with a policy selecting the endpoint (for that direction) but no rule deciding ends
//     with its default action: Deny (the implicit end-of-tier deny) or Pass;
//   - profiles apply only when no tier has a policy for the endpoint, or every tier passed; an
//     endpoint whose profiles do not allow the packet drops it;
//   - staged policies are never enforced: they are evaluated apart, as if applied.
//
// Rule selectors match a peer by address, as Felix's IP sets do: a peer matches when the
// endpoint itself, another endpoint with the same address, or a network set containing it has
// matching labels.
package policy

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/selector"
)

// Labels Calico puts on workload endpoints, and the prefixes of profile labels derived from
// namespaces and service accounts.
const (
	LabelNamespace      = "projectcalico.org/namespace"
	LabelOrchestrator   = "projectcalico.org/orchestrator"
	LabelServiceAccount = "projectcalico.org/serviceaccount"
	LabelName           = "projectcalico.org/name"
	namespaceProfile    = "kns."
	serviceAcctProfile  = "ksa."
	namespaceLabelPfx   = "pcns."
	serviceAcctLabelPfx = "pcsa."
	// KubernetesPolicyPrefix is how Calico names the policy it makes of a Kubernetes
	// NetworkPolicy.
	KubernetesPolicyPrefix = "knp.default."
	// DefaultAllowProfile is Calico's built-in allow-all profile.
	DefaultAllowProfile = "projectcalico-default-allow"
)

// Endpoint is a WorkloadEndpoint or HostEndpoint as policy sees it.
type Endpoint struct {
	Kind      string            `json:"kind"`
	Namespace string            `json:"namespace,omitempty"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"` // effective: profile labels, then the endpoint's own
	IPs       []netip.Addr      `json:"ips,omitempty"`
	Profiles  []string          `json:"profiles,omitempty"`
	// ServiceAccount is the pod's service account (workload endpoints).
	ServiceAccount string      `json:"serviceAccount,omitempty"`
	Ports          []NamedPort `json:"-"`
	// workload is the pod or workload name a workload endpoint may be found by.
	workload string
}

// NamedPort is a port an endpoint names, for rules that use the name.
type NamedPort struct {
	Name     string
	Protocol uint8
	Port     uint16
}

// ID names the endpoint as calicoctl does: namespace/name for workload endpoints.
func (e *Endpoint) ID() string {
	if e.Namespace != "" {
		return e.Namespace + "/" + e.Name
	}
	return e.Name
}

func (e *Endpoint) namespaced() bool { return e.Kind == api.KindWorkloadEndpoint }

// NetSet is a NetworkSet or GlobalNetworkSet.
type NetSet struct {
	Kind      string
	Namespace string
	Name      string
	Labels    map[string]string
	Nets      []netip.Prefix
}

// Tier is a tier of the model. Missing tiers are named by policies but not defined.
type Tier struct {
	Name          string
	Order         *float64
	DefaultAction api.Action
	Missing       bool
}

// Policy is any policy kind compiled: Calico's, the staged ones and Kubernetes NetworkPolicies
// as Calico sees them (NetworkPolicy knp.default.<name>).
type Policy struct {
	Kind      string
	Namespace string // "" for global policies
	Name      string
	Tier      string
	Order     *float64
	// Source names the Kubernetes object a converted policy comes from.
	Source string

	selector, nsSelector, saSelector *selector.Selector
	nsGlobal                         bool
	ingressType, egressType          bool
	hostOnly                         bool // preDNAT and doNotTrack policies apply to host endpoints only
	ingress, egress                  []rule
	rawIngress, rawEgress            []api.Rule
	Staged                           bool
	StagedAction                     api.StagedAction
	// counterpart and counterpartName are the enforced kind and name a staged policy stands for.
	counterpart, counterpartName string
	obj                          resources.Resource
}

// Ref names a policy for output.
func (p *Policy) Ref() string {
	if p.Namespace != "" {
		return p.Kind + " " + p.Namespace + "/" + p.Name
	}
	return p.Kind + " " + p.Name
}

func (p *Policy) key() string {
	name := p.counterpartName
	if name == "" {
		name = p.Name
	}
	return p.counterpart + "/" + p.Namespace + "/" + name
}

// Profile is a profile compiled.
type Profile struct {
	Name          string
	LabelsToApply map[string]string
	ingress       []rule
	egress        []rule
}

// Model is the policy state the evaluator works on. Build it with NewModel.
type Model struct {
	tiers     []*Tier // sorted
	tierByNm  map[string]*Tier
	policies  []*Policy // enforced, sorted by tier, order, name
	staged    []*Policy
	profiles  map[string]*Profile
	endpoints []*Endpoint
	netsets   []*NetSet
	nsLabels  map[string]map[string]string
	saLabels  map[string]map[string]string // "ns/sa"
	byIP      map[netip.Addr][]*Endpoint
	byID      map[string]*Endpoint // kind/namespace/name
	// invalid are objects that could not be compiled, with why; Lint reports them.
	invalid []Finding
	// nsPolicies indexes namespaced policies by namespace, for selection.
	nsPolicies map[string][]*Policy
	global     []*Policy
	rank       map[*Policy]int
	tierRank   map[string]int
}

// sortPolicies puts policies in evaluation order: tier, order (unset last), name.
func (m *Model) sortPolicies(ps []*Policy) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if ra, rb := m.tierRank[a.Tier], m.tierRank[b.Tier]; ra != rb {
			return ra < rb
		}
		if c := compareOrder(a.Order, b.Order); c != 0 {
			return c < 0
		}
		return a.sortName() < b.sortName()
	})
}

// Input is everything the model is built from.
type Input struct {
	// Resources are Calico objects of any kind; kinds without a bearing on policy are ignored.
	Resources []resources.Resource
	// KubernetesPolicies are networking.k8s.io/v1 NetworkPolicies, as Calico converts them.
	KubernetesPolicies []*networkingv1.NetworkPolicy
}

// NewModel builds the model. Objects that do not compile (a selector that does not parse, for
// example) are left out and reported by Lint; Explain and Trace refuse a model with any.
func NewModel(in Input) *Model {
	m := &Model{
		tierByNm:   map[string]*Tier{},
		profiles:   map[string]*Profile{},
		nsLabels:   map[string]map[string]string{},
		saLabels:   map[string]map[string]string{},
		byIP:       map[netip.Addr][]*Endpoint{},
		byID:       map[string]*Endpoint{},
		nsPolicies: map[string][]*Policy{},
	}
	var policies []*Policy
	var weps []*api.WorkloadEndpoint
	var heps []*api.HostEndpoint
	for _, r := range in.Resources {
		var p *Policy
		var err error
		switch o := r.(type) {
		case *api.Tier:
			t := &Tier{Name: o.Name, Order: o.Spec.Order, DefaultAction: api.Deny}
			if o.Spec.DefaultAction != nil {
				t.DefaultAction = *o.Spec.DefaultAction
			}
			m.tierByNm[o.Name] = t
		case *api.GlobalNetworkPolicy:
			s := o.Spec
			p, err = compilePolicy(o, api.KindGlobalNetworkPolicy, "", s.Tier, s.Order, s.Selector, s.NamespaceSelector, s.ServiceAccountSelector, s.Types, s.Ingress, s.Egress)
			if p != nil {
				p.hostOnly = s.PreDNAT || s.DoNotTrack
			}
		case *api.NetworkPolicy:
			s := o.Spec
			p, err = compilePolicy(o, api.KindNetworkPolicy, o.Namespace, s.Tier, s.Order, s.Selector, "", s.ServiceAccountSelector, s.Types, s.Ingress, s.Egress)
		case *api.StagedGlobalNetworkPolicy:
			s := o.Spec
			p, err = compilePolicy(o, api.KindStagedGlobalNetworkPolicy, "", s.Tier, s.Order, s.Selector, s.NamespaceSelector, s.ServiceAccountSelector, s.Types, s.Ingress, s.Egress)
			if p != nil {
				p.hostOnly = s.PreDNAT || s.DoNotTrack
				p.setStaged(s.StagedAction, api.KindGlobalNetworkPolicy)
			}
		case *api.StagedNetworkPolicy:
			s := o.Spec
			p, err = compilePolicy(o, api.KindStagedNetworkPolicy, o.Namespace, s.Tier, s.Order, s.Selector, "", s.ServiceAccountSelector, s.Types, s.Ingress, s.Egress)
			if p != nil {
				p.setStaged(s.StagedAction, api.KindNetworkPolicy)
			}
		case *api.StagedKubernetesNetworkPolicy:
			np := &networkingv1.NetworkPolicy{ObjectMeta: o.ObjectMeta, Spec: networkingv1.NetworkPolicySpec{
				PodSelector: o.Spec.PodSelector, Ingress: o.Spec.Ingress, Egress: o.Spec.Egress, PolicyTypes: o.Spec.PolicyTypes}}
			c := FromKubernetes(np)
			s := c.Spec
			p, err = compilePolicy(o, api.KindStagedKubernetesNetworkPolicy, o.Namespace, s.Tier, s.Order, s.Selector, "", "", s.Types, s.Ingress, s.Egress)
			if p != nil {
				p.counterpartName = c.Name
				p.setStaged(o.Spec.StagedAction, api.KindNetworkPolicy)
			}
		case *api.Profile:
			pr, perr := compileProfile(o)
			if perr != nil {
				m.invalid = append(m.invalid, invalidFinding(api.KindProfile, "", o.Name, perr))
				continue
			}
			m.profiles[o.Name] = pr
		case *api.WorkloadEndpoint:
			weps = append(weps, o)
		case *api.HostEndpoint:
			heps = append(heps, o)
		case *api.NetworkSet:
			m.addNetSet(api.KindNetworkSet, o.Namespace, o.Name, o.Labels, o.Spec.Nets)
		case *api.GlobalNetworkSet:
			m.addNetSet(api.KindGlobalNetworkSet, "", o.Name, o.Labels, o.Spec.Nets)
		case *networkingv1.NetworkPolicy:
			in.KubernetesPolicies = append(in.KubernetesPolicies, o)
		}
		if err != nil {
			kind, _ := resources.KindOf(r)
			name := ""
			if kind != nil {
				name = kind.Kind
			}
			m.invalid = append(m.invalid, invalidFinding(name, r.GetNamespace(), r.GetName(), err))
			continue
		}
		if p != nil {
			policies = append(policies, p)
		}
	}
	for _, np := range in.KubernetesPolicies {
		c := FromKubernetes(np)
		s := c.Spec
		p, err := compilePolicy(c, api.KindNetworkPolicy, c.Namespace, s.Tier, s.Order, s.Selector, "", "", s.Types, s.Ingress, s.Egress)
		if err != nil {
			m.invalid = append(m.invalid, invalidFinding("NetworkPolicy (networking.k8s.io/v1)", np.Namespace, np.Name, err))
			continue
		}
		p.Source = "networking.k8s.io/v1 NetworkPolicy " + np.Namespace + "/" + np.Name
		policies = append(policies, p)
	}
	m.addBuiltins()
	for _, p := range policies {
		if _, ok := m.tierByNm[p.Tier]; !ok {
			m.tierByNm[p.Tier] = &Tier{Name: p.Tier, DefaultAction: api.Deny, Missing: true}
		}
	}
	for _, t := range m.tierByNm {
		m.tiers = append(m.tiers, t)
	}
	sort.Slice(m.tiers, func(i, j int) bool { return tierLess(m.tiers[i], m.tiers[j]) })
	m.tierRank = map[string]int{}
	for i, t := range m.tiers {
		m.tierRank[t.Name] = i
	}
	m.sortPolicies(policies)
	for _, p := range policies {
		if p.Staged {
			m.staged = append(m.staged, p)
		} else {
			m.policies = append(m.policies, p)
		}
	}
	m.indexPolicies(m.policies)
	for _, p := range m.profiles {
		if strings.HasPrefix(p.Name, namespaceProfile) {
			m.nsLabels[strings.TrimPrefix(p.Name, namespaceProfile)] = stripPrefix(p.LabelsToApply, namespaceLabelPfx)
		}
		if strings.HasPrefix(p.Name, serviceAcctProfile) {
			if ns, sa, ok := strings.Cut(strings.TrimPrefix(p.Name, serviceAcctProfile), "."); ok {
				m.saLabels[ns+"/"+sa] = stripPrefix(p.LabelsToApply, serviceAcctLabelPfx)
			}
		}
	}
	for _, w := range weps {
		m.addWorkload(w)
	}
	for _, h := range heps {
		m.addHost(h)
	}
	namespaces := map[string]bool{}
	for _, e := range m.endpoints {
		namespaces[e.Namespace] = true
	}
	for _, s := range m.netsets {
		namespaces[s.Namespace] = true
	}
	for ns := range m.nsLabels {
		namespaces[ns] = true
	}
	delete(namespaces, "")
	for ns := range namespaces {
		l := map[string]string{LabelName: ns}
		for k, v := range m.nsLabels[ns] {
			l[k] = v
		}
		m.nsLabels[ns] = l
	}
	m.policyRank()
	return m
}

func (p *Policy) setStaged(a api.StagedAction, counterpart string) {
	p.Staged = true
	p.StagedAction = a
	if a == "" {
		p.StagedAction = api.StagedActionSet
	}
	p.counterpart = counterpart
}

func (p *Policy) sortName() string {
	if p.Namespace != "" {
		return p.Namespace + "/" + p.Name
	}
	return p.Name
}

// addBuiltins adds the tiers Calico always has and its built-in profile.
func (m *Model) addBuiltins() {
	builtin := []struct {
		name   string
		order  float64
		action api.Action
	}{
		{api.KubeAdminTierName, api.KubeAdminTierOrder, api.Pass},
		{api.DefaultTierName, api.DefaultTierOrder, api.Deny},
		{api.KubeBaselineTierName, api.KubeBaselineTierOrder, api.Pass},
	}
	for _, b := range builtin {
		if _, ok := m.tierByNm[b.name]; !ok {
			o := b.order
			m.tierByNm[b.name] = &Tier{Name: b.name, Order: &o, DefaultAction: b.action}
		}
	}
	if _, ok := m.profiles[DefaultAllowProfile]; !ok {
		allow := []rule{{action: api.Allow, raw: api.Rule{Action: api.Allow}}}
		m.profiles[DefaultAllowProfile] = &Profile{Name: DefaultAllowProfile, ingress: allow, egress: allow}
	}
}

func (m *Model) indexPolicies(ps []*Policy) {
	m.nsPolicies = map[string][]*Policy{}
	m.global = nil
	for _, p := range ps {
		if p.Namespace != "" {
			m.nsPolicies[p.Namespace] = append(m.nsPolicies[p.Namespace], p)
		} else {
			m.global = append(m.global, p)
		}
	}
}

func tierLess(a, b *Tier) bool {
	if c := compareOrder(a.Order, b.Order); c != 0 {
		return c < 0
	}
	return a.Name < b.Name
}

// compareOrder orders numbers ascending with nil (no order) last.
func compareOrder(a, b *float64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	case *a < *b:
		return -1
	case *a > *b:
		return 1
	}
	return 0
}

func stripPrefix(labels map[string]string, prefix string) map[string]string {
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		if strings.HasPrefix(k, prefix) {
			out[strings.TrimPrefix(k, prefix)] = v
		}
	}
	return out
}

func compilePolicy(obj resources.Resource, kind, namespace, tier string, order *float64, sel, nsSel, saSel string,
	types []api.PolicyType, ingress, egress []api.Rule) (*Policy, error) {
	if tier == "" {
		tier = api.DefaultTierName
	}
	p := &Policy{Kind: kind, Namespace: namespace, Name: obj.GetName(), Tier: tier, Order: order, counterpart: kind,
		rawIngress: ingress, rawEgress: egress, obj: obj}
	var err error
	if p.selector, err = optSelector(sel); err != nil {
		return nil, fmt.Errorf("selector: %w", err)
	}
	if p.nsSelector, err = optSelector(nsSel); err != nil {
		return nil, fmt.Errorf("namespaceSelector: %w", err)
	}
	p.nsGlobal = p.nsSelector != nil && p.nsSelector.String() == "global()"
	if p.saSelector, err = optSelector(saSel); err != nil {
		return nil, fmt.Errorf("serviceAccountSelector: %w", err)
	}
	if p.ingress, err = compileRules(ingress); err != nil {
		return nil, fmt.Errorf("ingress %w", err)
	}
	if p.egress, err = compileRules(egress); err != nil {
		return nil, fmt.Errorf("egress %w", err)
	}
	if len(types) == 0 {
		// Calico's default: Egress only when there are egress rules and no ingress rules.
		p.ingressType = len(ingress) > 0 || len(egress) == 0
		p.egressType = len(egress) > 0
	}
	for _, t := range types {
		switch t {
		case api.PolicyTypeIngress:
			p.ingressType = true
		case api.PolicyTypeEgress:
			p.egressType = true
		}
	}
	return p, nil
}

func compileProfile(o *api.Profile) (*Profile, error) {
	p := &Profile{Name: o.Name, LabelsToApply: o.Spec.LabelsToApply}
	var err error
	if p.ingress, err = compileRules(o.Spec.Ingress); err != nil {
		return nil, fmt.Errorf("ingress %w", err)
	}
	if p.egress, err = compileRules(o.Spec.Egress); err != nil {
		return nil, fmt.Errorf("egress %w", err)
	}
	return p, nil
}

func (m *Model) addNetSet(kind, ns, name string, labels map[string]string, nets []string) {
	ps, err := prefixes(nets)
	if err != nil {
		m.invalid = append(m.invalid, invalidFinding(kind, ns, name, err))
		return
	}
	m.netsets = append(m.netsets, &NetSet{Kind: kind, Namespace: ns, Name: name, Labels: labels, Nets: ps})
}

// effectiveLabels are the labels of the profiles in order, overlaid by the endpoint's own.
func (m *Model) effectiveLabels(own map[string]string, profiles []string) map[string]string {
	out := map[string]string{}
	for _, name := range profiles {
		if p, ok := m.profiles[name]; ok {
			for k, v := range p.LabelsToApply {
				out[k] = v
			}
		}
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

func (m *Model) addWorkload(w *api.WorkloadEndpoint) {
	e := &Endpoint{Kind: api.KindWorkloadEndpoint, Namespace: w.Namespace, Name: w.Name, Profiles: w.Spec.Profiles,
		ServiceAccount: w.Spec.ServiceAccountName, workload: w.Spec.Pod}
	if e.workload == "" {
		e.workload = w.Spec.Workload
	}
	own := map[string]string{LabelNamespace: w.Namespace}
	if w.Spec.Orchestrator != "" {
		own[LabelOrchestrator] = w.Spec.Orchestrator
	}
	if e.ServiceAccount != "" {
		own[LabelServiceAccount] = e.ServiceAccount
	}
	for k, v := range w.Labels {
		own[k] = v
	}
	if sa := own[LabelServiceAccount]; e.ServiceAccount == "" && sa != "" {
		e.ServiceAccount = sa
	}
	e.Labels = m.effectiveLabels(own, w.Spec.Profiles)
	for _, n := range w.Spec.IPNetworks {
		if p, err := ParsePrefix(n); err == nil {
			e.IPs = append(e.IPs, p.Addr())
		}
	}
	for _, nat := range w.Spec.IPNATs {
		if a, err := netip.ParseAddr(nat.ExternalIP); err == nil {
			e.IPs = append(e.IPs, a)
		}
	}
	for _, p := range w.Spec.Ports {
		if n, err := ProtocolNumber(p.Protocol.String()); err == nil && p.Name != "" {
			e.Ports = append(e.Ports, NamedPort{Name: p.Name, Protocol: n, Port: p.Port})
		}
	}
	m.addEndpoint(e)
}

func (m *Model) addHost(h *api.HostEndpoint) {
	e := &Endpoint{Kind: api.KindHostEndpoint, Name: h.Name, Profiles: h.Spec.Profiles}
	e.Labels = m.effectiveLabels(h.Labels, h.Spec.Profiles)
	for _, ip := range h.Spec.ExpectedIPs {
		if a, err := netip.ParseAddr(ip); err == nil {
			e.IPs = append(e.IPs, a.Unmap())
		}
	}
	for _, p := range h.Spec.Ports {
		if n, err := ProtocolNumber(p.Protocol.String()); err == nil {
			e.Ports = append(e.Ports, NamedPort{Name: p.Name, Protocol: n, Port: p.Port})
		}
	}
	m.addEndpoint(e)
}

func (m *Model) addEndpoint(e *Endpoint) {
	m.endpoints = append(m.endpoints, e)
	m.byID[e.Kind+"/"+e.Namespace+"/"+e.Name] = e
	for _, a := range e.IPs {
		m.byIP[a] = append(m.byIP[a], e)
	}
}

// Endpoints returns every endpoint of the model, in input order.
func (m *Model) Endpoints() []*Endpoint { return m.endpoints }

// Invalid returns the objects that could not be compiled, as error findings.
func (m *Model) Invalid() []Finding { return m.invalid }

// CheckValid returns an error naming the first object that could not be compiled.
func (m *Model) CheckValid() error {
	if len(m.invalid) == 0 {
		return nil
	}
	f := m.invalid[0]
	return fmt.Errorf("%s %s: %s", f.Kind, f.ResourceName(), f.Message)
}

// FindEndpoint finds an endpoint by name: a WorkloadEndpoint in namespace, else a HostEndpoint.
// With kind "" both kinds are tried; an error says what was looked for.
func (m *Model) FindEndpoint(kind, namespace, name string) (*Endpoint, error) {
	if kind == "" || kind == api.KindWorkloadEndpoint {
		if e, ok := m.byID[api.KindWorkloadEndpoint+"/"+namespace+"/"+name]; ok {
			return e, nil
		}
	}
	if kind == "" || kind == api.KindHostEndpoint {
		if e, ok := m.byID[api.KindHostEndpoint+"//"+name]; ok {
			return e, nil
		}
	}
	// A workload endpoint may be named by its pod (or workload) name alone.
	if kind == "" || kind == api.KindWorkloadEndpoint {
		var found []*Endpoint
		for _, e := range m.endpoints {
			if e.Kind == api.KindWorkloadEndpoint && e.Namespace == namespace && e.workload == name {
				found = append(found, e)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
		default:
			return nil, fmt.Errorf("%d workload endpoints of pod %s/%s (%s, %s, ...): give the WorkloadEndpoint name", len(found), namespace, name, found[0].Name, found[1].Name)
		}
	}
	return nil, fmt.Errorf("no endpoint %q in namespace %q: give a WorkloadEndpoint name (with -n NAMESPACE), a HostEndpoint name, an address, or --labels", name, namespace)
}

// EndpointByAddr returns the endpoint with an address, or nil when there is none (the first
// one when several share it).
func (m *Model) EndpointByAddr(a netip.Addr) *Endpoint {
	if eps := m.byIP[a.Unmap()]; len(eps) > 0 {
		return eps[0]
	}
	return nil
}

// LabelEndpoint is a workload endpoint that does not exist, with the given labels: what an
// endpoint with these labels in namespace would get. With profiles nil it gets those Calico
// gives a Kubernetes pod (kns.<namespace>, ksa.<namespace>.<account>) when they exist.
func (m *Model) LabelEndpoint(namespace string, labels map[string]string, profiles []string) *Endpoint {
	own := map[string]string{}
	kind := api.KindHostEndpoint
	if namespace != "" {
		kind = api.KindWorkloadEndpoint
		own[LabelNamespace] = namespace
	}
	for k, v := range labels {
		own[k] = v
	}
	if profiles == nil && namespace != "" {
		// As Calico on Kubernetes gives every pod its namespace's and service account's profiles.
		for _, name := range []string{namespaceProfile + namespace, serviceAcctProfile + namespace + "." + own[LabelServiceAccount]} {
			if _, ok := m.profiles[name]; ok {
				profiles = append(profiles, name)
			}
		}
	}
	var parts []string
	for k, v := range labels {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return &Endpoint{Kind: kind, Namespace: namespace, Name: "{" + strings.Join(parts, ",") + "}",
		Labels: m.effectiveLabels(own, profiles), Profiles: profiles, ServiceAccount: own[LabelServiceAccount]}
}
