package convert

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/names"
)

// tierLabel is the label every v3 policy carries with its tier's name.
const tierLabel = "projectcalico.org/tier"

func convertNode(in *v1Node) (resources.Resource, error) {
	if in.Metadata.Name == "" {
		return nil, errors.New("metadata.name is missing: a v1 node is named by its hostname")
	}
	out := newObject(api.KindNode).(*api.Node)
	out.Name = nodeName(in.Metadata.Name)
	if b := in.Spec.BGP; b != nil {
		if b.IPv4Address == "" && b.IPv6Address == "" {
			return nil, errors.New("spec.bgp has neither ipv4Address nor ipv6Address: give at least one, or remove spec.bgp")
		}
		v4, err := addressWithMask(b.IPv4Address, "spec.bgp.ipv4Address")
		if err != nil {
			return nil, err
		}
		v6, err := addressWithMask(b.IPv6Address, "spec.bgp.ipv6Address")
		if err != nil {
			return nil, err
		}
		out.Spec.BGP = &api.NodeBGPSpec{ASNumber: b.ASNumber, IPv4Address: v4, IPv6Address: v6}
	}
	out.Spec.OrchRefs = in.Spec.OrchRefs
	return out, nil
}

// addressWithMask keeps a node address with its subnet (10.244.0.1/24 stays as written); a bare
// address gets a full mask.
func addressWithMask(s, field string) (string, error) {
	if s == "" {
		return "", nil
	}
	if !strings.Contains(s, "/") {
		n, err := parseNet(s)
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		return n.String(), nil
	}
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return "", fmt.Errorf("%s: '%s' is not an IP address with a prefix length", field, s)
	}
	ones, _ := n.Mask.Size()
	return fmt.Sprintf("%s/%d", ip, ones), nil
}

func convertBGPPeer(in *v1BGPPeer) (resources.Resource, error) {
	m := in.Metadata
	ip := net.ParseIP(m.PeerIP)
	if ip == nil {
		return nil, fmt.Errorf("metadata.peerIP '%s' is not an IP address", m.PeerIP)
	}
	out := newObject(api.KindBGPPeer).(*api.BGPPeer)
	out.Spec.PeerIP = ip.String()
	out.Spec.ASNumber = in.Spec.ASNumber
	switch strings.ToLower(m.Scope) {
	case "global":
		if m.Node != "" {
			return nil, fmt.Errorf("metadata.node '%s' is set on a global peer: use scope: node, or remove the node", m.Node)
		}
		out.Name = ipName(ip)
	case "node":
		if m.Node == "" {
			return nil, errors.New("metadata.node is missing: a peer with scope: node names its node")
		}
		n := nodeName(m.Node)
		out.Spec.Node = n
		out.Name = n + "." + ipName(ip)
	default:
		return nil, fmt.Errorf("metadata.scope '%s' must be global or node", m.Scope)
	}
	return out, nil
}

func convertHostEndpoint(in *v1HostEndpoint) (resources.Resource, error) {
	m := in.Metadata
	if m.Name == "" || m.Node == "" {
		return nil, errors.New("metadata.name and metadata.node identify a v1 host endpoint: give both")
	}
	out := newObject(api.KindHostEndpoint).(*api.HostEndpoint)
	node := nodeName(m.Node)
	out.Name = convertName(node + "." + m.Name)
	out.Labels = m.Labels
	out.Spec.Node = node
	out.Spec.InterfaceName = in.Spec.InterfaceName
	for i, s := range in.Spec.ExpectedIPs {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("spec.expectedIPs[%d] '%s' is not an IP address", i, s)
		}
		out.Spec.ExpectedIPs = append(out.Spec.ExpectedIPs, ip.String())
	}
	for _, p := range in.Spec.Profiles {
		out.Spec.Profiles = append(out.Spec.Profiles, profileName(p))
	}
	for _, p := range in.Spec.Ports {
		out.Spec.Ports = append(out.Spec.Ports, api.EndpointPort{Name: p.Name, Protocol: *protocol(&p.Protocol), Port: p.Port})
	}
	return out, nil
}

