package api

// BGPConfiguration is the cluster-wide BGP configuration (name "default") or a per-node override
// (name "node.<nodename>").
type BGPConfiguration struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       BGPConfigurationSpec `json:"spec,omitempty"`
}

// BGPConfigurationSpec is the desired state of a BGPConfiguration.
type BGPConfigurationSpec struct {
	LogSeverityScreen              string                          `json:"logSeverityScreen,omitempty"`
	NodeToNodeMeshEnabled          *bool                           `json:"nodeToNodeMeshEnabled,omitempty"`
	ASNumber                       *ASNumber                       `json:"asNumber,omitempty"`
	ServiceLoadBalancerIPs         []ServiceLoadBalancerIPBlock    `json:"serviceLoadBalancerIPs,omitempty"`
	ServiceExternalIPs             []ServiceExternalIPBlock        `json:"serviceExternalIPs,omitempty"`
	ServiceClusterIPs              []ServiceClusterIPBlock         `json:"serviceClusterIPs,omitempty"`
	ServiceLoadBalancerAggregation *ServiceLoadBalancerAggregation `json:"serviceLoadBalancerAggregation,omitempty"`
	Communities                    []Community                     `json:"communities,omitempty"`
	PrefixAdvertisements           []PrefixAdvertisement           `json:"prefixAdvertisements,omitempty"`
	ListenPort                     uint16                          `json:"listenPort,omitempty"`
	NodeMeshPassword               *BGPPassword                    `json:"nodeMeshPassword,omitempty"`
	NodeMeshMaxRestartTime         *Duration                       `json:"nodeMeshMaxRestartTime,omitempty"`
	BindMode                       *BindMode                       `json:"bindMode,omitempty"`
	IgnoredInterfaces              []string                        `json:"ignoredInterfaces,omitempty"`
	LocalWorkloadPeeringIPV4       string                          `json:"localWorkloadPeeringIPV4,omitempty"`
	LocalWorkloadPeeringIPV6       string                          `json:"localWorkloadPeeringIPV6,omitempty"`
	ProgramClusterRoutes           *string                         `json:"programClusterRoutes,omitempty"`
	IPv4NormalRoutePriority        *int                            `json:"ipv4NormalRoutePriority,omitempty"`
	IPv6NormalRoutePriority        *int                            `json:"ipv6NormalRoutePriority,omitempty"`
}

// ServiceLoadBalancerIPBlock is one CIDR of LoadBalancer service IPs to advertise.
type ServiceLoadBalancerIPBlock struct {
	CIDR string `json:"cidr,omitempty"`
}

// ServiceExternalIPBlock is one CIDR of service external IPs to advertise.
type ServiceExternalIPBlock struct {
	CIDR string `json:"cidr,omitempty"`
}

// ServiceClusterIPBlock is one CIDR of service cluster IPs to advertise.
type ServiceClusterIPBlock struct {
	CIDR string `json:"cidr,omitempty"`
}

// Community names a BGP community value ("aa:nn" or "aa:nn:mm").
type Community struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// PrefixAdvertisement attaches communities (values or names from Communities) to a CIDR.
type PrefixAdvertisement struct {
	CIDR        string   `json:"cidr,omitempty"`
	Communities []string `json:"communities,omitempty"`
}

// BindMode says which addresses BIRD listens on.
type BindMode string

const (
	BindModeNone   BindMode = "None"
	BindModeNodeIP BindMode = "NodeIP"
)

// ServiceLoadBalancerAggregation says whether LoadBalancer IPs are advertised as their CIDR or as
// one /32 (/128) per service.
type ServiceLoadBalancerAggregation string

const (
	ServiceLoadBalancerAggregationEnabled  ServiceLoadBalancerAggregation = "Enabled"
	ServiceLoadBalancerAggregationDisabled ServiceLoadBalancerAggregation = "Disabled"
)
