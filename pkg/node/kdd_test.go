package node_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kclient "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// On the Kubernetes datastore the agent configures the Kubernetes Node of its name, and refuses
// to start on a node Kubernetes does not know.
func TestStartupOnKubernetes(t *testing.T) {
	k := testenv.KubeForTest(t)
	rc, err := clientcmd.BuildConfigFromFlags("", k.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	s, err := kubernetes.NewFromREST(rc, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.InstallCRDs(ctx, nil); err != nil {
		t.Fatal(err)
	}
	core, err := kclient.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "k8s-node1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c := client.NewFromStore(s)

	cfg := testConfig(t, "k8s-node1")
	cfg.AS = "65003"
	if logs, err := run(t, c, cfg); err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	obj, err := c.Get(ctx, kind(t, "Node"), "", "k8s-node1")
	if err != nil {
		t.Fatal(err)
	}
	if b := obj.(*api.Node).Spec.BGP; b == nil || b.IPv4Address != "10.0.0.5/32" || b.ASNumber == nil || *b.ASNumber != 65003 {
		t.Errorf("node BGP spec %+v", b)
	}
	ci, err := c.Get(ctx, kind(t, "ClusterInformation"), "", "default")
	if err != nil {
		t.Fatal(err)
	}
	if typ := ci.(*api.ClusterInformation).Spec.ClusterType; !strings.Contains(typ, "kdd") {
		t.Errorf("cluster type %q lacks kdd", typ)
	}

	cfg = testConfig(t, "not-in-kubernetes")
	cfg.IP = "10.0.0.7"
	_, err = run(t, c, cfg)
	if err == nil || !strings.Contains(err.Error(), "node not-in-kubernetes does not exist in the Kubernetes API") {
		t.Errorf("got %v", err)
	}
}
