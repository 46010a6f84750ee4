package cmd_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client/etcdv3"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
)

// doc is a manifest of one resource.
func doc(kind, metadata, spec string) string {
	return "apiVersion: projectcalico.org/v3\nkind: " + kind + "\nmetadata:\n" + metadata + "\nspec:\n" + spec + "\n"
}

// The message catalogue: what calicoctl 3.32 prints for bad input, which scripts and Calico's own
// tests search for, each followed by where the field is and what to do. Every case is the exact
// line of `validate`, which needs no datastore.
func TestValidationMessagesKeepCalicoText(t *testing.T) {
	cases := []struct {
		name, input, want string
	}{
		{"peer IP not an address", doc("BGPPeer", "  name: p1", "  peerIP: badpeerIP\n  asNumber: 64512"),
			"error with field PeerIP = 'badpeerIP' (peerIP must be an IP address, IPv4:port or [IPv6]:port with a port from 1 to 65535 (e.g. 10.0.0.1, 10.0.0.1:179 or [fd00::1]:179)) at BGPPeer(p1).spec.peerIP"},
		{"peer node not a name", doc("BGPPeer", "  name: p1", "  peerIP: 10.0.0.1\n  node: node 2"),
			"error with field Node = 'node 2' (must be a resource name: lower case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters) at BGPPeer(p1).spec.node"},
		{"interface name over 15 bytes", doc("HostEndpoint", "  name: h1", "  node: n1\n  interfaceName: wibblywobblyeth0"),
			"error with the following fields: -  InterfaceName = 'wibblywobblyeth0' (must be an interface name of at most 15 letters, digits, '_', '.' or '-' (e.g. eth0), or *) at HostEndpoint(h1).spec.interfaceName; -  spec.interfaceName (may not be more than 15 bytes) at HostEndpoint(h1).spec.interfaceName"},
		{"pool CIDR not a subnet", doc("IPPool", "  name: p1", "  cidr: 10.0.1.0/33"),
			"error with field IPPool.Spec.CIDR = '10.0.1.0/33' (IPPool CIDR must be a valid subnet) at IPPool(p1).spec.cidr: write a network such as 10.244.0.0/16 or fd00:10:244::/64"},
		{"pool CIDR not masked", doc("IPPool", "  name: p1", "  cidr: 10.0.1.1/24"),
			"error with field IPPool.Spec.CIDR = '10.0.1.1/24' (IPPool CIDR is not strictly masked) at IPPool(p1).spec.cidr: 10.0.1.1/24 is not a network address: use 10.0.1.0/24"},
		{"pool smaller than a block", doc("IPPool", "  name: p1", "  cidr: 10.0.1.0/28"),
			"error with field spec (IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.) at IPPool(p1).spec.cidr: use a prefix of /26 or shorter, or a blockSize of at least 28"},
		{"port 0", doc("GlobalNetworkPolicy", "  name: p", "  egress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [0]"),
			"error with field Port = '0' (port range invalid, port number must be between 1 and 65535) at GlobalNetworkPolicy(p).spec.egress[0].destination.ports[0]: a port must be a number from 1 to 65535, a range such as 8000:8080, or a port name such as http"},
		{"port range from 0", doc("GlobalNetworkPolicy", "  name: p", "  ingress:\n  - action: Allow\n    protocol: UDP\n    source:\n      ports: ['0:65535']"),
			"error with field Port = '0:65535' (port range invalid, port number must be between 1 and 65535) at GlobalNetworkPolicy(p).spec.ingress[0].source.ports[0]: a port must be a number from 1 to 65535, a range such as 8000:8080, or a port name such as http"},
		{"unknown action", doc("GlobalNetworkPolicy", "  name: p", "  egress:\n  - action: Foo"),
			`error with field spec.egress[0].action (supported values: "Allow", "Deny", "Log", "Pass") at GlobalNetworkPolicy(p).spec.egress[0].action: got 'Foo'; must be Allow, Deny, Log or Pass`},
		{"ICMP type over 254", doc("GlobalNetworkPolicy", "  name: p", "  ingress:\n  - action: Allow\n    protocol: ICMP\n    icmp: {type: 256}"),
			"error with field Type = '256' (ICMP type must be from 0 to 254 (e.g. 8 for echo request)) at GlobalNetworkPolicy(p).spec.ingress[0].icmp.type"},
		{"AS number on a node's BGP configuration", doc("BGPConfiguration", "  name: node.n1", "  asNumber: 64513"),
			"error with field BGPConfiguration.Spec.ASNumber (Cannot set ASNumber on a non default BGP Configuration.) at BGPConfiguration(node.n1).spec.asNumber: set it in the BGPConfiguration named default"},
		{"workload endpoint without a node", doc("WorkloadEndpoint", "  name: x\n  namespace: ns1", "  orchestrator: k8s\n  pod: pod2\n  endpoint: eth0"),
			"error with field node (field should be assigned) at WorkloadEndpoint(ns1/x).spec.node: the name of a k8s endpoint is made of spec.node, spec.orchestrator, spec.pod and spec.endpoint: set spec.node"},
		{"workload endpoint name not derived from its spec", doc("WorkloadEndpoint", "  name: wrong\n  namespace: ns1", "  orchestrator: k8s\n  node: node-a\n  pod: pod2\n  endpoint: eth0"),
			"error with field Name = 'wrong' (the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name node--a-k8s-pod2-eth0) at WorkloadEndpoint(ns1/wrong).metadata.name: name it node--a-k8s-pod2-eth0, or leave the name out and it is derived"},
		{"CNI endpoint named after its container", doc("WorkloadEndpoint", "  name: node--b-cni-wl--x-eth0\n  namespace: ns1", "  orchestrator: cni\n  node: node-b\n  containerID: abc123\n  workload: wl-x\n  endpoint: eth0"),
			"error with field Name = 'node--b-cni-wl--x-eth0' (the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name node--b-cni-abc123-eth0) at WorkloadEndpoint(ns1/node--b-cni-wl--x-eth0).metadata.name: name it node--b-cni-abc123-eth0, or leave the name out and it is derived"},
		{"libnetwork endpoint named after the orchestrator", doc("WorkloadEndpoint", "  name: x\n  namespace: ns1", "  orchestrator: libnetwork\n  node: node-b\n  workload: wl-x\n  endpoint: eth0"),
			"error with field Name = 'x' (the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name node--b-libnetwork-libnetwork-eth0) at WorkloadEndpoint(ns1/x).metadata.name: name it node--b-libnetwork-libnetwork-eth0, or leave the name out and it is derived"},
		{"endpoint part missing is shown with its empty value", doc("WorkloadEndpoint", "  namespace: ns1", "  orchestrator: k8s\n  node: node-a\n  endpoint: eth0"),
			"error with field pod = '' (field should be assigned) at WorkloadEndpoint(ns1/).spec.pod: the name of a k8s endpoint is made of spec.node, spec.orchestrator, spec.pod and spec.endpoint: set spec.pod"},
		{"endpoint part beginning with a dash", doc("WorkloadEndpoint", "  namespace: ns1", "  orchestrator: k8s\n  node: node-a\n  pod: -pod2\n  endpoint: eth0"),
			"error with field pod = '-pod2' (field must not begin with a '-') at WorkloadEndpoint(ns1/).spec.pod: the endpoint's name is made of spec.node, spec.orchestrator, spec.pod and spec.endpoint, and a part may not begin or end with '-'"},
		{"selector over 1024 characters", doc("GlobalNetworkPolicy", "  name: p", "  selector: has("+strings.Repeat("a", 1030)+")"),
			"error with field spec.selector (may not be more than 1024 bytes) at GlobalNetworkPolicy(p).spec.selector: 1035 characters is over the limit of 1024"},
		{"more than 50 ports", doc("GlobalNetworkPolicy", "  name: p", "  ingress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      ports: ["+strings.TrimSuffix(strings.Repeat("80,", 51), ",")+"]"),
			"error with field spec.ingress[0].destination.ports (must have at most 50 items) at GlobalNetworkPolicy(p).spec.ingress[0].destination.ports: 51 ports is over the limit of 50: use port ranges (min:max) or several rules"},
		{"a bad name does not hide the spec's errors", doc("IPPool", "  name: Bad_Name", "  cidr: 10.0.1.0/33"),
			"error with the following fields: -  Metadata.Name = 'Bad_Name' (name must consist of lower case alphanumeric characters, '-' or '.' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)) at IPPool(Bad_Name).metadata.name: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. my-name or abc.123); " +
				"-  IPPool.Spec.CIDR = '10.0.1.0/33' (IPPool CIDR must be a valid subnet) at IPPool(Bad_Name).spec.cidr: write a network such as 10.244.0.0/16 or fd00:10:244::/64"},
	}
	c := cli{t: t}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			r := c.run("", "validate", "-f", writeFile(t, "in.yaml", tc.input))
			if want := "hit error: [" + tc.want + "]\n"; r.code != 1 || r.stderr != want {
				t.Fatalf("exit %d\n got: %s\nwant: %s", r.code, r.stderr, want)
			}
		})
	}
}

