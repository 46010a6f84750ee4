package api

// IPAMConfiguration is the singleton "default" holding cluster-wide IPAM settings.
type IPAMConfiguration struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       IPAMConfigurationSpec `json:"spec,omitempty"`
}

// IPAMConfigurationSpec is the desired state of IPAM. StrictAffinity and AutoAllocateBlocks have no
// omitempty: Calico always writes them, false included.
type IPAMConfigurationSpec struct {
	StrictAffinity               bool                  `json:"strictAffinity"`
	MaxBlocksPerHost             int32                 `json:"maxBlocksPerHost,omitempty"`
	AutoAllocateBlocks           bool                  `json:"autoAllocateBlocks"`
	KubeVirtVMAddressPersistence *VMAddressPersistence `json:"kubeVirtVMAddressPersistence,omitempty"`
	IPCooldownSeconds            *int32                `json:"ipCooldownSeconds,omitempty"`
}

// VMAddressPersistence says whether KubeVirt VMs keep their IPs when their pods are recreated.
type VMAddressPersistence string

const (
	VMAddressPersistenceEnabled  VMAddressPersistence = "Enabled"
	VMAddressPersistenceDisabled VMAddressPersistence = "Disabled"
)
