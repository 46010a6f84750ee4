package validation

import (
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// pool returns a pool as it looks after defaulting, changed by edit.
func pool(cidr string, edit func(*api.IPPoolSpec)) *api.IPPool {
	p := &api.IPPool{ObjectMeta: meta("pool1"), Spec: api.IPPoolSpec{
		CIDR: cidr, BlockSize: 26, IPIPMode: api.IPIPModeNever, VXLANMode: api.VXLANModeNever, NodeSelector: "all()",
		AllowedUses:    []api.IPPoolAllowedUse{api.IPPoolAllowedUseWorkload, api.IPPoolAllowedUseTunnel},
		AssignmentMode: ptr(api.AssignmentModeAutomatic),
	}}
	if strings.Contains(cidr, ":") {
		p.Spec.BlockSize = 122
	}
	if edit != nil {
		edit(&p.Spec)
	}
	return p
}

func TestIPPool(t *testing.T) {
	lb := []api.IPPoolAllowedUse{api.IPPoolAllowedUseLoadBalancer}
	run(t, IPPool, []tc[*api.IPPool]{
		{name: "IPv4 defaults", obj: pool("10.0.0.0/16", nil)},
		{name: "IPv6 VXLAN", obj: pool("fd00:10:244::/64", func(s *api.IPPoolSpec) { s.VXLANMode = api.VXLANModeAlways })},
		{name: "IPIP cross-subnet with NAT", obj: pool("192.168.0.0/16", func(s *api.IPPoolSpec) { s.IPIPMode = api.IPIPModeCrossSubnet; s.NATOutgoing = true })},
		{name: "block size not defaulted", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.BlockSize = 0; s.IPIPMode = ""; s.VXLANMode = "" })},
		{name: "empty", obj: pool("", nil), msg: "IPPool CIDR must be specified", field: "spec.cidr"},
		{name: "bad prefix length", obj: pool("10.5.0.0/99", nil), msg: "IPPool CIDR must be a valid subnet", field: "spec.cidr"},
		{name: "host bits set", obj: pool("10.1.0.1/16", nil), msg: "10.1.0.1/16 is not a network address: use 10.1.0.0/16", field: "spec.cidr"},
		{name: "too long", obj: pool("fd00:0000:0000:0000:0000:0000:0000:0000/000000064", nil), msg: "at most 48 characters", field: "spec.cidr"},
		{name: "IPv4 link local", obj: pool("169.254.0.0/16", nil), msg: "overlaps with IPv4 Link Local range 169.254.0.0/16", field: "spec.cidr"},
		{name: "contains IPv4 link local", obj: pool("169.0.0.0/8", nil), msg: "overlaps with IPv4 Link Local", field: "spec.cidr"},
		{name: "IPv6 link local", obj: pool("fe80::/64", nil), msg: "overlaps with IPv6 Link Local range fe80::/10", field: "spec.cidr"},
		{name: "IPv4 block size 19", obj: pool("10.0.0.0/8", func(s *api.IPPoolSpec) { s.BlockSize = 19 }),
			msg: "blockSize must be from 20 to 32 for an IPv4 pool", field: "spec.blockSize"},
		{name: "IPv4 block size 32", obj: pool("10.0.0.0/8", func(s *api.IPPoolSpec) { s.BlockSize = 32 })},
		{name: "IPv6 block size 26", obj: pool("fd00::/64", func(s *api.IPPoolSpec) { s.BlockSize = 26 }),
			msg: "blockSize must be from 116 to 128 for an IPv6 pool", field: "spec.blockSize"},
		{name: "smaller than a block", obj: pool("10.0.0.0/28", nil), msg: "IP pool size is too small", field: "spec.cidr"},
		{name: "smaller than a block but disabled", obj: pool("10.0.0.0/28", func(s *api.IPPoolSpec) { s.Disabled = true })},
		{name: "ipipMode lower case", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.IPIPMode = "always" }),
			msg: "must be Never, Always or CrossSubnet", field: "spec.ipipMode"},
		{name: "unknown vxlanMode", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.VXLANMode = "Sometimes" }),
			msg: "must be Never, Always or CrossSubnet", field: "spec.vxlanMode"},
		{name: "IPIP on IPv6", obj: pool("fd00::/64", func(s *api.IPPoolSpec) { s.IPIPMode = api.IPIPModeAlways }),
			msg: "IPIPMode other than 'Never' is not supported on an IPv6 IP pool", field: "spec.ipipMode"},
		{name: "IPIP and VXLAN", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.IPIPMode = api.IPIPModeAlways; s.VXLANMode = api.VXLANModeCrossSubnet }),
			msg: "cannot both be enabled", field: "spec.ipipMode"},
		{name: "load balancer pool", obj: pool("10.10.0.0/24", func(s *api.IPPoolSpec) { s.AllowedUses = lb })},
		{name: "unknown use", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.AllowedUses = []api.IPPoolAllowedUse{"Service"} }),
			msg: "must be Workload, Tunnel or LoadBalancer", field: "spec.allowedUses[0]"},
		{name: "load balancer and workload", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) {
			s.AllowedUses = []api.IPPoolAllowedUse{api.IPPoolAllowedUseLoadBalancer, api.IPPoolAllowedUseWorkload}
		}), msg: "LoadBalancer cannot be used at the same time as: Workload", field: "spec.allowedUses[1]"},
		{name: "load balancer with VXLAN", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.AllowedUses = lb; s.VXLANMode = api.VXLANModeAlways }),
			msg: "Neither IPIPMode nor VXLANMode can be enabled", field: "spec.allowedUses"},
		{name: "load balancer without BGP export", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.AllowedUses = lb; s.DisableBGPExport = true }),
			msg: "cannot disable BGP export", field: "spec.disableBGPExport"},
		{name: "load balancer with a node selector", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.AllowedUses = lb; s.NodeSelector = "has(lb)" }),
			msg: "must have node selector set to all()", field: "spec.nodeSelector"},
		{name: "namespace selector on a workload pool", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) {
			s.AllowedUses = []api.IPPoolAllowedUse{api.IPPoolAllowedUseWorkload}
			s.NamespaceSelector = "team == 'a'"
		})},
		{name: "namespace selector on a tunnel pool", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.NamespaceSelector = "team == 'a'" }),
			msg: "allowedUses Tunnel cannot have a namespaceSelector", field: "spec.namespaceSelector"},
		{name: "global() node selector", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.NodeSelector = "global()" }),
			msg: "global() can only be used", field: "spec.nodeSelector"},
		{name: "invalid node selector", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.NodeSelector = "rack == 1" }),
			msg: `invalid selector "rack == 1"`, field: "spec.nodeSelector"},
		{name: "manual assignment", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.AssignmentMode = ptr(api.AssignmentModeManual) })},
		{name: "unknown assignment mode", obj: pool("10.0.0.0/16", func(s *api.IPPoolSpec) { s.AssignmentMode = ptr(api.AssignmentMode("Auto")) }),
			msg: "must be Automatic or Manual", field: "spec.assignmentMode"},
	})
}

