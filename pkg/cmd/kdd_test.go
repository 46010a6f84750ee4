package cmd_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	kclient "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
)

// The Kubernetes datastore: a real kube-apiserver (on its own embedded etcd) with the Calico
// CRDs installed, added to testDatastores so that every command case also runs against it.
var (
	kdd     *testenv.KubeAPIServer
	kddDyn  dynamic.Interface
	kddCore kclient.Interface
)

// kddNamespaces are created in the cluster at start: objects of namespaced kinds can only be
// stored in a namespace that exists.
var kddNamespaces = []string{"ns1", "ns2", "ns3", "shop", "other", "tenant-a", "tenant-b", "test", "dev"}

func init() {
	setupHooks = append(setupHooks, startKDD)
}

func startKDD() (stop func(), err error) {
	e, err := testenv.StartEtcd()
	if err != nil {
		return nil, err
	}
	k, err := testenv.StartKubeAPIServer(e.Endpoint)
	if err != nil {
		e.Stop()
		return nil, err
	}
	stop = func() { k.Stop(); e.Stop() }
	rc, err := clientcmd.BuildConfigFromFlags("", k.AdminKubeconfig)
	if err != nil {
		stop()
		return nil, err
	}
	rc.QPS, rc.Burst = 1000, 1000 // test set-up and clean-up are not what is measured
	s, err := kubernetes.NewFromREST(rc, 30*time.Second)
	if err != nil {
		stop()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.InstallCRDs(ctx, nil); err != nil {
		stop()
		return nil, fmt.Errorf("installing the Calico CRDs: %w", err)
	}
	kdd = k
	if kddCore, err = kclient.NewForConfig(s.RESTConfig()); err != nil {
		stop()
		return nil, err
	}
	// A Kubernetes cluster has its namespaces before Calico policies are put in them; these are
	// the ones the command cases use.
	for _, ns := range kddNamespaces {
		if _, err := kddCore.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			stop()
			return nil, err
		}
	}
	if kddDyn, err = dynamic.NewForConfig(rc); err != nil {
		stop()
		return nil, err
	}
	testDatastores = append(testDatastores, testDatastore{
		Name:  "kubernetes",
		Env:   map[string]string{"DATASTORE_TYPE": "kubernetes", "KUBECONFIG": k.AdminKubeconfig},
		Reset: resetKDD,
	})
	return stop, nil
}

// resetKDD deletes every Calico custom resource, and the Kubernetes nodes and pods tests made.
func resetKDD(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	crds, err := kubernetes.CRDManifests()
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range crds {
		plural, _, _ := strings.Cut(crd.GetName(), ".")
		r := kddDyn.Resource(schema.GroupVersionResource{Group: kubernetes.Group, Version: kubernetes.Version, Resource: plural})
		list, err := r.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("cleaning %s: %v", plural, err)
		}
		for _, item := range list.Items {
			var err error
			if ns := item.GetNamespace(); ns != "" {
				err = r.Namespace(ns).Delete(ctx, item.GetName(), metav1.DeleteOptions{})
			} else {
				err = r.Delete(ctx, item.GetName(), metav1.DeleteOptions{})
			}
			if err != nil {
				t.Fatalf("cleaning %s/%s: %v", plural, item.GetName(), err)
			}
		}
	}
	nodes, err := kddCore.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if err := kddCore.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	zero := int64(0)
	if err := kddCore.CoreV1().Pods("default").DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
}

// onKDD runs a test against the Kubernetes datastore only.
func onKDD(t *testing.T, test func(t *testing.T, c cli)) {
	for _, ds := range testDatastores {
		if ds.Name != "kubernetes" {
			continue
		}
		test(t, useDatastore(t, ds))
		return
	}
	t.Fatal("no Kubernetes datastore")
}

