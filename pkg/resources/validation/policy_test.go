package validation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func TestNetworkPolicy(t *testing.T) {
	np := func(name string, s api.NetworkPolicySpec) *api.NetworkPolicy {
		return &api.NetworkPolicy{ObjectMeta: nsMeta(name), Spec: s}
	}
	svc := &api.ServiceMatch{Name: "web"}
	run(t, NetworkPolicy, []tc[*api.NetworkPolicy]{
		{name: "minimal", obj: np("allow-web", api.NetworkPolicySpec{Tier: "default", Selector: "app == 'web'", Types: []api.PolicyType{"Ingress", "Egress"}})},
		{name: "tier-prefixed name", obj: np("security.allow-web", api.NetworkPolicySpec{Tier: "security"})},
		{name: "ossg name", obj: np("ossg.default.a.b.c", api.NetworkPolicySpec{})},
		// knp.default.* names are well formed; the client refuses to write them.
		{name: "knp name", obj: np("knp.default.allow-web", api.NetworkPolicySpec{})},
		{name: "two dots", obj: np("a.b.c", api.NetworkPolicySpec{}), msg: "a policy name must be one label, or two joined by a dot", field: "metadata.name"},
		{name: "invalid tier", obj: np("p", api.NetworkPolicySpec{Tier: "my.tier"}), msg: "must be a tier name", field: "spec.tier"},
		{name: "duplicate type", obj: np("p", api.NetworkPolicySpec{Types: []api.PolicyType{"Ingress", "Ingress"}}),
			msg: "'Ingress' type specified more than once", field: "spec.types[1]"},
		{name: "unknown type", obj: np("p", api.NetworkPolicySpec{Types: []api.PolicyType{"ingress"}}), msg: "must be Ingress or Egress", field: "spec.types[0]"},
		{name: "global() in selector", obj: np("p", api.NetworkPolicySpec{Selector: "global()"}), msg: "global() can only be used", field: "spec.selector"},
		{name: "invalid selector", obj: np("p", api.NetworkPolicySpec{Selector: "app = 'x'"}), msg: "invalid selector", field: "spec.selector"},
		{name: "invalid serviceAccountSelector", obj: np("p", api.NetworkPolicySpec{ServiceAccountSelector: "has("}),
			msg: "invalid selector", field: "spec.serviceAccountSelector"},
		{name: "service in ingress destination", obj: np("p", api.NetworkPolicySpec{Ingress: []api.Rule{{Action: api.Allow, Destination: api.EntityRule{Services: svc}}}}),
			msg: "services are not allowed in an ingress rule's destination", field: "spec.ingress[0].destination.services"},
		{name: "service in egress source", obj: np("p", api.NetworkPolicySpec{Egress: []api.Rule{{Action: api.Allow, Source: api.EntityRule{Services: svc}}}}),
			msg: "services are not allowed in an egress rule's source", field: "spec.egress[0].source.services"},
		{name: "HTTP in egress", obj: np("p", api.NetworkPolicySpec{Egress: []api.Rule{{Action: api.Allow, HTTP: &api.HTTPMatch{Methods: []string{"GET"}}}}}),
			msg: "HTTP match is not allowed in egress rules", field: "spec.egress[0].http"},
		{name: "performance hint", obj: np("p", api.NetworkPolicySpec{PerformanceHints: []api.PolicyPerformanceHint{api.PerfHintAssumeNeededOnEveryNode}})},
		{name: "unknown performance hint", obj: np("p", api.NetworkPolicySpec{PerformanceHints: []api.PolicyPerformanceHint{"Fast"}}),
			msg: "must be AssumeNeededOnEveryNode", field: "spec.performanceHints[0]"},
	})
}