func TestIPReservationAndNetworkSets(t *testing.T) {
	run(t, IPReservation, []tc[*api.IPReservation]{
		{name: "CIDRs and addresses", obj: &api.IPReservation{ObjectMeta: meta("r"), Spec: api.IPReservationSpec{
			ReservedCIDRs: []string{"10.0.0.0/24", "10.0.1.7/24", "10.0.2.1", "fd00::1"}}}},
		{name: "bad entry", obj: &api.IPReservation{ObjectMeta: meta("r"), Spec: api.IPReservationSpec{ReservedCIDRs: []string{"10.0.0.0/24", "10.0.0.0/33"}}},
			msg: "must be an IP address or a CIDR", field: "spec.reservedCIDRs[1]"},
	})
	run(t, NetworkSet, []tc[*api.NetworkSet]{
		{name: "nets", obj: &api.NetworkSet{ObjectMeta: nsMeta("s"), Spec: api.NetworkSetSpec{Nets: []string{"10.0.0.0/8", "1.2.3.4", "fd00::/64"}}}},
		{name: "bad net", obj: &api.NetworkSet{ObjectMeta: nsMeta("s"), Spec: api.NetworkSetSpec{Nets: []string{"example.com"}}},
			msg: "must be an IP address or a CIDR", field: "spec.nets[0]"},
		{name: "namespace label", obj: &api.NetworkSet{ObjectMeta: api.ObjectMeta{Name: "s", Namespace: "a",
			Labels: map[string]string{"projectcalico.org/namespace": "b"}}},
			msg: "projectcalico.org/namespace is not a valid label name", field: "metadata.labels"},
	})
	run(t, GlobalNetworkSet, []tc[*api.GlobalNetworkSet]{
		{name: "nets", obj: &api.GlobalNetworkSet{ObjectMeta: meta("s"), Spec: api.GlobalNetworkSetSpec{Nets: []string{"192.168.1.0/24"}}}},
		{name: "bad net", obj: &api.GlobalNetworkSet{ObjectMeta: meta("s"), Spec: api.GlobalNetworkSetSpec{Nets: []string{"192.168.1.0/24", "300.0.0.0/8"}}},
			msg: "must be an IP address or a CIDR", field: "spec.nets[1]"},
		{name: "namespace label", obj: &api.GlobalNetworkSet{ObjectMeta: api.ObjectMeta{Name: "s",
			Labels: map[string]string{"projectcalico.org/namespace": "b"}}},
			msg: "projectcalico.org/namespace is not a valid label name", field: "metadata.labels"},
	})
}

