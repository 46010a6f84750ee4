package validation

import (
	"fmt"
	"net/netip"
	"reflect"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/names"
)

var (
	ipv4LinkLocal = netip.MustParsePrefix("169.254.0.0/16")
	ipv6LinkLocal = netip.MustParsePrefix("fe80::/10")
)

// namespaceLabel is reserved: Calico adds it to namespaced endpoints' labels itself.
const namespaceLabel = api.LabelNamespace

// IPPool checks a pool's CIDR, block size, encapsulation and uses. Overlap with other pools and
// immutability need the datastore and are checked by the client.
func IPPool(o *api.IPPool) error {
	c := &Collector{Resource: ID(api.KindIPPool, false, "", o.Name)}
	s := &o.Spec

	var cidr netip.Prefix
	valid := false
	switch {
	case s.CIDR == "":
		c.Add("spec.cidr", s.CIDR, "IPPool CIDR must be specified, e.g. 10.244.0.0/16")
	case len(s.CIDR) > 48:
		c.Add("spec.cidr", s.CIDR, "IPPool CIDR may be at most 48 characters long")
	default:
		var err error
		if cidr, err = parseCIDROrIP(s.CIDR); err != nil {
			c.Add("spec.cidr", s.CIDR, "write a network such as 10.244.0.0/16 or fd00:10:244::/64").
				Calico("IPPool.Spec.CIDR", "IPPool CIDR must be a valid subnet")
		} else if m := cidr.Masked(); m != cidr {
			c.Add("spec.cidr", s.CIDR, "%s is not a network address: use %s", s.CIDR, m).
				Calico("IPPool.Spec.CIDR", "IPPool CIDR is not strictly masked")
		} else {
			valid = true
		}
	}
	fam := 0
	if valid {
		fam = family(cidr.Addr())
		if fam == 4 && cidr.Overlaps(ipv4LinkLocal) {
			c.Add("spec.cidr", s.CIDR, "IP pool range overlaps with IPv4 Link Local range 169.254.0.0/16")
		}
		if fam == 6 && cidr.Overlaps(ipv6LinkLocal) {
			c.Add("spec.cidr", s.CIDR, "IP pool range overlaps with IPv6 Link Local range fe80::/10")
		}
	}

	if fam != 0 {
		blockSize := s.BlockSize
		lo, hi, def := 20, 32, 26
		if fam == 6 {
			lo, hi, def = 116, 128, 122
		}
		if blockSize == 0 {
			blockSize = def
		}
		if blockSize < lo || blockSize > hi {
			c.Add("spec.blockSize", s.BlockSize, "blockSize must be from %d to %d for an IPv%d pool (default %d)", lo, hi, fam, def)
		} else if !s.Disabled && cidr.Bits() > blockSize {
			c.Add("spec.cidr", s.CIDR, "use a prefix of /%d or shorter, or a blockSize of at least %d", blockSize, cidr.Bits()).
				Calico("spec", "IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.").WithoutValue()
		}
	}

	modes := []string{"Never", "Always", "CrossSubnet"}
	checkEnum(c, "spec.ipipMode", string(s.IPIPMode), true, modes...)
	checkEnum(c, "spec.vxlanMode", string(s.VXLANMode), true, modes...)
	ipip := s.IPIPMode == api.IPIPModeAlways || s.IPIPMode == api.IPIPModeCrossSubnet
	vxlan := s.VXLANMode == api.VXLANModeAlways || s.VXLANMode == api.VXLANModeCrossSubnet
	if fam == 6 && ipip {
		c.Add("spec.ipipMode", s.IPIPMode, "IPIPMode other than 'Never' is not supported on an IPv6 IP pool: use vxlanMode")
	}
	if ipip && vxlan {
		c.Add("spec.ipipMode", s.IPIPMode, "ipipMode and vxlanMode cannot both be enabled on one IP pool: set one of them to Never")
	}

	loadBalancer, tunnel := false, false
	for _, u := range s.AllowedUses {
		loadBalancer = loadBalancer || u == api.IPPoolAllowedUseLoadBalancer
		tunnel = tunnel || u == api.IPPoolAllowedUseTunnel
	}
	for i, u := range s.AllowedUses {
		f := idx("spec.allowedUses", i)
		switch u {
		case api.IPPoolAllowedUseLoadBalancer:
		case api.IPPoolAllowedUseWorkload, api.IPPoolAllowedUseTunnel:
			if loadBalancer {
				c.Add(f, u, "LoadBalancer cannot be used at the same time as: %s (use a separate pool for load balancer addresses)", u)
			}
		default:
			c.Add(f, u, "unknown use: must be Workload, Tunnel or LoadBalancer")
		}
	}
	if loadBalancer {
		if ipip || vxlan {
			c.Add("spec.allowedUses", "LoadBalancer", "Neither IPIPMode nor VXLANMode can be enabled on AllowedUses LoadBalancer IP pool")
		}
		if s.DisableBGPExport {
			c.Add("spec.disableBGPExport", true, "an IP pool with allowedUses LoadBalancer cannot disable BGP export: its addresses must be advertised")
		}
	}

	if s.NodeSelector != "" {
		if sel := checkSelector(c, "spec.nodeSelector", s.NodeSelector, false); sel != nil && loadBalancer && !sel.IsAll() {
			c.Add("spec.nodeSelector", s.NodeSelector, "IP Pool with AllowedUse LoadBalancer must have node selector set to all()")
		}
	}
	if s.NamespaceSelector != "" {
		checkSelector(c, "spec.namespaceSelector", s.NamespaceSelector, false)
		if tunnel {
			c.Add("spec.namespaceSelector", s.NamespaceSelector, "an IP pool with allowedUses Tunnel cannot have a namespaceSelector: tunnel addresses belong to nodes, not namespaces")
		}
	}
	if s.AssignmentMode != nil {
		checkEnum(c, "spec.assignmentMode", string(*s.AssignmentMode), false, string(api.AssignmentModeAutomatic), string(api.AssignmentModeManual))
	}
	return c.Err()
}

