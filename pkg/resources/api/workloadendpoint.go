package api

// WorkloadEndpoint is a pod's (or other workload's) network interface. Calico keeps this kind in its
// internal API (libcalico-go/lib/apis/internalapi) but serves it as projectcalico.org/v3.
type WorkloadEndpoint struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       WorkloadEndpointSpec `json:"spec,omitempty"`
}

// WorkloadEndpointSpec is the desired state of a WorkloadEndpoint.
type WorkloadEndpointSpec struct {
	Orchestrator               string                 `json:"orchestrator,omitempty"`
	Workload                   string                 `json:"workload,omitempty"`
	Node                       string                 `json:"node,omitempty"`
	ContainerID                string                 `json:"containerID,omitempty"`
	Pod                        string                 `json:"pod,omitempty"`
	Endpoint                   string                 `json:"endpoint,omitempty"`
	ServiceAccountName         string                 `json:"serviceAccountName,omitempty"`
	IPNetworks                 []string               `json:"ipNetworks,omitempty"`
	IPNATs                     []IPNAT                `json:"ipNATs,omitempty"`
	IPv4Gateway                string                 `json:"ipv4Gateway,omitempty"`
	IPv6Gateway                string                 `json:"ipv6Gateway,omitempty"`
	Profiles                   []string               `json:"profiles,omitempty"`
	InterfaceName              string                 `json:"interfaceName,omitempty"`
	MAC                        string                 `json:"mac,omitempty"`
	Ports                      []WorkloadEndpointPort `json:"ports,omitempty"`
	AllowSpoofedSourcePrefixes []string               `json:"allowSpoofedSourcePrefixes,omitempty"`
	QoSControls                *QoSControls           `json:"qosControls,omitempty"`
}

// WorkloadEndpointPort is a named or host-mapped port of a workload endpoint. None of its fields is
// omitempty in Calico, so zero values are written out.
type WorkloadEndpointPort struct {
	Name     string   `json:"name"`
	Protocol Protocol `json:"protocol"`
	Port     uint16   `json:"port"`
	HostPort uint16   `json:"hostPort"`
	HostIP   string   `json:"hostIP"`
}

// IPNAT is a 1:1 NAT mapping; InternalIP must be one of the endpoint's IPNetworks.
type IPNAT struct {
	InternalIP string `json:"internalIP"`
	ExternalIP string `json:"externalIP"`
}

// QoSControls are bandwidth, packet-rate, connection and DSCP limits for a workload. Zero means
// no limit; bandwidths are in bits per second, bursts in bits, minbursts in bytes.
type QoSControls struct {
	IngressBandwidth int64 `json:"ingressBandwidth,omitempty"`
	IngressBurst     int64 `json:"ingressBurst,omitempty"`
	IngressPeakrate  int64 `json:"ingressPeakrate,omitempty"`
	IngressMinburst  int64 `json:"ingressMinburst,omitempty"`

	EgressBandwidth int64 `json:"egressBandwidth,omitempty"`
	EgressBurst     int64 `json:"egressBurst,omitempty"`
	EgressPeakrate  int64 `json:"egressPeakrate,omitempty"`
	EgressMinburst  int64 `json:"egressMinburst,omitempty"`

	IngressPacketRate  int64 `json:"ingressPacketRate,omitempty"`
	IngressPacketBurst int64 `json:"ingressPacketBurst,omitempty"`
	EgressPacketRate   int64 `json:"egressPacketRate,omitempty"`
	EgressPacketBurst  int64 `json:"egressPacketBurst,omitempty"`

	IngressMaxConnections int64 `json:"ingressMaxConnections,omitempty"`
	EgressMaxConnections  int64 `json:"egressMaxConnections,omitempty"`

	DSCP *DSCP `json:"dscp,omitempty"`
}
