package validation

import (
	"fmt"

	"net"
	"net/netip"
	"strconv"

	"github.com/calicoctl-go/calicoctl/internal/lazyregexp"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

var (
	standardCommunity = lazyregexp.New(`^(\d+):(\d+)$`)
	largeCommunity    = lazyregexp.New(`^(\d+):(\d+):(\d+)$`)
	ipv4PortFormat    = lazyregexp.New(`^(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)$`)
	ipv6PortFormat    = lazyregexp.New(`^\[[0-9a-fA-F:.]+\]:(\d+)$`)
	// BIRD interface patterns: an interface name that may contain '*'.
	ignoredInterfaceRegex   = lazyregexp.New(`^[a-zA-Z0-9_.*-]{1,15}$`)
	bgpFilterInterfaceRegex = lazyregexp.New(`^[a-zA-Z0-9_.*-]{1,15}$`)
)

const communityFormat = "a community is aa:nn with each part at most 65535, or aa:nn:mm with each part at most 4294967295 (e.g. 65001:100)"

// validCommunity reports whether v is a standard (aa:nn, 16-bit parts) or large (aa:nn:mm,
// 32-bit parts) BGP community.
func validCommunity(v string) bool {
	bits := 16
	m := standardCommunity.FindStringSubmatch(v)
	if m == nil {
		bits = 32
		if m = largeCommunity.FindStringSubmatch(v); m == nil {
			return false
		}
	}
	for _, part := range m[1:] {
		if _, err := strconv.ParseUint(part, 10, bits); err != nil {
			return false
		}
	}
	return true
}

// parsePeerIP reads "IP", "IPv4:port" or "[IPv6]:port".
func parsePeerIP(s string) (netip.Addr, bool) {
	host := s
	if ipv4PortFormat.MatchString(s) || ipv6PortFormat.MatchString(s) {
		h, portStr, err := net.SplitHostPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil || port < 1 {
			return netip.Addr{}, false
		}
		host = h
	}
	a, err := parseIP(host)
	return a, err == nil
}

// BGPConfiguration checks the cluster-wide ("default") or per-node BGP configuration.
func BGPConfiguration(o *api.BGPConfiguration) error {
	c := &Collector{Resource: ID(api.KindBGPConfiguration, false, "", o.Name)}
	s := &o.Spec
	checkLogSeverity(c, "spec.logSeverityScreen", s.LogSeverityScreen)

	for i, cm := range s.Communities {
		f := idx("spec.communities", i)
		if cm.Name != "" {
			checkName(c, f+".name", cm.Name)
		}
		if !validCommunity(cm.Value) {
			c.Add(f+".value", cm.Value, "invalid community value or format used: %s", communityFormat)
		}
	}
	if len(s.Communities) > 0 && len(s.PrefixAdvertisements) == 0 {
		c.Add("spec.communities", len(s.Communities), "communities are defined but not used in prefixAdvertisements: add a prefixAdvertisement that uses them, or remove them")
	}
	for i, pa := range s.PrefixAdvertisements {
		f := idx("spec.prefixAdvertisements", i)
		checkCIDR(c, f+".cidr", pa.CIDR)
		for j, v := range pa.Communities {
			if validCommunity(v) {
				continue
			}
			defined := false
			for _, cm := range s.Communities {
				defined = defined || cm.Name == v
			}
			if !defined {
				c.Add(idx(f+".communities", j), v, "community used is invalid or not defined: give a value (%s) or the name of an entry in spec.communities", communityFormat)
			}
		}
	}

	for i, b := range s.ServiceClusterIPs {
		checkNet(c, idx("spec.serviceClusterIPs", i)+".cidr", b.CIDR, true)
	}
	for i, b := range s.ServiceExternalIPs {
		checkNet(c, idx("spec.serviceExternalIPs", i)+".cidr", b.CIDR, true)
	}
	for i, b := range s.ServiceLoadBalancerIPs {
		checkNet(c, idx("spec.serviceLoadBalancerIPs", i)+".cidr", b.CIDR, true)
	}

	meshOff := s.NodeToNodeMeshEnabled != nil && !*s.NodeToNodeMeshEnabled
	if meshOff && s.NodeMeshPassword != nil {
		c.Add("spec.nodeMeshPassword", "<secret>", "nodeMeshPassword cannot be set if nodeToNodeMeshEnabled is false")
	}
	if meshOff && s.NodeMeshMaxRestartTime != nil {
		c.Add("spec.nodeMeshMaxRestartTime", s.NodeMeshMaxRestartTime.Duration, "nodeMeshMaxRestartTime cannot be set if nodeToNodeMeshEnabled is false")
	}
	if p := s.NodeMeshPassword; p != nil && p.SecretKeyRef != nil {
		checkSecretKeyRef(c, "spec.nodeMeshPassword.secretKeyRef", p.SecretKeyRef)
	}
	if s.BindMode != nil {
		checkEnum(c, "spec.bindMode", string(*s.BindMode), false, string(api.BindModeNone), string(api.BindModeNodeIP))
	}
	if s.ServiceLoadBalancerAggregation != nil {
		checkEnum(c, "spec.serviceLoadBalancerAggregation", string(*s.ServiceLoadBalancerAggregation), false,
			string(api.ServiceLoadBalancerAggregationEnabled), string(api.ServiceLoadBalancerAggregationDisabled))
	}
	if s.ProgramClusterRoutes != nil {
		checkEnum(c, "spec.programClusterRoutes", *s.ProgramClusterRoutes, false, "Enabled", "Disabled")
	}
	for i, iface := range s.IgnoredInterfaces {
		if iface == "*" || !ignoredInterfaceRegex.MatchString(iface) {
			c.Add(idx("spec.ignoredInterfaces", i), iface, "must be an interface name or pattern of at most 15 characters (letters, digits, '_', '.', '-', '*'), e.g. eth* , but not * alone")
		}
	}
	if s.LocalWorkloadPeeringIPV4 != "" {
		checkIP(c, "spec.localWorkloadPeeringIPV4", s.LocalWorkloadPeeringIPV4, 4)
	}
	if s.LocalWorkloadPeeringIPV6 != "" {
		checkIP(c, "spec.localWorkloadPeeringIPV6", s.LocalWorkloadPeeringIPV6, 6)
	}
	if s.IPv4NormalRoutePriority != nil {
		checkRange(c, "spec.ipv4NormalRoutePriority", int64(*s.IPv4NormalRoutePriority), 1, 2147483646)
	}
	if s.IPv6NormalRoutePriority != nil {
		checkRange(c, "spec.ipv6NormalRoutePriority", int64(*s.IPv6NormalRoutePriority), 1, 2147483646)
	}

	// Only the cluster-wide configuration may set these (clientv3/bgpconfig.go).
	if o.Name != "default" {
		for _, g := range []struct {
			field, name string
			set         bool
			value       interface{}
		}{
			{"spec.nodeToNodeMeshEnabled", "nodeToNodeMeshEnabled", s.NodeToNodeMeshEnabled != nil, deref(s.NodeToNodeMeshEnabled)},
			{"spec.asNumber", "ASNumber", s.ASNumber != nil, deref(s.ASNumber)},
			{"spec.serviceLoadBalancerIPs", "ServiceLoadBalancerIPs", len(s.ServiceLoadBalancerIPs) > 0, len(s.ServiceLoadBalancerIPs)},
			{"spec.serviceExternalIPs", "ServiceExternalIPs", len(s.ServiceExternalIPs) > 0, len(s.ServiceExternalIPs)},
			{"spec.serviceClusterIPs", "ServiceClusterIPs", len(s.ServiceClusterIPs) > 0, len(s.ServiceClusterIPs)},
			{"spec.nodeMeshPassword", "NodeMeshPassword", s.NodeMeshPassword != nil, "<secret>"},
			{"spec.nodeMeshMaxRestartTime", "NodeMeshMaxRestartTime", s.NodeMeshMaxRestartTime != nil, deref(s.NodeMeshMaxRestartTime)},
		} {
			if g.set {
				c.Add(g.field, g.value, "set it in the BGPConfiguration named default").
					Calico("BGPConfiguration.Spec."+GoFieldName(g.field), fmt.Sprintf("Cannot set %s on a non default BGP Configuration.", g.name)).WithoutValue()
			}
		}
	}
	return c.Err()
}

// deref returns *p, or "<unset>" for nil, for error values.
func deref[T any](p *T) interface{} {
	if p == nil {
		return "<unset>"
	}
	return *p
}

func checkSecretKeyRef(c *Collector, field string, r *api.SecretKeySelector) {
	if r.Name == "" {
		c.Add(field+".name", r.Name, "the name of the secret is required")
	} else {
		checkName(c, field+".name", r.Name)
	}
	if r.Key == "" {
		c.Add(field+".key", r.Key, "the key within the secret is required")
	}
}

// BGPPeer checks a BGP peering.
func BGPPeer(o *api.BGPPeer) error {
	c := &Collector{Resource: ID(api.KindBGPPeer, false, "", o.Name)}
	s := &o.Spec
	if s.Node != "" {
		checkName(c, "spec.node", s.Node)
		if s.NodeSelector != "" {
			c.Add("spec.node", s.Node, "node must be empty when nodeSelector is specified: use one or the other")
		}
	}
	if s.NodeSelector != "" {
		checkSelector(c, "spec.nodeSelector", s.NodeSelector, false)
	}
	if s.PeerSelector != "" {
		checkSelector(c, "spec.peerSelector", s.PeerSelector, false)
	}
	if s.LocalWorkloadSelector != "" {
		checkSelector(c, "spec.localWorkloadSelector", s.LocalWorkloadSelector, false)
	}

	var peerAddr netip.Addr
	peerOK := false
	if s.PeerIP != "" {
		if peerAddr, peerOK = parsePeerIP(s.PeerIP); !peerOK {
			c.Add("spec.peerIP", s.PeerIP, "peerIP must be an IP address, IPv4:port or [IPv6]:port with a port from 1 to 65535 (e.g. 10.0.0.1, 10.0.0.1:179 or [fd00::1]:179)")
		}
		if s.PeerSelector != "" {
			c.Add("spec.peerIP", s.PeerIP, "peerIP must be empty when peerSelector is specified: use one or the other")
		}
		if s.LocalWorkloadSelector != "" {
			c.Add("spec.peerIP", s.PeerIP, "peerIP must be empty when localWorkloadSelector is specified")
		}
	}
	if s.PeerSelector != "" {
		if s.ASNumber != 0 {
			c.Add("spec.asNumber", s.ASNumber, "asNumber must be empty when peerSelector is specified: the peers' own AS numbers are used")
		}
		if s.LocalWorkloadSelector != "" {
			c.Add("spec.peerSelector", s.PeerSelector, "peerSelector must be empty when localWorkloadSelector is specified")
		}
	}
	if s.LocalWorkloadSelector != "" && s.ASNumber == 0 {
		c.Add("spec.asNumber", s.ASNumber, "asNumber is required when localWorkloadSelector is specified")
	}
	if s.ReachableBy != "" {
		reach, err := parseIP(s.ReachableBy)
		switch {
		case err != nil:
			c.Add("spec.reachableBy", s.ReachableBy, "reachableBy must be an IP address (the gateway that reaches the peer)")
		case s.PeerIP == "":
			c.Add("spec.reachableBy", s.ReachableBy, "reachableBy must be empty when peerIP is empty")
		case peerOK && family(reach) != family(peerAddr):
			c.Add("spec.reachableBy", s.ReachableBy, "reachableBy and peerIP address family mismatched: both must be IPv4 or both IPv6")
		}
	}
	if s.KeepOriginalNextHop && s.NextHopMode != nil {
		c.Add("spec.keepOriginalNextHop", true, "keepOriginalNextHop is deprecated and must not be set when nextHopMode is configured: use nextHopMode: Keep")
	}
	if s.NextHopMode != nil {
		checkEnum(c, "spec.nextHopMode", string(*s.NextHopMode), false,
			string(api.NextHopModeAuto), string(api.NextHopModeSelf), string(api.NextHopModeKeep))
	}
	checkEnum(c, "spec.sourceAddress", string(s.SourceAddress), true, string(api.SourceAddressUseNodeIP), string(api.SourceAddressNone))
	if s.ReversePeering != nil {
		checkEnum(c, "spec.reversePeering", string(*s.ReversePeering), false, string(api.ReversePeeringAuto), string(api.ReversePeeringManual))
	}
	if p := s.Password; p != nil && p.SecretKeyRef != nil {
		checkSecretKeyRef(c, "spec.password.secretKeyRef", p.SecretKeyRef)
	}
	if s.NumAllowedLocalASNumbers != nil && *s.NumAllowedLocalASNumbers < 0 {
		c.Add("spec.numAllowedLocalASNumbers", *s.NumAllowedLocalASNumbers, "must not be negative")
	}
	for _, d := range []struct {
		field string
		value *api.Duration
	}{{"spec.maxRestartTime", s.MaxRestartTime}, {"spec.keepaliveTime", s.KeepaliveTime}} {
		if d.value != nil && d.value.Duration < 0 {
			c.Add(d.field, d.value.Duration, "must not be negative")
		}
	}
	for i, f := range s.Filters {
		checkName(c, idx("spec.filters", i), f)
	}
	return c.Err()
}

// BGPFilter checks the import and export rules of a BGP filter.
func BGPFilter(o *api.BGPFilter) error {
	c := &Collector{Resource: ID(api.KindBGPFilter, false, "", o.Name)}
	s := &o.Spec
	for _, l := range []struct {
		field string
		rules []api.BGPFilterRuleV4
	}{{"spec.exportV4", s.ExportV4}, {"spec.importV4", s.ImportV4}} {
		for i, r := range l.rules {
			f := idx(l.field, i)
			var pmin, pmax *int32
			if r.PrefixLength != nil {
				pmin, pmax = r.PrefixLength.Min, r.PrefixLength.Max
			}
			checkBGPFilterRule(c, f, bgpFilterRule{
				cidr: r.CIDR, prefixSet: r.PrefixLength != nil, min: pmin, max: pmax, source: r.Source,
				iface: r.Interface, op: r.MatchOperator, peerType: r.PeerType, communities: r.Communities,
				priority: r.Priority, action: r.Action, operations: r.Operations,
			}, 4)
		}
	}
	for _, l := range []struct {
		field string
		rules []api.BGPFilterRuleV6
	}{{"spec.exportV6", s.ExportV6}, {"spec.importV6", s.ImportV6}} {
		for i, r := range l.rules {
			f := idx(l.field, i)
			var pmin, pmax *int32
			if r.PrefixLength != nil {
				pmin, pmax = r.PrefixLength.Min, r.PrefixLength.Max
			}
			checkBGPFilterRule(c, f, bgpFilterRule{
				cidr: r.CIDR, prefixSet: r.PrefixLength != nil, min: pmin, max: pmax, source: r.Source,
				iface: r.Interface, op: r.MatchOperator, peerType: r.PeerType, communities: r.Communities,
				priority: r.Priority, action: r.Action, operations: r.Operations,
			}, 6)
		}
	}
	return c.Err()
}

// bgpFilterRule is what the V4 and V6 rule types share.
type bgpFilterRule struct {
	cidr        string
	prefixSet   bool
	min, max    *int32
	source      api.BGPFilterMatchSource
	iface       string
	op          api.BGPFilterMatchOperator
	peerType    api.BGPFilterPeerType
	communities *api.BGPFilterCommunityMatch
	priority    *int
	action      api.BGPFilterAction
	operations  []api.BGPFilterOperation
}

func checkBGPFilterRule(c *Collector, f string, r bgpFilterRule, fam int) {
	checkEnum(c, f+".action", string(r.action), false, string(api.BGPFilterActionAccept), string(api.BGPFilterActionReject))
	checkEnum(c, f+".matchOperator", string(r.op), true, string(api.BGPFilterMatchOperatorEqual),
		string(api.BGPFilterMatchOperatorNotEqual), string(api.BGPFilterMatchOperatorIn), string(api.BGPFilterMatchOperatorNotIn))
	checkEnum(c, f+".source", string(r.source), true, string(api.BGPFilterSourceRemotePeers))
	checkEnum(c, f+".peerType", string(r.peerType), true, string(api.BGPFilterPeerTypeEBGP), string(api.BGPFilterPeerTypeIBGP))
	if r.iface != "" && !bgpFilterInterfaceRegex.MatchString(r.iface) {
		c.Add(f+".interface", r.iface, "must be an interface name or pattern of at most 15 characters (letters, digits, '_', '.', '-', '*'), e.g. eth*")
	}

	bits := int32(32)
	if fam == 6 {
		bits = 128
	}
	if r.cidr != "" {
		if p, ok := checkNet(c, f+".cidr", r.cidr, false); ok && family(p.Addr()) != fam {
			c.Add(f+".cidr", r.cidr, "must be an IPv%d CIDR in a V%d rule", fam, fam)
		}
		if r.op == "" {
			c.Add(f+".matchOperator", "", "MatchOperator cannot be empty when CIDR is not: use Equal, NotEqual, In or NotIn")
		}
	} else {
		if r.op != "" {
			c.Add(f+".cidr", "", "CIDR cannot be empty when MatchOperator is not")
		}
		if r.prefixSet {
			c.Add(f+".cidr", "", "CIDR cannot be empty when PrefixLength is not")
		}
	}
	for _, p := range []struct {
		name string
		v    *int32
	}{{"min", r.min}, {"max", r.max}} {
		if p.v == nil {
			continue
		}
		if *p.v < 0 || *p.v > bits {
			c.Add(f+".prefixLength."+p.name, *p.v, "must be from 0 to %d", bits)
		}
	}
	if r.min != nil && r.max != nil && *r.min > *r.max {
		c.Add(f+".prefixLength", *r.min, "min (%d) cannot be greater than max (%d)", *r.min, *r.max)
	}
	if r.communities != nil {
		if len(r.communities.Values) != 1 {
			c.Add(f+".communities.values", len(r.communities.Values), "exactly one community value must be given")
		}
		for i, v := range r.communities.Values {
			if !validCommunity(string(v)) {
				c.Add(idx(f+".communities.values", i), v, "%s", communityFormat)
			}
		}
	}
	if r.priority != nil {
		checkRange(c, f+".priority", int64(*r.priority), 1, 2147483646)
	}
	for i, op := range r.operations {
		of := idx(f+".operations", i)
		n := 0
		if op.AddCommunity != nil {
			n++
			if op.AddCommunity.Value == nil || !validCommunity(string(*op.AddCommunity.Value)) {
				c.Add(of+".addCommunity.value", deref(op.AddCommunity.Value), "%s", communityFormat)
			}
		}
		if op.PrependASPath != nil {
			n++
			if len(op.PrependASPath.Prefix) == 0 {
				c.Add(of+".prependASPath.prefix", "[]", "give at least one AS number to prepend")
			}
		}
		if op.SetPriority != nil {
			n++
			if op.SetPriority.Value == nil {
				c.Add(of+".setPriority.value", "<unset>", "a priority from 1 to 2147483646 is required")
			} else {
				checkRange(c, of+".setPriority.value", int64(*op.SetPriority.Value), 1, 2147483646)
			}
		}
		if n != 1 {
			c.Add(of, n, "each operation must set exactly one of addCommunity, prependASPath or setPriority")
		}
	}
}