// Decoding errors keep Go's JSON wording, as calicoctl prints it, and then say what the field
// takes.
func TestDecodeMessagesKeepGoJSONText(t *testing.T) {
	cases := []struct {
		name, input, want string
	}{
		{"port above 65535", doc("GlobalNetworkPolicy", "  name: p", "  egress:\n  - action: Allow\n    protocol: TCP\n    source:\n      ports: [65536]"),
			"json: cannot unmarshal number 65536 into Go struct field EntityRule.spec.egress.source.ports of type uint16: spec.egress.source.ports must be a port from 1 to 65535, a range \"min:max\" or a port name, not a number 65536 (GlobalNetworkPolicy(p) in "},
		{"string for a bool", doc("IPPool", "  name: p2", "  cidr: 10.0.0.0/16\n  disabled: \"yes\""),
			"json: cannot unmarshal string into Go struct field IPPoolSpec.spec.disabled of type bool: spec.disabled must be true or false, not a string (IPPool(p2) in "},
		{"AS number above 32 bits", doc("BGPPeer", "  name: p", "  peerIP: 10.0.0.1\n  asNumber: 4294967296"),
			"json: cannot unmarshal number into Go struct field BGPPeerSpec.spec.asNumber of type string: spec.asNumber must be an AS number from 0 to 4294967295, or the dotted form \"a.b\", not a number (BGPPeer(p) in "},
	}
	c := cli{t: t}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			r := c.run("", "validate", "-f", writeFile(t, "in.yaml", tc.input))
			want := "failed to execute command: error unmarshaling JSON: while decoding JSON: " + tc.want
			if r.code != 1 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("exit %d\n got: %s\nwant: %s...", r.code, r.stderr, want)
			}
		})
	}
}

