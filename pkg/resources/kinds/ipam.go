package kinds

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/internal/lazyregexp"
	r "github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Calico's IPAM records are hidden kinds: the IPAM library and `calicoctl ipam` use them, an
// operator never names them. In etcd they live under /calico/ipam/v2/ in Calico's model JSON
// (snake_case fields, no metadata); in Kubernetes they are crd.projectcalico.org/v1 custom
// resources whose spec is the API type's.

// IPAMPrefix is the root of every IPAM key in etcd.
const IPAMPrefix = "/calico/ipam/v2/"

// BlockName is the object name of the block with this CIDR: 10.0.0.0/26 -> 10.0.0.0-26, the last
// segment of Calico's etcd key.
func BlockName(cidr string) string { return strings.Replace(cidr, "/", "-", 1) }

// BlockCIDR reverses BlockName.
func BlockCIDR(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	return name[:i] + "/" + name[i+1:]
}

// AffinityName is the object name of host's affinity to the block cidr.
func AffinityName(host, cidr string) string { return host + "/" + BlockName(cidr) }

// VirtualLoadBalancer is the host Calico assigns LoadBalancer addresses to: its affinities are
// of type "virtual" (etcd: /calico/ipam/v2/virtual/load-balancer/...), its blocks' affinity
// "virtual:load-balancer". Affinities and blocks of that name are the load balancer's (a Node
// named load-balancer would be taken for it).
const VirtualLoadBalancer = "load-balancer"

// AffinityType is the type of host's affinities: "virtual" for the load balancer, else "host".
func AffinityType(host string) string {
	if host == VirtualLoadBalancer {
		return "virtual"
	}
	return "host"
}

// BlockAffinity is the affinity a block of host records: "host:<host>", or
// "virtual:load-balancer".
func BlockAffinity(host string) string { return AffinityType(host) + ":" + host }

func affinitySegment(host string) string { return AffinityType(host) + "/" }

// CIDRToName is Calico's Kubernetes name for a CIDR (names.CIDRToName): 10-0-0-0-26, fd00---122.
func CIDRToName(cidr string) string {
	s := strings.Replace(cidr, ".", "-", 3)
	s = strings.Replace(s, ":", "-", 7)
	return strings.Replace(s, "/", "-", 1)
}

func ipVersionSegment(name string) string {
	if strings.Contains(name, ":") {
		return "ipv6"
	}
	return "ipv4"
}

var (
	blockKey    = lazyregexp.New(`^/calico/ipam/v2/assignment/ipv[46]/block/([^/]+)$`)
	affinityKey = lazyregexp.New(`^/calico/ipam/v2/(host|virtual)/([^/]+)/ipv[46]/block/([^/]+)$`)
	handleKey   = lazyregexp.New(`^/calico/ipam/v2/handle/(.+)$`)
)

// etcdBlock is model.AllocationBlock as Calico stores it in etcd.
type etcdBlock struct {
	CIDR                        string            `json:"cidr"`
	Affinity                    *string           `json:"affinity"`
	AffinityClaimTime           *time.Time        `json:"affinity_claim_time,omitempty"`
	Allocations                 []*int            `json:"allocations"`
	Unallocated                 []int             `json:"unallocated"`
	Attributes                  []etcdAttribute   `json:"attributes"`
	SequenceNumber              uint64            `json:"sequenceNumber"`
	SequenceNumberForAllocation map[string]uint64 `json:"sequenceNumberForAllocation"`
	Deleted                     bool              `json:"deleted"`
}

type etcdAttribute struct {
	HandleID            *string           `json:"handle_id,omitempty"`
	ActiveOwnerAttrs    map[string]string `json:"secondary"`
	AlternateOwnerAttrs map[string]string `json:"alternateOwnerAttrs,omitempty"`
	ReleasedAt          *time.Time        `json:"releasedAt,omitempty"`
}

type etcdAffinity struct {
	State   string `json:"state"`
	Deleted bool   `json:"deleted"`
}

type etcdHandle struct {
	Block   map[string]int `json:"block"`
	Deleted bool           `json:"deleted"`
}

type etcdIPAMConfig struct {
	StrictAffinity               bool   `json:"strict_affinity,omitempty"`
	AutoAllocateBlocks           bool   `json:"auto_allocate_blocks,omitempty"`
	MaxBlocksPerHost             int32  `json:"maxBlocksPerHost,omitempty"`
	KubeVirtVMAddressPersistence string `json:"kubeVirtVMAddressPersistence,omitempty"`
	IPCooldownSeconds            int32  `json:"ipCooldownSeconds,omitempty"`
}

func toTime(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}

func fromTime(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	v := metav1.NewTime(*t)
	return &v
}

