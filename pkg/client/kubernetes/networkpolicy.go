package kubernetes

import (
	"context"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var networkPoliciesResource = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}

// KubernetesNetworkPolicies lists the cluster's networking.k8s.io/v1 NetworkPolicies, which
// Calico enforces as knp.default.<name> (calicoctl policy trace reads them; they are not a
// calicoctl kind).
func (s *Store) KubernetesNetworkPolicies(ctx context.Context) ([]*networkingv1.NetworkPolicy, error) {
	var out []*networkingv1.NetworkPolicy
	opts := metav1.ListOptions{Limit: 500}
	for {
		var page []*networkingv1.NetworkPolicy
		var next string
		err := s.do(ctx, retryTransient, "NetworkPolicy (networking.k8s.io/v1)", "", func(ctx context.Context) error {
			page = page[:0]
			list, err := s.dynamic.Resource(networkPoliciesResource).List(ctx, opts)
			if err != nil {
				return err
			}
			for i := range list.Items {
				np := &networkingv1.NetworkPolicy{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(list.Items[i].Object, np); err != nil {
					return err
				}
				page = append(page, np)
			}
			next = list.GetContinue()
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		opts.Continue = next
	}
}