// validate takes the global datastore flags scripts pass to every command, and ignores them.
func TestValidateAcceptsDatastoreFlags(t *testing.T) {
	c := cli{t: t}
	out := c.ok("validate", "-c", "/nonexistent/calicoctl.cfg", "--allow-version-mismatch", "-f", writeFile(t, "p.yaml", pool1))
	if out != "Successfully validated 1 'IPPool' resource(s)\n" {
		t.Errorf("validate: %q", out)
	}
}

const wepPod2 = `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  namespace: ns1
  labels:
    app: web
    projectcalico.org/namespace: elsewhere
spec:
  orchestrator: k8s
  node: node-a
  pod: pod2
  endpoint: eth0
  ipNetworks: [10.1.0.5/32]
`

// Felix selects namespaced policies by the namespace label: every write sets it and the
// orchestrator label, whatever the input says, and a missing name is derived from the spec.
func TestWorkloadEndpointLabelsAndDerivedName(t *testing.T) {
	const name = "node--a-k8s-pod2-eth0"
	t.Run("etcdv3", func(t *testing.T) {
		c := useEtcd(t)
		c.ok("create", "-f", writeFile(t, "wep.yaml", wepPod2))
		want := `{"app":"web","projectcalico.org/namespace":"ns1","projectcalico.org/orchestrator":"k8s"}`
		if got := c.ok("get", "wep", name, "-n", "ns1", "-o", "jsonpath={.metadata.labels}"); got != want {
			t.Errorf("labels after create: %s, want %s", got, want)
		}
		// A manifest without the labels, applied over an endpoint the real tool wrote, keeps them.
		noLabels := strings.Replace(wepPod2, "  labels:\n    app: web\n    projectcalico.org/namespace: elsewhere\n", "", 1)
		c.ok("apply", "-f", writeFile(t, "wep2.yaml", noLabels))
		want = `{"projectcalico.org/namespace":"ns1","projectcalico.org/orchestrator":"k8s"}`
		if got := c.ok("get", "wep", name, "-n", "ns1", "-o", "jsonpath={.metadata.labels}"); got != want {
			t.Errorf("labels after apply: %s, want %s", got, want)
		}
		stored := etcdValue(t, "/calico/resources/v3/projectcalico.org/workloadendpoints/ns1/"+name)
		if !strings.Contains(stored, `"projectcalico.org/namespace":"ns1"`) {
			t.Errorf("stored value lacks the namespace label: %s", stored)
		}
		// Table columns as calicoctl's: no NAME by default, NAME under -o wide.
		if got := c.ok("get", "wep", "-n", "ns1"); got != "NAMESPACE   WORKLOAD   NODE     NETWORKS      INTERFACE   \nns1         pod2       node-a   10.1.0.5/32               \n\n" {
			t.Errorf("get wep:\n%s", got)
		}
		if got := c.ok("get", "wep", "-n", "ns1", "-o", "wide"); !strings.HasPrefix(got, "NAMESPACE   NAME                    WORKLOAD   NODE     NETWORKS      INTERFACE   PROFILES   NATS   \n") {
			t.Errorf("get wep -o wide:\n%s", got)
		}
	})
	t.Run("kubernetes", func(t *testing.T) {
		onKDD(t, func(t *testing.T, c cli) {
			createNode(t, "node-a", nil)
			ensureNamespace(t, "ns1")
			_, err := kddCore.CoreV1().Pods("ns1").Create(context.Background(), &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "pod2", Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "c", Image: "x"}}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := `{"app":"web","projectcalico.org/namespace":"ns1","projectcalico.org/orchestrator":"k8s"}`
			if got := c.ok("get", "wep", name, "-n", "ns1", "-o", "jsonpath={.metadata.labels}"); got != want {
				t.Errorf("labels of the pod's endpoint: %s, want %s", got, want)
			}
			// Endpoints are the pods' here: a manifest is refused before anything is written.
			r := c.run("", "create", "-f", writeFile(t, "wep.yaml", wepPod2))
			if r.code != 1 || !strings.Contains(r.stderr, "operation create is not supported on WorkloadEndpoint(ns1/"+name+")") {
				t.Errorf("create wep on kubernetes: %d %q", r.code, r.stderr)
			}
		})
	})
}