func TestIPAMConfiguration(t *testing.T) {
	cfg := func(name string, edit func(*api.IPAMConfigurationSpec)) *api.IPAMConfiguration {
		c := &api.IPAMConfiguration{ObjectMeta: meta(name), Spec: api.IPAMConfigurationSpec{AutoAllocateBlocks: true,
			KubeVirtVMAddressPersistence: ptr(api.VMAddressPersistenceEnabled)}}
		if edit != nil {
			edit(&c.Spec)
		}
		return c
	}
	run(t, IPAMConfiguration, []tc[*api.IPAMConfiguration]{
		{name: "default", obj: cfg("default", nil)},
		{name: "strict with a block limit", obj: cfg("default", func(s *api.IPAMConfigurationSpec) {
			s.StrictAffinity = true
			s.MaxBlocksPerHost = 4
			s.IPCooldownSeconds = ptr[int32](1200)
		})},
		{name: "strict without auto-allocation", obj: cfg("default", func(s *api.IPAMConfigurationSpec) { s.StrictAffinity = true; s.AutoAllocateBlocks = false })},
		{name: "other name", obj: cfg("ipam", nil), msg: "the only IPAMConfiguration is named default", field: "metadata.name"},
		{name: "negative block limit", obj: cfg("default", func(s *api.IPAMConfigurationSpec) { s.MaxBlocksPerHost = -1 }),
			msg: "must be from 0 to 1000000", field: "spec.maxBlocksPerHost"},
		{name: "block limit too high", obj: cfg("default", func(s *api.IPAMConfigurationSpec) { s.StrictAffinity = true; s.MaxBlocksPerHost = 1000001 }),
			msg: "must be from 0 to 1000000", field: "spec.maxBlocksPerHost"},
		{name: "cooldown too long", obj: cfg("default", func(s *api.IPAMConfigurationSpec) { s.IPCooldownSeconds = ptr[int32](1201) }),
			msg: "must be from 0 to 1200", field: "spec.ipCooldownSeconds"},
		{name: "unknown KubeVirt mode", obj: cfg("default", func(s *api.IPAMConfigurationSpec) {
			s.KubeVirtVMAddressPersistence = ptr(api.VMAddressPersistence("On"))
		}),
			msg: "must be Enabled or Disabled", field: "spec.kubeVirtVMAddressPersistence"},
		{name: "neither strict nor auto-allocating", obj: cfg("default", func(s *api.IPAMConfigurationSpec) { s.AutoAllocateBlocks = false }),
			msg: "strictAffinity and autoAllocateBlocks cannot both be false", field: "spec.autoAllocateBlocks"},
		{name: "block limit without strict affinity", obj: cfg("default", func(s *api.IPAMConfigurationSpec) { s.MaxBlocksPerHost = 4 }),
			msg: "maxBlocksPerHost needs strictAffinity: true", field: "spec.maxBlocksPerHost"},
	})
}

