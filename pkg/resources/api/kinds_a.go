package api

// Kind names of the policy, endpoint and set resources, and of their lists.
const (
	KindNetworkPolicy                     = "NetworkPolicy"
	KindNetworkPolicyList                 = "NetworkPolicyList"
	KindGlobalNetworkPolicy               = "GlobalNetworkPolicy"
	KindGlobalNetworkPolicyList           = "GlobalNetworkPolicyList"
	KindStagedNetworkPolicy               = "StagedNetworkPolicy"
	KindStagedNetworkPolicyList           = "StagedNetworkPolicyList"
	KindStagedGlobalNetworkPolicy         = "StagedGlobalNetworkPolicy"
	KindStagedGlobalNetworkPolicyList     = "StagedGlobalNetworkPolicyList"
	KindStagedKubernetesNetworkPolicy     = "StagedKubernetesNetworkPolicy"
	KindStagedKubernetesNetworkPolicyList = "StagedKubernetesNetworkPolicyList"
	KindTier                              = "Tier"
	KindTierList                          = "TierList"
	KindProfile                           = "Profile"
	KindProfileList                       = "ProfileList"
	KindNetworkSet                        = "NetworkSet"
	KindNetworkSetList                    = "NetworkSetList"
	KindGlobalNetworkSet                  = "GlobalNetworkSet"
	KindGlobalNetworkSetList              = "GlobalNetworkSetList"
	KindHostEndpoint                      = "HostEndpoint"
	KindHostEndpointList                  = "HostEndpointList"
	KindWorkloadEndpoint                  = "WorkloadEndpoint"
	KindWorkloadEndpointList              = "WorkloadEndpointList"
)

// Labels Calico sets on namespaced endpoints itself; Felix selects namespaced policies and
// Kubernetes policies by them.
const (
	LabelNamespace    = "projectcalico.org/namespace"
	LabelOrchestrator = "projectcalico.org/orchestrator"
)