// useEtcd points the test at the etcd datastore, emptied.
func useEtcd(t *testing.T) cli {
	t.Helper()
	for _, ds := range testDatastores {
		if ds.Name == "etcdv3" {
			return useDatastore(t, ds)
		}
	}
	t.Fatal("no etcd datastore")
	return cli{}
}

// etcdValue reads what is stored under a key, "" when nothing is.
func etcdValue(t *testing.T, key string) string {
	t.Helper()
	resp, err := etcdRaw.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

const nodeAndItsObjects = `apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: node-a}
spec: {bgp: {ipv4Address: 10.0.0.1/24}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: node-b}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: hep-a}
spec: {node: node-a, interfaceName: eth0}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: hep-b}
spec: {node: node-b, interfaceName: eth0}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: peer-a}
spec: {node: node-a, peerIP: 10.0.0.9, asNumber: 64999}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: peer-global}
spec: {peerIP: 10.0.0.10, asNumber: 64999}
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: node.node-a}
spec: {logSeverityScreen: Debug}
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: node.node-b}
spec: {logSeverityScreen: Debug}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: node.node-a}
spec: {logSeverityScreen: Debug}
`

// Deleting a node deletes what belongs to it, and nothing else; on the Kubernetes datastore the
// node belongs to Kubernetes and nothing is deleted at all.
func TestDeleteNodeCascades(t *testing.T) {
	t.Run("etcdv3", func(t *testing.T) {
		c := useEtcd(t)
		c.ok("apply", "-f", writeFile(t, "objs.yaml", nodeAndItsObjects))
		c.ok("create", "-f", writeFile(t, "wep.yaml", wepPod2))
		c.ok("create", "-f", writeFile(t, "wepb.yaml", strings.ReplaceAll(wepPod2, "node-a", "node-b")))
		if out := c.ok("delete", "node", "node-a", "--dry-run"); !strings.Contains(out, "Successfully deleted 1 'Node' resource(s)") {
			t.Errorf("dry run: %q", out)
		}
		if got := c.ok("get", "hep", "-o", "name"); got != "hostendpoint/hep-a\nhostendpoint/hep-b\n" {
			t.Fatalf("the dry run deleted something: %q", got)
		}
		c.ok("delete", "node", "node-a")
		// Objects of a node that is already gone are cleaned up all the same, and the missing
		// node is reported.
		c.ok("apply", "-f", writeFile(t, "ghost.yaml", "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: hep-ghost}\nspec: {node: ghost, interfaceName: eth0}\n"))
		r := c.run("", "delete", "node", "ghost")
		if r.code != 1 || !strings.Contains(r.stderr, "resource does not exist: Node(ghost) with error: <nil>") {
			t.Errorf("delete a missing node: %d %q", r.code, r.stderr)
		}
		for args, want := range map[string]string{
			"get nodes -o name":               "node/node-b\n",
			"get hep -o name":                 "hostendpoint/hep-b\n",
			"get bgppeers -o name":            "bgppeer/peer-global\n",
			"get felixconfig -o name":         "felixconfiguration/node.node-b\n",
			"get bgpconfig -o name":           "",
			"get wep -n ns1 -o name":          "workloadendpoint/node--b-k8s-pod2-eth0\n",
			"get wep -n ns1 -o name --export": "workloadendpoint/node--b-k8s-pod2-eth0\n",
		} {
			if got := c.ok(strings.Split(args, " ")...); got != want {
				t.Errorf("%s after delete node: %q, want %q", args, got, want)
			}
		}
	})
	t.Run("several nodes in one command", func(t *testing.T) {
		// What belongs to the nodes of one command is listed once for all of them.
		c := useEtcd(t)
		c.ok("apply", "-f", writeFile(t, "objs.yaml", nodeAndItsObjects+`---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: node-e}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: hep-e}
spec: {node: node-e, interfaceName: eth0}
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: node.node-e}
spec: {logSeverityScreen: Debug}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: hep-ghost}
spec: {node: ghost, interfaceName: eth0}
`))
		c.ok("create", "-f", writeFile(t, "wep.yaml", wepPod2))
		c.ok("create", "-f", writeFile(t, "wepb.yaml", strings.ReplaceAll(wepPod2, "node-a", "node-b")))
		c.ok("create", "-f", writeFile(t, "wepe.yaml", strings.ReplaceAll(wepPod2, "node-a", "node-e")))
		r := c.run("", "delete", "node", "node-a", "node-b", "ghost")
		if r.code != 1 || !strings.Contains(r.stdout, "Successfully deleted 2 'Node' resource(s)") || !strings.Contains(r.stderr, "resource does not exist: Node(ghost)") {
			t.Errorf("delete node node-a node-b ghost: %d %q %q", r.code, r.stdout, r.stderr)
		}
		for args, want := range map[string]string{
			"get nodes -o name":       "node/node-e\n",
			"get hep -o name":         "hostendpoint/hep-e\n",
			"get bgppeers -o name":    "bgppeer/peer-global\n",
			"get felixconfig -o name": "felixconfiguration/node.node-e\n",
			"get bgpconfig -o name":   "",
			"get wep -n ns1 -o name":  "workloadendpoint/node--e-k8s-pod2-eth0\n",
		} {
			if got := c.ok(strings.Split(args, " ")...); got != want {
				t.Errorf("%s after deleting two nodes: %q, want %q", args, got, want)
			}
		}
	})
	t.Run("kubernetes", func(t *testing.T) {
		onKDD(t, func(t *testing.T, c cli) {
			createNode(t, "node-a", nil)
			c.ok("apply", "-f", writeFile(t, "objs.yaml", strings.Replace(nodeAndItsObjects, "kind: Node\nmetadata: {name: node-b}\n---\n", "kind: HostEndpoint\nmetadata: {name: hep-c}\nspec: {node: node-a, interfaceName: eth1}\n---\n", 1)[len("apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: node-a}\nspec: {bgp: {ipv4Address: 10.0.0.1/24}}\n---\n"):]))
			r := c.run("", "delete", "node", "node-a")
			if r.code != 1 || !strings.Contains(r.stderr, "operation delete is not supported on Node(node-a)") {
				t.Fatalf("delete node: %d %q", r.code, r.stderr)
			}
			if got := c.ok("get", "hep", "-o", "name"); got != "hostendpoint/hep-a\nhostendpoint/hep-b\nhostendpoint/hep-c\n" {
				t.Errorf("a refused node delete deleted host endpoints: %q", got)
			}
			if got := c.ok("get", "felixconfig", "-o", "name"); got != "felixconfiguration/node.node-a\nfelixconfiguration/node.node-b\n" {
				t.Errorf("a refused node delete deleted configuration: %q", got)
			}
		})
	})
}

// One value that cannot be read is left out with a warning naming its key; the rest is listed.
func TestCorruptStoredValueIsSkipped(t *testing.T) {
	c := useEtcd(t)
	c.ok("apply", "-f", writeFile(t, "p.yaml", pool1))
	key := "/calico/resources/v3/projectcalico.org/ippools/broken"
	if _, err := etcdRaw.Put(context.Background(), key, `{"kind":"IPPool","spec":{"cidr":123}}`); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "get", "ippools", "-o", "name")
	if r.code != 0 || r.stdout != "ippool/pool1\n" {
		t.Fatalf("get ippools: exit %d stdout %q", r.code, r.stdout)
	}
	if want := "Warning: skipped a stored IPPool that cannot be read: reading " + key + " from etcd: the stored value is not a valid IPPool: json: cannot unmarshal number into Go struct field IPPoolSpec.spec.cidr of type string\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	// It can be deleted by name, without reaching for etcdctl.
	if out := c.ok("delete", "ippool", "broken"); out != "Successfully deleted 1 'IPPool' resource(s)\n" {
		t.Errorf("delete the corrupt value: %q", out)
	}
	if v := etcdValue(t, key); v != "" {
		t.Errorf("the corrupt value is still stored: %s", v)
	}
}