func encodeBlock(obj r.Resource) ([]byte, error) {
	s := obj.(*api.IPAMBlock).Spec
	b := etcdBlock{CIDR: s.CIDR, Affinity: s.Affinity, AffinityClaimTime: toTime(s.AffinityClaimTime),
		Allocations: s.Allocations, Unallocated: s.Unallocated, SequenceNumber: s.SequenceNumber,
		SequenceNumberForAllocation: s.SequenceNumberForAllocation, Deleted: s.Deleted}
	for _, a := range s.Attributes {
		b.Attributes = append(b.Attributes, etcdAttribute{a.HandleID, a.ActiveOwnerAttrs, a.AlternateOwnerAttrs, toTime(a.ReleasedAt)})
	}
	return json.Marshal(b)
}

func decodeBlock(value []byte, into r.Resource) error {
	var b etcdBlock
	if err := json.Unmarshal(value, &b); err != nil {
		return err
	}
	o := into.(*api.IPAMBlock)
	o.Spec = api.IPAMBlockSpec{CIDR: b.CIDR, Affinity: b.Affinity, AffinityClaimTime: fromTime(b.AffinityClaimTime),
		Allocations: b.Allocations, Unallocated: b.Unallocated, SequenceNumber: b.SequenceNumber,
		SequenceNumberForAllocation: b.SequenceNumberForAllocation, Deleted: b.Deleted}
	for _, a := range b.Attributes {
		o.Spec.Attributes = append(o.Spec.Attributes, api.AllocationAttribute{HandleID: a.HandleID, ActiveOwnerAttrs: a.ActiveOwnerAttrs, AlternateOwnerAttrs: a.AlternateOwnerAttrs, ReleasedAt: fromTime(a.ReleasedAt)})
	}
	return nil
}

// affinityCRName is Calico's custom resource name of an affinity: <host>-<cidr name>, shortened
// with a hash when it would exceed Kubernetes' 253 characters.
func affinityCRName(host, cidr string) string {
	cidrName := CIDRToName(cidr)
	name := host + "-" + cidrName
	if len(name) < 253 {
		return name
	}
	sum := sha256.Sum256([]byte(host + cidrName))
	return host[:252-len(cidrName)-13] + "-" + cidrName + "-" + hex.EncodeToString(sum[:])[:11]
}

func splitAffinityName(name string) (host, cidr string) {
	i := strings.IndexByte(name, '/')
	if i < 0 {
		return name, ""
	}
	return name[:i], BlockCIDR(name[i+1:])
}

