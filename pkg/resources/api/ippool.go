package api

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// IPPool is a range of addresses from which Calico assigns workload and tunnel IPs.
type IPPool struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       IPPoolSpec    `json:"spec,omitempty"`
	Status     *IPPoolStatus `json:"status,omitempty"`
}

// IPPoolSpec is the desired state of an IPPool. Calico removed the v1 compatibility fields (ipip,
// nat-outgoing), so they are rejected here as unknown fields too.
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
}

// IPPoolStatus is written by Calico's controllers (the Allocatable condition), never by an operator.
type IPPoolStatus struct {
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// IPPoolConditionAllocatable is the condition type saying whether a pool can hand out addresses.
const IPPoolConditionAllocatable = "Allocatable"

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
