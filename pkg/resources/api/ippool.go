package api

// IPPool is a range of addresses from which Calico assigns workload and tunnel IPs.
type IPPool struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       IPPoolSpec `json:"spec,omitempty"`
}

// IPPoolSpec is the desired state of an IPPool.
type IPPoolSpec struct {
	CIDR              string             `json:"cidr"`
	VXLANMode         VXLANMode          `json:"vxlanMode,omitempty"`
	IPIPMode          IPIPMode           `json:"ipipMode,omitempty"`
	NATOutgoing       bool               `json:"natOutgoing,omitempty"`
	Disabled          bool               `json:"disabled,omitempty"`
	DisableBGPExport  bool               `json:"disableBGPExport,omitempty"`
	BlockSize         int                `json:"blockSize,omitempty"`
	NodeSelector      string             `json:"nodeSelector,omitempty"`
	NamespaceSelector string             `json:"namespaceSelector,omitempty"`
	AllowedUses       []IPPoolAllowedUse `json:"allowedUses,omitempty"`
	AssignmentMode    *AssignmentMode    `json:"assignmentMode,omitempty"`

	// Deprecated v1 fields, still accepted on input as Calico does.
	IPIP          *IPIPConfiguration `json:"ipip,omitempty"`
	NATOutgoingV1 bool               `json:"nat-outgoing,omitempty"`
}

// IPIPConfiguration is the deprecated v1 form of the IPIP settings of a pool.
type IPIPConfiguration struct {
	Enabled bool      `json:"enabled,omitempty"`
	Mode    EncapMode `json:"mode,omitempty"`
}

// EncapMode is the deprecated v1 IPIP mode: always or cross-subnet.
type EncapMode string

type (
	VXLANMode        string
	IPIPMode         string
	IPPoolAllowedUse string
	AssignmentMode   string
)

const (
	VXLANModeNever       VXLANMode = "Never"
	VXLANModeAlways      VXLANMode = "Always"
	VXLANModeCrossSubnet VXLANMode = "CrossSubnet"

	IPIPModeNever       IPIPMode = "Never"
	IPIPModeAlways      IPIPMode = "Always"
	IPIPModeCrossSubnet IPIPMode = "CrossSubnet"

	IPPoolAllowedUseWorkload     IPPoolAllowedUse = "Workload"
	IPPoolAllowedUseTunnel       IPPoolAllowedUse = "Tunnel"
	IPPoolAllowedUseLoadBalancer IPPoolAllowedUse = "LoadBalancer"

	AssignmentModeAutomatic AssignmentMode = "Automatic"
	AssignmentModeManual    AssignmentMode = "Manual"
)
