package kubernetes_test

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func TestPodsShowAsWorkloadEndpoints(t *testing.T) {
	ctx := ctxFor(t)
	ensureNamespace(t, "shop", nil)
	pods := adminCore.CoreV1().Pods("shop")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-7d4b9", Namespace: "shop", Labels: map[string]string{"app": "web"},
			Annotations: map[string]string{"cni.projectcalico.org/containerID": "abc123", "cni.projectcalico.org/floatingIPs": `["172.16.0.9"]`}},
		Spec: corev1.PodSpec{
			NodeName: "node-1", ServiceAccountName: "web-sa",
			Containers: []corev1.Container{{Name: "c", Image: "nginx", Ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 8080},
				{ContainerPort: 53, HostPort: 5353, Protocol: corev1.ProtocolUDP},
				{ContainerPort: 9999}, // neither named nor host-mapped: not an endpoint port
			}}},
		},
	}
	created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status.PodIP = "10.244.1.7"
	created.Status.PodIPs = []corev1.PodIP{{IP: "10.244.1.7"}, {IP: "fd00:10:244::7"}}
	created.Status.Phase = corev1.PodRunning
	withIP, err := pods.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Not Calico's: host-networked, and not yet scheduled.
	for _, p := range []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "hostnet", Namespace: "shop"}, Spec: corev1.PodSpec{NodeName: "node-1", HostNetwork: true, Containers: []corev1.Container{{Name: "c", Image: "x"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "pending", Namespace: "shop"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}},
	} {
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	wepKind := kind(t, "WorkloadEndpoint")
	l, err := admin.List(ctx, wepKind, datastore.ListOptions{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 {
		t.Fatalf("workload endpoints in shop: %v", names(l))
	}
	w := l.Items[0].(*api.WorkloadEndpoint)
	if w.Name != "node--1-k8s-web--7d4b9-eth0" || w.Namespace != "shop" || w.UID != withIP.UID || w.ResourceVersion != withIP.ResourceVersion {
		t.Errorf("metadata %+v", w.ObjectMeta)
	}
	if fmt.Sprint(w.Labels) != "map[app:web projectcalico.org/namespace:shop projectcalico.org/orchestrator:k8s projectcalico.org/serviceaccount:web-sa]" {
		t.Errorf("labels %v", w.Labels)
	}
	spec, _ := json.Marshal(w.Spec)
	want := `{"orchestrator":"k8s","node":"node-1","containerID":"abc123","pod":"web-7d4b9","endpoint":"eth0","serviceAccountName":"web-sa",` +
		`"ipNetworks":["10.244.1.7/32","fd00:10:244::7/128"],"ipNATs":[{"internalIP":"10.244.1.7","externalIP":"172.16.0.9"}],` +
		`"profiles":["kns.shop","ksa.shop.web-sa"],"interfaceName":"cali` + vethHash("shop.web-7d4b9") + `",` +
		`"ports":[{"name":"http","protocol":"TCP","port":8080,"hostPort":0,"hostIP":""},{"name":"","protocol":"UDP","port":53,"hostPort":5353,"hostIP":""}]}`
	if string(spec) != want {
		t.Errorf("spec\n got %s\nwant %s", spec, want)
	}

	got, err := admin.Get(ctx, wepKind, "shop", "node--1-k8s-web--7d4b9-eth0")
	if err != nil || got.GetName() != w.Name {
		t.Fatalf("get by name: %v", err)
	}
	for _, name := range []string{"node--2-k8s-web--7d4b9-eth0", "node--1-k8s-nope-eth0", "not-a-wep-name"} {
		if _, err := admin.Get(ctx, wepKind, "shop", name); !datastore.IsDoesNotExist(err) {
			t.Errorf("get %s: %v", name, err)
		}
	}
	byName, err := admin.List(ctx, wepKind, datastore.ListOptions{Namespace: "shop", Name: w.Name})
	if err != nil || len(byName.Items) != 1 {
		t.Errorf("list by name: %v %v", err, names(byName))
	}
}

// vethHash is the first 11 hex digits of sha1(s), as the CNI plugin names host interfaces.
func vethHash(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])[:11]
}