func TestGlobalNetworkPolicy(t *testing.T) {
	gnp := func(name string, s api.GlobalNetworkPolicySpec) *api.GlobalNetworkPolicy {
		return &api.GlobalNetworkPolicy{ObjectMeta: meta(name), Spec: s}
	}
	allow := api.Rule{Action: api.Allow}
	run(t, GlobalNetworkPolicy, []tc[*api.GlobalNetworkPolicy]{
		{name: "preDNAT ingress", obj: gnp("security.block-nodeports", api.GlobalNetworkPolicySpec{
			PreDNAT: true, ApplyOnForward: true, Ingress: []api.Rule{{Action: api.Deny}}, Types: []api.PolicyType{"Ingress"}})},
		{name: "doNotTrack", obj: gnp("dnt", api.GlobalNetworkPolicySpec{DoNotTrack: true, ApplyOnForward: true, Egress: []api.Rule{allow}})},
		{name: "two dots", obj: gnp("a.b.c", api.GlobalNetworkPolicySpec{}), msg: "a global policy name must be one label", field: "metadata.name"},
		{name: "preDNAT and doNotTrack", obj: gnp("p", api.GlobalNetworkPolicySpec{PreDNAT: true, DoNotTrack: true, ApplyOnForward: true}),
			msg: "PreDNAT and DoNotTrack cannot both be true", field: "spec.preDNAT"},
		{name: "preDNAT with egress rules", obj: gnp("p", api.GlobalNetworkPolicySpec{PreDNAT: true, ApplyOnForward: true, Egress: []api.Rule{allow}}),
			msg: "a preDNAT policy cannot have egress rules", field: "spec.egress"},
		{name: "preDNAT with Egress type", obj: gnp("p", api.GlobalNetworkPolicySpec{PreDNAT: true, ApplyOnForward: true, Types: []api.PolicyType{"Egress"}}),
			msg: "a preDNAT policy cannot have type Egress", field: "spec.types"},
		{name: "doNotTrack without applyOnForward", obj: gnp("p", api.GlobalNetworkPolicySpec{DoNotTrack: true}),
			msg: "applyOnForward must be true when preDNAT or doNotTrack is true", field: "spec.applyOnForward"},
		{name: "global() in namespaceSelector", obj: gnp("p", api.GlobalNetworkPolicySpec{NamespaceSelector: "global()"}),
			msg: "global() can only be used", field: "spec.namespaceSelector"},
		{name: "service with namespace", obj: gnp("p", api.GlobalNetworkPolicySpec{Egress: []api.Rule{{Action: api.Allow,
			Destination: api.EntityRule{Services: &api.ServiceMatch{Name: "kube-dns", Namespace: "kube-system"}}}}})},
		{name: "egress service without namespace", obj: gnp("p", api.GlobalNetworkPolicySpec{Egress: []api.Rule{{Action: api.Allow,
			Destination: api.EntityRule{Services: &api.ServiceMatch{Name: "kube-dns"}}}}}),
			msg: "must specify a namespace", field: "spec.egress[0].destination.services.namespace"},
		{name: "ingress service without namespace", obj: gnp("p", api.GlobalNetworkPolicySpec{Ingress: []api.Rule{{Action: api.Allow,
			Source: api.EntityRule{Services: &api.ServiceMatch{Name: "web"}}}}}),
			msg: "must specify a namespace", field: "spec.ingress[0].source.services.namespace"},
		{name: "rule errors are reported", obj: gnp("p", api.GlobalNetworkPolicySpec{Ingress: []api.Rule{allow, {Action: api.Allow,
			Destination: api.EntityRule{Ports: ports(22)}}}}), msg: protocolPortsMsg, field: "spec.ingress[1].destination.ports"},
	})
}