func TestHostEndpoint(t *testing.T) {
	hep := func(edit func(*api.HostEndpointSpec)) *api.HostEndpoint {
		h := &api.HostEndpoint{ObjectMeta: meta("node1-eth0"), Spec: api.HostEndpointSpec{
			Node: "node1", InterfaceName: "eth0", ExpectedIPs: []string{"192.168.0.1", "fd00::1"}, Profiles: []string{"kns.default"},
			Ports: []api.EndpointPort{{Name: "http", Protocol: api.ProtocolFromString("TCP"), Port: 80}},
		}}
		if edit != nil {
			edit(&h.Spec)
		}
		return h
	}
	run(t, HostEndpoint, []tc[*api.HostEndpoint]{
		{name: "full", obj: hep(nil)},
		{name: "all interfaces", obj: hep(func(s *api.HostEndpointSpec) { s.InterfaceName = "*"; s.ExpectedIPs = nil })},
		{name: "expected IPs only", obj: hep(func(s *api.HostEndpointSpec) { s.InterfaceName = "" })},
		{name: "no node", obj: hep(func(s *api.HostEndpointSpec) { s.Node = "" }), msg: "no node has been specified", field: "spec.node"},
		{name: "invalid node name", obj: hep(func(s *api.HostEndpointSpec) { s.Node = "Node_1" }), msg: "must be a resource name", field: "spec.node"},
		{name: "neither interface nor IPs", obj: hep(func(s *api.HostEndpointSpec) { s.InterfaceName = ""; s.ExpectedIPs = nil }),
			msg: "no interface or expected IPs have been specified", field: "spec.interfaceName"},
		{name: "interface name too long", obj: hep(func(s *api.HostEndpointSpec) { s.InterfaceName = "a-very-long-interface" }),
			msg: "at most 15", field: "spec.interfaceName"},
		{name: "expected IP is a CIDR", obj: hep(func(s *api.HostEndpointSpec) { s.ExpectedIPs = []string{"10.0.0.0/24"} }),
			msg: "must be an IP address", field: "spec.expectedIPs[0]"},
		{name: "invalid profile", obj: hep(func(s *api.HostEndpointSpec) { s.Profiles = []string{"Bad Profile"} }),
			msg: "must be a resource name", field: "spec.profiles[0]"},
		{name: "port without name", obj: hep(func(s *api.HostEndpointSpec) { s.Ports[0].Name = "" }), msg: "a port name is required", field: "spec.ports[0].name"},
		{name: "port 0", obj: hep(func(s *api.HostEndpointSpec) { s.Ports[0].Port = 0 }), msg: "from 1 to 65535", field: "spec.ports[0].port"},
		{name: "ICMP port", obj: hep(func(s *api.HostEndpointSpec) { s.Ports[0].Protocol = api.ProtocolFromString("ICMP") }),
			msg: "must be TCP, UDP or SCTP", field: "spec.ports[0].protocol"},
	})
}

