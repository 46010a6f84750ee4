package api

// Tier is an ordered group of policies. Tiers are evaluated in order; a packet that matches no
// rule in a tier whose policies select its endpoint gets the tier's default action.
type Tier struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       TierSpec `json:"spec,omitempty"`
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