// IPReservation checks that every reserved entry is a CIDR or an address.
func IPReservation(o *api.IPReservation) error {
	c := &Collector{Resource: ID(api.KindIPReservation, false, "", o.Name)}
	for i, n := range o.Spec.ReservedCIDRs {
		checkCIDR(c, idx("spec.reservedCIDRs", i), n)
	}
	return c.Err()
}

func checkNetworkSet(c *Collector, labels map[string]string, nets []string) {
	if _, ok := labels[namespaceLabel]; ok {
		c.Add("metadata.labels", namespaceLabel, "projectcalico.org/namespace is not a valid label name: Calico sets it itself")
	}
	for i, n := range nets {
		checkCIDR(c, idx("spec.nets", i), n)
	}
}

// NetworkSet checks a namespaced set of networks.
func NetworkSet(o *api.NetworkSet) error {
	c := &Collector{Resource: ID(api.KindNetworkSet, true, o.Namespace, o.Name)}
	checkNetworkSet(c, o.Labels, o.Spec.Nets)
	return c.Err()
}

// GlobalNetworkSet checks a cluster-wide set of networks.
func GlobalNetworkSet(o *api.GlobalNetworkSet) error {
	c := &Collector{Resource: ID(api.KindGlobalNetworkSet, false, "", o.Name)}
	checkNetworkSet(c, o.Labels, o.Spec.Nets)
	return c.Err()
}

// checkDefaultName enforces the singleton name "default".
func checkDefaultName(c *Collector, kind, name string) {
	if name != "default" {
		c.Add("metadata.name", name, "the only %s is named default", kind)
	}
}

