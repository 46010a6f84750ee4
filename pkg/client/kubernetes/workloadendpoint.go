package kubernetes

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Pod annotations the Calico CNI plugin and operators set.
const (
	annotationContainerID = "cni.projectcalico.org/containerID"
	annotationPodIP       = "cni.projectcalico.org/podIP"
	annotationPodIPs      = "cni.projectcalico.org/podIPs"
	annotationAWSPodIPs   = "vpc.amazonaws.com/pod-ips"
	annotationFloatingIPs = "cni.projectcalico.org/floatingIPs"
	annotationSpoofPrefix = "cni.projectcalico.org/allowedSourcePrefixes"
	annotationNetStatus   = "k8s.v1.cni.cncf.io/network-status"

	labelNamespace      = api.LabelNamespace
	labelOrchestrator   = api.LabelOrchestrator
	labelServiceAccount = "projectcalico.org/serviceaccount"
)

// WorkloadEndpointName is the name of a pod's endpoint: <node>-k8s-<pod>-<endpoint>, with every
// dash inside a part doubled so that the name can be split again.
func WorkloadEndpointName(node, pod, endpoint string) string {
	esc := func(s string) string { return strings.ReplaceAll(s, "-", "--") }
	return esc(node) + "-k8s-" + esc(pod) + "-" + esc(endpoint)
}

// parseWorkloadEndpointName splits a name made by WorkloadEndpointName.
func parseWorkloadEndpointName(name string) (node, pod, endpoint string, ok bool) {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] != '-' {
			cur.WriteByte(name[i])
			continue
		}
		if i+1 < len(name) && name[i+1] == '-' {
			cur.WriteByte('-')
			i++
			continue
		}
		parts = append(parts, cur.String())
		cur.Reset()
	}
	parts = append(parts, cur.String())
	if len(parts) != 4 || parts[1] != "k8s" {
		return "", "", "", false
	}
	return parts[0], parts[2], parts[3], true
}

func (s *Store) getWorkloadEndpoint(ctx context.Context, kind *resources.Kind, namespace, name string) (resources.Resource, error) {
	id := kind.ID(namespace, name)
	_, podName, _, ok := parseWorkloadEndpointName(name)
	if !ok {
		return nil, &datastore.DoesNotExistError{ID: id}
	}
	var pod *corev1.Pod
	err := s.do(ctx, retryLostAnswer, id, "", func(ctx context.Context) error {
		pod = &corev1.Pod{}
		return s.core.get(ctx, "pods", namespace, podName, pod)
	})
	if err != nil {
		return nil, err
	}
	wep := podToWorkloadEndpoint(pod)
	if wep == nil || wep.Name != name {
		return nil, &datastore.DoesNotExistError{ID: id}
	}
	return wep, nil
}

