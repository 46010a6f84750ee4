package api

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PolicyType is the direction a policy applies to.
type PolicyType string

const (
	PolicyTypeIngress PolicyType = "Ingress"
	PolicyTypeEgress  PolicyType = "Egress"
)

// Action is what a rule (or a tier's default) does with a matching packet.
type Action string

const (
	Allow Action = "Allow"
	Deny  Action = "Deny"
	Log   Action = "Log"
	Pass  Action = "Pass"
)

// StagedAction is what a staged policy does to its enforced counterpart.
type StagedAction string

const (
	StagedActionSet    StagedAction = "Set"
	StagedActionDelete StagedAction = "Delete"
	StagedActionLearn  StagedAction = "Learn"
	StagedActionIgnore StagedAction = "Ignore"
)

// PolicyPerformanceHint is a hint to Felix that never changes what a policy enforces.
type PolicyPerformanceHint string

const PerfHintAssumeNeededOnEveryNode PolicyPerformanceHint = "AssumeNeededOnEveryNode"

// Rule is a set of match criteria and an action. Each positive match has a negated "Not" twin;
// all criteria in a rule must hold for it to match.
//
// Source and Destination are omitzero, as in current Calico: an empty EntityRule is not written.
// (Calico up to v3.31 wrote "source: {}" and "destination: {}"; both forms decode the same.)
type Rule struct {
	Action      Action        `json:"action"`
	IPVersion   *int          `json:"ipVersion,omitempty"`
	Protocol    *Protocol     `json:"protocol,omitempty"`
	ICMP        *ICMPFields   `json:"icmp,omitempty"`
	NotProtocol *Protocol     `json:"notProtocol,omitempty"`
	NotICMP     *ICMPFields   `json:"notICMP,omitempty"`
	Source      EntityRule    `json:"source,omitzero"`
	Destination EntityRule    `json:"destination,omitzero"`
	HTTP        *HTTPMatch    `json:"http,omitempty"`
	Metadata    *RuleMetadata `json:"metadata,omitempty"`
}

// HTTPPath matches an HTTP path exactly or by prefix (exactly one of the two).
type HTTPPath struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
}

// HTTPMatch restricts a rule to HTTP requests; Methods and Paths are ANDed, entries within each ORed.
type HTTPMatch struct {
	Methods []string   `json:"methods,omitempty"`
	Paths   []HTTPPath `json:"paths,omitempty"`
}

// ICMPFields matches an ICMP type and, optionally, code.
type ICMPFields struct {
	Type *int `json:"type,omitempty"`
	Code *int `json:"code,omitempty"`
}

// EntityRule is the source or destination half of a rule.
type EntityRule struct {
	Nets              []string             `json:"nets,omitempty"`
	Selector          string               `json:"selector,omitempty"`
	NamespaceSelector string               `json:"namespaceSelector,omitempty"`
	Services          *ServiceMatch        `json:"services,omitempty"`
	Ports             []Port               `json:"ports,omitempty"`
	NotNets           []string             `json:"notNets,omitempty"`
	NotSelector       string               `json:"notSelector,omitempty"`
	NotPorts          []Port               `json:"notPorts,omitempty"`
	ServiceAccounts   *ServiceAccountMatch `json:"serviceAccounts,omitempty"`
}

// IsZero reports an EntityRule that matches on nothing, which omitzero then leaves out: empty
// lists count as absent, so that `ports: []` is stored and printed as Calico prints no ports, and
// an object reads back as it was written.
func (e EntityRule) IsZero() bool {
	return len(e.Nets) == 0 && e.Selector == "" && e.NamespaceSelector == "" && e.Services == nil &&
		len(e.Ports) == 0 && len(e.NotNets) == 0 && e.NotSelector == "" && len(e.NotPorts) == 0 && e.ServiceAccounts == nil
}

// ServiceMatch matches the endpoints of a Kubernetes Service.
type ServiceMatch struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// ServiceAccountMatch matches pods by service account name and/or a selector on its labels.
type ServiceAccountMatch struct {
	Names    []string `json:"names,omitempty"`
	Selector string   `json:"selector,omitempty"`
}

// RuleMetadata is extra information attached to a rule.
type RuleMetadata struct {
	Annotations map[string]string `json:"annotations,omitempty"`
}

// NetworkPolicy is a namespaced, ordered set of rules applied to the endpoints its selector picks.
type NetworkPolicy struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       NetworkPolicySpec `json:"spec,omitempty"`
}

// NetworkPolicySpec is the desired state of a NetworkPolicy.
type NetworkPolicySpec struct {
	Tier                   string                  `json:"tier,omitempty"`
	Order                  *float64                `json:"order,omitempty"`
	Ingress                []Rule                  `json:"ingress,omitempty"`
	Egress                 []Rule                  `json:"egress,omitempty"`
	Selector               string                  `json:"selector,omitempty"`
	Types                  []PolicyType            `json:"types,omitempty"`
	ServiceAccountSelector string                  `json:"serviceAccountSelector,omitempty"`
	PerformanceHints       []PolicyPerformanceHint `json:"performanceHints,omitempty"`
}