func TestWorkloadEndpoint(t *testing.T) {
	wep := func(edit func(*api.WorkloadEndpointSpec)) *api.WorkloadEndpoint {
		w := &api.WorkloadEndpoint{ObjectMeta: nsMeta("node1-k8s-web--0-eth0"), Spec: api.WorkloadEndpointSpec{
			Orchestrator: "k8s", Node: "node1", Pod: "web-0", Endpoint: "eth0", ContainerID: "abc123",
			IPNetworks: []string{"10.244.1.5/32", "fd00::5/128", "10.244.1.6"},
			IPNATs:     []api.IPNAT{{InternalIP: "10.244.1.5", ExternalIP: "172.16.0.5"}},
			Profiles:   []string{"kns.default"}, InterfaceName: "cali0ef24b1", MAC: "ee:ee:ee:ee:ee:ee",
			Ports: []api.WorkloadEndpointPort{{Name: "http", Protocol: api.ProtocolFromString("TCP"), Port: 8080},
				{Protocol: api.ProtocolFromString("UDP"), Port: 53, HostPort: 5353, HostIP: "0.0.0.0"}},
		}}
		if edit != nil {
			edit(&w.Spec)
		}
		return w
	}
	run(t, WorkloadEndpoint, []tc[*api.WorkloadEndpoint]{
		{name: "CNI endpoint", obj: wep(nil)},
		{name: "network with several addresses", obj: wep(func(s *api.WorkloadEndpointSpec) { s.IPNetworks = []string{"10.244.1.0/24"}; s.IPNATs = nil }),
			msg: "IP network contains multiple addresses", field: "spec.ipNetworks[0]"},
		{name: "bad network", obj: wep(func(s *api.WorkloadEndpointSpec) { s.IPNetworks = []string{"10.244.1.5/32", "pod"} }),
			msg: "must be an IP address or a CIDR", field: "spec.ipNetworks[1]"},
		{name: "NAT outside the networks", obj: wep(func(s *api.WorkloadEndpointSpec) { s.IPNATs[0].InternalIP = "10.244.9.9" }),
			msg: "NAT is not in the endpoint networks", field: "spec.ipNATs[0].internalIP"},
		{name: "NAT versions differ", obj: wep(func(s *api.WorkloadEndpointSpec) { s.IPNATs[0].ExternalIP = "fd00::99" }),
			msg: "mismatched IP versions", field: "spec.ipNATs[0].externalIP"},
		{name: "NAT address invalid", obj: wep(func(s *api.WorkloadEndpointSpec) { s.IPNATs[0].ExternalIP = "x" }),
			msg: "must be an IP address", field: "spec.ipNATs[0].externalIP"},
		{name: "IPv4 gateway is IPv6", obj: wep(func(s *api.WorkloadEndpointSpec) { s.IPv4Gateway = "fd00::1" }),
			msg: "must be an IPv4 address", field: "spec.ipv4Gateway"},
		{name: "interface name", obj: wep(func(s *api.WorkloadEndpointSpec) { s.InterfaceName = "cali/0" }), msg: "must be an interface name", field: "spec.interfaceName"},
		{name: "MAC", obj: wep(func(s *api.WorkloadEndpointSpec) { s.MAC = "ee:ee" }), msg: "must be a MAC address", field: "spec.mac"},
		{name: "container ID", obj: wep(func(s *api.WorkloadEndpointSpec) { s.ContainerID = "-abc" }), msg: "letters, digits and '-'", field: "spec.containerID"},
		{name: "port without name or hostPort", obj: wep(func(s *api.WorkloadEndpointSpec) { s.Ports[1].HostPort = 0 }),
			msg: "a port needs a name unless it has a hostPort", field: "spec.ports[1].name"},
		{name: "ICMP port", obj: wep(func(s *api.WorkloadEndpointSpec) { s.Ports[0].Protocol = api.ProtocolFromString("ICMP") }),
			msg: "must be TCP, UDP or SCTP", field: "spec.ports[0].protocol"},
		{name: "host IP", obj: wep(func(s *api.WorkloadEndpointSpec) { s.Ports[1].HostIP = "localhost" }), msg: "must be an IP address", field: "spec.ports[1].hostIP"},
		{name: "DSCP", obj: wep(func(s *api.WorkloadEndpointSpec) {
			s.QoSControls = &api.QoSControls{DSCP: ptr(api.DSCPFromString("AF11"))}
		})},
		{name: "DSCP 64", obj: wep(func(s *api.WorkloadEndpointSpec) { s.QoSControls = &api.QoSControls{DSCP: ptr(api.DSCPFromInt(64))} }),
			msg: "DSCP must be between 0 and 63", field: "spec.qosControls.dscp"},
		{name: "negative bandwidth", obj: wep(func(s *api.WorkloadEndpointSpec) { s.QoSControls = &api.QoSControls{IngressBandwidth: -1} }),
			msg: "must not be negative", field: "spec.qosControls.ingressBandwidth"},
	})
}

