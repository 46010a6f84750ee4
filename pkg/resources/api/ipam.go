package api

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// The IPAM kinds below are Calico's internal IPAM records (crd.projectcalico.org/v1 IPAMBlock,
// BlockAffinity, IPAMHandle, IPAMConfig). Their specs carry the JSON names of Calico's custom
// resources; in etcd the same content is stored in Calico's model form (see
// pkg/resources/kinds/ipam.go).

// IPAMBlock is one block of a pool: which of its addresses are allocated, to whom, and which
// host the block is affine to. Its name is the block's CIDR with the "/" replaced by "-"
// (10.0.0.0-26), as in Calico's etcd key.
type IPAMBlock struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       IPAMBlockSpec `json:"spec"`
}

// IPAMBlockSpec is the content of a block. Allocations has one entry per address: nil when free,
// else an index into Attributes. Unallocated is the FIFO queue of free ordinals.
type IPAMBlockSpec struct {
	CIDR                        string                `json:"cidr"`
	Affinity                    *string               `json:"affinity,omitempty"`
	AffinityClaimTime           *metav1.Time          `json:"affinityClaimTime,omitempty"`
	StrictAffinity              bool                  `json:"strictAffinity"`
	Allocations                 []*int                `json:"allocations"`
	Unallocated                 []int                 `json:"unallocated"`
	Attributes                  []AllocationAttribute `json:"attributes"`
	SequenceNumber              uint64                `json:"sequenceNumber"`
	SequenceNumberForAllocation map[string]uint64     `json:"sequenceNumberForAllocation,omitempty"`
	Deleted                     bool                  `json:"deleted"`
}

// AllocationAttribute is shared by the addresses one request allocated: the handle, the owner
// (node, pod, namespace, timestamp, type) and, for released addresses in cooldown, ReleasedAt.
type AllocationAttribute struct {
	HandleID            *string           `json:"handle_id,omitempty"`
	ActiveOwnerAttrs    map[string]string `json:"secondary,omitempty"`
	AlternateOwnerAttrs map[string]string `json:"alternateOwnerAttrs,omitempty"`
	ReleasedAt          *metav1.Time      `json:"releasedAt,omitempty"`
}

// BlockAffinity records that a host claimed a block. Its name is "<host>/<block name>".
type BlockAffinity struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       BlockAffinitySpec `json:"spec"`
}

// BlockAffinitySpec is Calico's v1 form: Deleted is the string "true" or "false".
type BlockAffinitySpec struct {
	State   string `json:"state"`
	Node    string `json:"node"`
	Type    string `json:"type,omitempty"`
	CIDR    string `json:"cidr"`
	Deleted string `json:"deleted"`
}

// Block affinity states.
const (
	AffinityConfirmed       = "confirmed"
	AffinityPending         = "pending"
	AffinityPendingDeletion = "pendingDeletion"
)

// IPAMHandle counts, per block, the addresses allocated under one handle ID (the name).
type IPAMHandle struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       IPAMHandleSpec `json:"spec"`
}

// IPAMHandleSpec maps a block CIDR to a count of addresses.
type IPAMHandleSpec struct {
	HandleID string         `json:"handleID"`
	Block    map[string]int `json:"block"`
	Deleted  bool           `json:"deleted"`
}

// IPAMConfig is the configuration the IPAM library reads (name "default"). In the Kubernetes
// datastore it is the same custom resource as the v3 IPAMConfiguration; in etcd it has a key of
// its own.
type IPAMConfig struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       IPAMConfigurationSpec `json:"spec"`
}