// GlobalNetworkPolicy is the cluster-wide form of NetworkPolicy, which also governs host endpoints.
type GlobalNetworkPolicy struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       GlobalNetworkPolicySpec `json:"spec,omitempty"`
}

// GlobalNetworkPolicySpec is the desired state of a GlobalNetworkPolicy.
type GlobalNetworkPolicySpec struct {
	Tier                   string                  `json:"tier,omitempty"`
	Order                  *float64                `json:"order,omitempty"`
	Ingress                []Rule                  `json:"ingress,omitempty"`
	Egress                 []Rule                  `json:"egress,omitempty"`
	Selector               string                  `json:"selector,omitempty"`
	Types                  []PolicyType            `json:"types,omitempty"`
	DoNotTrack             bool                    `json:"doNotTrack,omitempty"`
	PreDNAT                bool                    `json:"preDNAT,omitempty"`
	ApplyOnForward         bool                    `json:"applyOnForward,omitempty"`
	ServiceAccountSelector string                  `json:"serviceAccountSelector,omitempty"`
	NamespaceSelector      string                  `json:"namespaceSelector,omitempty"`
	PerformanceHints       []PolicyPerformanceHint `json:"performanceHints,omitempty"`
}

// StagedNetworkPolicy is a NetworkPolicy that is evaluated but not enforced.
type StagedNetworkPolicy struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       StagedNetworkPolicySpec `json:"spec,omitempty"`
}

// StagedNetworkPolicySpec is NetworkPolicySpec plus the staged action.
type StagedNetworkPolicySpec struct {
	StagedAction           StagedAction            `json:"stagedAction,omitempty"`
	Tier                   string                  `json:"tier,omitempty"`
	Order                  *float64                `json:"order,omitempty"`
	Ingress                []Rule                  `json:"ingress,omitempty"`
	Egress                 []Rule                  `json:"egress,omitempty"`
	Selector               string                  `json:"selector,omitempty"`
	Types                  []PolicyType            `json:"types,omitempty"`
	ServiceAccountSelector string                  `json:"serviceAccountSelector,omitempty"`
	PerformanceHints       []PolicyPerformanceHint `json:"performanceHints,omitempty"`
}

// StagedGlobalNetworkPolicy is a GlobalNetworkPolicy that is evaluated but not enforced.
type StagedGlobalNetworkPolicy struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       StagedGlobalNetworkPolicySpec `json:"spec,omitempty"`
}

// StagedGlobalNetworkPolicySpec is GlobalNetworkPolicySpec plus the staged action.
type StagedGlobalNetworkPolicySpec struct {
	StagedAction           StagedAction            `json:"stagedAction,omitempty"`
	Tier                   string                  `json:"tier,omitempty"`
	Order                  *float64                `json:"order,omitempty"`
	Ingress                []Rule                  `json:"ingress,omitempty"`
	Egress                 []Rule                  `json:"egress,omitempty"`
	Selector               string                  `json:"selector,omitempty"`
	Types                  []PolicyType            `json:"types,omitempty"`
	DoNotTrack             bool                    `json:"doNotTrack,omitempty"`
	PreDNAT                bool                    `json:"preDNAT,omitempty"`
	ApplyOnForward         bool                    `json:"applyOnForward,omitempty"`
	ServiceAccountSelector string                  `json:"serviceAccountSelector,omitempty"`
	NamespaceSelector      string                  `json:"namespaceSelector,omitempty"`
	PerformanceHints       []PolicyPerformanceHint `json:"performanceHints,omitempty"`
}

// StagedKubernetesNetworkPolicy is a Kubernetes NetworkPolicy that is evaluated but not enforced.
type StagedKubernetesNetworkPolicy struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       StagedKubernetesNetworkPolicySpec `json:"spec,omitempty"`
}

// StagedKubernetesNetworkPolicySpec is networking.k8s.io/v1 NetworkPolicySpec plus the staged
// action. PodSelector has no omitempty in Calico, so an empty one is written as "podSelector: {}".
type StagedKubernetesNetworkPolicySpec struct {
	StagedAction StagedAction                            `json:"stagedAction,omitempty"`
	PodSelector  metav1.LabelSelector                    `json:"podSelector"`
	Ingress      []networkingv1.NetworkPolicyIngressRule `json:"ingress,omitempty"`
	Egress       []networkingv1.NetworkPolicyEgressRule  `json:"egress,omitempty"`
	PolicyTypes  []networkingv1.PolicyType               `json:"policyTypes,omitempty"`
}