func createNode(t *testing.T, name string, annotations map[string]string) {
	t.Helper()
	_, err := kddCore.CoreV1().Nodes().Create(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}, Annotations: annotations}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func TestKDDInstallCRDsIsIdempotent(t *testing.T) {
	onKDD(t, func(t *testing.T, c cli) {
		out := c.ok("datastore", "install-crds")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 23 || lines[0] != "customresourcedefinition.apiextensions.k8s.io/bgpconfigurations.crd.projectcalico.org unchanged" ||
			lines[22] != "Calico CRDs installed: 22 (0 created, 0 updated, 22 unchanged), all established." {
			t.Fatalf("install-crds on a cluster that has them:\n%s", out)
		}
	})
}

func TestKDDCommandsOnDerivedKinds(t *testing.T) {
	onKDD(t, func(t *testing.T, c cli) {
		createNode(t, "kdd-node", map[string]string{"projectcalico.org/IPv4Address": "10.0.0.5/24"})
		ns := "default"
		_, err := kddCore.CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
			Spec:       corev1.PodSpec{NodeName: "kdd-node", Containers: []corev1.Container{{Name: "c", Image: "x"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if out := c.ok("get", "nodes", "-o", "wide"); out != "NAME       ASN       IPV4          IPV6   \nkdd-node   (64512)   10.0.0.5/24          \n\n" {
			t.Errorf("get nodes:\n%s", out)
		}
		if out := c.ok("get", "wep", "-o", "name"); out != "workloadendpoint/kdd--node-k8s-web-eth0\n" {
			t.Errorf("get wep: %q", out)
		}
		if out := c.ok("get", "profile", "kns.default", "-o", "jsonpath={.spec.labelsToApply}"); !strings.Contains(out, `"pcns.projectcalico.org/name":"default"`) {
			t.Errorf("get profile kns.default: %q", out)
		}

		// Nodes are updated in place (apply and label work) but not created or deleted.
		node := writeFile(t, "node.yaml", "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: kdd-node\nspec:\n  bgp:\n    ipv4Address: 10.0.0.5/24\n    asNumber: 65010\n")
		if out := c.ok("apply", "-f", node); out != "Successfully applied 1 'Node' resource(s)\n" {
			t.Errorf("apply node: %q", out)
		}
		c.ok("label", "nodes", "kdd-node", "rack=r7")
		n, err := kddCore.CoreV1().Nodes().Get(context.Background(), "kdd-node", metav1.GetOptions{})
		if err != nil || n.Annotations["projectcalico.org/ASNumber"] != "65010" || n.Annotations["projectcalico.org/labels"] != `{"rack":"r7"}` {
			t.Errorf("node annotations after apply and label: %v %v", err, n.Annotations)
		}
		newNode := writeFile(t, "new.yaml", strings.ReplaceAll(readFile(t, node), "kdd-node", "no-such-node"))
		r := c.run("", "create", "-f", newNode)
		if r.code != 1 || !strings.HasPrefix(r.stderr, "failed to create 'Node' resource: [operation create is not supported on Node(no-such-node): in the Kubernetes datastore a Calico Node is the Kubernetes Node") {
			t.Errorf("create node: %d %q", r.code, r.stderr)
		}
		r = c.run("", "delete", "node", "kdd-node")
		if r.code != 1 || !strings.Contains(r.stderr, "operation delete is not supported on Node(kdd-node)") {
			t.Errorf("delete node: %d %q", r.code, r.stderr)
		}
		r = c.run("", "delete", "profile", "kns.default")
		if r.code != 1 || !strings.Contains(r.stderr, "operation delete is not supported on Profile(kns.default)") {
			t.Errorf("delete profile: %d %q", r.code, r.stderr)
		}
	})
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	_, err := kddCore.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKDDForbiddenNamesTheUser(t *testing.T) {
	onKDD(t, func(t *testing.T, c cli) {
		t.Setenv("KUBECONFIG", kdd.UserKubeconfig)
		r := c.run("", "get", "ippools", "--allow-version-mismatch")
		want := `connection is unauthorized: ippools.crd.projectcalico.org is forbidden: User "alice" cannot list resource "ippools" in API group "crd.projectcalico.org" at the cluster scope`
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("get as alice: %d %q", r.code, r.stderr)
		}
	})
}

func TestKDDKubeconfigFlag(t *testing.T) {
	onKDD(t, func(t *testing.T, c cli) {
		t.Setenv("KUBECONFIG", kdd.UserKubeconfig) // the flag wins over the environment
		os.Unsetenv("DATASTORE_TYPE")
		c.ok("--kubeconfig", kdd.AdminKubeconfig, "create", "-f", writeFile(t, "pool.yaml", pool1))
		if out := c.ok("get", "ippools", "--kubeconfig="+kdd.AdminKubeconfig, "-o", "name"); out != "ippool/pool1\n" {
			t.Errorf("get with --kubeconfig: %q", out)
		}
	})
}

func TestMigrateExportFromEtcdImportIntoKubernetes(t *testing.T) {
	var etcd testDatastore
	for _, ds := range testDatastores {
		if ds.Name == "etcdv3" {
			etcd = ds
		}
	}
	var export string
	t.Run("export", func(t *testing.T) {
		t.Setenv("HOME", t.TempDir())
		for k, v := range etcd.Env {
			t.Setenv(k, v)
		}
		etcd.Reset(t)
		c := cli{t: t, ds: etcd}
		c.ok("apply", "-f", writeFile(t, "objs.yaml", pool1+`---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-all
spec:
  selector: all()
  types: [Ingress]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  selector: app == 'web'
  ingress: [{action: Allow}]
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: etcd-name-1
spec:
  bgp: {ipv4Address: 10.0.0.1/24}
  orchRefs: [{nodeName: k8s-node-1, orchestrator: k8s}]
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: etcd-name-2
spec:
  orchRefs: [{nodeName: k8s-node-2, orchestrator: k8s}]
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: node.etcd-name-1
spec:
  logSeverityScreen: Debug
`))
		// What kube-controllers wrote for a Kubernetes NetworkPolicy in etcd mode: not exported.
		if _, err := etcdRaw.Put(context.Background(), "/calico/resources/v3/projectcalico.org/networkpolicies/shop/knp.default.from-k8s",
			`{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"knp.default.from-k8s","namespace":"shop"},"spec":{"tier":"default","selector":"all()"}}`); err != nil {
			t.Fatal(err)
		}
		if out := c.ok("get", "networkpolicy", "-n", "shop", "-o", "name"); out != "networkpolicy/allow-web\nnetworkpolicy/knp.default.from-k8s\n" {
			t.Fatalf("etcd policies: %q", out)
		}
		r := c.run("", "datastore", "migrate", "export")
		if r.code != 1 || r.stderr != "datastore is not locked. Run the `calicoctl datastore migrate lock` command in order to begin migration\n" {
			t.Fatalf("export unlocked: %d %q", r.code, r.stderr)
		}
		c.ok("datastore", "migrate", "lock")
		export = c.ok("datastore", "migrate", "export")
		r = c.run("", "datastore", "migrate", "import", "-f", writeFile(t, "export", export))
		if r.code != 1 || r.stderr != "invalid datastore type: etcdv3 to import to for datastore migration. Datastore type must be kubernetes\n" {
			t.Errorf("import into etcd: %d %q", r.code, r.stderr)
		}
		// The datastore type is checked before the file is read.
		r = c.run("", "datastore", "migrate", "import", "-f", "/nonexistent/export")
		if r.code != 1 || r.stderr != "invalid datastore type: etcdv3 to import to for datastore migration. Datastore type must be kubernetes\n" {
			t.Errorf("import into etcd of a missing file: %d %q", r.code, r.stderr)
		}
	})
	if export == "" {
		t.FailNow()
	}
	for _, want := range []string{"kind: IPPoolList\nmetadata:\n  resourceVersion: \"", "name: pool1", "name: deny-all", "name: allow-web", "name: k8s-node-1", "name: node.k8s-node-1", "===\n{\n  \"kind\": \"ClusterInformation\"", "===\n{}\n"} {
		if !strings.Contains(export, want) {
			t.Errorf("export lacks %q:\n%s", want, export)
		}
	}
	for _, unwanted := range []string{"knp.default.from-k8s", "etcd-name-1", "uid:", "    resourceVersion: \"", "creationTimestamp: \"20"} {
		if strings.Contains(export, unwanted) {
			t.Errorf("export holds %q", unwanted)
		}
	}
	t.Run("import", func(t *testing.T) {
		onKDD(t, func(t *testing.T, c cli) {
			r := c.run("", "datastore", "migrate", "export")
			if r.code != 1 || r.stderr != "invalid datastore type: kubernetes to export from for datastore migration. Datastore type must be etcdv3\n" {
				t.Errorf("export from kubernetes: %d %q", r.code, r.stderr)
			}
			createNode(t, "k8s-node-1", nil) // k8s-node-2 does not exist: skipped with a warning
			ensureNamespace(t, "shop")
			// Any write creates the protected tiers; they do not count as Calico resources
			// already there.
			c.ok("apply", "-f", writeFile(t, "tier.yaml", "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: default\nspec:\n  order: 1000000\n"))
			if out := c.ok("get", "tiers", "-o", "name"); out != "tier/kube-admin\ntier/default\ntier/kube-baseline\n" {
				t.Fatalf("tiers before the import, in tier order: %q", out)
			}
			file := writeFile(t, "export", export)
			out := c.ok("datastore", "migrate", "import", "-f", file)
			if !strings.Contains(out, "Datastore locked.\n") {
				t.Errorf("import does not say it locked the datastore:\n%s", out)
			}
			if !strings.Contains(out, "[WARNING] Attempted to import node k8s-node-2 from etcd that references a nonexistent Kubernetes node.") ||
				!strings.HasSuffix(out, "Datastore information successfully imported. Please refer to the datastore migration documentation for next steps.\n") {
				t.Errorf("import output:\n%s", out)
			}
			for args, want := range map[string]string{
				"get ippools -o name":                                        "ippool/pool1\n",
				"get gnp deny-all -o name":                                   "globalnetworkpolicy/deny-all\n",
				"get networkpolicy -n shop -o name":                          "networkpolicy/allow-web\n",
				"get felixconfig node.k8s-node-1 -o name":                    "felixconfiguration/node.k8s-node-1\n",
				"get clusterinfo default -o jsonpath={.spec.datastoreReady}": "false",
			} {
				if got := c.ok(strings.Split(args, " ")...); got != want {
					t.Errorf("%s: %q, want %q", args, got, want)
				}
			}
			if a, _ := kddCore.CoreV1().Nodes().Get(context.Background(), "k8s-node-1", metav1.GetOptions{}); a == nil || a.Annotations["projectcalico.org/IPv4Address"] != "10.0.0.1/24" {
				t.Errorf("node k8s-node-1 not imported: %v", a)
			}
			guid := regexp.MustCompile(`"clusterGUID": "([0-9a-f]+)"`).FindStringSubmatch(export)
			if got := c.ok("get", "clusterinfo", "default", "-o", "jsonpath={.spec.clusterGUID}"); len(guid) != 2 || got != guid[1] {
				t.Errorf("cluster GUID %q, exported %v", got, guid)
			}
			r = c.run("", "datastore", "migrate", "import", "-f", file)
			if r.code != 1 || r.stderr != "datastore already has Calico resources: found existing Calico IPPool resource. Clear out all Calico resources by deleting all Calico CRDs\n" {
				t.Errorf("second import: %d %q", r.code, r.stderr)
			}
			c.ok("datastore", "migrate", "unlock")
		})
	})
}
