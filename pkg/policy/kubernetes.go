package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// kubernetesPolicyOrder is the order Calico gives every Kubernetes NetworkPolicy.
const kubernetesPolicyOrder = 1000.0

// FromKubernetes converts a Kubernetes NetworkPolicy into the Calico NetworkPolicy Felix
// enforces: knp.default.<name> in the default tier at order 1000, selecting the namespace's
// Kubernetes pods, with one Allow rule per peer and protocol.
func FromKubernetes(np *networkingv1.NetworkPolicy) *api.NetworkPolicy {
	order := kubernetesPolicyOrder
	out := &api.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: api.GroupVersion, Kind: api.KindNetworkPolicy},
		ObjectMeta: metav1.ObjectMeta{Name: KubernetesPolicyPrefix + np.Name, Namespace: np.Namespace},
		Spec: api.NetworkPolicySpec{
			Tier:     api.DefaultTierName,
			Order:    &order,
			Selector: and(orchestratorK8s, labelSelector(&np.Spec.PodSelector)),
		},
	}
	for _, r := range np.Spec.Ingress {
		out.Spec.Ingress = append(out.Spec.Ingress, k8sRules(r.From, r.Ports, true)...)
	}
	for _, r := range np.Spec.Egress {
		out.Spec.Egress = append(out.Spec.Egress, k8sRules(r.To, r.Ports, false)...)
	}
	types := np.Spec.PolicyTypes
	if len(types) == 0 {
		types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(np.Spec.Egress) > 0 {
			types = append(types, networkingv1.PolicyTypeEgress)
		}
	}
	for _, t := range types {
		out.Spec.Types = append(out.Spec.Types, api.PolicyType(t))
	}
	return out
}

const orchestratorK8s = LabelOrchestrator + ` == "k8s"`

func and(a, b string) string {
	if b == "" || b == "all()" {
		return a
	}
	return a + " && " + b
}

// labelSelector writes a Kubernetes label selector in Calico's language ("" for an empty one).
func labelSelector(s *metav1.LabelSelector) string {
	if s == nil {
		return ""
	}
	var parts []string
	keys := make([]string, 0, len(s.MatchLabels))
	for k := range s.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s == %q", k, s.MatchLabels[k]))
	}
	for _, e := range s.MatchExpressions {
		quoted := make([]string, len(e.Values))
		for i, v := range e.Values {
			quoted[i] = fmt.Sprintf("%q", v)
		}
		set := "{" + strings.Join(quoted, ", ") + "}"
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			parts = append(parts, e.Key+" in "+set)
		case metav1.LabelSelectorOpNotIn:
			parts = append(parts, e.Key+" not in "+set)
		case metav1.LabelSelectorOpExists:
			parts = append(parts, "has("+e.Key+")")
		case metav1.LabelSelectorOpDoesNotExist:
			parts = append(parts, "!has("+e.Key+")")
		}
	}
	return strings.Join(parts, " && ")
}

// k8sRules converts one Kubernetes rule: each peer (or "any" when there are none) times each
// protocol of its ports becomes an Allow rule.
func k8sRules(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, ingress bool) []api.Rule {
	type protoPorts struct {
		proto string
		ports []api.Port
		any   bool
	}
	var byProto []*protoPorts
	find := func(proto string) *protoPorts {
		for _, p := range byProto {
			if p.proto == proto {
				return p
			}
		}
		p := &protoPorts{proto: proto}
		byProto = append(byProto, p)
		return p
	}
	for _, p := range ports {
		proto := string(corev1.ProtocolTCP)
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		pp := find(proto)
		switch {
		case p.Port == nil:
			pp.any = true
		case p.Port.StrVal != "":
			pp.ports = append(pp.ports, api.Port{PortName: p.Port.StrVal})
		case p.EndPort != nil:
			pp.ports = append(pp.ports, api.Port{MinPort: uint16(p.Port.IntVal), MaxPort: uint16(*p.EndPort)})
		default:
			pp.ports = append(pp.ports, api.SinglePort(uint16(p.Port.IntVal)))
		}
	}
	entities := []api.EntityRule{{}}
	if len(peers) > 0 {
		entities = entities[:0]
		for _, peer := range peers {
			entities = append(entities, k8sPeer(peer))
		}
	}
	var out []api.Rule
	for _, e := range entities {
		if len(byProto) == 0 {
			out = append(out, withPeer(api.Rule{Action: api.Allow}, e, ingress))
			continue
		}
		for _, pp := range byProto {
			proto := api.ProtocolFromString(pp.proto)
			r := api.Rule{Action: api.Allow, Protocol: &proto}
			if !pp.any {
				r.Destination.Ports = pp.ports
			}
			out = append(out, withPeer(r, e, ingress))
		}
	}
	return out
}

func withPeer(r api.Rule, peer api.EntityRule, ingress bool) api.Rule {
	if ingress {
		r.Source = peer
	} else {
		ports := r.Destination.Ports
		r.Destination = peer
		r.Destination.Ports = ports
	}
	return r
}

func k8sPeer(p networkingv1.NetworkPolicyPeer) api.EntityRule {
	var e api.EntityRule
	if p.IPBlock != nil {
		e.Nets = []string{p.IPBlock.CIDR}
		e.NotNets = p.IPBlock.Except
		return e
	}
	if p.PodSelector != nil || p.NamespaceSelector != nil {
		e.Selector = and(orchestratorK8s, labelSelector(p.PodSelector))
	}
	if p.NamespaceSelector != nil {
		e.NamespaceSelector = labelSelector(p.NamespaceSelector)
		if e.NamespaceSelector == "" {
			e.NamespaceSelector = "all()"
		}
	}
	return e
}

// DecodeKubernetes decodes a networking.k8s.io/v1 NetworkPolicy document strictly; ok is false
// for any other kind. It is the manifest.Extra of the policy commands.
func DecodeKubernetes(apiVersion, kind string, js []byte) (obj resources.Resource, ok bool, err error) {
	if apiVersion != networkingv1.SchemeGroupVersion.String() || kind != "NetworkPolicy" {
		return nil, false, nil
	}
	np := &networkingv1.NetworkPolicy{}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(np); err != nil {
		return nil, true, fmt.Errorf("decoding a Kubernetes NetworkPolicy: %w", err)
	}
	if np.Namespace == "" {
		np.Namespace = "default"
	}
	return np, true, nil
}
