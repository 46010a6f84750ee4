package api

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Tier is an ordered group of policies. Tiers are evaluated in order; a packet that matches no
// rule in a tier whose policies select its endpoint gets the tier's default action.
type Tier struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       TierSpec   `json:"spec,omitempty"`
	Status     TierStatus `json:"status,omitempty"`
}

// TierStatus is written by Calico's controllers (Calico 3.32). Like Calico's, it is a struct, so
// an empty one is written as "status":{} and printed as status: {}.
type TierStatus struct {
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// TierSpec is the desired state of a Tier. A nil Order sorts last; a nil DefaultAction means Deny.
type TierSpec struct {
	Order         *float64 `json:"order,omitempty"`
	DefaultAction *Action  `json:"defaultAction,omitempty"`
}

// The tiers Calico creates itself, and their fixed orders.
const (
	DefaultTierName      = "default"
	KubeAdminTierName    = "kube-admin"
	KubeBaselineTierName = "kube-baseline"

	DefaultTierOrder      = float64(1_000_000)
	KubeAdminTierOrder    = float64(1_000)
	KubeBaselineTierOrder = float64(10_000_000)
)
