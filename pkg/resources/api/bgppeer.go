package api

// BGPPeer is a BGP peering applied to one node, to the nodes a selector picks, or to every node.
type BGPPeer struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       BGPPeerSpec `json:"spec,omitempty"`
}

// BGPPeerSpec is the desired state of a BGPPeer. ASNumber is a plain value (0 means unset) while
// LocalASNumber is a pointer, as in Calico.
type BGPPeerSpec struct {
	Node                     string          `json:"node,omitempty"`
	NodeSelector             string          `json:"nodeSelector,omitempty"`
	PeerIP                   string          `json:"peerIP,omitempty"`
	ASNumber                 ASNumber        `json:"asNumber,omitempty"`
	LocalASNumber            *ASNumber       `json:"localASNumber,omitempty"`
	PeerSelector             string          `json:"peerSelector,omitempty"`
	KeepOriginalNextHop      bool            `json:"keepOriginalNextHop,omitempty"`
	NextHopMode              *NextHopMode    `json:"nextHopMode,omitempty"`
	Password                 *BGPPassword    `json:"password,omitempty"`
	SourceAddress            SourceAddress   `json:"sourceAddress,omitempty"`
	MaxRestartTime           *Duration       `json:"maxRestartTime,omitempty"`
	KeepaliveTime            *Duration       `json:"keepaliveTime,omitempty"`
	NumAllowedLocalASNumbers *int32          `json:"numAllowedLocalASNumbers,omitempty"`
	TTLSecurity              *uint8          `json:"ttlSecurity,omitempty"`
	ReachableBy              string          `json:"reachableBy,omitempty"`
	Filters                  []string        `json:"filters,omitempty"`
	LocalWorkloadSelector    string          `json:"localWorkloadSelector,omitempty"`
	ReversePeering           *ReversePeering `json:"reversePeering,omitempty"`
}

// BGPPassword says where a BGP password comes from.
type BGPPassword struct {
	SecretKeyRef *SecretKeySelector `json:"secretKeyRef,omitempty"`
}

// SecretKeySelector has the JSON form of Kubernetes' core/v1 SecretKeySelector (a key of a secret in
// calico-node's namespace); declared here so this package does not pull in k8s.io/api.
type SecretKeySelector struct {
	Name     string `json:"name,omitempty"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional,omitempty"`
}

// SourceAddress says whether the node IP is configured as the source address of a peering.
type SourceAddress string

const (
	SourceAddressUseNodeIP SourceAddress = "UseNodeIP"
	SourceAddressNone      SourceAddress = "None"
)

// NextHopMode says how the next hop of routes sent to the peer is computed.
type NextHopMode string

const (
	NextHopModeAuto NextHopMode = "Auto"
	NextHopModeSelf NextHopMode = "Self"
	NextHopModeKeep NextHopMode = "Keep"
)

// ReversePeering says whether the reverse of a node-to-node peering is generated automatically.
type ReversePeering string

const (
	ReversePeeringAuto   ReversePeering = "Auto"
	ReversePeeringManual ReversePeering = "Manual"
)