func TestNode(t *testing.T) {
	node := func(edit func(*api.NodeSpec)) *api.Node {
		n := &api.Node{ObjectMeta: meta("node1"), Spec: api.NodeSpec{
			BGP:                 &api.NodeBGPSpec{IPv4Address: "192.168.0.10/24", IPv6Address: "fd00::10/64", IPv4IPIPTunnelAddr: "10.244.0.1"},
			IPv4VXLANTunnelAddr: "10.244.0.2", VXLANTunnelMACAddr: "66:cf:1a:2b:3c:4d", IPv6VXLANTunnelAddr: "fd00:244::2",
			Addresses: []api.NodeAddress{{Address: "192.168.0.10/24", Type: api.NodeAddressCalicoNodeIP}, {Address: "192.168.0.10", Type: api.NodeAddressInternalIP}},
		}}
		if edit != nil {
			edit(&n.Spec)
		}
		return n
	}
	run(t, Node, []tc[*api.Node]{
		{name: "calico-node's node", obj: node(nil)},
		{name: "bare BGP address", obj: node(func(s *api.NodeSpec) { s.BGP.IPv4Address = "192.168.0.10" })},
		{name: "no BGP", obj: node(func(s *api.NodeSpec) { s.BGP = nil })},
		{name: "empty BGP", obj: node(func(s *api.NodeSpec) { s.BGP = &api.NodeBGPSpec{} }), msg: "bgp should not be empty", field: "spec.bgp"},
		{name: "IPv6 in ipv4Address", obj: node(func(s *api.NodeSpec) { s.BGP.IPv4Address = "fd00::1/64" }),
			msg: "must be an IPv4 address or CIDR", field: "spec.bgp.ipv4Address"},
		{name: "IPv4 in ipv6Address", obj: node(func(s *api.NodeSpec) { s.BGP.IPv6Address = "10.0.0.1/24" }),
			msg: "must be an IPv6 address or CIDR", field: "spec.bgp.ipv6Address"},
		{name: "CIDR as tunnel address", obj: node(func(s *api.NodeSpec) { s.BGP.IPv4IPIPTunnelAddr = "10.244.0.1/32" }),
			msg: "must be an IPv4 address", field: "spec.bgp.ipv4IPIPTunnelAddr"},
		{name: "route reflector cluster ID", obj: node(func(s *api.NodeSpec) { s.BGP.RouteReflectorClusterID = "cluster-1" }),
			msg: "must be an IPv4 address", field: "spec.bgp.routeReflectorClusterID"},
		{name: "IPv6 VXLAN address in IPv4 field", obj: node(func(s *api.NodeSpec) { s.IPv4VXLANTunnelAddr = "fd00::2" }),
			msg: "must be an IPv4 address", field: "spec.ipv4VXLANTunnelAddr"},
		{name: "IPv4 VXLAN address in IPv6 field", obj: node(func(s *api.NodeSpec) { s.IPv6VXLANTunnelAddr = "10.0.0.2" }),
			msg: "must be an IPv6 address", field: "spec.ipv6VXLANTunnelAddr"},
		{name: "VXLAN MAC", obj: node(func(s *api.NodeSpec) { s.VXLANTunnelMACAddr = "66:cf" }), msg: "must be a MAC address", field: "spec.vxlanTunnelMACAddr"},
		{name: "WireGuard address", obj: node(func(s *api.NodeSpec) { s.Wireguard = &api.NodeWireguardSpec{InterfaceIPv4Address: "fd00::1"} }),
			msg: "must be an IPv4 address", field: "spec.wireguard.interfaceIPv4Address"},
		{name: "address type", obj: node(func(s *api.NodeSpec) { s.Addresses[0].Type = "Public" }),
			msg: "must be CalicoNodeIP, InternalIP or ExternalIP", field: "spec.addresses[0].type"},
	})
	bad := node(nil)
	bad.Status.WireguardPublicKey = "not-a-key"
	expectError(t, Node(bad), "WireGuard public key", "status.wireguardPublicKey")
	good := node(nil)
	good.Status.WireguardPublicKey = "jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY="
	expectError(t, Node(good), "", "")
}
