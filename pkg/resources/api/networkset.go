package api

// NetworkSet is a namespaced, labelled set of networks that policy selectors can match.
type NetworkSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       NetworkSetSpec `json:"spec,omitempty"`
}

// NetworkSetSpec lists the networks (CIDRs or IPs) in the set.
type NetworkSetSpec struct {
	Nets []string `json:"nets,omitempty"`
}

// GlobalNetworkSet is the cluster-wide form of NetworkSet.
type GlobalNetworkSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       GlobalNetworkSetSpec `json:"spec,omitempty"`
}

// GlobalNetworkSetSpec lists the networks (CIDRs or IPs) in the set.
type GlobalNetworkSetSpec struct {
	Nets []string `json:"nets,omitempty"`
}
