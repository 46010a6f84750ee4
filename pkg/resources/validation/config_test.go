package validation

import (
	"strings"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func TestSingletonNames(t *testing.T) {
	run(t, ClusterInformation, []tc[*api.ClusterInformation]{
		{name: "default", obj: &api.ClusterInformation{ObjectMeta: meta("default"), Spec: api.ClusterInformationSpec{DatastoreReady: ptr(true)}}},
		{name: "other", obj: &api.ClusterInformation{ObjectMeta: meta("cluster")}, msg: "the only ClusterInformation is named default", field: "metadata.name"},
	})
	run(t, KubeControllersConfiguration, []tc[*api.KubeControllersConfiguration]{
		{name: "default", obj: &api.KubeControllersConfiguration{ObjectMeta: meta("default")}},
		{name: "other", obj: &api.KubeControllersConfiguration{ObjectMeta: meta("kcc")}, msg: "the only KubeControllersConfiguration is named default", field: "metadata.name"},
	})
}

func TestKubeControllersConfiguration(t *testing.T) {
	kcc := func(edit func(*api.KubeControllersConfigurationSpec)) *api.KubeControllersConfiguration {
		k := &api.KubeControllersConfiguration{ObjectMeta: meta("default"), Spec: api.KubeControllersConfigurationSpec{
			LogSeverityScreen: "Info", HealthChecks: "Enabled", EtcdV3CompactionPeriod: dur(10 * time.Minute),
			Controllers: api.ControllersConfig{
				Node: &api.NodeControllerConfig{ReconcilerPeriod: dur(5 * time.Minute), SyncLabels: "Enabled",
					HostEndpoint: &api.AutoHostEndpointConfig{AutoCreate: "Enabled", CreateDefaultHostEndpoint: api.DefaultHostEndpointsEnabled,
						Templates: []api.Template{{GenerateName: "tpl", InterfaceCIDRs: []string{"10.0.0.0/8"}, InterfacePattern: "^eth[0-9]+$",
							NodeSelector: "has(edge)", Labels: map[string]string{"role": "edge"}}}}},
				Policy:       &api.PolicyControllerConfig{ReconcilerPeriod: dur(time.Minute)},
				LoadBalancer: &api.LoadBalancerControllerConfig{AssignIPs: api.AllServices},
				Migration:    &api.MigrationControllerConfig{PolicyNameMigrator: api.ControllerEnabled},
			},
		}}
		if edit != nil {
			edit(&k.Spec)
		}
		return k
	}
	run(t, KubeControllersConfiguration, []tc[*api.KubeControllersConfiguration]{
		{name: "full", obj: kcc(nil)},
		{name: "log severity", obj: kcc(func(s *api.KubeControllersConfigurationSpec) { s.LogSeverityScreen = "Chatty" }),
			msg: "must be Trace, Debug", field: "spec.logSeverityScreen"},
		{name: "health checks", obj: kcc(func(s *api.KubeControllersConfigurationSpec) { s.HealthChecks = "On" }),
			msg: "must be Enabled or Disabled", field: "spec.healthChecks"},
		{name: "metrics port", obj: kcc(func(s *api.KubeControllersConfigurationSpec) { s.PrometheusMetricsPort = ptr(70000) }),
			msg: "must be from 0 to 65535", field: "spec.prometheusMetricsPort"},
		{name: "sync labels", obj: kcc(func(s *api.KubeControllersConfigurationSpec) { s.Controllers.Node.SyncLabels = "yes" }),
			msg: "must be Enabled or Disabled", field: "spec.controllers.node.syncLabels"},
		{name: "negative reconciler period", obj: kcc(func(s *api.KubeControllersConfigurationSpec) {
			s.Controllers.Policy.ReconcilerPeriod = dur(-time.Second)
		}),
			msg: "must not be negative", field: "spec.controllers.policy.reconcilerPeriod"},
		{name: "template selector", obj: kcc(func(s *api.KubeControllersConfigurationSpec) {
			s.Controllers.Node.HostEndpoint.Templates[0].NodeSelector = "edge"
		}),
			msg: "invalid selector", field: "spec.controllers.node.hostEndpoint.templates[0].nodeSelector"},
		{name: "template CIDR", obj: kcc(func(s *api.KubeControllersConfigurationSpec) {
			s.Controllers.Node.HostEndpoint.Templates[0].InterfaceCIDRs = []string{"x"}
		}),
			msg: "must be an IP address or a CIDR", field: "spec.controllers.node.hostEndpoint.templates[0].interfaceCIDRs[0]"},
		{name: "template pattern", obj: kcc(func(s *api.KubeControllersConfigurationSpec) {
			s.Controllers.Node.HostEndpoint.Templates[0].InterfacePattern = "eth["
		}),
			msg: "must be a valid regular expression", field: "spec.controllers.node.hostEndpoint.templates[0].interfacePattern"},
		{name: "assign IPs", obj: kcc(func(s *api.KubeControllersConfigurationSpec) { s.Controllers.LoadBalancer.AssignIPs = "Some" }),
			msg: "must be AllServices or RequestedServicesOnly", field: "spec.controllers.loadBalancer.assignIPs"},
		{name: "policy name migrator", obj: kcc(func(s *api.KubeControllersConfigurationSpec) { s.Controllers.Migration.PolicyNameMigrator = "Off" }),
			msg: "must be Enabled or Disabled", field: "spec.controllers.migration.policyNameMigrator"},
		{name: "template annotations", obj: kcc(func(s *api.KubeControllersConfigurationSpec) {
			s.Controllers.Node.HostEndpoint.Templates[0].Annotations = map[string]string{"example.com/owner": "netops"}
		})},
		{name: "template annotation key", obj: kcc(func(s *api.KubeControllersConfigurationSpec) {
			s.Controllers.Node.HostEndpoint.Templates[0].Annotations = map[string]string{"bad key": "x"}
		}),
			msg: "invalid annotation key", field: "spec.controllers.node.hostEndpoint.templates[0].annotations"},
		{name: "distinct template names", obj: kcc(func(s *api.KubeControllersConfigurationSpec) {
			h := s.Controllers.Node.HostEndpoint
			h.Templates = append(h.Templates, api.Template{GenerateName: "other", InterfacePattern: "^bond0$"})
		})},
		{name: "repeated template name", obj: kcc(func(s *api.KubeControllersConfigurationSpec) {
			h := s.Controllers.Node.HostEndpoint
			h.Templates = append(h.Templates, api.Template{GenerateName: "tpl", InterfacePattern: "^bond0$"})
		}),
			msg: "Template name must be unique", field: "spec.controllers.node.hostEndpoint.templates[1].generateName"},
	})
}

func TestCalicoNodeStatus(t *testing.T) {
	status := func(node string, classes ...api.NodeStatusClassType) *api.CalicoNodeStatus {
		return &api.CalicoNodeStatus{ObjectMeta: meta("s"), Spec: api.CalicoNodeStatusSpec{Node: node, Classes: classes, UpdatePeriodSeconds: ptr[uint32](10)}}
	}
	run(t, CalicoNodeStatus, []tc[*api.CalicoNodeStatus]{
		{name: "all classes", obj: status("node1", "Agent", "BGP", "Routes")},
		{name: "no node", obj: status("", "Agent"), msg: "node is required", field: "spec.node"},
		{name: "unknown class", obj: status("node1", "Wireguard"), msg: "must be Agent, BGP or Routes", field: "spec.classes[0]"},
		{name: "repeated class", obj: status("node1", "BGP", "BGP"), msg: "BGP is listed more than once", field: "spec.classes[1]"},
		{name: "update period 0", obj: &api.CalicoNodeStatus{ObjectMeta: meta("s"), Spec: api.CalicoNodeStatusSpec{Node: "node1", UpdatePeriodSeconds: ptr[uint32](0)}}},
		{name: "no update period", obj: &api.CalicoNodeStatus{ObjectMeta: meta("s"), Spec: api.CalicoNodeStatusSpec{Node: "node1", Classes: []api.NodeStatusClassType{"BGP"}}},
			msg: "updatePeriodSeconds is required", field: "spec.updatePeriodSeconds"},
	})
}

func TestFelixConfiguration(t *testing.T) {
	felix := func(edit func(*api.FelixConfigurationSpec)) *api.FelixConfiguration {
		f := &api.FelixConfiguration{ObjectMeta: meta("default"), Spec: api.FelixConfigurationSpec{
			ReportingInterval: dur(0), LogSeverityScreen: "Info", BPFLogLevel: "",
		}}
		if edit != nil {
			edit(&f.Spec)
		}
		return f
	}
	run(t, FelixConfiguration, []tc[*api.FelixConfiguration]{
		{name: "as calico-node creates it", obj: felix(nil)},
		{name: "per-node", obj: &api.FelixConfiguration{ObjectMeta: meta("node.node1"), Spec: api.FelixConfigurationSpec{DefaultEndpointToHostAction: "Return"}}},
		{name: "many settings", obj: felix(func(s *api.FelixConfigurationSpec) {
			s.KubeNodePortRanges = &[]api.Port{{MinPort: 30000, MaxPort: 32767}}
			s.ExternalNodesCIDRList = &[]string{"192.168.0.0/16", "10.0.0.1"}
			s.NATOutgoingAddress = "192.168.0.1"
			s.DeviceRouteSourceAddressIPv6 = "fd00::1"
			s.RouteTableRanges = &api.RouteTableRanges{{Min: 1, Max: 250}, {Min: 1000, Max: 2000}}
			s.LogSeverityFile = "warning"
			s.ChainInsertMode = "Append"
			s.IptablesBackend = ptr(api.IptablesBackend("nft"))
			s.BPFLogLevel = "debug"
			s.FeatureDetectOverride = "SNATFullyRandom=true,MASQFullyRandom=false,"
			s.FailsafeInboundHostPorts = &[]api.ProtoPort{{Protocol: "tcp", Port: 22}, {Protocol: "UDP", Port: 68, Net: "0.0.0.0/0"}}
			s.HealthTimeoutOverrides = []api.HealthTimeoutOverride{{Name: "InternalDataplaneMainLoop", Timeout: api.Duration{Duration: time.Minute}}}
			s.OpenstackRegion = "region-one"
			s.NATPortRange = &api.Port{MinPort: 32768, MaxPort: 65535}
			s.IstioDSCPMark = ptr(api.DSCPFromString("EF"))
		})},
		{name: "too many node port ranges", obj: felix(func(s *api.FelixConfigurationSpec) {
			r := make([]api.Port, 8)
			for i := range r {
				r[i] = api.SinglePort(uint16(30000 + i))
			}
			s.KubeNodePortRanges = &r
		}), msg: "node port ranges list is too long (max 7)", field: "spec.kubeNodePortRanges"},
		{name: "named node port", obj: felix(func(s *api.FelixConfigurationSpec) { s.KubeNodePortRanges = &[]api.Port{{PortName: "http"}} }),
			msg: "node port ranges should not contain named ports", field: "spec.kubeNodePortRanges[0]"},
		{name: "IPv6 external node", obj: felix(func(s *api.FelixConfigurationSpec) { s.ExternalNodesCIDRList = &[]string{"fd00::/64"} }),
			msg: "has invalid IPv6 CIDR", field: "spec.externalNodesList[0]"},
		{name: "IPv6 NAT address", obj: felix(func(s *api.FelixConfigurationSpec) { s.NATOutgoingAddress = "fd00::1" }),
			msg: "must be an IPv4 address", field: "spec.natOutgoingAddress"},
		{name: "IPv4 device route source for IPv6", obj: felix(func(s *api.FelixConfigurationSpec) { s.DeviceRouteSourceAddressIPv6 = "10.0.0.1" }),
			msg: "must be an IPv6 address", field: "spec.deviceRouteSourceAddressIPv6"},
		{name: "route table range from 0", obj: felix(func(s *api.FelixConfigurationSpec) { s.RouteTableRange = &api.RouteTableRange{Min: 0, Max: 250} }),
			msg: "within 1..250", field: "spec.routeTableRange"},
		{name: "route table range above 250", obj: felix(func(s *api.FelixConfigurationSpec) { s.RouteTableRange = &api.RouteTableRange{Min: 1, Max: 251} }),
			msg: "within 1..250", field: "spec.routeTableRange"},
		{name: "both route table settings", obj: felix(func(s *api.FelixConfigurationSpec) {
			s.RouteTableRange = &api.RouteTableRange{Min: 1, Max: 250}
			s.RouteTableRanges = &api.RouteTableRanges{{Min: 1, Max: 250}}
		}), msg: "cannot be set when routeTableRanges is also set", field: "spec.routeTableRange"},
		{name: "reversed route table range", obj: felix(func(s *api.FelixConfigurationSpec) { s.RouteTableRanges = &api.RouteTableRanges{{Min: 10, Max: 5}} }),
			msg: "min value cannot be greater than max value", field: "spec.routeTableRanges[0]"},
		{name: "too many route tables", obj: felix(func(s *api.FelixConfigurationSpec) { s.RouteTableRanges = &api.RouteTableRanges{{Min: 1, Max: 70000}} }),
			msg: "targets too many tables", field: "spec.routeTableRanges"},
		{name: "log severity", obj: felix(func(s *api.FelixConfigurationSpec) { s.LogSeveritySys = "Loud" }),
			msg: "must be Trace, Debug, Info, Warning, Error or Fatal", field: "spec.logSeveritySys"},
		{name: "chain insert mode", obj: felix(func(s *api.FelixConfigurationSpec) { s.ChainInsertMode = "prepend" }),
			msg: "must be insert or append", field: "spec.chainInsertMode"},
		{name: "endpoint to host action", obj: felix(func(s *api.FelixConfigurationSpec) { s.DefaultEndpointToHostAction = "Allow" }),
			msg: "must be Drop, Accept or Return", field: "spec.defaultEndpointToHostAction"},
		{name: "nftables mode", obj: felix(func(s *api.FelixConfigurationSpec) { s.NFTablesMode = ptr(api.NFTablesMode("On")) }),
			msg: "must be Enabled, Disabled or Auto", field: "spec.nftablesMode"},
		{name: "BPF log level", obj: felix(func(s *api.FelixConfigurationSpec) { s.BPFLogLevel = "Trace" }),
			msg: "must be Off, Info or Debug", field: "spec.bpfLogLevel"},
		{name: "feature override", obj: felix(func(s *api.FelixConfigurationSpec) { s.FeatureDetectOverride = "SNATFullyRandom" }),
			msg: "comma-separated list of key=value pairs", field: "spec.featureDetectOverride"},
		{name: "failsafe ICMP", obj: felix(func(s *api.FelixConfigurationSpec) {
			s.FailsafeInboundHostPorts = &[]api.ProtoPort{{Protocol: "ICMP", Port: 1}}
		}),
			msg: "must be TCP, UDP or SCTP", field: "spec.failsafeInboundHostPorts[0].protocol"},
		{name: "failsafe net", obj: felix(func(s *api.FelixConfigurationSpec) {
			s.FailsafeOutboundHostPorts = &[]api.ProtoPort{{Port: 53, Net: "any"}}
		}),
			msg: "must be an IP address or a CIDR", field: "spec.failsafeOutboundHostPorts[0].net"},
		{name: "negative health timeout", obj: felix(func(s *api.FelixConfigurationSpec) {
			s.HealthTimeoutOverrides = []api.HealthTimeoutOverride{{Name: "x", Timeout: api.Duration{Duration: -time.Second}}}
		}), msg: "Timeout should not be negative", field: "spec.healthTimeoutOverrides[0].timeout"},
		{name: "openstack region", obj: felix(func(s *api.FelixConfigurationSpec) { s.OpenstackRegion = "Region_One" }),
			msg: "must be a valid DNS label", field: "spec.openstackRegion"},
		{name: "metrics port", obj: felix(func(s *api.FelixConfigurationSpec) { s.PrometheusMetricsPort = ptr(70000) }),
			msg: "must be from 0 to 65535", field: "spec.prometheusMetricsPort"},
		{name: "NAT port range reversed", obj: felix(func(s *api.FelixConfigurationSpec) { s.NATPortRange = &api.Port{MinPort: 2, MaxPort: 1} }),
			msg: "needs min <= max", field: "spec.natPortRange"},
		{name: "route priority", obj: felix(func(s *api.FelixConfigurationSpec) { s.IPv4ElevatedRoutePriority = ptr(0) }),
			msg: "must be from 1 to 2147483646", field: "spec.ipv4ElevatedRoutePriority"},
		{name: "interface pattern", obj: felix(func(s *api.FelixConfigurationSpec) { s.BPFDataIfacePattern = "(eth" }),
			msg: "must be a valid regular expression", field: "spec.bpfDataIfacePattern"},
		{name: "DSCP", obj: felix(func(s *api.FelixConfigurationSpec) { s.IstioDSCPMark = ptr(api.DSCPFromString("AF99")) }),
			msg: "not a valid DSCP value", field: "spec.istioDSCPMark"},
		{name: "3.32 settings", obj: felix(func(s *api.FelixConfigurationSpec) {
			s.NFTablesFlowTableOffload = ptr(api.NFTablesFlowTableOffloadAll)
			s.NFTablesFlowTableDataIfacePattern = "^(eth|bond)[0-9]+$"
			s.BPFIPFragTimeout = dur(30 * time.Second)
			s.BPFIPFragmentReassemblyEnabled = ptr(true)
			s.BPFOverlayHostSourceIP = ptr(api.BPFOverlayHostSourceIPTunnelAddress)
			s.LocalSubnetL2Reachability = ptr(api.LocalSubnetL2ReachabilityPodsAndLoadBalancers)
			s.LocalSubnetL2ReachabilityRefreshInterval = dur(time.Minute)
		})},
		{name: "flow table offload", obj: felix(func(s *api.FelixConfigurationSpec) {
			s.NFTablesFlowTableOffload = ptr(api.NFTablesFlowTableOffloadMode("Enabled"))
		}),
			msg: "must be All or Disabled", field: "spec.nftablesFlowTableOffload"},
		{name: "flow table interface pattern", obj: felix(func(s *api.FelixConfigurationSpec) { s.NFTablesFlowTableDataIfacePattern = "eth[" }),
			msg: "must be a valid regular expression", field: "spec.nftablesFlowTableDataIfacePattern"},
		{name: "negative fragment timeout", obj: felix(func(s *api.FelixConfigurationSpec) { s.BPFIPFragTimeout = dur(-time.Second) }),
			msg: "must not be negative", field: "spec.bpfIPFragTimeout"},
		{name: "overlay host source IP", obj: felix(func(s *api.FelixConfigurationSpec) {
			s.BPFOverlayHostSourceIP = ptr(api.BPFOverlayHostSourceIPType("NodeIP"))
		}),
			msg: "must be TunnelAddress or HostAddress", field: "spec.bpfOverlayHostSourceIP"},
		{name: "local subnet reachability", obj: felix(func(s *api.FelixConfigurationSpec) {
			s.LocalSubnetL2Reachability = ptr(api.LocalSubnetL2ReachabilityMode("Enabled"))
		}),
			msg: "must be Disabled or PodsAndLoadBalancers", field: "spec.localSubnetL2Reachability"},
		{name: "negative reachability refresh", obj: felix(func(s *api.FelixConfigurationSpec) { s.LocalSubnetL2ReachabilityRefreshInterval = dur(-time.Minute) }),
			msg: "must not be negative", field: "spec.localSubnetL2ReachabilityRefreshInterval"},
		{name: "node selector on a named configuration",
			obj: &api.FelixConfiguration{ObjectMeta: meta("edge"), Spec: api.FelixConfigurationSpec{NodeSelector: "edge == 'true'"}}},
		{name: "node selector on default", obj: felix(func(s *api.FelixConfigurationSpec) { s.NodeSelector = "all()" }),
			msg: "nodeSelector cannot be set on the default or a node.<nodename> FelixConfiguration", field: "spec.nodeSelector"},
		{name: "node selector on a node configuration",
			obj: &api.FelixConfiguration{ObjectMeta: meta("node.n1"), Spec: api.FelixConfigurationSpec{NodeSelector: "all()"}},
			msg: "nodeSelector cannot be set on the default or a node.<nodename> FelixConfiguration", field: "spec.nodeSelector"},
		{name: "invalid node selector",
			obj: &api.FelixConfiguration{ObjectMeta: meta("edge"), Spec: api.FelixConfigurationSpec{NodeSelector: "edge =="}},
			msg: "invalid selector", field: "spec.nodeSelector"},
		{name: "node selector over 1024 characters",
			obj: &api.FelixConfiguration{ObjectMeta: meta("edge"), Spec: api.FelixConfigurationSpec{NodeSelector: "has(a" + strings.Repeat("b", 1020) + ")"}},
			msg: "a selector may be at most 1024 characters long (this one has 1026)", field: "spec.nodeSelector"},
	})
}
