package kubernetes

import (
	"context"
	"encoding/json"
	"net"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Annotations of a Kubernetes Node that hold its Calico fields (libcalico-go k8s/resources/node.go).
const (
	nodeLabelsAnnotation        = "projectcalico.org/labels"
	nodeAnnotationsAnnotation   = "projectcalico.org/annotations"
	nodeKubeLabelsAnnotation    = "projectcalico.org/kube-labels"
	nodeIPv4Address             = "projectcalico.org/IPv4Address"
	nodeIPv6Address             = "projectcalico.org/IPv6Address"
	nodeASNumber                = "projectcalico.org/ASNumber"
	nodeIPv4IPIPTunnelAddr      = "projectcalico.org/IPv4IPIPTunnelAddr"
	nodeRouteReflectorClusterID = "projectcalico.org/RouteReflectorClusterID"
	nodeIPv4VXLANTunnelAddr     = "projectcalico.org/IPv4VXLANTunnelAddr"
	nodeVXLANTunnelMACAddr      = "projectcalico.org/VXLANTunnelMACAddr"
	nodeIPv6VXLANTunnelAddr     = "projectcalico.org/IPv6VXLANTunnelAddr"
	nodeVXLANTunnelMACAddrV6    = "projectcalico.org/VXLANTunnelMACAddrV6"
	nodeWireguardIPv4Addr       = "projectcalico.org/IPv4WireguardInterfaceAddr"
	nodeWireguardIPv6Addr       = "projectcalico.org/IPv6WireguardInterfaceAddr"
	nodeWireguardPublicKey      = "projectcalico.org/WireguardPublicKey"
	nodeWireguardPublicKeyV6    = "projectcalico.org/WireguardPublicKeyV6"
	nodeInterfaces              = "projectcalico.org/Interfaces"
)

func (s *Store) getNode(ctx context.Context, kind *resources.Kind, name string) (resources.Resource, error) {
	var node *corev1.Node
	err := s.do(ctx, retryLostAnswer, kind.ID("", name), "", func(ctx context.Context) error {
		node = &corev1.Node{}
		return s.core.get(ctx, "nodes", "", name, node)
	})
	if err != nil {
		return nil, err
	}
	return nodeToCalico(node, s.usePodCIDR), nil
}

func (s *Store) listNodes(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (*datastore.List, error) {
	l := &datastore.List{Kind: kind}
	rv, err := pageTyped(ctx, s, kind.Kind, listOptions(opts), func(ctx context.Context, lo metav1.ListOptions) (metav1.ListMeta, error) {
		nodes := &corev1.NodeList{}
		if err := s.core.list(ctx, "nodes", "", lo, nodes); err != nil {
			return metav1.ListMeta{}, err
		}
		for i := range nodes.Items {
			l.Items = append(l.Items, nodeToCalico(&nodes.Items[i], s.usePodCIDR))
		}
		return nodes.ListMeta, nil
	})
	l.ResourceVersion = rv
	return l, err
}

// pageTyped reads a core collection page by page; list appends a page and returns its ListMeta.
func pageTyped(ctx context.Context, s *Store, what string, opts metav1.ListOptions, list func(context.Context, metav1.ListOptions) (metav1.ListMeta, error)) (string, error) {
	opts.Limit = PageSize
	var rv string
	for {
		var lm metav1.ListMeta
		err := s.do(ctx, retryTransient, what, "", func(ctx context.Context) error {
			var err error
			lm, err = list(ctx, opts)
			return err
		})
		if err != nil {
			return "", err
		}
		if rv == "" {
			rv = lm.ResourceVersion
		}
		if lm.Continue == "" {
			return rv, nil
		}
		opts.Continue = lm.Continue
		opts.ResourceVersion, opts.ResourceVersionMatch = "", ""
	}
}

// nodeToCalico converts a Kubernetes Node with Calico's annotations to a Calico Node.
func nodeToCalico(k *corev1.Node, usePodCIDR bool) *api.Node {
	n := &api.Node{}
	n.APIVersion, n.Kind = api.GroupVersion, "Node"
	n.Name = k.Name
	n.ResourceVersion = k.ResourceVersion
	n.CreationTimestamp = k.CreationTimestamp
	n.UID = k.UID
	a := k.Annotations
	if v := a[nodeLabelsAnnotation]; v != "" {
		_ = json.Unmarshal([]byte(v), &n.Labels)
	}
	if v := a[nodeAnnotationsAnnotation]; v != "" {
		_ = json.Unmarshal([]byte(v), &n.Annotations)
	}
	// Kubernetes labels win over Calico ones; the Kubernetes set is remembered so that an update
	// writes back only the Calico labels.
	for key, v := range k.Labels {
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels[key] = v
	}
	if n.Annotations == nil {
		n.Annotations = map[string]string{}
	}
	kubeLabels, _ := json.Marshal(k.Labels)
	n.Annotations[nodeKubeLabelsAnnotation] = string(kubeLabels)

	bgp := &api.NodeBGPSpec{
		IPv4Address:             annotation(a, nodeIPv4Address, isCIDRv4),
		IPv6Address:             annotation(a, nodeIPv6Address, isCIDRv6),
		RouteReflectorClusterID: annotation(a, nodeRouteReflectorClusterID, isIPv4),
	}
	if v, ok := a[nodeASNumber]; ok {
		if asn, err := api.ParseASNumber(v); err == nil {
			bgp.ASNumber = &asn
		}
	}
	wg := &api.NodeWireguardSpec{}
	if usePodCIDR && k.Spec.PodCIDR != "" {
		// Host-local IPAM: the tunnel address is the first address of the pod CIDR.
		if ip, _, err := net.ParseCIDR(k.Spec.PodCIDR); err == nil && ip.To4() != nil {
			tun := ip.To4()
			tun[3]++
			bgp.IPv4IPIPTunnelAddr = tun.String()
			if a[nodeWireguardPublicKey] != "" {
				wg.InterfaceIPv4Address = tun.String()
			}
		}
	} else {
		bgp.IPv4IPIPTunnelAddr = annotation(a, nodeIPv4IPIPTunnelAddr, isIPv4)
		wg.InterfaceIPv4Address = annotation(a, nodeWireguardIPv4Addr, isIPv4)
		wg.InterfaceIPv6Address = annotation(a, nodeWireguardIPv6Addr, isIP)
	}
	if !reflect.DeepEqual(*bgp, api.NodeBGPSpec{}) {
		n.Spec.BGP = bgp
	}
	if !reflect.DeepEqual(*wg, api.NodeWireguardSpec{}) {
		n.Spec.Wireguard = wg
	}
	n.Spec.OrchRefs = []api.OrchRef{{NodeName: k.Name, Orchestrator: "k8s"}}
	n.Spec.IPv4VXLANTunnelAddr = annotation(a, nodeIPv4VXLANTunnelAddr, isIPv4)
	n.Spec.VXLANTunnelMACAddr = annotation(a, nodeVXLANTunnelMACAddr, isMAC)
	n.Spec.IPv6VXLANTunnelAddr = annotation(a, nodeIPv6VXLANTunnelAddr, isIP)
	n.Spec.VXLANTunnelMACAddrV6 = annotation(a, nodeVXLANTunnelMACAddrV6, isMAC)
	if v := a[nodeInterfaces]; v != "" {
		_ = json.Unmarshal([]byte(v), &n.Spec.Interfaces)
	}
	n.Status.WireguardPublicKey = a[nodeWireguardPublicKey]
	n.Status.WireguardPublicKeyV6 = a[nodeWireguardPublicKeyV6]
	if len(k.Spec.PodCIDRs) > 0 {
		n.Status.PodCIDRs = append([]string(nil), k.Spec.PodCIDRs...)
	}
	if bgp := n.Spec.BGP; bgp != nil {
		for _, addr := range []string{bgp.IPv4Address, bgp.IPv6Address} {
			if addr != "" {
				n.Spec.Addresses = append(n.Spec.Addresses, api.NodeAddress{Address: addr, Type: api.NodeAddressCalicoNodeIP})
			}
		}
	}
	for _, addr := range k.Status.Addresses {
		switch addr.Type {
		case corev1.NodeInternalIP:
			n.Spec.Addresses = append(n.Spec.Addresses, api.NodeAddress{Address: addr.Address, Type: api.NodeAddressInternalIP})
		case corev1.NodeExternalIP:
			n.Spec.Addresses = append(n.Spec.Addresses, api.NodeAddress{Address: addr.Address, Type: api.NodeAddressExternalIP})
		}
	}
	return n
}

// annotation returns an annotation's value when valid, else "" (Calico ignores invalid ones).
func annotation(a map[string]string, key string, valid func(string) bool) string {
	v := a[key]
	if v == "" || !valid(v) {
		return ""
	}
	return v
}

func isCIDRv4(s string) bool {
	ip, _, err := net.ParseCIDR(s)
	return err == nil && ip.To4() != nil
}

func isCIDRv6(s string) bool {
	ip, _, err := net.ParseCIDR(s)
	return err == nil && ip.To4() == nil
}

func isIPv4(s string) bool {
	ip := net.ParseIP(s)
	if ip == nil {
		ip, _, _ = net.ParseCIDR(s)
	}
	return ip != nil && ip.To4() != nil
}

func isIP(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	_, _, err := net.ParseCIDR(s)
	return err == nil
}

func isMAC(s string) bool {
	_, err := net.ParseMAC(s)
	return err == nil
}

// updateNode writes a Calico Node's fields back into the annotations of its Kubernetes Node,
// conditionally on the resourceVersion it was read at. Only Calico's annotations change: the
// Kubernetes labels, spec and status are the kubelet's.
func (s *Store) updateNode(ctx context.Context, kind *resources.Kind, obj resources.Resource) (resources.Resource, error) {
	n, ok := obj.(*api.Node)
	if !ok {
		return nil, &datastore.NotSupportedError{Operation: "update", ID: kind.ID("", obj.GetName())}
	}
	id := kind.ID("", n.Name)
	var out *corev1.Node
	err := s.do(ctx, retryTransient, id, "", func(ctx context.Context) error {
		current := &corev1.Node{}
		if err := s.core.get(ctx, "nodes", "", n.Name, current); err != nil {
			return err
		}
		if n.ResourceVersion != "" {
			current.ResourceVersion = n.ResourceVersion
		}
		mergeIntoNode(n, current)
		out = &corev1.Node{}
		return s.core.updateNodeStatus(ctx, current, out)
	})
	if err != nil {
		return nil, err
	}
	return nodeToCalico(out, s.usePodCIDR), nil
}

// mergeIntoNode sets the Calico annotations of k from n; empty values remove them.
func mergeIntoNode(n *api.Node, k *corev1.Node) {
	labels, annotations := calicoOnlyMetadata(n)
	if k.Annotations == nil {
		k.Annotations = map[string]string{}
	}
	a := k.Annotations
	setJSON := func(key string, m map[string]string) {
		if len(m) == 0 {
			delete(a, key)
			return
		}
		b, _ := json.Marshal(m)
		a[key] = string(b)
	}
	setJSON(nodeLabelsAnnotation, labels)
	setJSON(nodeAnnotationsAnnotation, annotations)
	set := func(key, value string) {
		if value == "" {
			delete(a, key)
		} else {
			a[key] = value
		}
	}
	set(nodeIPv4VXLANTunnelAddr, n.Spec.IPv4VXLANTunnelAddr)
	set(nodeVXLANTunnelMACAddr, n.Spec.VXLANTunnelMACAddr)
	set(nodeIPv6VXLANTunnelAddr, n.Spec.IPv6VXLANTunnelAddr)
	set(nodeVXLANTunnelMACAddrV6, n.Spec.VXLANTunnelMACAddrV6)
	bgp := n.Spec.BGP
	if bgp == nil {
		bgp = &api.NodeBGPSpec{}
	}
	set(nodeIPv4Address, bgp.IPv4Address)
	set(nodeIPv6Address, bgp.IPv6Address)
	set(nodeIPv4IPIPTunnelAddr, bgp.IPv4IPIPTunnelAddr)
	set(nodeRouteReflectorClusterID, bgp.RouteReflectorClusterID)
	asn := ""
	if bgp.ASNumber != nil {
		asn = bgp.ASNumber.String()
	}
	set(nodeASNumber, asn)
	wg := n.Spec.Wireguard
	if wg == nil {
		wg = &api.NodeWireguardSpec{}
	}
	set(nodeWireguardIPv4Addr, wg.InterfaceIPv4Address)
	set(nodeWireguardIPv6Addr, wg.InterfaceIPv6Address)
	set(nodeWireguardPublicKey, n.Status.WireguardPublicKey)
	set(nodeWireguardPublicKeyV6, n.Status.WireguardPublicKeyV6)
	ifaces := ""
	if len(n.Spec.Interfaces) > 0 {
		b, _ := json.Marshal(n.Spec.Interfaces)
		ifaces = string(b)
	}
	set(nodeInterfaces, ifaces)
}

// calicoOnlyMetadata undoes the label merge of nodeToCalico: labels that came from Kubernetes
// (remembered in the kube-labels annotation) are not Calico's, and that annotation itself is
// bookkeeping.
func calicoOnlyMetadata(n *api.Node) (labels, annotations map[string]string) {
	var kube map[string]string
	if v := n.Annotations[nodeKubeLabelsAnnotation]; v != "" {
		_ = json.Unmarshal([]byte(v), &kube)
	}
	for k, v := range n.Labels {
		if _, inherited := kube[k]; inherited {
			continue
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[k] = v
	}
	for k, v := range n.Annotations {
		if k == nodeKubeLabelsAnnotation {
			continue
		}
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[k] = v
	}
	return labels, annotations
}