func TestNamespacesAndServiceAccountsShowAsProfiles(t *testing.T) {
	ctx := ctxFor(t)
	ns := ensureNamespace(t, "team-a", map[string]string{"env": "prod"})
	sa, err := adminCore.CoreV1().ServiceAccounts("team-a").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder", Labels: map[string]string{"role": "ci"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k := kind(t, "Profile")
	kns, err := admin.Get(ctx, k, "", "kns.team-a")
	if err != nil {
		t.Fatal(err)
	}
	p := kns.(*api.Profile)
	wantUID, _ := kubernetes.ConvertUID(ns.UID)
	if p.UID != wantUID || p.ResourceVersion != ns.ResourceVersion+"/" ||
		fmt.Sprint(p.Spec.LabelsToApply) != "map[pcns.env:prod pcns.kubernetes.io/metadata.name:team-a pcns.projectcalico.org/name:team-a]" ||
		len(p.Spec.Ingress) != 1 || p.Spec.Ingress[0].Action != api.Allow || len(p.Spec.Egress) != 1 || p.Spec.Egress[0].Action != api.Allow {
		t.Errorf("kns profile %+v", p)
	}
	ksa, err := admin.Get(ctx, k, "", "ksa.team-a.builder")
	if err != nil {
		t.Fatal(err)
	}
	p = ksa.(*api.Profile)
	if p.ResourceVersion != "/"+sa.ResourceVersion || fmt.Sprint(p.Spec.LabelsToApply) != "map[pcsa.projectcalico.org/name:builder pcsa.role:ci]" ||
		p.Spec.Ingress != nil || p.Spec.Egress != nil {
		t.Errorf("ksa profile %+v", p)
	}
	l, err := admin.List(ctx, k, datastore.ListOptions{Name: "k", Prefix: true})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(names(l), ",")
	if !strings.Contains(all, "kns.default,") || !strings.Contains(all, "kns.team-a,") || !strings.Contains(all, "ksa.team-a.builder") ||
		strings.Index(all, "kns.team-a") > strings.Index(all, "ksa.team-a.builder") {
		t.Errorf("profiles listed %s", all)
	}
	for _, name := range []string{"kns.nope", "ksa.team-a.nope", "ksa.bad", "other"} {
		if _, err := admin.Get(ctx, k, "", name); !datastore.IsDoesNotExist(err) {
			t.Errorf("get %s: %v", name, err)
		}
	}
}

