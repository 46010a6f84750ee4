package validation

import (
	"fmt"
	"regexp"
	"strings"

	k8svalidation "k8s.io/apimachinery/pkg/util/validation"

	"github.com/calicoctl-go/calicoctl/internal/lazyregexp"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

var (
	keyValueItem  = lazyregexp.New(`^\s*(\w+)=(.*)$`)
	hostRegex     = lazyregexp.New(`^[a-zA-Z0-9:._+-]{1,64}$`)
	htoNameRegex  = lazyregexp.New(`^[a-zA-Z0-9_ -]+$`)
	bpfIfaceRegex = lazyregexp.New(`^[a-zA-Z0-9_.-]{1,15}$`)
)

// ClusterInformation checks the cluster information singleton's name.
func ClusterInformation(o *api.ClusterInformation) error {
	c := &Collector{Resource: ID(api.KindClusterInformation, false, "", o.Name)}
	checkDefaultName(c, api.KindClusterInformation, o.Name)
	return c.Err()
}

// CalicoNodeStatus checks a request for node status reports.
func CalicoNodeStatus(o *api.CalicoNodeStatus) error {
	c := &Collector{Resource: ID(api.KindCalicoNodeStatus, false, "", o.Name)}
	s := &o.Spec
	if s.Node == "" {
		c.Add("spec.node", s.Node, "node is required: the name of the node that should report its status")
	} else {
		checkName(c, "spec.node", s.Node)
	}
	if s.UpdatePeriodSeconds == nil {
		c.Add("spec.updatePeriodSeconds", "", "updatePeriodSeconds is required: how often, in seconds, the node updates the status (0 stops updates)").WithoutValue()
	}
	seen := map[api.NodeStatusClassType]bool{}
	for i, cl := range s.Classes {
		f := idx("spec.classes", i)
		switch {
		case cl != api.NodeStatusClassTypeAgent && cl != api.NodeStatusClassTypeBGP && cl != api.NodeStatusClassTypeRoutes:
			c.Add(f, cl, "must be Agent, BGP or Routes")
		case seen[cl]:
			c.Add(f, cl, "%s is listed more than once", cl)
		}
		seen[cl] = true
	}
	return c.Err()
}

// KubeControllersConfiguration checks the kube-controllers singleton.
func KubeControllersConfiguration(o *api.KubeControllersConfiguration) error {
	c := &Collector{Resource: ID(api.KindKubeControllersConfiguration, false, "", o.Name)}
	checkDefaultName(c, api.KindKubeControllersConfiguration, o.Name)
	s := &o.Spec
	checkLogSeverity(c, "spec.logSeverityScreen", s.LogSeverityScreen)
	checkEnum(c, "spec.healthChecks", s.HealthChecks, true, "Enabled", "Disabled")
	checkDuration(c, "spec.etcdV3CompactionPeriod", s.EtcdV3CompactionPeriod)
	if s.PrometheusMetricsPort != nil {
		checkRange(c, "spec.prometheusMetricsPort", int64(*s.PrometheusMetricsPort), 0, 65535)
	}
	if s.DebugProfilePort != nil {
		checkRange(c, "spec.debugProfilePort", int64(*s.DebugProfilePort), 0, 65535)
	}

	cs := &s.Controllers
	if n := cs.Node; n != nil {
		f := "spec.controllers.node"
		checkDuration(c, f+".reconcilerPeriod", n.ReconcilerPeriod)
		checkDuration(c, f+".leakGracePeriod", n.LeakGracePeriod)
		checkEnum(c, f+".syncLabels", n.SyncLabels, true, "Enabled", "Disabled")
		if h := n.HostEndpoint; h != nil {
			hf := f + ".hostEndpoint"
			checkEnum(c, hf+".autoCreate", h.AutoCreate, true, "Enabled", "Disabled")
			checkEnum(c, hf+".createDefaultHostEndpoint", string(h.CreateDefaultHostEndpoint), true,
				string(api.DefaultHostEndpointsEnabled), string(api.DefaultHostEndpointsDisabled))
			names := map[string]bool{}
			for i, t := range h.Templates {
				tf := idx(hf+".templates", i)
				if t.GenerateName != "" {
					checkName(c, tf+".generateName", t.GenerateName)
				}
				if names[t.GenerateName] {
					c.Add(tf+".generateName", t.GenerateName, "Template name must be unique: give each template its own generateName")
				}
				names[t.GenerateName] = true
				for j, cidr := range t.InterfaceCIDRs {
					checkCIDR(c, idx(tf+".interfaceCIDRs", j), cidr)
				}
				if t.InterfacePattern != "" {
					checkRegexp(c, tf+".interfacePattern", t.InterfacePattern)
				}
				if t.NodeSelector != "" {
					checkSelector(c, tf+".nodeSelector", t.NodeSelector, false)
				}
				Labels(c, tf+".labels", t.Labels)
				checkAnnotations(c, tf+".annotations", t.Annotations)
			}
		}
	}
	if p := cs.Policy; p != nil {
		checkDuration(c, "spec.controllers.policy.reconcilerPeriod", p.ReconcilerPeriod)
	}
	if w := cs.WorkloadEndpoint; w != nil {
		checkDuration(c, "spec.controllers.workloadEndpoint.reconcilerPeriod", w.ReconcilerPeriod)
	}
	if sa := cs.ServiceAccount; sa != nil {
		checkDuration(c, "spec.controllers.serviceAccount.reconcilerPeriod", sa.ReconcilerPeriod)
	}
	if ns := cs.Namespace; ns != nil {
		checkDuration(c, "spec.controllers.namespace.reconcilerPeriod", ns.ReconcilerPeriod)
	}
	if lb := cs.LoadBalancer; lb != nil {
		checkEnum(c, "spec.controllers.loadBalancer.assignIPs", string(lb.AssignIPs), true,
			string(api.AllServices), string(api.RequestedServicesOnly))
	}
	if m := cs.Migration; m != nil {
		checkEnum(c, "spec.controllers.migration.policyNameMigrator", string(m.PolicyNameMigrator), true,
			string(api.ControllerEnabled), string(api.ControllerDisabled))
	}
	return c.Err()
}

func checkDuration(c *Collector, field string, d *api.Duration) {
	if d != nil && d.Duration < 0 {
		c.Add(field, d.Duration, "must not be negative")
	}
}

func checkRegexp(c *Collector, field, s string) {
	if _, err := regexp.Compile(s); err != nil {
		c.Add(field, s, "must be a valid regular expression: %v", err)
	}
}

func checkKeyValueList(c *Collector, field, s string) {
	for _, item := range strings.Split(s, ",") {
		if item != "" && !keyValueItem.MatchString(item) {
			c.Add(field, s, "must be a comma-separated list of key=value pairs, e.g. SNATFullyRandom=true,MASQFullyRandom=false; %q is not one", item)
			return
		}
	}
}

// FelixConfiguration checks Felix's configuration: the rules Calico's validator applies and the
// enumerated settings.
func FelixConfiguration(o *api.FelixConfiguration) error {
	c := &Collector{Resource: ID(api.KindFelixConfiguration, false, "", o.Name)}
	s := &o.Spec

	if r := s.KubeNodePortRanges; r != nil {
		if len(*r) > 7 {
			c.Add("spec.kubeNodePortRanges", portsString(*r), "node port ranges list is too long (max 7)")
		}
		for i, p := range *r {
			f := idx("spec.kubeNodePortRanges", i)
			if p.PortName != "" {
				c.Add(f, p.PortName, "node port ranges should not contain named ports: use a number or a range such as 30000:32767")
			} else {
				checkPort(c, f, p)
			}
		}
	}
	if l := s.ExternalNodesCIDRList; l != nil {
		for i, n := range *l {
			f := idx("spec.externalNodesList", i)
			if p, ok := checkCIDR(c, f, n); ok && family(p.Addr()) != 4 {
				c.Add(f, n, "has invalid IPv6 CIDR: only IPv4 addresses and CIDRs are supported")
			}
		}
	}
	const regionPrefix = "openstack-region-"
	if r := s.OpenstackRegion; len(r) > k8svalidation.DNS1123LabelMaxLength-len(regionPrefix) {
		c.Add("spec.openstackRegion", r, "is too long: at most %d characters", k8svalidation.DNS1123LabelMaxLength-len(regionPrefix))
	} else if r != "" && len(k8svalidation.IsDNS1123Label(r)) > 0 {
		c.Add("spec.openstackRegion", r, "must be a valid DNS label: lower case letters, digits and '-'")
	}
	if s.NATOutgoingAddress != "" {
		checkIP(c, "spec.natOutgoingAddress", s.NATOutgoingAddress, 4)
	}
	if s.DeviceRouteSourceAddress != "" {
		checkIP(c, "spec.deviceRouteSourceAddress", s.DeviceRouteSourceAddress, 4)
	}
	if s.DeviceRouteSourceAddressIPv6 != "" {
		checkIP(c, "spec.deviceRouteSourceAddressIPv6", s.DeviceRouteSourceAddressIPv6, 6)
	}

	if r := s.RouteTableRange; r != nil {
		if r.Min < 1 || r.Max < r.Min || r.Max > 250 {
			c.Add("spec.routeTableRange", fmt.Sprintf("%d-%d", r.Min, r.Max), "must be a range of route table indices within 1..250, min <= max")
		}
		if s.RouteTableRanges != nil {
			c.Add("spec.routeTableRange", fmt.Sprintf("%d-%d", r.Min, r.Max), "cannot be set when routeTableRanges is also set: use routeTableRanges only")
		}
	}
	if rs := s.RouteTableRanges; rs != nil {
		for i, r := range *rs {
			f := idx("spec.routeTableRanges", i)
			switch {
			case r.Min > r.Max:
				c.Add(f, fmt.Sprintf("%d-%d", r.Min, r.Max), "min value cannot be greater than max value")
			case r.Min < 1:
				c.Add(f, fmt.Sprintf("%d-%d", r.Min, r.Max), "cannot target indices < 1")
			case int64(r.Max) > 0xffffffff:
				c.Add(f, fmt.Sprintf("%d-%d", r.Min, r.Max), "max index too high: at most 4294967295")
			}
		}
		if n := rs.NumDesignatedTables(); n > 0xffff {
			c.Add("spec.routeTableRanges", n, "targets too many tables: at most 65535 in total")
		}
	}

	checkLogSeverity(c, "spec.logSeverityScreen", s.LogSeverityScreen)
	checkLogSeverity(c, "spec.logSeverityFile", s.LogSeverityFile)
	checkLogSeverity(c, "spec.logSeveritySys", s.LogSeveritySys)
	checkEnumFold(c, "spec.chainInsertMode", s.ChainInsertMode, true, "insert", "append")
	checkEnumFold(c, "spec.defaultEndpointToHostAction", s.DefaultEndpointToHostAction, true, "Drop", "Accept", "Return")
	checkEnumFold(c, "spec.iptablesFilterAllowAction", s.IptablesFilterAllowAction, true, "Accept", "Return")
	checkEnumFold(c, "spec.iptablesMangleAllowAction", s.IptablesMangleAllowAction, true, "Accept", "Return")
	checkEnumFold(c, "spec.iptablesFilterDenyAction", s.IptablesFilterDenyAction, true, "Drop", "Reject")
	checkEnumFold(c, "spec.nftablesFilterAllowAction", s.NftablesFilterAllowAction, true, "Accept", "Return")
	checkEnumFold(c, "spec.nftablesMangleAllowAction", s.NftablesMangleAllowAction, true, "Accept", "Return")
	checkEnumFold(c, "spec.nftablesFilterDenyAction", s.NftablesFilterDenyAction, true, "Drop", "Reject")
	checkEnumFold(c, "spec.bpfLogLevel", s.BPFLogLevel, true, "Off", "Info", "Debug")
	checkEnumFold(c, "spec.bpfConntrackLogLevel", s.BPFConntrackLogLevel, true, "Off", "Debug")
	checkEnumFold(c, "spec.bpfExternalServiceMode", s.BPFExternalServiceMode, true, "Tunnel", "DSR")
	checkEnumFold(c, "spec.bpfEnforceRPF", s.BPFEnforceRPF, true, "Disabled", "Strict", "Loose")
	checkEnum(c, "spec.routeSource", s.RouteSource, true, "WorkloadIPs", "CalicoIPAM")
	checkEnum(c, "spec.ipForwarding", s.IPForwarding, true, "Enabled", "Disabled")
	checkEnum(c, "spec.serviceLoopPrevention", s.ServiceLoopPrevention, true, "Drop", "Reject", "Disabled")
	checkEnum(c, "spec.workloadSourceSpoofing", s.WorkloadSourceSpoofing, true, "Disabled", "Any")
	checkEnum(c, "spec.bpfRedirectToPeer", s.BPFRedirectToPeer, true, "Disabled", "Enabled", "L2Only")
	if s.ProgramClusterRoutes != nil {
		checkEnum(c, "spec.programClusterRoutes", *s.ProgramClusterRoutes, false, "Enabled", "Disabled")
	}

	for _, e := range []struct {
		field   string
		value   string
		set     bool
		fold    bool
		allowed []string
	}{
		{"spec.iptablesBackend", str(s.IptablesBackend), s.IptablesBackend != nil, true, []string{"Auto", "Legacy", "NFT"}},
		{"spec.nftablesMode", str(s.NFTablesMode), s.NFTablesMode != nil, false, []string{"Enabled", "Disabled", "Auto"}},
		{"spec.bpfConnectTimeLoadBalancing", str(s.BPFConnectTimeLoadBalancing), s.BPFConnectTimeLoadBalancing != nil, false, []string{"TCP", "Enabled", "Disabled"}},
		{"spec.bpfHostNetworkedNATWithoutCTLB", str(s.BPFHostNetworkedNATWithoutCTLB), s.BPFHostNetworkedNATWithoutCTLB != nil, false, []string{"Enabled", "Disabled"}},
		{"spec.bpfConntrackMode", str(s.BPFConntrackCleanupMode), s.BPFConntrackCleanupMode != nil, false, []string{"Auto", "Userspace", "BPFProgram"}},
		{"spec.bpfJITHardening", str(s.BPFJITHardening), s.BPFJITHardening != nil, false, []string{"Auto", "Strict"}},
		{"spec.bpfAttachType", str(s.BPFAttachType), s.BPFAttachType != nil, false, []string{"TC", "TCX"}},
		{"spec.awsSrcDstCheck", str(s.AWSSrcDstCheck), s.AWSSrcDstCheck != nil, false, []string{"DoNothing", "Enable", "Disable"}},
		{"spec.floatingIPs", str(s.FloatingIPs), s.FloatingIPs != nil, false, []string{"Enabled", "Disabled"}},
		{"spec.windowsManageFirewallRules", str(s.WindowsManageFirewallRules), s.WindowsManageFirewallRules != nil, false, []string{"Enabled", "Disabled"}},
		{"spec.istioAmbientMode", str(s.IstioAmbientMode), s.IstioAmbientMode != nil, false, []string{"Enabled", "Disabled"}},
		{"spec.flowLogsPolicyEvaluationMode", str(s.FlowLogsPolicyEvaluationMode), s.FlowLogsPolicyEvaluationMode != nil, false, []string{"None", "Continuous"}},
		{"spec.natOutgoingExclusions", str(s.NATOutgoingExclusions), s.NATOutgoingExclusions != nil, false, []string{"IPPoolsOnly", "IPPoolsAndHostIPs"}},
		{"spec.prometheusMetricsClientAuth", str(s.PrometheusMetricsClientAuth), s.PrometheusMetricsClientAuth != nil, false,
			[]string{"RequireAndVerifyClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "NoClientCert"}},
		{"spec.nftablesFlowTableOffload", str(s.NFTablesFlowTableOffload), s.NFTablesFlowTableOffload != nil, false, []string{"All", "Disabled"}},
		{"spec.bpfOverlayHostSourceIP", str(s.BPFOverlayHostSourceIP), s.BPFOverlayHostSourceIP != nil, false, []string{"TunnelAddress", "HostAddress"}},
		{"spec.localSubnetL2Reachability", str(s.LocalSubnetL2Reachability), s.LocalSubnetL2Reachability != nil, false, []string{"Disabled", "PodsAndLoadBalancers"}},
	} {
		if !e.set {
			continue
		}
		if e.fold {
			checkEnumFold(c, e.field, e.value, false, e.allowed...)
		} else {
			checkEnum(c, e.field, e.value, false, e.allowed...)
		}
	}

	if s.FeatureDetectOverride != "" {
		checkKeyValueList(c, "spec.featureDetectOverride", s.FeatureDetectOverride)
	}
	if s.FeatureGates != "" {
		checkKeyValueList(c, "spec.featureGates", s.FeatureGates)
	}
	for _, h := range []struct {
		field string
		value *string
	}{{"spec.healthHost", s.HealthHost}, {"spec.debugHost", s.DebugHost}, {"spec.prometheusMetricsHost", &s.PrometheusMetricsHost}} {
		if h.value != nil && *h.value != "" && !hostRegex.MatchString(*h.value) {
			c.Add(h.field, *h.value, "must be a host name or IP address of at most 64 characters")
		}
	}
	for _, p := range []struct {
		field string
		value *int
	}{
		{"spec.healthPort", s.HealthPort}, {"spec.prometheusMetricsPort", s.PrometheusMetricsPort},
		{"spec.debugPort", s.DebugPort}, {"spec.metadataPort", s.MetadataPort}, {"spec.vxlanPort", s.VXLANPort},
		{"spec.wireguardListeningPort", s.WireguardListeningPort}, {"spec.wireguardListeningPortV6", s.WireguardListeningPortV6},
		{"spec.bpfKubeProxyHealthzPort", s.BPFKubeProxyHealthzPort},
	} {
		if p.value != nil {
			checkRange(c, p.field, int64(*p.value), 0, 65535)
		}
	}
	for _, p := range []struct {
		field string
		value *int
	}{
		{"spec.ipv4NormalRoutePriority", s.IPv4NormalRoutePriority}, {"spec.ipv4ElevatedRoutePriority", s.IPv4ElevatedRoutePriority},
		{"spec.ipv6NormalRoutePriority", s.IPv6NormalRoutePriority}, {"spec.ipv6ElevatedRoutePriority", s.IPv6ElevatedRoutePriority},
	} {
		if p.value != nil {
			checkRange(c, p.field, int64(*p.value), 1, 2147483646)
		}
	}
	for _, p := range []struct {
		field string
		value *api.Port
	}{{"spec.natPortRange", s.NATPortRange}, {"spec.bpfPSNATPorts", s.BPFPSNATPorts}} {
		if p.value == nil {
			continue
		}
		if p.value.PortName != "" {
			c.Add(p.field, p.value.PortName, "must be a port range such as 32768:65535, not a port name")
		} else {
			checkPort(c, p.field, *p.value)
		}
	}
	for _, l := range []struct {
		field string
		ports *[]api.ProtoPort
	}{{"spec.failsafeInboundHostPorts", s.FailsafeInboundHostPorts}, {"spec.failsafeOutboundHostPorts", s.FailsafeOutboundHostPorts}} {
		if l.ports == nil {
			continue
		}
		for i, p := range *l.ports {
			f := idx(l.field, i)
			checkEnumFold(c, f+".protocol", p.Protocol, true, "TCP", "UDP", "SCTP")
			if p.Net != "" {
				checkCIDR(c, f+".net", p.Net)
			}
		}
	}
	for i, h := range s.HealthTimeoutOverrides {
		f := idx("spec.healthTimeoutOverrides", i)
		if !htoNameRegex.MatchString(h.Name) {
			c.Add(f+".name", h.Name, "must be a health reporter name: letters, digits, '_', '-' and spaces")
		}
		if h.Timeout.Duration < 0 {
			c.Add(f+".timeout", h.Timeout.Duration, "Timeout should not be negative")
		}
	}
	if m := s.BPFLogFilters; m != nil {
		for k := range *m {
			if k != "all" && !bpfIfaceRegex.MatchString(k) {
				c.Add("spec.bpfLogFilters", k, "keys must be interface names (at most 15 letters, digits, '_', '.' or '-') or all")
			}
		}
	}
	for _, r := range []struct{ field, value string }{
		{"spec.bpfDataIfacePattern", s.BPFDataIfacePattern}, {"spec.bpfL3IfacePattern", s.BPFL3IfacePattern},
		{"spec.mtuIfacePattern", s.MTUIfacePattern}, {"spec.nftablesFlowTableDataIfacePattern", s.NFTablesFlowTableDataIfacePattern},
	} {
		if r.value != "" {
			checkRegexp(c, r.field, r.value)
		}
	}
	for _, w := range []struct{ field, value string }{
		{"spec.wireguardInterfaceName", s.WireguardInterfaceName}, {"spec.wireguardInterfaceNameV6", s.WireguardInterfaceNameV6},
	} {
		if w.value != "" && !interfaceRegex.MatchString(w.value) {
			c.Add(w.field, w.value, "must be an interface name of at most 15 letters, digits, '_', '.' or '-' (e.g. wireguard.cali)")
		}
	}
	if l := s.BPFDSROptoutCIDRs; l != nil {
		for i, n := range *l {
			checkCIDR(c, idx("spec.bpfDSROptoutCIDRs", i), n)
		}
	}
	if l := s.BPFExcludeCIDRsFromNAT; l != nil {
		for i, n := range *l {
			checkCIDR(c, idx("spec.bpfExcludeCIDRsFromNAT", i), n)
		}
	}
	checkDuration(c, "spec.bpfIPFragTimeout", s.BPFIPFragTimeout)
	checkDuration(c, "spec.localSubnetL2ReachabilityRefreshInterval", s.LocalSubnetL2ReachabilityRefreshInterval)
	if s.NodeSelector != "" {
		if o.Name == "default" || strings.HasPrefix(o.Name, "node.") {
			c.Add("spec.nodeSelector", s.NodeSelector, "nodeSelector cannot be set on the default or a node.<nodename> FelixConfiguration: put it in a FelixConfiguration of another name")
		} else if len(s.NodeSelector) > 1024 {
			// The limit of Calico's CRD schema.
			c.Add("spec.nodeSelector", s.NodeSelector[:32]+"...", "a selector may be at most 1024 characters long (this one has %d)", len(s.NodeSelector))
		} else {
			checkSelector(c, "spec.nodeSelector", s.NodeSelector, false)
		}
	}
	if d := s.IstioDSCPMark; d != nil {
		if err := d.Validate(); err != nil {
			c.Add("spec.istioDSCPMark", d.String(), "%v: use a number from 0 to 63 or a name such as AF11 or EF", err)
		}
	}
	return c.Err()
}

// str returns the string value of an optional enum, or "".
func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}
