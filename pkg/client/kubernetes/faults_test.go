package kubernetes_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/calicoctl-go/calicoctl/internal/faultproxy"
	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// throughProxy is an admin store that reaches the API server through a fault proxy.
func throughProxy(t *testing.T) (*kubernetes.Store, *faultproxy.Proxy) {
	t.Helper()
	p := faultproxy.HTTPS(t, kube.URL)
	s, err := kubernetes.New(&config.CalicoAPIConfig{Spec: config.CalicoAPIConfigSpec{DatastoreType: config.Kubernetes,
		KubeConfig: config.KubeConfig{K8sAPIEndpoint: p.URL, K8sAPIToken: kube.AdminToken, K8sInsecureSkipTLSVerify: true, K8sClientQPS: 1000, K8sClientBurst: 1000}}}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

const tiersPath = "/apis/crd.projectcalico.org/v1/tiers"

func tier(t *testing.T, name string, order int) resources.Resource {
	return decode(t, fmt.Sprintf(`{"apiVersion":"projectcalico.org/v3","kind":"Tier","metadata":{"name":%q},"spec":{"order":%d}}`, name, order))
}

// A create, update or delete whose answer is lost after the API server applied it is retried,
// and the retry recognises its own earlier write: the caller sees success.
func TestKubernetesLostAnswersAreRecognised(t *testing.T) {
	s, p := throughProxy(t)
	ctx := ctxFor(t)
	drop := p.Arm(faultproxy.Rule{Match: "POST " + tiersPath, Times: 1, DropAnswer: true})
	created, err := s.Create(ctx, tier(t, "lost-1", 11))
	if err != nil || p.Hits(drop) != 1 {
		t.Fatalf("create whose answer was lost: %v (dropped %d)", err, p.Hits(drop))
	}
	drop = p.Arm(faultproxy.Rule{Match: "PUT " + tiersPath + "/lost-1", Times: 1, DropAnswer: true})
	*created.(*api.Tier).Spec.Order = 12
	updated, err := s.Update(ctx, created)
	if err != nil || p.Hits(drop) != 1 || *updated.(*api.Tier).Spec.Order != 12 {
		t.Fatalf("update whose answer was lost: %v (dropped %d)", err, p.Hits(drop))
	}
	drop = p.Arm(faultproxy.Rule{Match: "DELETE " + tiersPath + "/lost-1", Times: 1, DropAnswer: true})
	if _, err := s.Delete(ctx, kind(t, "Tier"), "", "lost-1", ""); err != nil || p.Hits(drop) != 1 {
		t.Fatalf("delete whose answer was lost: %v (dropped %d)", err, p.Hits(drop))
	}
	if _, err := admin.Get(ctx, kind(t, "Tier"), "", "lost-1"); !datastore.IsDoesNotExist(err) {
		t.Fatalf("after the delete: %v", err)
	}
}

// 429 (with Retry-After) and 503 answers are retried; refused connections after the API server
// has answered (a restart) are waited for within the timeout.
func TestKubernetesTransientFailuresAreRetried(t *testing.T) {
	s, p := throughProxy(t)
	ctx := ctxFor(t)
	var logged bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&syncWriter{w: &logged}, &slog.HandlerOptions{Level: slog.LevelInfo})))
	busy := p.Arm(faultproxy.Rule{Match: "POST " + tiersPath, Times: 1, Status: 429, RetryAfter: 1})
	down := p.Arm(faultproxy.Rule{Match: "POST " + tiersPath, Times: 2, Status: 503})
	start := time.Now()
	if _, err := s.Create(ctx, tier(t, "busy-1", 13)); err != nil || p.Hits(busy) != 1 || p.Hits(down) != 2 {
		t.Fatalf("create answered 429 then 503 twice: %v (%d, %d)", err, p.Hits(busy), p.Hits(down))
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("took %s: Retry-After: 1 was not honoured", took)
	}
	if want := `reason="the API server asked to retry (429 TooManyRequests)" wait=1s`; !strings.Contains(logged.String(), want) {
		t.Errorf("the retry after a 429 with Retry-After: 1 was not logged as %s:\n%s", want, logged.String())
	}
	p.Refuse(2 * time.Second)
	if _, err := s.Create(ctx, tier(t, "busy-2", 14)); err != nil {
		t.Fatalf("create while connections were refused for 2s: %v", err)
	}
	for _, n := range []string{"busy-1", "busy-2"} {
		admin.Delete(ctx, kind(t, "Tier"), "", n, "")
	}
}

// A delete without a resourceVersion that loses a race with an update (the object changed
// between its read and its delete) reads it again and deletes the newer object.
func TestKubernetesDeleteRetriesAfterLosingARace(t *testing.T) {
	s, p := throughProxy(t)
	ctx := ctxFor(t)
	if _, err := admin.Create(ctx, tier(t, "raced-1", 15)); err != nil {
		t.Fatal(err)
	}
	race := p.Arm(faultproxy.Rule{Match: "DELETE " + tiersPath + "/raced-1", Times: 1, Before: func() { bumpTier(t, "raced-1") }})
	if _, err := s.Delete(ctx, kind(t, "Tier"), "", "raced-1", ""); err != nil || p.Hits(race) != 1 {
		t.Fatalf("delete raced by an update: %v (raced %d)", err, p.Hits(race))
	}
	if _, err := admin.Get(ctx, kind(t, "Tier"), "", "raced-1"); !datastore.IsDoesNotExist(err) {
		t.Fatalf("after the delete: %v", err)
	}
}

// bumpTier changes a tier's custom resource directly, as another writer would.
func bumpTier(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := raw.Resource(gvr("tiers")).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Error(err)
		return
	}
	unstructured.SetNestedField(u.Object, int64(99), "spec", "order")
	if _, err := raw.Resource(gvr("tiers")).Update(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Error(err)
	}
}

// A batch delete reads the objects once (Prefetch) and deletes each with one conditional request;
// an object changed since that read is deleted the long way, not reported as a conflict.
func TestBatchDeleteFallsBackWhenItsReadIsStale(t *testing.T) {
	c := client.NewFromStore(fastStore(t))
	ctx := ctxFor(t)
	var objs []resources.Resource
	for i := 0; i < 40; i++ {
		o := tier(t, fmt.Sprintf("stale-%02d", i), 100+i)
		if _, err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, tier(t, fmt.Sprintf("stale-%02d", i), 0))
	}
	if err := c.Prefetch(ctx, objs); err != nil {
		t.Fatal(err)
	}
	bumpTier(t, "stale-07") // changed after the batch read it
	errs := client.Batch(ctx, objs, func(ctx context.Context, obj resources.Resource) error {
		_, err := c.Delete(ctx, kind(t, "Tier"), "", obj.GetName(), "")
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("deleting %s: %v", objs[i].GetName(), err)
		}
	}
	if l, err := admin.List(ctx, kind(t, "Tier"), datastore.ListOptions{Name: "stale-", Prefix: true}); err != nil || len(l.Items) != 0 {
		t.Fatalf("left after the batch delete: %v %v", l, err)
	}
}

// syncWriter serialises writes of concurrent loggers.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
