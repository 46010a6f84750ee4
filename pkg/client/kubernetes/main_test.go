package kubernetes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	kclient "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/manifest"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// One real kube-apiserver (on an embedded etcd) serves every test of the package; tests use
// distinct object names so that they do not see each other's objects.
var (
	kube  *testenv.KubeAPIServer
	admin *kubernetes.Store
	raw   dynamic.Interface // the API server without this package in between
	// adminCore is client-go's clientset on admin's configuration (and rate limiter), to make
	// the core objects (namespaces, nodes, pods) tests read through the store.
	adminCore kclient.Interface
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	e, err := testenv.StartEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer e.Stop()
	kube, err = testenv.StartKubeAPIServer(e.Endpoint)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer kube.Stop()
	admin, err = newStore(kube.AdminKubeconfig, 10*time.Second, 0, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if raw, err = dynamic.NewForConfig(admin.RESTConfig()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if adminCore, err = kclient.NewForConfig(admin.RESTConfig()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := admin.InstallCRDs(ctx, nil); err != nil {
		fmt.Fprintln(os.Stderr, "installing the CRDs:", err)
		return 1
	}
	return m.Run()
}

// newStore connects as calicoctl would with KUBECONFIG=kubeconfig (qps/burst 0: the defaults).
func newStore(kubeconfig string, timeout time.Duration, qps float32, burst int) (*kubernetes.Store, error) {
	cfg := &config.CalicoAPIConfig{Spec: config.CalicoAPIConfigSpec{
		DatastoreType: config.Kubernetes,
		KubeConfig:    config.KubeConfig{Kubeconfig: kubeconfig, K8sClientQPS: qps, K8sClientBurst: burst},
	}}
	return kubernetes.New(cfg, timeout)
}

// coreOf is client-go's clientset on a store's configuration (and rate limiter).
func coreOf(t testing.TB, s *kubernetes.Store) kclient.Interface {
	t.Helper()
	c, err := kclient.NewForConfig(s.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fastStore is an admin store without the client-side rate limit, to set up many objects.
func fastStore(t testing.TB) *kubernetes.Store {
	t.Helper()
	s, err := newStore(kube.AdminKubeconfig, 30*time.Second, 5000, 5000)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// decode reads one v3 object from YAML or JSON.
func decode(t testing.TB, doc string) resources.Resource {
	t.Helper()
	objs, err := manifest.Decode([]byte(doc), "test")
	if err != nil || len(objs) != 1 {
		t.Fatalf("decoding test object: %v (%d objects)", err, len(objs))
	}
	return objs[0]
}

func kind(t testing.TB, name string) *resources.Kind {
	t.Helper()
	k, ok := resources.ByKind(name)
	if !ok {
		t.Fatalf("no kind %s", name)
	}
	return k
}

func gvr(plural string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: kubernetes.Group, Version: kubernetes.Version, Resource: plural}
}

// createRaw creates a custom resource from its JSON, as another tool (Calico itself) would.
func createRaw(t testing.TB, plural, namespace, js string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal([]byte(js), &u.Object); err != nil {
		t.Fatal(err)
	}
	var ri dynamic.ResourceInterface = raw.Resource(gvr(plural))
	if namespace != "" {
		ri = raw.Resource(gvr(plural)).Namespace(namespace)
	}
	out, err := ri.Create(ctxFor(t), u, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating raw %s: %v", plural, err)
	}
	return out
}

func getRaw(t testing.TB, plural, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	var ri dynamic.ResourceInterface = raw.Resource(gvr(plural))
	if namespace != "" {
		ri = raw.Resource(gvr(plural)).Namespace(namespace)
	}
	out, err := ri.Get(ctxFor(t), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading raw %s/%s: %v", plural, name, err)
	}
	return out
}

// ensureNamespace creates a namespace if it is not there yet.
func ensureNamespace(t testing.TB, name string, labels map[string]string) *corev1.Namespace {
	t.Helper()
	ns, err := adminCore.CoreV1().Namespaces().Create(ctxFor(t), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return ns
}

// requestLog records the requests a client sends.
type requestLog struct {
	mu   sync.Mutex
	reqs []string // "METHOD path?query"
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs...)
}

// loggingConfig returns the admin config with a transport that records every request.
func loggingConfig(l *requestLog) *rest.Config {
	rc := admin.RESTConfig()
	rc.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			l.mu.Lock()
			l.reqs = append(l.reqs, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
			l.mu.Unlock()
			return rt.RoundTrip(r)
		})
	}
	return rc
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