func (s *Store) listWorkloadEndpoints(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (*datastore.List, error) {
	l := &datastore.List{Kind: kind}
	lo := metav1.ListOptions{}
	if opts.Revision != "" {
		lo.ResourceVersion, lo.ResourceVersionMatch = opts.Revision, metav1.ResourceVersionMatchNotOlderThan
	}
	if opts.Name != "" {
		// The name carries the pod's node: let the API server skip the other nodes' pods.
		if node, _, _, ok := parseWorkloadEndpointName(opts.Name); ok && !opts.Prefix {
			lo.FieldSelector = "spec.nodeName=" + node
		}
	}
	rv, err := pageTyped(ctx, s, kind.Kind, lo, func(ctx context.Context, lo metav1.ListOptions) (metav1.ListMeta, error) {
		pods := &corev1.PodList{}
		if err := s.core.list(ctx, "pods", opts.Namespace, lo, pods); err != nil {
			return metav1.ListMeta{}, err
		}
		for i := range pods.Items {
			if wep := podToWorkloadEndpoint(&pods.Items[i]); wep != nil {
				l.Items = append(l.Items, wep)
			}
		}
		return pods.ListMeta, nil
	})
	l.ResourceVersion = rv
	return l, err
}

// podToWorkloadEndpoint is Calico's view of a pod's network interface
// (k8s/conversion/workload_endpoint_default.go), or nil for a pod Calico does not network:
// host-networked or not yet scheduled.
func podToWorkloadEndpoint(pod *corev1.Pod) *api.WorkloadEndpoint {
	if pod.Spec.HostNetwork || pod.Spec.NodeName == "" {
		return nil
	}
	w := &api.WorkloadEndpoint{}
	w.APIVersion, w.Kind = api.GroupVersion, api.KindWorkloadEndpoint
	w.Name = WorkloadEndpointName(pod.Spec.NodeName, pod.Name, "eth0")
	w.Namespace = pod.Namespace
	w.CreationTimestamp = pod.CreationTimestamp
	w.UID = pod.UID
	w.ResourceVersion = pod.ResourceVersion
	w.GenerateName = pod.GenerateName
	w.Labels = make(map[string]string, len(pod.Labels)+3)
	for k, v := range pod.Labels {
		w.Labels[k] = v
	}
	w.Labels[labelNamespace] = pod.Namespace
	w.Labels[labelOrchestrator] = "k8s"
	sa := pod.Spec.ServiceAccountName
	if sa != "" && len(sa) < 63 {
		w.Labels[labelServiceAccount] = sa
	}
	if v, ok := pod.Annotations[annotationNetStatus]; ok {
		w.Annotations = map[string]string{annotationNetStatus: v}
	}

	profiles := []string{NamespaceProfilePrefix + pod.Namespace}
	if sa != "" {
		profiles = append(profiles, ServiceAccountProfilePrefix+pod.Namespace+"."+sa)
	}
	nets := podIPNets(pod)
	if podFinished(pod) {
		nets = nil // its addresses have gone back to the pool
	}
	w.Spec = api.WorkloadEndpointSpec{
		Orchestrator:               "k8s",
		Node:                       pod.Spec.NodeName,
		Pod:                        pod.Name,
		ContainerID:                pod.Annotations[annotationContainerID],
		Endpoint:                   "eth0",
		InterfaceName:              vethName(pod.Namespace, pod.Name),
		Profiles:                   profiles,
		IPNetworks:                 nets,
		ServiceAccountName:         sa,
		Ports:                      endpointPorts(pod),
		IPNATs:                     floatingIPs(pod, nets),
		AllowSpoofedSourcePrefixes: spoofPrefixes(pod),
	}
	if w.Spec.IPNetworks == nil {
		w.Spec.IPNetworks = []string{}
	}
	return w
}

// vethName is the host side of the pod's interface, as the CNI plugin names it: the first
// FELIX_INTERFACEPREFIX (default cali) and 11 hex digits of sha1("<namespace>.<pod>").
func vethName(namespace, pod string) string {
	h := sha1.Sum([]byte(namespace + "." + pod))
	prefix, _, _ := strings.Cut(os.Getenv("FELIX_INTERFACEPREFIX"), ",")
	if prefix == "" {
		prefix = "cali"
	}
	return prefix + hex.EncodeToString(h[:])[:11]
}

// podIPNets returns the pod's addresses as /32 or /128 networks, from the first of: status
// podIPs, status podIP, the Calico podIPs and podIP annotations, the AWS VPC annotation.
func podIPNets(pod *corev1.Pod) []string {
	var ips []string
	switch {
	case len(pod.Status.PodIPs) > 0:
		for _, ip := range pod.Status.PodIPs {
			ips = append(ips, ip.IP)
		}
	case pod.Status.PodIP != "":
		ips = []string{pod.Status.PodIP}
	case pod.Annotations[annotationPodIPs] != "":
		ips = strings.Split(pod.Annotations[annotationPodIPs], ",")
	case pod.Annotations[annotationPodIP] != "":
		ips = []string{pod.Annotations[annotationPodIP]}
	case pod.Annotations[annotationAWSPodIPs] != "":
		ips = strings.Split(pod.Annotations[annotationAWSPodIPs], ",")
	}
	var nets []string
	for _, s := range ips {
		s = strings.TrimSpace(s)
		ip := net.ParseIP(s)
		if ip == nil {
			var err error
			if ip, _, err = net.ParseCIDR(s); err != nil {
				continue
			}
		}
		if ip.To4() != nil {
			nets = append(nets, ip.To4().String()+"/32")
		} else {
			nets = append(nets, ip.String()+"/128")
		}
	}
	return nets
}

func podFinished(pod *corev1.Pod) bool {
	if pod.DeletionTimestamp != nil {
		if ip, ok := pod.Annotations[annotationPodIP]; ok && ip == "" {
			return true
		}
		if ips, ok := pod.Annotations[annotationAWSPodIPs]; ok && ips == "" {
			return true
		}
	}
	switch pod.Status.Phase {
	case corev1.PodFailed, corev1.PodSucceeded, "Completed":
		return true
	}
	return false
}

// endpointPorts are the named and host ports of the pod's containers.
func endpointPorts(pod *corev1.Pod) []api.WorkloadEndpointPort {
	var out []api.WorkloadEndpointPort
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range cs {
			for _, p := range c.Ports {
				if p.ContainerPort == 0 || (p.HostPort == 0 && p.Name == "") {
					continue
				}
				var proto string
				switch p.Protocol {
				case corev1.ProtocolUDP:
					proto = "udp"
				case corev1.ProtocolSCTP:
					proto = "sctp"
				case corev1.ProtocolTCP, "":
					proto = "tcp"
				default:
					continue
				}
				out = append(out, api.WorkloadEndpointPort{
					Name: p.Name, Protocol: api.ProtocolFromString(proto),
					Port: uint16(p.ContainerPort), HostPort: uint16(p.HostPort), HostIP: p.HostIP,
				})
			}
		}
	}
	return out
}

// floatingIPs maps the floating IPs of the annotation onto the pod's address of the same family.
func floatingIPs(pod *corev1.Pod, nets []string) []api.IPNAT {
	ann, ok := pod.Annotations[annotationFloatingIPs]
	if !ok || len(nets) == 0 {
		return nil
	}
	var ips []string
	if json.Unmarshal([]byte(ann), &ips) != nil {
		return nil
	}
	var v4, v6 string
	for _, n := range nets {
		ip, _, _ := strings.Cut(n, "/")
		if strings.Contains(ip, ":") {
			v6 = ip
		} else {
			v4 = ip
		}
	}
	var out []api.IPNAT
	for _, ip := range ips {
		internal := v4
		if strings.Contains(ip, ":") {
			internal = v6
		}
		if internal != "" {
			out = append(out, api.IPNAT{InternalIP: internal, ExternalIP: ip})
		}
	}
	return out
}

func spoofPrefixes(pod *corev1.Pod) []string {
	ann := pod.Annotations[annotationSpoofPrefix]
	if ann == "" {
		return nil
	}
	var prefixes []string
	if json.Unmarshal([]byte(ann), &prefixes) != nil {
		return nil
	}
	var out []string
	for _, p := range prefixes {
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n.String())
		}
	}
	return out
}
