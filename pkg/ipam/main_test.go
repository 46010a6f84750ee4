package ipam_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kclient "k8s.io/client-go/kubernetes"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/etcdv3"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// backend is one real datastore every test runs against.
type backend struct {
	name  string
	store datastore.Store
	// newStore opens another connection, as another process would.
	newStore func() (datastore.Store, error)
	addNode  func(t testing.TB, name string, labels map[string]string)
	reset    func(t testing.TB)
	// rawValue returns what is stored for an IPAM record: the etcd value or the custom
	// resource's JSON, by etcd key or by plural/name.
	rawEtcd *clientv3.Client
	// etcdEndpoint is set for the etcd backend, for child processes.
	etcdEndpoint string
	core         kclient.Interface
	kube         *kubernetes.Store
}

var backends []*backend

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	if os.Getenv(raceWorkerEnv) != "" {
		return raceWorker()
	}
	e, err := testenv.StartEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer e.Stop()
	etcdStore := func() (datastore.Store, error) {
		return etcdv3.New(etcdv3.Config{Endpoints: []string{e.Endpoint}, Timeout: 20 * time.Second})
	}
	es, err := etcdStore()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	raw := es.(*etcdv3.Store).Client()
	backends = append(backends, &backend{
		name: "etcdv3", store: es, newStore: etcdStore, rawEtcd: raw, etcdEndpoint: e.Endpoint,
		addNode: func(t testing.TB, name string, labels map[string]string) {
			n := mustKind(t, "Node").NewObject()
			n.SetName(name)
			n.SetLabels(labels)
			if _, err := es.Create(context.Background(), n); err != nil {
				t.Fatalf("creating node %s: %v", name, err)
			}
		},
		reset: func(t testing.TB) {
			if _, err := raw.Delete(context.Background(), "/calico/", clientv3.WithPrefix()); err != nil {
				t.Fatal(err)
			}
		},
	})

	ke, err := testenv.StartEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer ke.Stop()
	kube, err := testenv.StartKubeAPIServer(ke.Endpoint)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer kube.Stop()
	kubeStore := func() (datastore.Store, error) {
		cfg := &config.CalicoAPIConfig{Spec: config.CalicoAPIConfigSpec{DatastoreType: config.Kubernetes,
			KubeConfig: config.KubeConfig{Kubeconfig: kube.AdminKubeconfig, K8sClientQPS: 2000, K8sClientBurst: 2000}}}
		return kubernetes.New(cfg, 30*time.Second)
	}
	ks, err := kubeStore()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := ks.(*kubernetes.Store).InstallCRDs(ctx, nil); err != nil {
		fmt.Fprintln(os.Stderr, "installing the CRDs:", err)
		return 1
	}
	core, err := kclient.NewForConfig(ks.(*kubernetes.Store).RESTConfig())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	backends = append(backends, &backend{
		name: "kubernetes", store: ks, newStore: kubeStore, core: core, kube: ks.(*kubernetes.Store),
		addNode: func(t testing.TB, name string, labels map[string]string) {
			_, err := core.CoreV1().Nodes().Create(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("creating node %s: %v", name, err)
			}
		},
		reset: func(t testing.TB) {
			ctx := context.Background()
			for _, k := range []string{"IPAMBlock", "BlockAffinity", "IPAMHandle", "IPAMConfig", "IPPool", "IPReservation"} {
				kind := mustKind(t, k)
				l, err := ks.List(ctx, kind, datastore.ListOptions{})
				if err != nil {
					t.Fatalf("listing %s: %v", k, err)
				}
				for _, it := range l.Items {
					if _, err := ks.Delete(ctx, kind, "", it.GetName(), ""); err != nil && !datastore.IsDoesNotExist(err) {
						t.Fatalf("deleting %s %s: %v", k, it.GetName(), err)
					}
				}
			}
			if err := core.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
				t.Fatal(err)
			}
		},
	})
	return m.Run()
}

func mustKind(t testing.TB, name string) *resources.Kind {
	k, ok := resources.ByKind(name)
	if !ok {
		t.Fatalf("kind %s is not registered", name)
	}
	return k
}

// forEachBackend runs a test on each datastore, emptied first.
func forEachBackend(t *testing.T, test func(t *testing.T, b *backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			b.reset(t)
			test(t, b)
		})
	}
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// create writes a v3 object from JSON ({"kind":...,"metadata":...,"spec":...}).
func create(t testing.TB, b *backend, kind, js string) {
	t.Helper()
	obj := mustKind(t, kind).NewObject()
	if err := json.Unmarshal([]byte(js), obj); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s: %v", kind, err)
	}
}

func addPool(t testing.TB, b *backend, name, cidr string, blockSize int, extra string) {
	t.Helper()
	create(t, b, "IPPool", fmt.Sprintf(`{"metadata":{"name":%q},"spec":{"cidr":%q,"blockSize":%d,"nodeSelector":"all()"%s}}`, name, cidr, blockSize, extra))
}

// deleteNode deletes a node: the Kubernetes Node, or the Calico Node on etcd.
func (b *backend) deleteNode(t testing.TB, name string) {
	t.Helper()
	var err error
	if b.core != nil {
		err = b.core.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
	} else {
		_, err = b.store.Delete(context.Background(), mustKind(t, "Node"), "", name, "")
	}
	if err != nil {
		t.Fatalf("deleting node %s: %v", name, err)
	}
}
