package kubernetes_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

func TestPodReadsAnnotationsAndReportsAMissingPod(t *testing.T) {
	ctx := ctxFor(t)
	ensureNamespace(t, "podget", nil)
	want := map[string]string{"cni.projectcalico.org/ipAddrs": `["10.1.2.3"]`}
	_, err := adminCore.CoreV1().Pods("podget").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p1", Annotations: want},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod, err := admin.Pod(ctx, "podget", "p1")
	if err != nil {
		t.Fatal(err)
	}
	if pod.Name != "p1" || pod.Namespace != "podget" || pod.Annotations["cni.projectcalico.org/ipAddrs"] != want["cni.projectcalico.org/ipAddrs"] {
		t.Errorf("read %s/%s with annotations %v, want podget/p1 with %v", pod.Namespace, pod.Name, pod.Annotations, want)
	}
	_, err = admin.Pod(ctx, "podget", "absent")
	if !datastore.IsDoesNotExist(err) {
		t.Fatalf("reading a missing pod: got %v, want a does-not-exist error", err)
	}
	if got, want := err.Error(), "Pod(podget/absent)"; !strings.Contains(got, want) {
		t.Errorf("error %q does not name %s", got, want)
	}
}

// The store's clients (custom resources, core objects, the dynamic client) share one HTTP
// client: one connection to the API server, one TLS handshake, whatever the process reads.
func TestEveryClientOfTheStoreSharesOneConnection(t *testing.T) {
	ctx := ctxFor(t)
	ensureNamespace(t, "oneconn", nil)
	if _, err := adminCore.CoreV1().Pods("oneconn").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p1"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rc := admin.RESTConfig()
	var dials atomic.Int32
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	rc.Dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, address)
	}
	s, err := kubernetes.NewFromREST(rc, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Pod(ctx, "oneconn", "p1"); err != nil { // core/v1
		t.Fatal(err)
	}
	pools, _ := resources.ByKind("IPPool")
	if _, err := s.List(ctx, pools, datastore.ListOptions{}); err != nil { // crd.projectcalico.org/v1
		t.Fatal(err)
	}
	if _, err := s.KubernetesNetworkPolicies(ctx); err != nil { // the dynamic client
		t.Fatal(err)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("the store opened %d connections to the API server, want 1", n)
	}
}

// Requests a command starts at once on a new store share the connection the first one opens,
// instead of each opening (and TLS-handshaking) its own before HTTP/2 is up.
func TestParallelFirstRequestsShareOneConnection(t *testing.T) {
	ctx := ctxFor(t)
	rc := admin.RESTConfig()
	var dials atomic.Int32
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	rc.Dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, address)
	}
	s, err := kubernetes.NewFromREST(rc, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for _, k := range []string{"IPPool", "IPReservation", "BlockAffinity", "IPAMBlock", "Node"} {
		kind, _ := resources.ByKind(k)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.List(ctx, kind, datastore.ListOptions{}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("five requests started at once opened %d connections to the API server, want 1", n)
	}
}