func TestStagedPolicies(t *testing.T) {
	snp := func(s api.StagedNetworkPolicySpec) *api.StagedNetworkPolicy {
		return &api.StagedNetworkPolicy{ObjectMeta: nsMeta("p"), Spec: s}
	}
	run(t, StagedNetworkPolicy, []tc[*api.StagedNetworkPolicy]{
		{name: "set", obj: snp(api.StagedNetworkPolicySpec{StagedAction: api.StagedActionSet, Selector: "all()", Ingress: []api.Rule{{Action: api.Allow}}})},
		{name: "default action", obj: snp(api.StagedNetworkPolicySpec{Selector: "all()"})},
		{name: "learn and ignore", obj: snp(api.StagedNetworkPolicySpec{StagedAction: api.StagedActionLearn})},
		{name: "delete with only tier", obj: snp(api.StagedNetworkPolicySpec{StagedAction: api.StagedActionDelete, Tier: "default"})},
		{name: "knp name may be staged", obj: &api.StagedNetworkPolicy{ObjectMeta: nsMeta("knp.default.web"), Spec: api.StagedNetworkPolicySpec{}}},
		{name: "unknown action", obj: snp(api.StagedNetworkPolicySpec{StagedAction: "Remove"}),
			msg: "must be Set, Delete, Learn or Ignore", field: "spec.stagedAction"},
		{name: "delete with a selector", obj: snp(api.StagedNetworkPolicySpec{StagedAction: api.StagedActionDelete, Selector: "all()", Order: ptr(1.0)}),
			msg: "every spec field except tier must be left out: remove order, selector", field: "spec"},
		{name: "set with a bad rule", obj: snp(api.StagedNetworkPolicySpec{Egress: []api.Rule{{Action: "Reject"}}}),
			msg: "must be Allow, Deny, Log or Pass", field: "spec.egress[0].action"},
		{name: "invalid name", obj: &api.StagedNetworkPolicy{ObjectMeta: nsMeta("a.b.c")}, msg: "a policy name must be", field: "metadata.name"},
	})

	sgnp := func(s api.StagedGlobalNetworkPolicySpec) *api.StagedGlobalNetworkPolicy {
		return &api.StagedGlobalNetworkPolicy{ObjectMeta: meta("p"), Spec: s}
	}
	run(t, StagedGlobalNetworkPolicy, []tc[*api.StagedGlobalNetworkPolicy]{
		{name: "set", obj: sgnp(api.StagedGlobalNetworkPolicySpec{StagedAction: api.StagedActionSet, NamespaceSelector: "has(team)"})},
		{name: "delete", obj: sgnp(api.StagedGlobalNetworkPolicySpec{StagedAction: api.StagedActionDelete, Tier: "security"})},
		{name: "delete with rules", obj: sgnp(api.StagedGlobalNetworkPolicySpec{StagedAction: api.StagedActionDelete,
			Ingress: []api.Rule{{Action: api.Allow}}, PreDNAT: true}),
			msg: "remove ingress, preDNAT", field: "spec"},
		{name: "delete with a bad tier", obj: sgnp(api.StagedGlobalNetworkPolicySpec{StagedAction: api.StagedActionDelete, Tier: "Bad"}),
			msg: "must be a tier name", field: "spec.tier"},
		{name: "set preDNAT without applyOnForward", obj: sgnp(api.StagedGlobalNetworkPolicySpec{PreDNAT: true}),
			msg: "applyOnForward must be true", field: "spec.applyOnForward"},
		{name: "unknown action", obj: sgnp(api.StagedGlobalNetworkPolicySpec{StagedAction: "delete"}), msg: "must be Set, Delete, Learn or Ignore", field: "spec.stagedAction"},
	})
}

