package testenv

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func clientFor(t *testing.T, kubeconfig string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("loading %s: %v", kubeconfig, err)
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("client for %s: %v", kubeconfig, err)
	}
	return c
}

func TestKubeAPIServerStoresObjectsAndEnforcesRBAC(t *testing.T) {
	etcd := EtcdForTest(t)
	start := time.Now()
	k, err := StartKubeAPIServer(etcd.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Stop)
	t.Logf("kube-apiserver ready in %s at %s", time.Since(start).Round(time.Millisecond), k.URL)

	ctx := context.Background()
	admin := clientFor(t, k.AdminKubeconfig)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "calico-test"}}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("admin creating namespace: %v", err)
	}
	got, err := admin.CoreV1().Namespaces().Get(ctx, "calico-test", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("admin reading namespace back: %v", err)
	}
	if got.Name != "calico-test" || got.UID == "" {
		t.Fatalf("read back %q with UID %q, want calico-test with a UID", got.Name, got.UID)
	}

	alice := clientFor(t, k.UserKubeconfig)
	_, err = alice.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("alice listing namespaces: got %v, want Forbidden", err)
	}
	t.Logf("alice: %v", err)
}

func TestKubeAPIServersShareOneEtcd(t *testing.T) {
	etcd := EtcdForTest(t)
	servers := make([]*KubeAPIServer, 2)
	for i := range servers {
		k, err := StartKubeAPIServer(etcd.Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(k.Stop)
		servers[i] = k
	}
	ctx := context.Background()
	first := clientFor(t, servers[0].AdminKubeconfig)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "only-on-first"}}
	if _, err := first.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace on the first server: %v", err)
	}
	second := clientFor(t, servers[1].AdminKubeconfig)
	_, err := second.CoreV1().Namespaces().Get(ctx, "only-on-first", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("second server reading the first one's namespace: got %v, want NotFound", err)
	}
}

func TestKubeForTestStopsTheServer(t *testing.T) {
	var k *KubeAPIServer
	if !t.Run("inner", func(t *testing.T) { k = KubeForTest(t) }) {
		return
	}
	select {
	case <-k.exited:
	default:
		t.Fatal("kube-apiserver still running after the test that started it ended")
	}
	if _, err := os.Stat(k.dir); !os.IsNotExist(err) {
		t.Fatalf("temp dir %s still there after cleanup (stat: %v)", k.dir, err)
	}
}