// IPAMConfiguration checks the IPAM singleton, including the combinations calicoctl ipam
// configure refuses.
func IPAMConfiguration(o *api.IPAMConfiguration) error {
	c := &Collector{Resource: ID(api.KindIPAMConfiguration, false, "", o.Name)}
	checkDefaultName(c, api.KindIPAMConfiguration, o.Name)
	s := &o.Spec
	checkRange(c, "spec.maxBlocksPerHost", int64(s.MaxBlocksPerHost), 0, 1000000)
	if s.IPCooldownSeconds != nil {
		checkRange(c, "spec.ipCooldownSeconds", int64(*s.IPCooldownSeconds), 0, 1200)
	}
	if s.KubeVirtVMAddressPersistence != nil {
		checkEnum(c, "spec.kubeVirtVMAddressPersistence", string(*s.KubeVirtVMAddressPersistence), false,
			string(api.VMAddressPersistenceEnabled), string(api.VMAddressPersistenceDisabled))
	}
	if !s.StrictAffinity && !s.AutoAllocateBlocks {
		c.Add("spec.autoAllocateBlocks", false, "strictAffinity and autoAllocateBlocks cannot both be false: no node could get addresses")
	}
	if s.MaxBlocksPerHost > 0 && !s.StrictAffinity {
		c.Add("spec.maxBlocksPerHost", s.MaxBlocksPerHost, "maxBlocksPerHost needs strictAffinity: true")
	}
	return c.Err()
}

// HostEndpoint checks a host endpoint's node, interface, addresses and named ports.
func HostEndpoint(o *api.HostEndpoint) error {
	c := &Collector{Resource: ID(api.KindHostEndpoint, false, "", o.Name)}
	s := &o.Spec
	if s.Node == "" {
		c.Add("spec.node", s.Node, "no node has been specified: set node to the name of the host")
	} else {
		checkName(c, "spec.node", s.Node)
	}
	if s.InterfaceName == "" && len(s.ExpectedIPs) == 0 {
		c.Add("spec.interfaceName", s.InterfaceName, "no interface or expected IPs have been specified: set interfaceName (e.g. eth0, or * for all), expectedIPs, or both")
	}
	if s.InterfaceName != "" && s.InterfaceName != "*" && !interfaceRegex.MatchString(s.InterfaceName) {
		c.Add("spec.interfaceName", s.InterfaceName, "must be an interface name of at most 15 letters, digits, '_', '.' or '-' (e.g. eth0), or *")
		if len(s.InterfaceName) > 15 {
			// Calico reports a long name twice: by the field's pattern, then by its length.
			c.Add("spec.interfaceName", s.InterfaceName, "").Calico("spec.interfaceName", "may not be more than 15 bytes").WithoutValue()
		}
	}
	for i, ip := range s.ExpectedIPs {
		checkIP(c, idx("spec.expectedIPs", i), ip, 0)
	}
	for i, p := range s.Profiles {
		checkName(c, idx("spec.profiles", i), p)
	}
	for i, p := range s.Ports {
		f := idx("spec.ports", i)
		checkPortName(c, f+".name", p.Name)
		if p.Port == 0 {
			c.Add(f+".port", p.Port, "must be a port number from 1 to 65535")
		}
		if !supportsPorts(protocolNumber(p.Protocol)) {
			c.Add(f+".protocol", p.Protocol.String(), "must be TCP, UDP or SCTP")
		}
	}
	return c.Err()
}