func TestStagedKubernetesNetworkPolicy(t *testing.T) {
	sknp := func(s api.StagedKubernetesNetworkPolicySpec) *api.StagedKubernetesNetworkPolicy {
		return &api.StagedKubernetesNetworkPolicy{ObjectMeta: nsMeta("p"), Spec: s}
	}
	tcp := corev1.ProtocolTCP
	icmp := corev1.Protocol("ICMP")
	port80 := intstr.FromInt32(80)
	named := intstr.FromString("http")
	web := metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	run(t, StagedKubernetesNetworkPolicy, []tc[*api.StagedKubernetesNetworkPolicy]{
		{name: "valid", obj: sknp(api.StagedKubernetesNetworkPolicySpec{
			PodSelector: web, PolicyTypes: []networkingv1.PolicyType{"Ingress", "Egress"},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port80, EndPort: ptr[int32](90)}, {Port: &named}},
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &web}, {IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}}},
			}},
		})},
		{name: "delete with empty spec", obj: sknp(api.StagedKubernetesNetworkPolicySpec{StagedAction: api.StagedActionDelete})},
		{name: "delete with podSelector", obj: sknp(api.StagedKubernetesNetworkPolicySpec{StagedAction: api.StagedActionDelete, PodSelector: web}),
			msg: "every spec field must be left out: remove podSelector", field: "spec"},
		{name: "unknown action", obj: sknp(api.StagedKubernetesNetworkPolicySpec{StagedAction: "Apply"}), msg: "must be Set, Delete", field: "spec.stagedAction"},
		{name: "unknown policy type", obj: sknp(api.StagedKubernetesNetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Both"}}),
			msg: "must be Ingress or Egress", field: "spec.policyTypes[0]"},
		{name: "invalid podSelector", obj: sknp(api.StagedKubernetesNetworkPolicySpec{PodSelector: metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}}),
			msg: "invalid label selector", field: "spec.podSelector"},
		{name: "ICMP port", obj: sknp(api.StagedKubernetesNetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &icmp}}}}}),
			msg: "must be TCP, UDP or SCTP", field: "spec.ingress[0].ports[0].protocol"},
		{name: "endPort below port", obj: sknp(api.StagedKubernetesNetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{
			Ports: []networkingv1.NetworkPolicyPort{{Port: &port80, EndPort: ptr[int32](79)}}}}}),
			msg: "endPort must be from port (80)", field: "spec.egress[0].ports[0].endPort"},
		{name: "endPort with a named port", obj: sknp(api.StagedKubernetesNetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{
			Ports: []networkingv1.NetworkPolicyPort{{Port: &named, EndPort: ptr[int32](90)}}}}}),
			msg: "endPort needs a numeric port", field: "spec.egress[0].ports[0].endPort"},
		{name: "invalid ipBlock", obj: sknp(api.StagedKubernetesNetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{
			To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/33"}}}}}}),
			msg: "must be an IP address or a CIDR", field: "spec.egress[0].to[0].ipBlock.cidr"},
		{name: "except outside the block", obj: sknp(api.StagedKubernetesNetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{
			To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16", Except: []string{"192.168.0.0/24"}}}}}}}),
			msg: "must lie within the ipBlock cidr 10.0.0.0/16", field: "spec.egress[0].to[0].ipBlock.except[0]"},
	})
}

func TestProfile(t *testing.T) {
	run(t, Profile, []tc[*api.Profile]{
		{name: "namespace profile", obj: &api.Profile{ObjectMeta: meta("kns.default"), Spec: api.ProfileSpec{
			Ingress: []api.Rule{{Action: api.Allow}}, Egress: []api.Rule{{Action: api.Allow}},
			LabelsToApply: map[string]string{"pcns.projectcalico.org/name": "default"}}}},
		{name: "bad rule", obj: &api.Profile{ObjectMeta: meta("p"), Spec: api.ProfileSpec{Ingress: []api.Rule{{Action: "Accept"}}}},
			msg: "must be Allow, Deny, Log or Pass", field: "spec.ingress[0].action"},
		{name: "bad label", obj: &api.Profile{ObjectMeta: meta("p"), Spec: api.ProfileSpec{LabelsToApply: map[string]string{"a": "not valid!"}}},
			msg: "invalid label value", field: "spec.labelsToApply.a"},
	})
}

func TestTier(t *testing.T) {
	tier := func(name string, order *float64, action api.Action) *api.Tier {
		t := &api.Tier{ObjectMeta: meta(name), Spec: api.TierSpec{Order: order}}
		if action != "" {
			t.Spec.DefaultAction = &action
		}
		return t
	}
	run(t, Tier, []tc[*api.Tier]{
		{name: "custom tier", obj: tier("security", ptr(100.0), api.Pass)},
		{name: "no order", obj: tier("security", nil, "")},
		{name: "dotted name", obj: tier("sec.urity", nil, ""), msg: "a tier name must be lower case letters, digits and '-', with no dots", field: "metadata.name"},
		{name: "name too long", obj: tier(strings.Repeat("a", 64), nil, ""), msg: "at most 63 characters", field: "metadata.name"},
		{name: "defaultAction Allow", obj: tier("security", nil, api.Allow), msg: "must be Deny or Pass", field: "spec.defaultAction"},
		{name: "default tier", obj: tier("default", ptr(api.DefaultTierOrder), "")},
		{name: "default tier explicit Deny", obj: tier("default", ptr(1e6), api.Deny)},
		{name: "default tier moved", obj: tier("default", ptr(5.0), ""), msg: "the default tier's order must be 1000000", field: "spec.order"},
		{name: "default tier without order", obj: tier("default", nil, ""), msg: "the default tier's order must be 1000000", field: "spec.order"},
		{name: "default tier Pass", obj: tier("default", ptr(1e6), api.Pass), msg: "the default tier's defaultAction must be Deny", field: "spec.defaultAction"},
		{name: "kube-admin", obj: tier("kube-admin", ptr(1000.0), api.Pass)},
		{name: "kube-admin Deny", obj: tier("kube-admin", ptr(1000.0), ""), msg: "the kube-admin tier's defaultAction must be Pass", field: "spec.defaultAction"},
		{name: "kube-baseline", obj: tier("kube-baseline", ptr(1e7), api.Pass)},
		{name: "kube-baseline moved", obj: tier("kube-baseline", ptr(1e6), api.Pass), msg: "the kube-baseline tier's order must be 10000000", field: "spec.order"},
	})
}