// A resourceVersion in a patch pins what it was written against.
func TestPatchHonoursResourceVersion(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("apply", "-f", writeFile(t, "p.yaml", pool1))
		rv := c.ok("get", "ippool", "pool1", "-o", "jsonpath={.metadata.resourceVersion}")
		c.ok("label", "ippool", "pool1", "x=y") // moves the pool on
		r := c.run("", "patch", "ippool", "pool1", "-p", `{"metadata":{"resourceVersion":"`+rv+`"},"spec":{"disabled":true}}`)
		if r.code != 1 || r.stderr != "hit error: updating existing resource: update conflict: IPPool(pool1)\n" {
			t.Fatalf("stale patch: %d %q", r.code, r.stderr)
		}
		if got := c.ok("get", "ippool", "pool1", "-o", "jsonpath={.spec.disabled}"); got != "" {
			t.Fatalf("a stale patch was written: disabled=%s", got)
		}
		rv = c.ok("get", "ippool", "pool1", "-o", "jsonpath={.metadata.resourceVersion}")
		c.ok("patch", "ippool", "pool1", "-p", `{"metadata":{"resourceVersion":"`+rv+`"},"spec":{"disabled":true}}`)
		if got := c.ok("get", "ippool", "pool1", "-o", "jsonpath={.spec.disabled}"); got != "true" {
			t.Fatalf("a current patch was not written: disabled=%s", got)
		}
	})
}