func (r *Result) convertWorkloadEndpoint(in *v1WorkloadEndpoint) (resources.Resource, error) {
	m := in.Metadata
	if m.Name == "" || m.Node == "" || m.Orchestrator == "" || m.Workload == "" {
		return nil, errors.New("metadata.node, orchestrator, workload and name identify a v1 workload endpoint: give all four")
	}
	out := newObject(api.KindWorkloadEndpoint).(*api.WorkloadEndpoint)
	out.Namespace = "default"
	out.Labels = endpointLabels(m.Labels)
	var pod, container, workload string
	switch m.Orchestrator {
	case "k8s":
		ns, p, ok := strings.Cut(m.Workload, ".")
		if !ok {
			// Calico's converter refuses this; such endpoints were written by hand (as in the
			// tenant examples of old tutorials), so take the namespace from the labels.
			ns, p = workloadNamespace(m.Labels), m.Workload
			r.Notes = append(r.Notes, fmt.Sprintf("workloadEndpoint '%s': workload '%s' is not <namespace>.<pod> as the Calico CNI plugin writes it: converted as pod '%s' in namespace '%s'", m.Name, m.Workload, p, ns))
		}
		out.Namespace, pod, container = ns, p, m.ActiveInstanceID
	case "cni":
		container = m.Workload
	case "libnetwork":
		workload = "libnetwork"
	default:
		workload = convertName(m.Workload)
	}
	if m.ActiveInstanceID != "" && m.Orchestrator != "k8s" {
		return nil, fmt.Errorf("metadata.activeInstanceID has no v3 meaning for orchestrator '%s' (only Kubernetes endpoints keep it, as spec.containerID): remove it", m.Orchestrator)
	}
	s := &out.Spec
	s.Orchestrator = convertName(m.Orchestrator)
	s.Workload = workload
	s.Node = nodeName(m.Node)
	s.Pod = pod
	s.ContainerID = container
	s.Endpoint = convertName(m.Name)
	s.InterfaceName = in.Spec.InterfaceName
	// v1 stored IPv4 networks before IPv6 ones.
	var v4, v6 []string
	for i, n := range in.Spec.IPNetworks {
		ipnet, err := parseNet(n)
		if err != nil {
			return nil, fmt.Errorf("spec.ipNetworks[%d]: %w", i, err)
		}
		if ipnet.IP.To4() != nil {
			v4 = append(v4, ipnet.String())
		} else {
			v6 = append(v6, ipnet.String())
		}
	}
	s.IPNetworks = append(v4, v6...)
	s.IPNATs = in.Spec.IPNATs
	s.IPv4Gateway, s.IPv6Gateway = in.Spec.IPv4Gateway, in.Spec.IPv6Gateway
	if in.Spec.MAC != "" {
		mac, err := net.ParseMAC(in.Spec.MAC)
		if err != nil {
			return nil, fmt.Errorf("spec.mac '%s' is not a MAC address", in.Spec.MAC)
		}
		s.MAC = mac.String()
	}
	for _, p := range in.Spec.Profiles {
		s.Profiles = append(s.Profiles, profileName(p))
	}
	for _, p := range in.Spec.Ports {
		s.Ports = append(s.Ports, api.WorkloadEndpointPort{Name: p.Name, Protocol: *protocol(&p.Protocol), Port: p.Port})
	}
	ids := names.WorkloadEndpointIDs{Node: s.Node, Orchestrator: s.Orchestrator, Workload: s.Workload, Pod: s.Pod, ContainerID: s.ContainerID, Endpoint: s.Endpoint}
	if p := ids.Check(); p != nil {
		return nil, fmt.Errorf("cannot name the v3 endpoint: its %s '%s' (from the v1 metadata): %s", p.Field, p.Value, p.Reason)
	}
	out.Name = ids.Name()
	return out, nil
}

// endpointLabels copies an endpoint's labels with v1's namespace label renamed to v3's.
func endpointLabels(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	if ns, ok := out["calico/k8s_ns"]; ok {
		out["projectcalico.org/namespace"] = ns
		delete(out, "calico/k8s_ns")
	}
	return out
}

// workloadNamespace guesses the namespace of a hand-written Kubernetes endpoint from its labels.
func workloadNamespace(labels map[string]string) string {
	for _, k := range []string{"calico/k8s_ns", "projectcalico.org/namespace", "namespace"} {
		if ns := labels[k]; ns != "" {
			return ns
		}
	}
	return "default"
}

func (r *Result) convertProfile(in *v1Profile) (resources.Resource, error) {
	if in.Metadata.Name == "" {
		return nil, errors.New("metadata.name is missing")
	}
	out := newObject(api.KindProfile).(*api.Profile)
	out.Name = profileName(in.Metadata.Name)
	// v3 has no tags: a tag becomes a label with an empty value, as in Calico's converter.
	labels := map[string]string{}
	for k, v := range in.Metadata.Labels {
		labels[k] = v
	}
	for _, t := range in.Metadata.Tags {
		if v, ok := labels[t]; ok {
			return nil, fmt.Errorf("tag '%s' and label '%s == %s' would both become label '%s': rename the label", t, t, v, t)
		}
		labels[t] = ""
	}
	if len(in.Metadata.Tags) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("profile '%s': tags %s became labels with empty values in spec.labelsToApply", in.Metadata.Name, strings.Join(in.Metadata.Tags, ", ")))
	}
	if len(labels) > 0 {
		out.Spec.LabelsToApply = labels
	}
	var err error
	if out.Spec.Ingress, err = rules(in.Spec.Ingress, "ingress"); err != nil {
		return nil, err
	}
	if out.Spec.Egress, err = rules(in.Spec.Egress, "egress"); err != nil {
		return nil, err
	}
	return out, nil
}

