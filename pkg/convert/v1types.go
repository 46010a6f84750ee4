package convert

import (
	"encoding/json"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// The calicoctl v1 manifest format (libcalico-go lib/apis/v1): apiVersion "v1", kinds in lower
// camel case, and identifiers (cidr, node, peerIP, workload...) in metadata. Only the fields the
// v1 API had are accepted: anything else is reported rather than dropped.

type v1Rule struct {
	Action      string          `json:"action"`
	IPVersion   *int            `json:"ipVersion,omitempty"`
	Protocol    *api.Protocol   `json:"protocol,omitempty"`
	ICMP        *api.ICMPFields `json:"icmp,omitempty"`
	NotProtocol *api.Protocol   `json:"notProtocol,omitempty"`
	NotICMP     *api.ICMPFields `json:"notICMP,omitempty"`
	Source      v1EntityRule    `json:"source,omitempty"`
	Destination v1EntityRule    `json:"destination,omitempty"`
}

type v1EntityRule struct {
	Tag         string     `json:"tag,omitempty"`
	Net         string     `json:"net,omitempty"`
	Nets        []string   `json:"nets,omitempty"`
	Selector    string     `json:"selector,omitempty"`
	Ports       []api.Port `json:"ports,omitempty"`
	NotTag      string     `json:"notTag,omitempty"`
	NotNet      string     `json:"notNet,omitempty"`
	NotNets     []string   `json:"notNets,omitempty"`
	NotSelector string     `json:"notSelector,omitempty"`
	NotPorts    []api.Port `json:"notPorts,omitempty"`
}

type v1Header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

type v1Node struct {
	v1Header
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		BGP *struct {
			ASNumber    *api.ASNumber `json:"asNumber,omitempty"`
			IPv4Address string        `json:"ipv4Address,omitempty"`
			IPv6Address string        `json:"ipv6Address,omitempty"`
		} `json:"bgp,omitempty"`
		OrchRefs []api.OrchRef `json:"orchRefs,omitempty"`
	} `json:"spec"`
}

type v1BGPPeer struct {
	v1Header
	Metadata struct {
		Scope  string `json:"scope"`
		Node   string `json:"node,omitempty"`
		PeerIP string `json:"peerIP"`
	} `json:"metadata"`
	Spec struct {
		ASNumber api.ASNumber `json:"asNumber"`
	} `json:"spec"`
}

type v1EndpointPort struct {
	Name     string       `json:"name"`
	Protocol api.Protocol `json:"protocol"`
	Port     uint16       `json:"port"`
}

type v1HostEndpoint struct {
	v1Header
	Metadata struct {
		Name   string            `json:"name"`
		Node   string            `json:"node"`
		Labels map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec struct {
		InterfaceName string           `json:"interfaceName,omitempty"`
		ExpectedIPs   []string         `json:"expectedIPs,omitempty"`
		Profiles      []string         `json:"profiles,omitempty"`
		Ports         []v1EndpointPort `json:"ports,omitempty"`
	} `json:"spec"`
}

type v1WorkloadEndpoint struct {
	v1Header
	Metadata struct {
		Name             string            `json:"name"`
		Workload         string            `json:"workload"`
		Orchestrator     string            `json:"orchestrator"`
		Node             string            `json:"node"`
		ActiveInstanceID string            `json:"activeInstanceID,omitempty"`
		Labels           map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec struct {
		IPNetworks    []string         `json:"ipNetworks,omitempty"`
		IPNATs        []api.IPNAT      `json:"ipNATs,omitempty"`
		IPv4Gateway   string           `json:"ipv4Gateway,omitempty"`
		IPv6Gateway   string           `json:"ipv6Gateway,omitempty"`
		Profiles      []string         `json:"profiles,omitempty"`
		InterfaceName string           `json:"interfaceName,omitempty"`
		MAC           string           `json:"mac,omitempty"`
		Ports         []v1EndpointPort `json:"ports,omitempty"`
	} `json:"spec"`
}

type v1Profile struct {
	v1Header
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels,omitempty"`
		Tags   []string          `json:"tags,omitempty"`
	} `json:"metadata"`
	Spec struct {
		Ingress []v1Rule `json:"ingress,omitempty"`
		Egress  []v1Rule `json:"egress,omitempty"`
	} `json:"spec"`
}

type v1Policy struct {
	v1Header
	Metadata struct {
		Name        string            `json:"name"`
		Tier        string            `json:"tier,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"metadata"`
	Spec struct {
		Order          *float64 `json:"order,omitempty"`
		Ingress        []v1Rule `json:"ingress,omitempty"`
		Egress         []v1Rule `json:"egress,omitempty"`
		Selector       string   `json:"selector"`
		DoNotTrack     bool     `json:"doNotTrack,omitempty"`
		PreDNAT        bool     `json:"preDNAT,omitempty"`
		ApplyOnForward bool     `json:"applyOnForward,omitempty"`
		Types          []string `json:"types,omitempty"`
	} `json:"spec"`
}

type v1Tier struct {
	v1Header
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Order *float64 `json:"order,omitempty"`
	} `json:"spec"`
}

type v1IPPool struct {
	v1Header
	Metadata struct {
		CIDR string `json:"cidr"`
	} `json:"metadata"`
	Spec struct {
		IPIP *struct {
			Enabled bool   `json:"enabled"`
			Mode    string `json:"mode,omitempty"`
		} `json:"ipip,omitempty"`
		NATOutgoing bool `json:"nat-outgoing,omitempty"`
		Disabled    bool `json:"disabled,omitempty"`
	} `json:"spec"`
}

// v1List is a v1 list: "kind: List" (Kubernetes' and calicoctl's) or "kind: <kind>List".
type v1List struct {
	v1Header
	Metadata json.RawMessage   `json:"metadata,omitempty"`
	Items    []json.RawMessage `json:"items"`
}
