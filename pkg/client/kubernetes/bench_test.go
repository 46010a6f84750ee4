package kubernetes_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/manifest"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// The benchmarks go through pkg/client exactly as the commands do (client.Batch, 32 requests in
// flight) with calicoctl's default client-side rate limit, QPS 50 and burst 100, against the
// package's kube-apiserver. Run them with
//
//	go test -run '^$' -bench KDD -benchtime 1x ./pkg/client/kubernetes
//
// Each reports the time of every phase as a metric (s/create, s/apply, s/list, s/delete).

func gnps(n int, selector string) []resources.Resource {
	objs := make([]resources.Resource, n)
	for i := range objs {
		objs[i] = mustDecode(fmt.Sprintf(`{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"bench-%05d"},
		  "spec":{"order":%d,"selector":%q,"types":["Ingress"],"ingress":[{"action":"Allow","protocol":"TCP","source":{"selector":"role == 'client'"},"destination":{"ports":[80,443]}}]}}`, i, i, selector))
	}
	return objs
}

func mustDecode(doc string) resources.Resource {
	objs, err := decodeDocs(doc)
	if err != nil {
		panic(err)
	}
	return objs[0]
}

// benchClient uses calicoctl's default rate limit (QPS 50, burst 100), or K8S_CLIENT_QPS and
// K8S_CLIENT_BURST when set, to see what the API server itself sustains.
func benchClient(b *testing.B) *client.Client {
	var qps float64
	var burst int
	fmt.Sscan(os.Getenv("K8S_CLIENT_QPS"), &qps)
	fmt.Sscan(os.Getenv("K8S_CLIENT_BURST"), &burst)
	s, err := newStore(kube.AdminKubeconfig, 10*time.Second, float32(qps), burst)
	if err != nil {
		b.Fatal(err)
	}
	return client.NewFromStore(s)
}

func timed(b *testing.B, metric string, f func() error) {
	start := time.Now()
	if err := f(); err != nil {
		b.Fatalf("%s: %v", metric, err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "s/"+metric)
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func BenchmarkKDDGlobalNetworkPolicies(b *testing.B) {
	gnp, _ := resources.ByKind("GlobalNetworkPolicy")
	for _, n := range []int{200, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				c := benchClient(b)
				if err := c.EnsureInitialized(ctx); err != nil {
					b.Fatal(err)
				}
				timed(b, "create", func() error {
					return firstErr(client.Batch(ctx, gnps(n, "all()"), func(ctx context.Context, obj resources.Resource) error {
						_, err := c.Create(ctx, obj)
						return err
					}))
				})
				timed(b, "apply", func() error { // all existing, every spec changed
					objs := gnps(n, "app == 'x'")
					if err := c.Prefetch(ctx, objs); err != nil {
						return err
					}
					return firstErr(client.Batch(ctx, objs, func(ctx context.Context, obj resources.Resource) error {
						_, err := c.Apply(ctx, obj)
						return err
					}))
				})
				timed(b, "list", func() error {
					l, err := c.List(ctx, gnp, datastore.ListOptions{})
					if err == nil && len(l.Items) < n {
						err = fmt.Errorf("listed %d", len(l.Items))
					}
					return err
				})
				timed(b, "delete", func() error {
					return firstErr(client.Batch(ctx, gnps(n, ""), func(ctx context.Context, obj resources.Resource) error {
						_, err := c.Delete(ctx, gnp, "", obj.GetName(), "")
						return err
					}))
				})
			}
		})
	}
}

func BenchmarkKDDListWorkloadEndpoints5000(b *testing.B) {
	const n = 5000
	ctx := context.Background()
	core := coreOf(b, fastStore(b))
	if _, err := core.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench-pods"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%05d", i), Labels: map[string]string{"app": "bench"}},
					Spec:       corev1.PodSpec{NodeName: fmt.Sprintf("node-%d", i%50), Containers: []corev1.Container{{Name: "c", Image: "x"}}},
					Status:     corev1.PodStatus{PodIP: fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256)},
				}
				if _, err := core.CoreV1().Pods("bench-pods").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	b.Logf("created %d pods in %s (set-up, not measured)", n, time.Since(start).Round(time.Millisecond))
	wep, _ := resources.ByKind("WorkloadEndpoint")
	c := benchClient(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := c.List(ctx, wep, datastore.ListOptions{Namespace: "bench-pods"})
		if err != nil || len(l.Items) != n {
			b.Fatalf("listed %v: %v", len(l.Items), err)
		}
	}
}

func decodeDocs(doc string) ([]resources.Resource, error) {
	return manifest.Decode([]byte(doc), "bench")
}