// convertPolicy turns a v1 policy, which applied to every endpoint its selector picked in any
// namespace and to host endpoints, into a GlobalNetworkPolicy.
func convertPolicy(in *v1Policy) (resources.Resource, error) {
	if in.Metadata.Name == "" {
		return nil, errors.New("metadata.name is missing")
	}
	out := newObject(api.KindGlobalNetworkPolicy).(*api.GlobalNetworkPolicy)
	tier := "default"
	if in.Metadata.Tier != "" {
		tier = convertNameNoDots(in.Metadata.Tier)
	}
	// Calico's converter of that era named default-tier policies "default.<name>"; Calico has
	// since read such names as "<name>", which is what it writes today, so convert to that.
	out.Name = convertNameNoDots(in.Metadata.Name)
	if tier != "default" {
		out.Name = tier + "." + out.Name
	}
	out.Annotations = in.Metadata.Annotations
	out.Labels = map[string]string{tierLabel: tier}
	s := &out.Spec
	s.Tier = tier
	s.Order = in.Spec.Order
	s.Selector = selector(in.Spec.Selector)
	s.DoNotTrack, s.PreDNAT = in.Spec.DoNotTrack, in.Spec.PreDNAT
	// Untracked and pre-DNAT policy applied to forwarded traffic before v3 had the flag.
	s.ApplyOnForward = in.Spec.ApplyOnForward || in.Spec.DoNotTrack || in.Spec.PreDNAT
	var err error
	if s.Ingress, err = rules(in.Spec.Ingress, "ingress"); err != nil {
		return nil, err
	}
	if s.Egress, err = rules(in.Spec.Egress, "egress"); err != nil {
		return nil, err
	}
	// v1 defaulted the types from the rules present: ingress unless there were only egress rules.
	switch {
	case len(in.Spec.Types) > 0:
		for i, t := range in.Spec.Types {
			switch strings.ToLower(t) {
			case "ingress":
				s.Types = append(s.Types, api.PolicyTypeIngress)
			case "egress":
				s.Types = append(s.Types, api.PolicyTypeEgress)
			default:
				return nil, fmt.Errorf("spec.types[%d] '%s' must be ingress or egress", i, t)
			}
		}
	case len(in.Spec.Egress) == 0:
		s.Types = []api.PolicyType{api.PolicyTypeIngress}
	case len(in.Spec.Ingress) == 0:
		s.Types = []api.PolicyType{api.PolicyTypeEgress}
	default:
		s.Types = []api.PolicyType{api.PolicyTypeIngress, api.PolicyTypeEgress}
	}
	return out, nil
}

func convertTier(in *v1Tier) (resources.Resource, error) {
	if in.Metadata.Name == "" {
		return nil, errors.New("metadata.name is missing")
	}
	out := newObject(api.KindTier).(*api.Tier)
	out.Name = convertName(in.Metadata.Name)
	out.Spec.Order = in.Spec.Order
	return out, nil
}

func convertIPPool(in *v1IPPool) (resources.Resource, error) {
	_, cidr, err := net.ParseCIDR(in.Metadata.CIDR)
	if err != nil {
		return nil, fmt.Errorf("metadata.cidr '%s' is not a CIDR", in.Metadata.CIDR)
	}
	out := newObject(api.KindIPPool).(*api.IPPool)
	out.Name = cidrName(cidr)
	out.Spec.CIDR = cidr.String()
	out.Spec.IPIPMode = api.IPIPModeNever
	if ipip := in.Spec.IPIP; ipip != nil && ipip.Enabled {
		switch strings.ToLower(ipip.Mode) {
		case "", "always":
			out.Spec.IPIPMode = api.IPIPModeAlways
		case "cross-subnet":
			out.Spec.IPIPMode = api.IPIPModeCrossSubnet
		default:
			return nil, fmt.Errorf("spec.ipip.mode '%s' must be always or cross-subnet", ipip.Mode)
		}
	}
	out.Spec.NATOutgoing = in.Spec.NATOutgoing
	out.Spec.Disabled = in.Spec.Disabled
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
