package convert

import (
	"errors"
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/policy"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// kubernetesNetworkPolicy converts a networking.k8s.io/v1 NetworkPolicy into the Calico
// NetworkPolicy that Calico itself enforces for it (the conversion `policy trace` evaluates),
// named as the original rather than knp.default.<name>, so that it can be written as a Calico
// policy of its own, as calicoctl's convert did.
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
	if err := checkKubernetesPolicy(&np.Spec); err != nil {
		return nil, fmt.Errorf("Kubernetes NetworkPolicy '%s': %w", np.Name, err)
	}
	out := policy.FromKubernetes(&np)
	out.Name = strings.TrimPrefix(out.Name, policy.KubernetesPolicyPrefix)
	// Labels are kept; annotations describe the Kubernetes object (kubectl's
	// last-applied-configuration...) and are not carried over.
	out.Labels = np.Labels
	return out, nil
}

// checkKubernetesPolicy refuses what the API server would refuse and the conversion cannot
// express: unknown selector operators, policy types, bad ports and networks.
func checkKubernetesPolicy(s *networkingv1.NetworkPolicySpec) error {
	if err := checkLabelSelector(&s.PodSelector); err != nil {
		return fmt.Errorf("spec.podSelector: %w", err)
	}
	for _, t := range s.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			return fmt.Errorf("spec.policyTypes value '%s' must be Ingress or Egress", t)
		}
	}
	check := func(field string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) error {
		for j, p := range peers {
			at := fmt.Sprintf("%s.peers[%d]", field, j)
			if p.IPBlock != nil {
				if p.PodSelector != nil || p.NamespaceSelector != nil {
					return fmt.Errorf("%s: a peer with ipBlock may not also have podSelector or namespaceSelector", at)
				}
				if _, err := parseNet(p.IPBlock.CIDR); err != nil {
					return fmt.Errorf("%s.ipBlock.cidr: %w", at, err)
				}
			}
			if err := checkLabelSelector(p.PodSelector); err != nil {
				return fmt.Errorf("%s.podSelector: %w", at, err)
			}
			if err := checkLabelSelector(p.NamespaceSelector); err != nil {
				return fmt.Errorf("%s.namespaceSelector: %w", at, err)
			}
		}
		for j, port := range ports {
			if port.Port == nil {
				continue
			}
			at := fmt.Sprintf("%s.ports[%d]", field, j)
			if port.Port.StrVal != "" {
				if port.EndPort != nil {
					return fmt.Errorf("%s: endPort %d needs a numeric port, not '%s'", at, *port.EndPort, port.Port.StrVal)
				}
				continue
			}
			lo, hi := port.Port.IntVal, port.Port.IntVal
			if port.EndPort != nil {
				hi = *port.EndPort
			}
			if lo < 1 || lo > 65535 || hi < lo || hi > 65535 {
				return fmt.Errorf("%s: port range %d-%d is not within 1-65535", at, lo, hi)
			}
		}
		return nil
	}
	for i, r := range s.Ingress {
		if err := check(fmt.Sprintf("spec.ingress[%d]", i), r.From, r.Ports); err != nil {
			return err
		}
	}
	for i, r := range s.Egress {
		if err := check(fmt.Sprintf("spec.egress[%d]", i), r.To, r.Ports); err != nil {
			return err
		}
	}
	return nil
}

func checkLabelSelector(sel *metav1.LabelSelector) error {
	if sel == nil {
		return nil
	}
	for _, e := range sel.MatchExpressions {
		switch e.Operator {
		case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist:
		default:
			return fmt.Errorf("matchExpressions operator '%s' (key %s) must be In, NotIn, Exists or DoesNotExist", e.Operator, e.Key)
		}
	}
	return nil
}
