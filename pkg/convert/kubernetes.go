package convert

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// kubernetesPolicyOrder is the order Calico gives the policies it derives from Kubernetes ones.
const kubernetesPolicyOrder = 1000.0

// orchestratorTerm restricts a pod selector to Kubernetes pods, as Calico's conversion does.
const orchestratorTerm = "projectcalico.org/orchestrator == 'k8s'"

// kubernetesNetworkPolicy converts a networking.k8s.io/v1 NetworkPolicy into the Calico
// NetworkPolicy that Calico itself enforces for it (libcalico-go's K8sNetworkPolicyToCalico),
// named as the original rather than knp.default.<name>, so that it can be written as a Calico
// policy of its own.
func kubernetesNetworkPolicy(js []byte) (resources.Resource, error) {
	var np networkingv1.NetworkPolicy
	if err := strict(js, &np); err != nil {
		var uf *unknownFieldError
		if errors.As(err, &uf) {
			return nil, fmt.Errorf("Kubernetes NetworkPolicy '%s': field %s is not a NetworkPolicy field: check its spelling and place", np.Name, uf.field)
		}
		return nil, fmt.Errorf("Kubernetes NetworkPolicy '%s': %w", np.Name, err)
	}
	if np.Name == "" {
		return nil, errors.New("Kubernetes NetworkPolicy: metadata.name is missing")
	}
	out := newObject(api.KindNetworkPolicy).(*api.NetworkPolicy)
	out.Name = np.Name
	out.Namespace = np.Namespace
	// Labels are kept; annotations describe the Kubernetes object (kubectl's
	// last-applied-configuration...) and are not carried over.
	out.Labels = np.Labels
	s := &out.Spec
	order := kubernetesPolicyOrder
	s.Order = &order
	var err error
	if s.Selector, err = kubernetesSelector(&np.Spec.PodSelector, true); err != nil {
		return nil, fmt.Errorf("Kubernetes NetworkPolicy '%s': spec.podSelector: %w", np.Name, err)
	}
	for i, r := range np.Spec.Ingress {
		rs, err := kubernetesRules(r.From, r.Ports, true)
		if err != nil {
			return nil, fmt.Errorf("Kubernetes NetworkPolicy '%s': spec.ingress[%d]: %w", np.Name, i, err)
		}
		s.Ingress = append(s.Ingress, rs...)
	}
	for i, r := range np.Spec.Egress {
		rs, err := kubernetesRules(r.To, r.Ports, false)
		if err != nil {
			return nil, fmt.Errorf("Kubernetes NetworkPolicy '%s': spec.egress[%d]: %w", np.Name, i, err)
		}
		s.Egress = append(s.Egress, rs...)
	}
	// Kubernetes: without policyTypes a policy is an ingress policy, and an egress one too when
	// it has egress rules.
	if len(np.Spec.PolicyTypes) == 0 {
		s.Types = []api.PolicyType{api.PolicyTypeIngress}
		if len(np.Spec.Egress) > 0 {
			s.Types = append(s.Types, api.PolicyTypeEgress)
		}
	}
	for _, t := range np.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			s.Types = append(s.Types, api.PolicyTypeIngress)
		case networkingv1.PolicyTypeEgress:
			s.Types = append(s.Types, api.PolicyTypeEgress)
		default:
			return nil, fmt.Errorf("Kubernetes NetworkPolicy '%s': spec.policyTypes value '%s' must be Ingress or Egress", np.Name, t)
		}
	}
	return out, nil
}

