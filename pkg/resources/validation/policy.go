package validation

import (
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8svalidation "k8s.io/apimachinery/pkg/util/validation"

	"github.com/calicoctl-go/calicoctl/internal/lazyregexp"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

const (
	label     = `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
	subdomain = label + `(\.` + label + `)*`

	// Prefix of the NetworkPolicies kube-controllers writes for Kubernetes NetworkPolicies.
	knpPrefix = "knp.default."
)

var (
	networkPolicyNameRegex = lazyregexp.New(`^(` + label + `(\.` + label + `)?|(knp|ossg)\.default\.` + subdomain + `)$`)
	globalPolicyNameRegex  = lazyregexp.New(`^(` + label + `\.)?` + label + `$`)
)

// policySpec is what NetworkPolicy, GlobalNetworkPolicy and their staged forms share.
type policySpec struct {
	global                 bool
	tier                   string
	selector               string
	serviceAccountSelector string
	namespaceSelector      string
	types                  []api.PolicyType
	ingress, egress        []api.Rule
	hints                  []api.PolicyPerformanceHint
	doNotTrack, preDNAT    bool
	applyOnForward         bool
}

func checkPolicySpec(c *Collector, p policySpec) {
	checkTierRef(c, p.tier)
	if p.selector != "" {
		checkSelector(c, "spec.selector", p.selector, false)
	}
	if p.serviceAccountSelector != "" {
		checkSelector(c, "spec.serviceAccountSelector", p.serviceAccountSelector, false)
	}
	if p.namespaceSelector != "" {
		checkSelector(c, "spec.namespaceSelector", p.namespaceSelector, false)
	}
	checkPolicyTypes(c, "spec.types", p.types)
	for i, h := range p.hints {
		checkEnum(c, idx("spec.performanceHints", i), string(h), false, string(api.PerfHintAssumeNeededOnEveryNode))
	}

	checkRules(c, "spec.ingress", p.ingress)
	checkRules(c, "spec.egress", p.egress)
	for i, r := range p.ingress {
		f := idx("spec.ingress", i)
		if r.Destination.Services != nil {
			c.Add(f+".destination.services", r.Destination.Services.Name, "services are not allowed in an ingress rule's destination: match them in the source")
		}
		if p.global && r.Source.Services != nil && r.Source.Services.Namespace == "" {
			c.Add(f+".source.services.namespace", "", "must specify a namespace: a global policy has no namespace of its own")
		}
	}
	for i, r := range p.egress {
		f := idx("spec.egress", i)
		if r.Source.Services != nil {
			c.Add(f+".source.services", r.Source.Services.Name, "services are not allowed in an egress rule's source: match them in the destination")
		}
		if r.HTTP != nil {
			c.Add(f+".http", httpString(r.HTTP), "HTTP match is not allowed in egress rules")
		}
		if p.global && r.Destination.Services != nil && r.Destination.Services.Namespace == "" {
			c.Add(f+".destination.services.namespace", "", "must specify a namespace: a global policy has no namespace of its own")
		}
	}

	if !p.global {
		return
	}
	if p.preDNAT && p.doNotTrack {
		c.Add("spec.preDNAT", true, "PreDNAT and DoNotTrack cannot both be true: choose one")
	}
	if p.preDNAT {
		if len(p.egress) > 0 {
			c.Add("spec.egress", fmt.Sprintf("%d rules", len(p.egress)), "a preDNAT policy cannot have egress rules")
		}
		if slices.Contains(p.types, api.PolicyTypeEgress) {
			c.Add("spec.types", typesString(p.types), "a preDNAT policy cannot have type Egress")
		}
	}
	if (p.preDNAT || p.doNotTrack) && !p.applyOnForward {
		c.Add("spec.applyOnForward", false, "applyOnForward must be true when preDNAT or doNotTrack is true")
	}
}

func checkTierRef(c *Collector, tier string) {
	if tier != "" && (len(tier) > 63 || !nameLabelRegex.MatchString(tier)) {
		c.Add("spec.tier", tier, "must be a tier name: lower case letters, digits and '-', no dots, at most 63 characters")
	}
}

func typesString(types []api.PolicyType) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = string(t)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func checkNetworkPolicyName(c *Collector, name string) {
	if name == "" || !networkPolicyNameRegex.MatchString(name) {
		c.Add("metadata.name", name, "a policy name must be one label, or two joined by a dot, of lower case letters, digits and '-' (e.g. allow-web or security.allow-web)")
	}
}

func checkGlobalPolicyName(c *Collector, name string) {
	if name == "" || !globalPolicyNameRegex.MatchString(name) {
		c.Add("metadata.name", name, "a global policy name must be one label, or two joined by a dot, of lower case letters, digits and '-' (e.g. allow-web or security.allow-web)")
	}
}

func checkStagedAction(c *Collector, a api.StagedAction) {
	checkEnum(c, "spec.stagedAction", string(a), true,
		string(api.StagedActionSet), string(api.StagedActionDelete), string(api.StagedActionLearn), string(api.StagedActionIgnore))
}

// checkEmptyForDelete reports the fields that a stagedAction Delete must leave out.
func checkEmptyForDelete(c *Collector, set map[string]bool, except string) {
	var names []string
	for _, n := range []string{"order", "selector", "serviceAccountSelector", "namespaceSelector", "types",
		"ingress", "egress", "doNotTrack", "preDNAT", "applyOnForward", "performanceHints",
		"podSelector", "policyTypes"} {
		if set[n] {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		c.Add("spec", strings.Join(names, ", "), "with stagedAction Delete every spec field%s must be left out: remove %s", except, strings.Join(names, ", "))
	}
}

// IsKubernetesNetworkPolicyName reports whether a NetworkPolicy name is one kube-controllers
// derives from a Kubernetes NetworkPolicy; such policies may not be created, updated or deleted
// through Calico.
func IsKubernetesNetworkPolicyName(name string) bool { return strings.HasPrefix(name, knpPrefix) }

// NetworkPolicy checks a namespaced Calico policy.
func NetworkPolicy(o *api.NetworkPolicy) error {
	c := &Collector{Resource: ID(api.KindNetworkPolicy, true, o.Namespace, o.Name)}
	// knp.default.* names are Kubernetes policies as Calico sees them: well formed, but refused by
	// the client on write (pkg/client), as Calico refuses them.
	if !IsKubernetesNetworkPolicyName(o.Name) {
		checkNetworkPolicyName(c, o.Name)
	}
	s := &o.Spec
	checkPolicySpec(c, policySpec{
		tier: s.Tier, selector: s.Selector, serviceAccountSelector: s.ServiceAccountSelector,
		types: s.Types, ingress: s.Ingress, egress: s.Egress, hints: s.PerformanceHints,
	})
	return c.Err()
}

// GlobalNetworkPolicy checks a cluster-wide Calico policy.
func GlobalNetworkPolicy(o *api.GlobalNetworkPolicy) error {
	c := &Collector{Resource: ID(api.KindGlobalNetworkPolicy, false, "", o.Name)}
	checkGlobalPolicyName(c, o.Name)
	s := &o.Spec
	checkPolicySpec(c, policySpec{
		global: true, tier: s.Tier, selector: s.Selector, serviceAccountSelector: s.ServiceAccountSelector,
		namespaceSelector: s.NamespaceSelector, types: s.Types, ingress: s.Ingress, egress: s.Egress,
		hints: s.PerformanceHints, doNotTrack: s.DoNotTrack, preDNAT: s.PreDNAT, applyOnForward: s.ApplyOnForward,
	})
	return c.Err()
}

// StagedNetworkPolicy checks a staged namespaced policy: the NetworkPolicy rules, or with
// stagedAction Delete an otherwise empty spec.
func StagedNetworkPolicy(o *api.StagedNetworkPolicy) error {
	c := &Collector{Resource: ID(api.KindStagedNetworkPolicy, true, o.Namespace, o.Name)}
	checkNetworkPolicyName(c, o.Name)
	s := &o.Spec
	checkStagedAction(c, s.StagedAction)
	if s.StagedAction == api.StagedActionDelete {
		checkEmptyForDelete(c, map[string]bool{
			"order": s.Order != nil, "selector": s.Selector != "", "serviceAccountSelector": s.ServiceAccountSelector != "",
			"types": len(s.Types) > 0, "ingress": len(s.Ingress) > 0, "egress": len(s.Egress) > 0,
			"performanceHints": len(s.PerformanceHints) > 0,
		}, " except tier")
		checkTierRef(c, s.Tier)
		return c.Err()
	}
	checkPolicySpec(c, policySpec{
		tier: s.Tier, selector: s.Selector, serviceAccountSelector: s.ServiceAccountSelector,
		types: s.Types, ingress: s.Ingress, egress: s.Egress, hints: s.PerformanceHints,
	})
	return c.Err()
}

// StagedGlobalNetworkPolicy checks a staged global policy.
func StagedGlobalNetworkPolicy(o *api.StagedGlobalNetworkPolicy) error {
	c := &Collector{Resource: ID(api.KindStagedGlobalNetworkPolicy, false, "", o.Name)}
	checkGlobalPolicyName(c, o.Name)
	s := &o.Spec
	checkStagedAction(c, s.StagedAction)
	if s.StagedAction == api.StagedActionDelete {
		checkEmptyForDelete(c, map[string]bool{
			"order": s.Order != nil, "selector": s.Selector != "", "serviceAccountSelector": s.ServiceAccountSelector != "",
			"namespaceSelector": s.NamespaceSelector != "", "types": len(s.Types) > 0, "ingress": len(s.Ingress) > 0,
			"egress": len(s.Egress) > 0, "doNotTrack": s.DoNotTrack, "preDNAT": s.PreDNAT,
			"applyOnForward": s.ApplyOnForward, "performanceHints": len(s.PerformanceHints) > 0,
		}, " except tier")
		checkTierRef(c, s.Tier)
		return c.Err()
	}
	checkPolicySpec(c, policySpec{
		global: true, tier: s.Tier, selector: s.Selector, serviceAccountSelector: s.ServiceAccountSelector,
		namespaceSelector: s.NamespaceSelector, types: s.Types, ingress: s.Ingress, egress: s.Egress,
		hints: s.PerformanceHints, doNotTrack: s.DoNotTrack, preDNAT: s.PreDNAT, applyOnForward: s.ApplyOnForward,
	})
	return c.Err()
}

// StagedKubernetesNetworkPolicy checks a staged Kubernetes NetworkPolicy: its stagedAction and the
// parts of the Kubernetes spec that can be checked offline.
func StagedKubernetesNetworkPolicy(o *api.StagedKubernetesNetworkPolicy) error {
	c := &Collector{Resource: ID(api.KindStagedKubernetesNetworkPolicy, true, o.Namespace, o.Name)}
	s := &o.Spec
	checkStagedAction(c, s.StagedAction)
	if s.StagedAction == api.StagedActionDelete {
		checkEmptyForDelete(c, map[string]bool{
			"podSelector": len(s.PodSelector.MatchLabels) > 0 || len(s.PodSelector.MatchExpressions) > 0,
			"ingress":     len(s.Ingress) > 0, "egress": len(s.Egress) > 0, "policyTypes": len(s.PolicyTypes) > 0,
		}, "")
		return c.Err()
	}
	checkLabelSelector(c, "spec.podSelector", &s.PodSelector)
	checkPolicyTypes(c, "spec.policyTypes", s.PolicyTypes)
	for i, r := range s.Ingress {
		f := idx("spec.ingress", i)
		checkK8sPorts(c, f+".ports", r.Ports)
		checkK8sPeers(c, f+".from", r.From)
	}
	for i, r := range s.Egress {
		f := idx("spec.egress", i)
		checkK8sPorts(c, f+".ports", r.Ports)
		checkK8sPeers(c, f+".to", r.To)
	}
	return c.Err()
}

func checkLabelSelector(c *Collector, field string, sel *metav1.LabelSelector) {
	if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
		c.Add(field, sel.String(), "invalid label selector: %v", err)
	}
}

func checkK8sPorts(c *Collector, field string, ports []networkingv1.NetworkPolicyPort) {
	for i, p := range ports {
		f := idx(field, i)
		if p.Protocol != nil {
			checkEnum(c, f+".protocol", string(*p.Protocol), false, "TCP", "UDP", "SCTP")
		}
		if p.Port != nil {
			if p.Port.Type == intstr.Int {
				checkRange(c, f+".port", int64(p.Port.IntVal), 1, 65535)
			} else if errs := k8svalidation.IsValidPortName(p.Port.StrVal); len(errs) > 0 {
				c.Add(f+".port", p.Port.StrVal, "must be a port number from 1 to 65535 or a port name such as http: %s", strings.Join(errs, "; "))
			}
		}
		if p.EndPort != nil {
			switch {
			case p.Port == nil || p.Port.Type != intstr.Int:
				c.Add(f+".endPort", *p.EndPort, "endPort needs a numeric port")
			case *p.EndPort < p.Port.IntVal || *p.EndPort > 65535:
				c.Add(f+".endPort", *p.EndPort, "endPort must be from port (%d) to 65535", p.Port.IntVal)
			}
		}
	}
}

func checkK8sPeers(c *Collector, field string, peers []networkingv1.NetworkPolicyPeer) {
	for i, p := range peers {
		f := idx(field, i)
		if p.PodSelector != nil {
			checkLabelSelector(c, f+".podSelector", p.PodSelector)
		}
		if p.NamespaceSelector != nil {
			checkLabelSelector(c, f+".namespaceSelector", p.NamespaceSelector)
		}
		b := p.IPBlock
		if b == nil {
			continue
		}
		if p.PodSelector != nil || p.NamespaceSelector != nil {
			c.Add(f+".ipBlock", b.CIDR, "ipBlock cannot be combined with podSelector or namespaceSelector in one peer")
		}
		cidr, ok := checkCIDR(c, f+".ipBlock.cidr", b.CIDR)
		for j, e := range b.Except {
			ex, exOK := checkCIDR(c, idx(f+".ipBlock.except", j), e)
			if ok && exOK && (!cidr.Masked().Contains(ex.Addr()) || ex.Bits() < cidr.Bits()) {
				c.Add(idx(f+".ipBlock.except", j), e, "must lie within the ipBlock cidr %s", b.CIDR)
			}
		}
	}
}

// Profile checks a profile's rules and the labels it applies.
func Profile(o *api.Profile) error {
	c := &Collector{Resource: ID(api.KindProfile, false, "", o.Name)}
	checkRules(c, "spec.ingress", o.Spec.Ingress)
	checkRules(c, "spec.egress", o.Spec.Egress)
	Labels(c, "spec.labelsToApply", o.Spec.LabelsToApply)
	return c.Err()
}

// Tier checks a tier's name, default action and, for the tiers Calico creates, their fixed values.
func Tier(o *api.Tier) error {
	c := &Collector{Resource: ID(api.KindTier, false, "", o.Name)}
	if len(o.Name) > 63 || !nameLabelRegex.MatchString(o.Name) {
		c.Add("metadata.name", o.Name, "a tier name must be lower case letters, digits and '-', with no dots, start and end with a letter or digit, and be at most 63 characters (e.g. security)")
	}
	action := api.Deny
	if o.Spec.DefaultAction != nil {
		action = *o.Spec.DefaultAction
		checkEnum(c, "spec.defaultAction", string(action), false, string(api.Deny), string(api.Pass))
	}
	fixed := map[string]struct {
		order  float64
		action api.Action
	}{
		api.DefaultTierName:      {api.DefaultTierOrder, api.Deny},
		api.KubeAdminTierName:    {api.KubeAdminTierOrder, api.Pass},
		api.KubeBaselineTierName: {api.KubeBaselineTierOrder, api.Pass},
	}
	if want, ok := fixed[o.Name]; ok {
		if o.Spec.Order == nil || *o.Spec.Order != want.order {
			var got interface{} = "<unset>"
			if o.Spec.Order != nil {
				got = *o.Spec.Order
			}
			c.Add("spec.order", got, "the %s tier's order must be %.0f", o.Name, want.order)
		}
		if action != want.action {
			c.Add("spec.defaultAction", action, "the %s tier's defaultAction must be %s", o.Name, want.action)
		}
	}
	return c.Err()
}

// checkPolicyTypes accepts Ingress and Egress, each at most once (Calico's and Kubernetes'
// policy type lists alike).
func checkPolicyTypes[T ~string](c *Collector, field string, types []T) {
	seen := map[T]bool{}
	for i, t := range types {
		f := idx(field, i)
		switch {
		case t != "Ingress" && t != "Egress":
			c.Add(f, t, "must be Ingress or Egress")
		case seen[t]:
			c.Add(f, t, "'%s' type specified more than once", t)
		}
		seen[t] = true
	}
}