// WorkloadEndpoint checks a workload endpoint (normally written by the CNI plugin).
func WorkloadEndpoint(o *api.WorkloadEndpoint) error {
	c := &Collector{Resource: ID(api.KindWorkloadEndpoint, true, o.Namespace, o.Name)}
	s := &o.Spec
	ids := names.WorkloadEndpointIDs{Node: s.Node, Orchestrator: s.Orchestrator, Workload: s.Workload, Pod: s.Pod, ContainerID: s.ContainerID, Endpoint: s.Endpoint}
	p := ids.Check()
	if p != nil {
		// Calico reports only this: the name cannot be made. Node is reported without a value.
		e := c.Add("spec."+p.Field, p.Value, "the name of a %s endpoint is made of %s: set spec.%s", orchestratorWord(s.Orchestrator), segmentFields(ids), p.Field).
			Calico(p.Field, p.Reason)
		if p.Field == "node" {
			e.WithoutValue()
		}
		if p.Value != "" {
			e.Reason = fmt.Sprintf("the endpoint's name is made of %s, and a part may not begin or end with '-'", segmentFields(ids))
		}
	} else if want := ids.Name(); o.Name != want {
		c.Add("metadata.name", o.Name, "name it %s, or leave the name out and it is derived", want).
			Calico("Name", "the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name "+want)
	}
	for _, n := range []struct{ field, value string }{
		{"spec.orchestrator", s.Orchestrator}, {"spec.workload", s.Workload}, {"spec.node", s.Node},
		{"spec.pod", s.Pod}, {"spec.endpoint", s.Endpoint}, {"spec.serviceAccountName", s.ServiceAccountName},
	} {
		if n.value != "" && (p == nil || "spec."+p.Field != n.field) {
			checkName(c, n.field, n.value)
		}
	}
	if s.ContainerID != "" && !containerIDRegex.MatchString(s.ContainerID) {
		c.Add("spec.containerID", s.ContainerID, "must be letters, digits and '-', starting and ending with a letter or digit")
	}

	var nets []netip.Prefix
	for i, n := range s.IPNetworks {
		f := idx("spec.ipNetworks", i)
		p, ok := checkCIDR(c, f, n)
		if !ok {
			continue
		}
		if p.Bits() != p.Addr().BitLen() {
			c.Add(f, n, "IP network contains multiple addresses: use a single address, /32 for IPv4 or /128 for IPv6")
			continue
		}
		nets = append(nets, p)
	}
	for i, nat := range s.IPNATs {
		f := idx("spec.ipNATs", i)
		in, inErr := parseIP(nat.InternalIP)
		if inErr != nil {
			c.Add(f+".internalIP", nat.InternalIP, "must be an IP address")
		}
		ex, exErr := parseIP(nat.ExternalIP)
		if exErr != nil {
			c.Add(f+".externalIP", nat.ExternalIP, "must be an IP address")
		}
		if inErr != nil || exErr != nil {
			continue
		}
		if family(in) != family(ex) {
			c.Add(f+".externalIP", nat.ExternalIP, "mismatched IP versions: internalIP %s is IPv%d", nat.InternalIP, family(in))
		}
		found := false
		for _, n := range nets {
			found = found || n.Contains(in)
		}
		if !found {
			c.Add(f+".internalIP", nat.InternalIP, "NAT is not in the endpoint networks: internalIP must be one of ipNetworks")
		}
	}
	if s.IPv4Gateway != "" {
		checkIP(c, "spec.ipv4Gateway", s.IPv4Gateway, 4)
	}
	if s.IPv6Gateway != "" {
		checkIP(c, "spec.ipv6Gateway", s.IPv6Gateway, 6)
	}
	for i, p := range s.Profiles {
		checkName(c, idx("spec.profiles", i), p)
	}
	if s.InterfaceName != "" && !interfaceRegex.MatchString(s.InterfaceName) {
		c.Add("spec.interfaceName", s.InterfaceName, "must be an interface name of at most 15 letters, digits, '_', '.' or '-' (e.g. cali1234567890a)")
	}
	if s.MAC != "" {
		checkMAC(c, "spec.mac", s.MAC)
	}
	for i, p := range s.Ports {
		f := idx("spec.ports", i)
		if !supportsPorts(protocolNumber(p.Protocol)) {
			c.Add(f+".protocol", p.Protocol.String(), "must be TCP, UDP or SCTP")
		}
		if p.Name == "" && p.HostPort == 0 {
			c.Add(f+".name", p.Name, "a port needs a name unless it has a hostPort")
		} else if p.Name != "" {
			checkPortName(c, f+".name", p.Name)
		}
		if p.HostIP != "" {
			checkIP(c, f+".hostIP", p.HostIP, 0)
		}
	}
	for i, n := range s.AllowSpoofedSourcePrefixes {
		checkCIDR(c, idx("spec.allowSpoofedSourcePrefixes", i), n)
	}
	if q := s.QoSControls; q != nil {
		v := reflect.ValueOf(*q)
		for i := 0; i < v.NumField(); i++ {
			if n, ok := v.Field(i).Interface().(int64); ok && n < 0 {
				c.Add("spec.qosControls."+jsonName(v.Type().Field(i)), n, "must not be negative (0 means no limit)")
			}
		}
		if q.DSCP != nil {
			if err := q.DSCP.Validate(); err != nil {
				c.Add("spec.qosControls.dscp", q.DSCP.String(), "%v: use a number from 0 to 63 or a name such as AF11 or EF", err)
			}
		}
	}
	return c.Err()
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	for i := 0; i < len(tag); i++ {
		if tag[i] == ',' {
			return tag[:i]
		}
	}
	return tag
}