func TestNodeAnnotationsAreReadAndWrittenBack(t *testing.T) {
	ctx := ctxFor(t)
	nodes := adminCore.CoreV1().Nodes()
	k8s, err := nodes.Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "worker-1", Labels: map[string]string{"kubernetes.io/hostname": "worker-1"},
			Annotations: map[string]string{
				"projectcalico.org/IPv4Address":        "10.0.0.11/24",
				"projectcalico.org/ASNumber":           "65001",
				"projectcalico.org/IPv4IPIPTunnelAddr": "192.168.10.1",
				"projectcalico.org/labels":             `{"rack":"r1"}`,
				"projectcalico.org/WireguardPublicKey": "key=",
				"projectcalico.org/IPv6Address":        "not-an-address", // ignored, as Calico does
				"unrelated":                            "kept",
			}},
		Spec: corev1.NodeSpec{PodCIDRs: []string{"10.244.1.0/24"}, PodCIDR: "10.244.1.0/24"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k8s.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.11"}, {Type: corev1.NodeHostName, Address: "worker-1"}}
	if _, err := nodes.UpdateStatus(ctx, k8s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	nodeKind := kind(t, "Node")
	obj, err := admin.Get(ctx, nodeKind, "", "worker-1")
	if err != nil {
		t.Fatal(err)
	}
	n := obj.(*api.Node)
	spec, _ := json.Marshal(n.Spec)
	if string(spec) != `{"bgp":{"asNumber":65001,"ipv4Address":"10.0.0.11/24","ipv4IPIPTunnelAddr":"192.168.10.1"},"orchRefs":[{"nodeName":"worker-1","orchestrator":"k8s"}],"addresses":[{"address":"10.0.0.11/24","type":"CalicoNodeIP"},{"address":"10.0.0.11","type":"InternalIP"}]}` {
		t.Errorf("spec %s", spec)
	}
	if n.Status.WireguardPublicKey != "key=" || fmt.Sprint(n.Status.PodCIDRs) != "[10.244.1.0/24]" {
		t.Errorf("status %+v", n.Status)
	}
	if fmt.Sprint(n.Labels) != "map[kubernetes.io/hostname:worker-1 rack:r1]" || n.Annotations["projectcalico.org/kube-labels"] != `{"kubernetes.io/hostname":"worker-1"}` {
		t.Errorf("labels %v annotations %v", n.Labels, n.Annotations)
	}

	// Change the AS number, add an IPv6 address and a Calico label, drop the tunnel address.
	asn := api.ASNumber(65002)
	n.Spec.BGP.ASNumber = &asn
	n.Spec.BGP.IPv6Address = "fd00::11/64"
	n.Spec.BGP.IPv4IPIPTunnelAddr = ""
	n.Labels["zone"] = "z1"
	updated, err := admin.Update(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	after, err := nodes.Get(ctx, "worker-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := after.Annotations
	if a["projectcalico.org/ASNumber"] != "65002" || a["projectcalico.org/IPv6Address"] != "fd00::11/64" || a["projectcalico.org/IPv4Address"] != "10.0.0.11/24" ||
		a["projectcalico.org/labels"] != `{"rack":"r1","zone":"z1"}` || a["unrelated"] != "kept" {
		t.Errorf("annotations after update %v", a)
	}
	if _, ok := a["projectcalico.org/IPv4IPIPTunnelAddr"]; ok {
		t.Error("emptied tunnel address still annotated")
	}
	if fmt.Sprint(after.Labels) != "map[kubernetes.io/hostname:worker-1]" || fmt.Sprint(after.Spec.PodCIDRs) != "[10.244.1.0/24]" {
		t.Errorf("Kubernetes labels or spec changed: %v %v", after.Labels, after.Spec)
	}
	if updated.GetResourceVersion() != after.ResourceVersion {
		t.Errorf("update returned resourceVersion %s, node has %s", updated.GetResourceVersion(), after.ResourceVersion)
	}
	// The old resourceVersion is stale now.
	if _, err := admin.Update(ctx, n); !datastore.IsConflict(err) {
		t.Errorf("stale node update: %v", err)
	}
	l, err := admin.List(ctx, nodeKind, datastore.ListOptions{})
	if err != nil || !strings.Contains(strings.Join(names(l), ","), "worker-1") {
		t.Errorf("list nodes: %v %v", err, names(l))
	}
}

func TestDerivedKindsRefuseWritesClearly(t *testing.T) {
	ctx := ctxFor(t)
	for _, tc := range []struct {
		op, doc, want string
	}{
		{"create", `{"apiVersion":"projectcalico.org/v3","kind":"Node","metadata":{"name":"n1"},"spec":{}}`,
			"operation create is not supported on Node(n1): in the Kubernetes datastore a Calico Node is the Kubernetes Node of the same name: add and remove nodes through the Kubernetes API"},
		{"create", `{"apiVersion":"projectcalico.org/v3","kind":"Profile","metadata":{"name":"p1"},"spec":{}}`,
			"operation create is not supported on Profile(p1): in the Kubernetes datastore profiles are derived from namespaces (kns.<namespace>) and service accounts (ksa.<namespace>.<name>): change those instead"},
		{"update", `{"apiVersion":"projectcalico.org/v3","kind":"Profile","metadata":{"name":"kns.default","resourceVersion":"1/"},"spec":{}}`,
			"operation update is not supported on Profile(kns.default)"},
		{"create", `{"apiVersion":"projectcalico.org/v3","kind":"WorkloadEndpoint","metadata":{"name":"n-k8s-p-eth0","namespace":"default"},"spec":{}}`,
			"operation create is not supported on WorkloadEndpoint(default/n-k8s-p-eth0): in the Kubernetes datastore workload endpoints are derived from pods: change the pod instead"},
		{"update", `{"apiVersion":"projectcalico.org/v3","kind":"WorkloadEndpoint","metadata":{"name":"n-k8s-p-eth0","namespace":"default","resourceVersion":"5"},"spec":{}}`,
			"operation update is not supported on WorkloadEndpoint(default/n-k8s-p-eth0)"},
	} {
		obj := decode(t, tc.doc)
		var err error
		if tc.op == "create" {
			_, err = admin.Create(ctx, obj)
		} else {
			_, err = admin.Update(ctx, obj)
		}
		if !datastore.IsNotSupported(err) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s %s: %v", tc.op, obj.GetName(), err)
		}
	}
	for _, k := range []string{"Node", "Profile", "WorkloadEndpoint"} {
		if _, err := admin.Delete(ctx, kind(t, k), "default", "x", ""); !datastore.IsNotSupported(err) || !strings.HasPrefix(err.Error(), "operation delete is not supported on "+k) {
			t.Errorf("delete %s: %v", k, err)
		}
	}
}