// Tiers list in tier order, then by name, in every output format; a tier without an order last.
func TestTiersSortedByOrderInEveryFormat(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("apply", "-f", writeFile(t, "tiers.yaml", doc("Tier", "  name: zz-first", "  order: 1")+"---\n"+
			doc("Tier", "  name: aa-unordered", "  {}")+"---\n"+doc("Tier", "  name: bb-second", "  order: 2")+"---\n"+doc("Tier", "  name: ab-second", "  order: 2")))
		want := []string{"zz-first", "ab-second", "bb-second", "kube-admin", "default", "kube-baseline", "aa-unordered"}
		for format, mark := range map[string]string{"name": "tier/%s\n", "yaml": "  name: %s\n", "json": `"name": "%s"`, "wide": "\n%s "} {
			out := c.ok("get", "tiers", "-o", format)
			last := -1
			for _, name := range want {
				i := strings.Index(out, fmt.Sprintf(mark, name))
				if i <= last {
					t.Errorf("-o %s: %s out of order:\n%s", format, name, out)
					break
				}
				last = i
			}
		}
	})
}

// Policies Calico up to 3.28 stored under "default.<name>" are moved to their v3 name, once.
func TestMigratePolicyNames(t *testing.T) {
	c := useEtcd(t)
	old := "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/default.legacy"
	if _, err := etcdRaw.Put(context.Background(), old, `{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"default.legacy"},"spec":{"tier":"default","selector":"all()"}}`); err != nil {
		t.Fatal(err)
	}
	if r := c.run("", "get", "gnp", "legacy"); r.code != 1 {
		t.Fatalf("a legacy key is readable by its v3 name before the migration: %q", r.stdout)
	}
	if out := c.ok("datastore", "migrate-policy-names"); out != "Policy name migration complete, migrated 1 policies.\n" {
		t.Errorf("first run: %q", out)
	}
	if out := c.ok("get", "gnp", "legacy", "-o", "jsonpath={.spec.selector}"); out != "all()" {
		t.Errorf("after the migration: %q", out)
	}
	if etcdValue(t, old) != "" || !strings.Contains(etcdValue(t, "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/legacy"), `"projectcalico.org/metadata":"{\"name\":\"legacy\"}"`) {
		t.Errorf("keys after the migration: old %q", etcdValue(t, old))
	}
	if out := c.ok("datastore", "migrate-policy-names"); out != "Policy name migration complete, migrated 0 policies.\n" {
		t.Errorf("second run: %q", out)
	}
}