func init() {
	kind[api.IPAMBlock](r.Kind{
		Kind: "IPAMBlock", Plural: "ipamblocks", Hidden: true,
		Storage: &r.Storage{
			EtcdKey: func(name string) string {
				return IPAMPrefix + "assignment/" + ipVersionSegment(name) + "/block/" + name
			},
			EtcdPrefix: func(string) string { return IPAMPrefix + "assignment/" },
			EtcdName: func(key string) (string, bool) {
				m := blockKey.FindStringSubmatch(key)
				if m == nil {
					return "", false
				}
				return m[1], true
			},
			EtcdEncode: encodeBlock,
			EtcdDecode: decodeBlock,
			CRName:     func(name string) string { return CIDRToName(BlockCIDR(name)) },
			NameFromCR: func(o r.Resource) string { return BlockName(o.(*api.IPAMBlock).Spec.CIDR) },
		},
	})
	kind[api.BlockAffinity](r.Kind{
		Kind: "BlockAffinity", Plural: "blockaffinities", Hidden: true,
		Storage: &r.Storage{
			EtcdKey: func(name string) string {
				host, cidr := splitAffinityName(name)
				return IPAMPrefix + affinitySegment(host) + host + "/" + ipVersionSegment(cidr) + "/block/" + BlockName(cidr)
			},
			EtcdPrefix: func(prefix string) string {
				if i := strings.IndexByte(prefix, '/'); i >= 0 {
					return IPAMPrefix + affinitySegment(prefix[:i]) + prefix[:i] + "/"
				}
				return IPAMPrefix + "host/" + prefix
			},
			// Every affinity: the hosts' and the virtual load balancer's, which Calico keeps
			// under virtual/ (nothing else lies between the two in Calico's layout).
			EtcdListEnd: func(prefix string) string {
				if prefix == "" {
					return IPAMPrefix + "virtual0" // the end of the virtual/ prefix
				}
				return ""
			},
			EtcdName: func(key string) (string, bool) {
				m := affinityKey.FindStringSubmatch(key)
				if m == nil || (m[1] == "virtual") != (m[2] == VirtualLoadBalancer) {
					return "", false
				}
				return m[2] + "/" + m[3], true
			},
			EtcdEncode: func(obj r.Resource) ([]byte, error) {
				s := obj.(*api.BlockAffinity).Spec
				return json.Marshal(etcdAffinity{State: s.State, Deleted: s.Deleted == "true"})
			},
			EtcdDecode: func(value []byte, into r.Resource) error {
				var a etcdAffinity
				if len(value) > 0 { // Calico once wrote empty values
					if err := json.Unmarshal(value, &a); err != nil {
						return err
					}
				}
				o := into.(*api.BlockAffinity)
				// The node and CIDR are in the key, not the value.
				host, cidr := splitAffinityName(o.Name)
				o.Spec = api.BlockAffinitySpec{State: a.State, Node: host, Type: AffinityType(host), CIDR: cidr, Deleted: "false"}
				if a.Deleted {
					o.Spec.Deleted = "true"
				}
				return nil
			},
			CRName: func(name string) string {
				host, cidr := splitAffinityName(name)
				return affinityCRName(host, cidr)
			},
			NameFromCR: func(o r.Resource) string {
				a := o.(*api.BlockAffinity)
				return AffinityName(a.Spec.Node, a.Spec.CIDR)
			},
		},
	})
	kind[api.IPAMHandle](r.Kind{
		Kind: "IPAMHandle", Plural: "ipamhandles", Hidden: true,
		Storage: &r.Storage{
			EtcdKey:    func(name string) string { return IPAMPrefix + "handle/" + name },
			EtcdPrefix: func(prefix string) string { return IPAMPrefix + "handle/" + prefix },
			EtcdName: func(key string) (string, bool) {
				m := handleKey.FindStringSubmatch(key)
				if m == nil {
					return "", false
				}
				return m[1], true
			},
			EtcdEncode: func(obj r.Resource) ([]byte, error) {
				s := obj.(*api.IPAMHandle).Spec
				return json.Marshal(etcdHandle{Block: s.Block, Deleted: s.Deleted})
			},
			EtcdDecode: func(value []byte, into r.Resource) error {
				var h etcdHandle
				if err := json.Unmarshal(value, &h); err != nil {
					return err
				}
				o := into.(*api.IPAMHandle)
				o.Spec = api.IPAMHandleSpec{HandleID: o.Name, Block: h.Block, Deleted: h.Deleted}
				return nil
			},
			CRName:     strings.ToLower,
			NameFromCR: func(o r.Resource) string { return o.(*api.IPAMHandle).Spec.HandleID },
		},
	})
	kind[api.IPAMConfig](r.Kind{
		Kind: "IPAMConfig", Plural: "ipamconfigs", Hidden: true,
		Storage: &r.Storage{
			EtcdKey:    func(string) string { return IPAMPrefix + "config" },
			EtcdPrefix: func(string) string { return IPAMPrefix + "config" },
			EtcdName: func(key string) (string, bool) {
				return "default", key == IPAMPrefix+"config"
			},
			EtcdEncode: func(obj r.Resource) ([]byte, error) {
				s := obj.(*api.IPAMConfig).Spec
				c := etcdIPAMConfig{StrictAffinity: s.StrictAffinity, AutoAllocateBlocks: s.AutoAllocateBlocks, MaxBlocksPerHost: s.MaxBlocksPerHost}
				if s.KubeVirtVMAddressPersistence != nil {
					c.KubeVirtVMAddressPersistence = string(*s.KubeVirtVMAddressPersistence)
				}
				if s.IPCooldownSeconds != nil {
					c.IPCooldownSeconds = *s.IPCooldownSeconds
				}
				return json.Marshal(c)
			},
			EtcdDecode: func(value []byte, into r.Resource) error {
				var c etcdIPAMConfig
				if err := json.Unmarshal(value, &c); err != nil {
					return err
				}
				o := into.(*api.IPAMConfig)
				o.Spec = api.IPAMConfigurationSpec{StrictAffinity: c.StrictAffinity, AutoAllocateBlocks: c.AutoAllocateBlocks, MaxBlocksPerHost: c.MaxBlocksPerHost}
				if c.KubeVirtVMAddressPersistence != "" {
					p := api.VMAddressPersistence(c.KubeVirtVMAddressPersistence)
					o.Spec.KubeVirtVMAddressPersistence = &p
				}
				if c.IPCooldownSeconds != 0 {
					v := c.IPCooldownSeconds
					o.Spec.IPCooldownSeconds = &v
				}
				return nil
			},
			CRName:     func(name string) string { return name },
			NameFromCR: func(o r.Resource) string { return o.GetName() },
		},
	})
}