// kubernetesRules makes one Allow rule per combination of peer and port, the peers' order first.
func kubernetesRules(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, ingress bool) ([]api.Rule, error) {
	peerList := make([]*networkingv1.NetworkPolicyPeer, 0, len(peers))
	for i := range peers {
		peerList = append(peerList, &peers[i])
	}
	if len(peerList) == 0 {
		peerList = append(peerList, nil)
	}
	portList := make([]*networkingv1.NetworkPolicyPort, 0, len(ports))
	for i := range ports {
		portList = append(portList, &ports[i])
	}
	if len(portList) == 0 {
		portList = append(portList, nil)
	}
	var out []api.Rule
	for _, peer := range peerList {
		for _, port := range portList {
			r := api.Rule{Action: api.Allow}
			var entity api.EntityRule
			if peer != nil {
				if err := kubernetesPeer(peer, &entity); err != nil {
					return nil, err
				}
			}
			if port != nil {
				proto := corev1.ProtocolTCP
				if port.Protocol != nil {
					proto = *port.Protocol
				}
				p := api.ProtocolFromString(string(proto))
				r.Protocol = &p
				if port.Port != nil {
					cp, err := kubernetesPort(port)
					if err != nil {
						return nil, err
					}
					// Ports are always the destination's: for ingress the policy's own pods'.
					r.Destination.Ports = []api.Port{cp}
				}
			}
			if ingress {
				r.Source = mergeEntity(r.Source, entity)
			} else {
				r.Destination = mergeEntity(r.Destination, entity)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func mergeEntity(into, from api.EntityRule) api.EntityRule {
	into.Selector = from.Selector
	into.NamespaceSelector = from.NamespaceSelector
	into.Nets = from.Nets
	into.NotNets = from.NotNets
	return into
}

func kubernetesPeer(peer *networkingv1.NetworkPolicyPeer, e *api.EntityRule) error {
	if peer.IPBlock != nil {
		if peer.PodSelector != nil || peer.NamespaceSelector != nil {
			return errors.New("a peer with ipBlock may not also have podSelector or namespaceSelector")
		}
		if _, err := parseNet(peer.IPBlock.CIDR); err != nil {
			return fmt.Errorf("ipBlock.cidr: %w", err)
		}
		e.Nets = []string{peer.IPBlock.CIDR}
		e.NotNets = peer.IPBlock.Except
		return nil
	}
	var err error
	if peer.PodSelector != nil {
		if e.Selector, err = kubernetesSelector(peer.PodSelector, true); err != nil {
			return fmt.Errorf("podSelector: %w", err)
		}
	}
	if peer.NamespaceSelector != nil {
		if e.NamespaceSelector, err = kubernetesSelector(peer.NamespaceSelector, false); err != nil {
			return fmt.Errorf("namespaceSelector: %w", err)
		}
	}
	return nil
}

func kubernetesPort(port *networkingv1.NetworkPolicyPort) (api.Port, error) {
	if port.Port.Type == intstr.String {
		if port.EndPort != nil {
			return api.Port{}, fmt.Errorf("endPort %d needs a numeric port, not '%s'", *port.EndPort, port.Port.StrVal)
		}
		return api.NamedPort(port.Port.StrVal)
	}
	lo := port.Port.IntVal
	hi := lo
	if port.EndPort != nil {
		hi = *port.EndPort
	}
	if lo < 1 || lo > 65535 || hi < lo || hi > 65535 {
		return api.Port{}, fmt.Errorf("port range %d-%d is not within 1-65535", lo, hi)
	}
	return api.PortFromRange(uint16(lo), uint16(hi))
}

// kubernetesSelector writes a Kubernetes label selector in Calico's syntax. A pod selector also
// requires the Kubernetes orchestrator; an empty namespace selector matches every namespace.
func kubernetesSelector(sel *metav1.LabelSelector, pod bool) (string, error) {
	var terms []string
	if pod {
		terms = append(terms, orchestratorTerm)
	}
	for _, k := range sortedKeys(sel.MatchLabels) {
		terms = append(terms, fmt.Sprintf("%s == '%s'", k, sel.MatchLabels[k]))
	}
	for _, e := range sel.MatchExpressions {
		values := "'" + strings.Join(e.Values, "', '") + "'"
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			terms = append(terms, fmt.Sprintf("%s in { %s }", e.Key, values))
		case metav1.LabelSelectorOpNotIn:
			terms = append(terms, fmt.Sprintf("%s not in { %s }", e.Key, values))
		case metav1.LabelSelectorOpExists:
			terms = append(terms, fmt.Sprintf("has(%s)", e.Key))
		case metav1.LabelSelectorOpDoesNotExist:
			terms = append(terms, fmt.Sprintf("! has(%s)", e.Key))
		default:
			return "", fmt.Errorf("matchExpressions operator '%s' (key %s) must be In, NotIn, Exists or DoesNotExist", e.Operator, e.Key)
		}
	}
	if len(terms) == 0 {
		return "all()", nil
	}
	return strings.Join(terms, " && "), nil
}