// Deleting a node releases its addresses and block affinities; deleting a pool disables it and
// releases the affinities of its empty blocks.
func TestDeleteNodeAndPoolReleaseIPAM(t *testing.T) {
	c := useEtcd(t)
	c.ok("apply", "-f", writeFile(t, "objs.yaml", strings.Replace(pool1, "10.1.0.0/16", "10.7.0.0/16", 1)+"---\n"+
		"apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: node-a}\n---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: node-b}\n"))
	store, err := etcdv3.New(etcdv3.Config{Endpoints: []string{os.Getenv("ETCD_ENDPOINTS")}})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	ic := ipam.New(store)
	for _, host := range []string{"node-a", "node-b"} {
		if _, _, err := ic.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 3, HandleID: "h-" + host, Hostname: host, Attrs: map[string]string{ipam.AttrNode: host}}); err != nil {
			t.Fatalf("allocating for %s: %v", host, err)
		}
	}
	affinities := func() string {
		resp, err := etcdRaw.Get(ctx, "/calico/ipam/v2/host/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, kv := range resp.Kvs {
			keys = append(keys, string(kv.Key))
		}
		return strings.Join(keys, "\n")
	}
	if got := affinities(); !strings.Contains(got, "/host/node-a/") || !strings.Contains(got, "/host/node-b/") {
		t.Fatalf("affinities before: %s", got)
	}
	c.ok("delete", "node", "node-a")
	if got := affinities(); strings.Contains(got, "/host/node-a/") || !strings.Contains(got, "/host/node-b/") {
		t.Errorf("affinities after delete node node-a:\n%s", got)
	}
	if etcdValue(t, "/calico/ipam/v2/handle/h-node-a") != "" || etcdValue(t, "/calico/ipam/v2/handle/h-node-b") == "" {
		t.Errorf("handles after delete node node-a: a=%q b=%q", etcdValue(t, "/calico/ipam/v2/handle/h-node-a"), etcdValue(t, "/calico/ipam/v2/handle/h-node-b"))
	}
	// node-b's block still holds addresses: the pool's delete releases its affinity and leaves the
	// block, with its addresses, until they are released.
	if out := c.ok("delete", "ippool", "pool1"); out != "Successfully deleted 1 'IPPool' resource(s)\n" {
		t.Errorf("delete ippool: %q", out)
	}
	if got := affinities(); got != "" {
		t.Errorf("affinities left after the pool's delete: %s", got)
	}
	resp, err := etcdRaw.Get(ctx, "/calico/ipam/v2/assignment/ipv4/block/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || strings.Contains(string(resp.Kvs[0].Value), `"affinity":"host:`) {
		t.Errorf("blocks after the pool's delete: %v", resp.Kvs)
	}
}
