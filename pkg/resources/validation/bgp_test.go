package validation

import (
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func TestBGPConfiguration(t *testing.T) {
	bgp := func(name string, s api.BGPConfigurationSpec) *api.BGPConfiguration {
		return &api.BGPConfiguration{ObjectMeta: meta(name), Spec: s}
	}
	secret := &api.BGPPassword{SecretKeyRef: &api.SecretKeySelector{Name: "bgp", Key: "password"}}
	run(t, BGPConfiguration, []tc[*api.BGPConfiguration]{
		{name: "default", obj: bgp("default", api.BGPConfigurationSpec{
			LogSeverityScreen: "Info", NodeToNodeMeshEnabled: ptr(true), ASNumber: ptr(api.ASNumber(64512)), ListenPort: 179,
			ServiceClusterIPs:      []api.ServiceClusterIPBlock{{CIDR: "10.96.0.0/12"}},
			ServiceExternalIPs:     []api.ServiceExternalIPBlock{{CIDR: "104.244.42.129"}},
			ServiceLoadBalancerIPs: []api.ServiceLoadBalancerIPBlock{{CIDR: "fd00:96::/112"}},
			Communities:            []api.Community{{Name: "gold", Value: "65001:100"}, {Name: "large", Value: "4294967295:1:1"}},
			PrefixAdvertisements:   []api.PrefixAdvertisement{{CIDR: "10.244.0.0/16", Communities: []string{"gold", "65001:200"}}},
			NodeMeshPassword:       secret, NodeMeshMaxRestartTime: dur(2 * time.Minute),
			IPv4NormalRoutePriority: ptr(1024), IgnoredInterfaces: []string{"eth*"}, BindMode: ptr(api.BindModeNodeIP),
		})},
		{name: "per-node", obj: bgp("node.node1", api.BGPConfigurationSpec{LogSeverityScreen: "debug", ListenPort: 1179})},
		{name: "log severity", obj: bgp("default", api.BGPConfigurationSpec{LogSeverityScreen: "Verbose"}),
			msg: "must be Trace, Debug, Info, Warning, Error or Fatal", field: "spec.logSeverityScreen"},
		{name: "ASNumber per node", obj: bgp("node.node1", api.BGPConfigurationSpec{ASNumber: ptr(api.ASNumber(65000))}),
			msg: "Cannot set ASNumber on a non default BGP Configuration.", field: "spec.asNumber"},
		{name: "mesh per node", obj: bgp("node.node1", api.BGPConfigurationSpec{NodeToNodeMeshEnabled: ptr(false)}),
			msg: "Cannot set nodeToNodeMeshEnabled on a non default BGP Configuration.", field: "spec.nodeToNodeMeshEnabled"},
		{name: "cluster IPs per node", obj: bgp("node.node1", api.BGPConfigurationSpec{ServiceClusterIPs: []api.ServiceClusterIPBlock{{CIDR: "10.96.0.0/12"}}}),
			msg: "Cannot set ServiceClusterIPs on a non default BGP Configuration.", field: "spec.serviceClusterIPs"},
		{name: "external IPs per node", obj: bgp("node.node1", api.BGPConfigurationSpec{ServiceExternalIPs: []api.ServiceExternalIPBlock{{CIDR: "1.2.3.0/24"}}}),
			msg: "Cannot set ServiceExternalIPs", field: "spec.serviceExternalIPs"},
		{name: "load balancer IPs per node", obj: bgp("node.node1", api.BGPConfigurationSpec{ServiceLoadBalancerIPs: []api.ServiceLoadBalancerIPBlock{{CIDR: "1.2.3.0/24"}}}),
			msg: "Cannot set ServiceLoadBalancerIPs", field: "spec.serviceLoadBalancerIPs"},
		{name: "mesh password per node", obj: bgp("node.node1", api.BGPConfigurationSpec{NodeMeshPassword: secret}),
			msg: "Cannot set NodeMeshPassword", field: "spec.nodeMeshPassword"},
		{name: "mesh restart time per node", obj: bgp("node.node1", api.BGPConfigurationSpec{NodeMeshMaxRestartTime: dur(time.Minute)}),
			msg: "Cannot set NodeMeshMaxRestartTime", field: "spec.nodeMeshMaxRestartTime"},
		{name: "cluster IPs not masked", obj: bgp("default", api.BGPConfigurationSpec{ServiceClusterIPs: []api.ServiceClusterIPBlock{{CIDR: "10.96.0.1/12"}}}),
			msg: "10.96.0.1/12 is not a network address: use 10.96.0.0/12", field: "spec.serviceClusterIPs[0].cidr"},
		{name: "external IPs invalid", obj: bgp("default", api.BGPConfigurationSpec{ServiceExternalIPs: []api.ServiceExternalIPBlock{{CIDR: "1.2.3/24"}}}),
			msg: "must be a CIDR", field: "spec.serviceExternalIPs[0].cidr"},
		{name: "standard community too large", obj: bgp("default", api.BGPConfigurationSpec{
			Communities: []api.Community{{Name: "x", Value: "65536:1"}}, PrefixAdvertisements: []api.PrefixAdvertisement{{CIDR: "10.0.0.0/8", Communities: []string{"x"}}}}),
			msg: "invalid community value or format used", field: "spec.communities[0].value"},
		{name: "large community too large", obj: bgp("default", api.BGPConfigurationSpec{
			Communities: []api.Community{{Name: "x", Value: "4294967296:1:1"}}, PrefixAdvertisements: []api.PrefixAdvertisement{{CIDR: "10.0.0.0/8", Communities: []string{"x"}}}}),
			msg: "invalid community value", field: "spec.communities[0].value"},
		{name: "communities not used", obj: bgp("default", api.BGPConfigurationSpec{Communities: []api.Community{{Name: "x", Value: "1:1"}}}),
			msg: "communities are defined but not used", field: "spec.communities"},
		{name: "undefined community", obj: bgp("default", api.BGPConfigurationSpec{
			PrefixAdvertisements: []api.PrefixAdvertisement{{CIDR: "10.0.0.0/8", Communities: []string{"silver"}}}}),
			msg: "community used is invalid or not defined", field: "spec.prefixAdvertisements[0].communities[0]"},
		{name: "prefix advertisement CIDR", obj: bgp("default", api.BGPConfigurationSpec{PrefixAdvertisements: []api.PrefixAdvertisement{{CIDR: "ten"}}}),
			msg: "must be an IP address or a CIDR", field: "spec.prefixAdvertisements[0].cidr"},
		{name: "mesh password without mesh", obj: bgp("default", api.BGPConfigurationSpec{NodeToNodeMeshEnabled: ptr(false), NodeMeshPassword: secret}),
			msg: "nodeMeshPassword cannot be set if nodeToNodeMeshEnabled is false", field: "spec.nodeMeshPassword"},
		{name: "mesh restart time without mesh", obj: bgp("default", api.BGPConfigurationSpec{NodeToNodeMeshEnabled: ptr(false), NodeMeshMaxRestartTime: dur(time.Second)}),
			msg: "nodeMeshMaxRestartTime cannot be set if nodeToNodeMeshEnabled is false", field: "spec.nodeMeshMaxRestartTime"},
		{name: "mesh secret without key", obj: bgp("default", api.BGPConfigurationSpec{NodeMeshPassword: &api.BGPPassword{SecretKeyRef: &api.SecretKeySelector{Name: "s"}}}),
			msg: "the key within the secret is required", field: "spec.nodeMeshPassword.secretKeyRef.key"},
		{name: "route priority 0", obj: bgp("default", api.BGPConfigurationSpec{IPv4NormalRoutePriority: ptr(0)}),
			msg: "must be from 1 to 2147483646", field: "spec.ipv4NormalRoutePriority"},
		{name: "route priority too high", obj: bgp("default", api.BGPConfigurationSpec{IPv6NormalRoutePriority: ptr(2147483647)}),
			msg: "must be from 1 to 2147483646", field: "spec.ipv6NormalRoutePriority"},
		{name: "ignore every interface", obj: bgp("default", api.BGPConfigurationSpec{IgnoredInterfaces: []string{"*"}}),
			msg: "not * alone", field: "spec.ignoredInterfaces[0]"},
		{name: "bind mode", obj: bgp("default", api.BGPConfigurationSpec{BindMode: ptr(api.BindMode("All"))}), msg: "must be None or NodeIP", field: "spec.bindMode"},
		{name: "load balancer aggregation", obj: bgp("default", api.BGPConfigurationSpec{ServiceLoadBalancerAggregation: ptr(api.ServiceLoadBalancerAggregation("On"))}),
			msg: "must be Enabled or Disabled", field: "spec.serviceLoadBalancerAggregation"},
		{name: "local workload peering address", obj: bgp("default", api.BGPConfigurationSpec{LocalWorkloadPeeringIPV4: "fd00::1"}),
			msg: "must be an IPv4 address", field: "spec.localWorkloadPeeringIPV4"},
	})
}

func TestBGPPeer(t *testing.T) {
	peer := func(s api.BGPPeerSpec) *api.BGPPeer { return &api.BGPPeer{ObjectMeta: meta("peer1"), Spec: s} }
	run(t, BGPPeer, []tc[*api.BGPPeer]{
		{name: "global peer", obj: peer(api.BGPPeerSpec{PeerIP: "192.168.1.1", ASNumber: 64512})},
		{name: "IPv4 with port", obj: peer(api.BGPPeerSpec{PeerIP: "192.168.1.1:1790", ASNumber: 64512, Node: "node1"})},
		{name: "IPv6", obj: peer(api.BGPPeerSpec{PeerIP: "fd00::1", ASNumber: 64512})},
		{name: "IPv6 with port", obj: peer(api.BGPPeerSpec{PeerIP: "[fd00::1]:179", ASNumber: 64512, ReachableBy: "fd00::fe"})},
		{name: "node-to-node by selectors", obj: peer(api.BGPPeerSpec{NodeSelector: "rack == 'a'", PeerSelector: "route-reflector == 'true'"})},
		{name: "local workload", obj: peer(api.BGPPeerSpec{LocalWorkloadSelector: "app == 'bird'", ASNumber: 65001})},
		{name: "next hop mode", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1", ASNumber: 1, NextHopMode: ptr(api.NextHopModeKeep), Filters: []string{"export-only"}})},
		{name: "node and nodeSelector", obj: peer(api.BGPPeerSpec{Node: "node1", NodeSelector: "all()", PeerIP: "10.0.0.1"}),
			msg: "node must be empty when nodeSelector is specified", field: "spec.node"},
		{name: "invalid node name", obj: peer(api.BGPPeerSpec{Node: "Node1", PeerIP: "10.0.0.1"}), msg: "must be a resource name", field: "spec.node"},
		{name: "peerIP and peerSelector", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1", PeerSelector: "all()"}),
			msg: "peerIP must be empty when peerSelector is specified", field: "spec.peerIP"},
		{name: "port 0", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1:0"}), msg: "peerIP must be an IP address, IPv4:port or [IPv6]:port", field: "spec.peerIP"},
		{name: "port too large", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1:65536"}), msg: "peerIP must be", field: "spec.peerIP"},
		{name: "bracketed IPv6 without port", obj: peer(api.BGPPeerSpec{PeerIP: "[fd00::1]"}), msg: "peerIP must be", field: "spec.peerIP"},
		{name: "host name", obj: peer(api.BGPPeerSpec{PeerIP: "router.example.com"}), msg: "peerIP must be", field: "spec.peerIP"},
		{name: "asNumber with peerSelector", obj: peer(api.BGPPeerSpec{PeerSelector: "all()", ASNumber: 64512}),
			msg: "asNumber must be empty when peerSelector is specified", field: "spec.asNumber"},
		{name: "local workload without asNumber", obj: peer(api.BGPPeerSpec{LocalWorkloadSelector: "all()"}),
			msg: "asNumber is required when localWorkloadSelector is specified", field: "spec.asNumber"},
		{name: "local workload with peerIP", obj: peer(api.BGPPeerSpec{LocalWorkloadSelector: "all()", ASNumber: 1, PeerIP: "10.0.0.1"}),
			msg: "peerIP must be empty when localWorkloadSelector is specified", field: "spec.peerIP"},
		{name: "local workload with peerSelector", obj: peer(api.BGPPeerSpec{LocalWorkloadSelector: "all()", PeerSelector: "all()"}),
			msg: "peerSelector must be empty when localWorkloadSelector is specified", field: "spec.peerSelector"},
		{name: "reachableBy without peerIP", obj: peer(api.BGPPeerSpec{ReachableBy: "10.0.0.254", PeerSelector: "all()"}),
			msg: "reachableBy must be empty when peerIP is empty", field: "spec.reachableBy"},
		{name: "reachableBy other family", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1:179", ReachableBy: "fd00::1"}),
			msg: "reachableBy and peerIP address family mismatched", field: "spec.reachableBy"},
		{name: "reachableBy not an address", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1", ReachableBy: "gw"}),
			msg: "reachableBy must be an IP address", field: "spec.reachableBy"},
		{name: "keepOriginalNextHop and nextHopMode", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1", KeepOriginalNextHop: true, NextHopMode: ptr(api.NextHopModeSelf)}),
			msg: "keepOriginalNextHop is deprecated", field: "spec.keepOriginalNextHop"},
		{name: "unknown nextHopMode", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1", NextHopMode: ptr(api.NextHopMode("Peer"))}),
			msg: "must be Auto, Self or Keep", field: "spec.nextHopMode"},
		{name: "invalid filter name", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1", Filters: []string{"ok", "Not_OK"}}),
			msg: "must be a resource name", field: "spec.filters[1]"},
		{name: "invalid nodeSelector", obj: peer(api.BGPPeerSpec{NodeSelector: "rack ==", PeerIP: "10.0.0.1"}),
			msg: `invalid selector "rack =="`, field: "spec.nodeSelector"},
		{name: "global() peerSelector", obj: peer(api.BGPPeerSpec{PeerSelector: "global()"}), msg: "global() can only be used", field: "spec.peerSelector"},
		{name: "source address", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1", SourceAddress: "NodeIP"}), msg: "must be UseNodeIP or None", field: "spec.sourceAddress"},
		{name: "password without key", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1", Password: &api.BGPPassword{SecretKeyRef: &api.SecretKeySelector{Name: "s"}}}),
			msg: "the key within the secret is required", field: "spec.password.secretKeyRef.key"},
		{name: "reverse peering", obj: peer(api.BGPPeerSpec{PeerIP: "10.0.0.1", ReversePeering: ptr(api.ReversePeering("Both"))}),
			msg: "must be Auto or Manual", field: "spec.reversePeering"},
	})
}

func TestBGPFilter(t *testing.T) {
	v4 := func(r api.BGPFilterRuleV4) *api.BGPFilter {
		return &api.BGPFilter{ObjectMeta: meta("f"), Spec: api.BGPFilterSpec{ExportV4: []api.BGPFilterRuleV4{r}}}
	}
	run(t, BGPFilter, []tc[*api.BGPFilter]{
		{name: "v4 and v6 rules", obj: &api.BGPFilter{ObjectMeta: meta("f"), Spec: api.BGPFilterSpec{
			ExportV4: []api.BGPFilterRuleV4{{CIDR: "10.0.0.0/8", MatchOperator: api.BGPFilterMatchOperatorIn,
				PrefixLength: &api.BGPFilterPrefixLengthV4{Min: ptr[int32](16), Max: ptr[int32](24)}, Action: api.BGPFilterActionAccept}},
			ImportV6: []api.BGPFilterRuleV6{{CIDR: "fd00::/48", MatchOperator: api.BGPFilterMatchOperatorEqual, Action: api.BGPFilterActionReject,
				Source: api.BGPFilterSourceRemotePeers, Interface: "eth*", PeerType: api.BGPFilterPeerTypeEBGP}},
			ImportV4: []api.BGPFilterRuleV4{{Action: api.BGPFilterActionAccept, Communities: &api.BGPFilterCommunityMatch{Values: []api.BGPCommunityValue{"65001:1"}},
				Operations: []api.BGPFilterOperation{{SetPriority: &api.BGPFilterSetPriority{Value: ptr(100)}}}}},
		}}},
		{name: "action", obj: v4(api.BGPFilterRuleV4{Action: "Allow"}), msg: "must be Accept or Reject", field: "spec.exportV4[0].action"},
		{name: "CIDR without operator", obj: v4(api.BGPFilterRuleV4{CIDR: "10.0.0.0/8", Action: api.BGPFilterActionAccept}),
			msg: "MatchOperator cannot be empty when CIDR is not", field: "spec.exportV4[0].matchOperator"},
		{name: "operator without CIDR", obj: v4(api.BGPFilterRuleV4{MatchOperator: api.BGPFilterMatchOperatorIn, Action: api.BGPFilterActionAccept}),
			msg: "CIDR cannot be empty when MatchOperator is not", field: "spec.exportV4[0].cidr"},
		{name: "prefix length without CIDR", obj: v4(api.BGPFilterRuleV4{PrefixLength: &api.BGPFilterPrefixLengthV4{Max: ptr[int32](24)}, Action: api.BGPFilterActionAccept}),
			msg: "CIDR cannot be empty when PrefixLength is not", field: "spec.exportV4[0].cidr"},
		{name: "IPv6 CIDR in a V4 rule", obj: v4(api.BGPFilterRuleV4{CIDR: "fd00::/8", MatchOperator: api.BGPFilterMatchOperatorIn, Action: api.BGPFilterActionAccept}),
			msg: "must be an IPv4 CIDR in a V4 rule", field: "spec.exportV4[0].cidr"},
		{name: "prefix length 33", obj: v4(api.BGPFilterRuleV4{CIDR: "10.0.0.0/8", MatchOperator: api.BGPFilterMatchOperatorIn,
			PrefixLength: &api.BGPFilterPrefixLengthV4{Max: ptr[int32](33)}, Action: api.BGPFilterActionAccept}),
			msg: "must be from 0 to 32", field: "spec.exportV4[0].prefixLength.max"},
		{name: "min above max", obj: v4(api.BGPFilterRuleV4{CIDR: "10.0.0.0/8", MatchOperator: api.BGPFilterMatchOperatorIn,
			PrefixLength: &api.BGPFilterPrefixLengthV4{Min: ptr[int32](24), Max: ptr[int32](16)}, Action: api.BGPFilterActionAccept}),
			msg: "min (24) cannot be greater than max (16)", field: "spec.exportV4[0].prefixLength"},
		{name: "unknown operator", obj: v4(api.BGPFilterRuleV4{CIDR: "10.0.0.0/8", MatchOperator: "Like", Action: api.BGPFilterActionAccept}),
			msg: "must be Equal, NotEqual, In or NotIn", field: "spec.exportV4[0].matchOperator"},
		{name: "interface", obj: v4(api.BGPFilterRuleV4{Interface: "eth 0", Action: api.BGPFilterActionAccept}),
			msg: "must be an interface name or pattern", field: "spec.exportV4[0].interface"},
		{name: "two communities", obj: v4(api.BGPFilterRuleV4{Action: api.BGPFilterActionAccept,
			Communities: &api.BGPFilterCommunityMatch{Values: []api.BGPCommunityValue{"1:1", "1:2"}}}),
			msg: "exactly one community value", field: "spec.exportV4[0].communities.values"},
		{name: "two changes in one operation", obj: v4(api.BGPFilterRuleV4{Action: api.BGPFilterActionAccept, Operations: []api.BGPFilterOperation{{
			SetPriority: &api.BGPFilterSetPriority{Value: ptr(1)}, PrependASPath: &api.BGPFilterPrependASPath{Prefix: []api.ASNumber{65000}}}}}),
			msg: "exactly one of addCommunity, prependASPath or setPriority", field: "spec.exportV4[0].operations[0]"},
		{name: "priority 0", obj: v4(api.BGPFilterRuleV4{Action: api.BGPFilterActionAccept, Priority: ptr(0)}),
			msg: "must be from 1 to 2147483646", field: "spec.exportV4[0].priority"},
	})
}