// Node checks a node's BGP identity and tunnel addresses (normally written by calico-node).
func Node(o *api.Node) error {
	c := &Collector{Resource: ID(api.KindNode, false, "", o.Name)}
	s := &o.Spec
	if b := s.BGP; b != nil {
		if *b == (api.NodeBGPSpec{}) {
			c.Add("spec.bgp", "{}", "bgp should not be empty: set ipv4Address or ipv6Address, or leave bgp out")
		}
		if b.IPv4Address != "" {
			checkCIDRFamily(c, "spec.bgp.ipv4Address", b.IPv4Address, 4)
		}
		if b.IPv6Address != "" {
			checkCIDRFamily(c, "spec.bgp.ipv6Address", b.IPv6Address, 6)
		}
		if b.IPv4IPIPTunnelAddr != "" {
			checkIP(c, "spec.bgp.ipv4IPIPTunnelAddr", b.IPv4IPIPTunnelAddr, 4)
		}
		if b.RouteReflectorClusterID != "" {
			checkIP(c, "spec.bgp.routeReflectorClusterID", b.RouteReflectorClusterID, 4)
		}
	}
	if s.IPv4VXLANTunnelAddr != "" {
		checkIP(c, "spec.ipv4VXLANTunnelAddr", s.IPv4VXLANTunnelAddr, 4)
	}
	if s.IPv6VXLANTunnelAddr != "" {
		checkIP(c, "spec.ipv6VXLANTunnelAddr", s.IPv6VXLANTunnelAddr, 6)
	}
	if s.VXLANTunnelMACAddr != "" {
		checkMAC(c, "spec.vxlanTunnelMACAddr", s.VXLANTunnelMACAddr)
	}
	if s.VXLANTunnelMACAddrV6 != "" {
		checkMAC(c, "spec.vxlanTunnelMACAddrV6", s.VXLANTunnelMACAddrV6)
	}
	if w := s.Wireguard; w != nil {
		if w.InterfaceIPv4Address != "" {
			checkIP(c, "spec.wireguard.interfaceIPv4Address", w.InterfaceIPv4Address, 4)
		}
		if w.InterfaceIPv6Address != "" {
			checkIP(c, "spec.wireguard.interfaceIPv6Address", w.InterfaceIPv6Address, 6)
		}
	}
	for i, a := range s.Addresses {
		f := idx("spec.addresses", i)
		checkCIDR(c, f+".address", a.Address)
		checkEnum(c, f+".type", a.Type, true, api.NodeAddressCalicoNodeIP, api.NodeAddressInternalIP, api.NodeAddressExternalIP)
	}
	for i, r := range s.OrchRefs {
		if r.NodeName != "" {
			checkName(c, fmt.Sprintf("spec.orchRefs[%d].nodeName", i), r.NodeName)
		}
	}
	if k := o.Status.WireguardPublicKey; k != "" {
		checkWireguardKey(c, "status.wireguardPublicKey", k)
	}
	if k := o.Status.WireguardPublicKeyV6; k != "" {
		checkWireguardKey(c, "status.wireguardPublicKeyV6", k)
	}
	for i, n := range o.Status.PodCIDRs {
		checkCIDR(c, idx("status.podCIDRs", i), n)
	}
	return c.Err()
}

func orchestratorWord(o string) string {
	if o == "" {
		return "workload"
	}
	return o
}

// segmentFields lists the spec fields a WorkloadEndpoint name is made of, for advice.
func segmentFields(ids names.WorkloadEndpointIDs) string {
	segs := ids.Segments()
	fields := make([]string, 0, len(segs))
	for i, s := range segs {
		if i == 2 && ids.Orchestrator == "libnetwork" {
			continue
		}
		fields = append(fields, "spec."+s.Field)
	}
	return oneOfAnd(fields)
}
