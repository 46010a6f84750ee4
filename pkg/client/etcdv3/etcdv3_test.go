package etcdv3_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/etcdv3"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

var endpoint string

func TestMain(m *testing.M) {
	e, err := testenv.StartEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	endpoint = e.Endpoint
	code := m.Run()
	e.Stop()
	os.Exit(code)
}

func newStore(t *testing.T) (*etcdv3.Store, *clientv3.Client) {
	t.Helper()
	s, err := etcdv3.New(etcdv3.Config{Endpoints: []string{endpoint}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	raw := s.Client()
	if _, err := raw.Delete(context.Background(), "/calico/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	return s, raw
}

func kind(t *testing.T, name string) *resources.Kind {
	k, ok := resources.ByKind(name)
	if !ok {
		t.Fatalf("kind %s not registered", name)
	}
	return k
}

func pool(name, cidr string) *api.IPPool {
	p := kindNew("IPPool").(*api.IPPool)
	p.Name = name
	p.Spec.CIDR = cidr
	return p
}

func kindNew(name string) resources.Resource {
	k, _ := resources.ByKind(name)
	return k.NewObject()
}

// What is stored must be exactly what Calico stores: the key layout, the JSON of the object with
// its TypeMeta, no resourceVersion, and the revision of the key as resourceVersion on read.
func TestStoredKeysAndValuesAreCalicos(t *testing.T) {
	s, raw := newStore(t)
	ctx := context.Background()
	p := pool("p1", "10.0.0.0/16")
	p.UID = "7d1b5a0e-0000-4000-8000-000000000001"
	created, err := s.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := raw.Get(ctx, "/calico/resources/v3/projectcalico.org/ippools/p1")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("key not found: %v", err)
	}
	want := `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p1","uid":"7d1b5a0e-0000-4000-8000-000000000001"},"spec":{"cidr":"10.0.0.0/16"}}`
	if string(resp.Kvs[0].Value) != want {
		t.Errorf("stored value:\n got %s\nwant %s", resp.Kvs[0].Value, want)
	}
	if created.GetResourceVersion() != strconv.FormatInt(resp.Kvs[0].ModRevision, 10) {
		t.Errorf("resourceVersion %s, ModRevision %d", created.GetResourceVersion(), resp.Kvs[0].ModRevision)
	}

	np := kindNew("NetworkPolicy").(*api.NetworkPolicy)
	np.Name, np.Namespace = "allow-dns", "ns1"
	if _, err := s.Create(ctx, np); err != nil {
		t.Fatal(err)
	}
	resp, _ = raw.Get(ctx, "/calico/resources/v3/projectcalico.org/networkpolicies/ns1/allow-dns")
	if len(resp.Kvs) != 1 {
		t.Fatal("namespaced key not found")
	}
	var stored api.NetworkPolicy
	json.Unmarshal(resp.Kvs[0].Value, &stored)
	if stored.Annotations["projectcalico.org/metadata"] != `{"name":"allow-dns"}` {
		t.Errorf("policy name annotation: %v", stored.Annotations)
	}
	got, err := s.Get(ctx, kind(t, "NetworkPolicy"), "ns1", "allow-dns")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetAnnotations()) != 0 || got.GetName() != "allow-dns" {
		t.Errorf("read back: name %q annotations %v", got.GetName(), got.GetAnnotations())
	}
}

// Objects Calico wrote are read as Calico reads them, including the legacy default-tier name.
func TestReadsValuesWrittenByCalico(t *testing.T) {
	s, raw := newStore(t)
	ctx := context.Background()
	raw.Put(ctx, "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/default.old",
		`{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"default.old","uid":"u1","creationTimestamp":"2025-01-01T00:00:00Z"},"spec":{"tier":"default","selector":"all()","someFutureField":true}}`)
	got, err := s.Get(ctx, kind(t, "GlobalNetworkPolicy"), "", "default.old")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetName() != "old" || got.(*api.GlobalNetworkPolicy).Spec.Selector != "all()" {
		t.Errorf("legacy policy read as %q %+v", got.GetName(), got.(*api.GlobalNetworkPolicy).Spec)
	}
}

func TestConditionalWrites(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	k := kind(t, "IPPool")
	first, err := s.Create(ctx, pool("p1", "10.0.0.0/16"))
	if err != nil {
		t.Fatal(err)
	}
	rv := first.GetResourceVersion()

	_, err = s.Create(ctx, pool("p1", "10.1.0.0/16"))
	var exists *datastore.AlreadyExistsError
	if !asAlreadyExists(err, &exists) || exists.Existing.(*api.IPPool).Spec.CIDR != "10.0.0.0/16" {
		t.Fatalf("second create: %v (existing %+v)", err, exists)
	}
	if err.Error() != "resource already exists: IPPool(p1) with error: <nil>" {
		t.Errorf("message: %q", err)
	}

	upd := pool("p1", "10.0.0.0/16")
	upd.Spec.NATOutgoing = true
	upd.ResourceVersion = rv
	updated, err := s.Update(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	stale := pool("p1", "10.0.0.0/16")
	stale.ResourceVersion = rv
	if _, err := s.Update(ctx, stale); !datastore.IsConflict(err) || err.Error() != "update conflict: IPPool(p1)" {
		t.Fatalf("stale update: %v", err)
	}
	missing := pool("nope", "10.9.0.0/16")
	missing.ResourceVersion = rv
	if _, err := s.Update(ctx, missing); !datastore.IsDoesNotExist(err) {
		t.Fatalf("update of missing: %v", err)
	}
	if _, err := s.Delete(ctx, k, "", "p1", rv); !datastore.IsConflict(err) {
		t.Fatalf("delete with stale rv: %v", err)
	}
	deleted, err := s.Delete(ctx, k, "", "p1", updated.GetResourceVersion())
	if err != nil || !deleted.(*api.IPPool).Spec.NATOutgoing {
		t.Fatalf("delete: %v %+v", err, deleted)
	}
	if _, err := s.Delete(ctx, k, "", "p1", ""); !datastore.IsDoesNotExist(err) || err.Error() != "resource does not exist: IPPool(p1) with error: <nil>" {
		t.Fatalf("second delete: %v", err)
	}
}

func asAlreadyExists(err error, target **datastore.AlreadyExistsError) bool {
	e, ok := err.(*datastore.AlreadyExistsError)
	*target = e
	return ok
}

// Lists page through the keys at one revision, in key order, and only return objects of the kind
// (a namespaced list of one namespace must not include another namespace's objects).
func TestListPagesAtOneRevision(t *testing.T) {
	s, raw := newStore(t)
	ctx := context.Background()
	k := kind(t, "WorkloadEndpoint")
	const n = 4500 // more than two pages
	for i := 0; i < n; i++ {
		ns := "a"
		if i%3 == 0 {
			ns = "b"
		}
		v := fmt.Sprintf(`{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"w%05d","namespace":"%s"},"spec":{"node":"n1"}}`, i, ns)
		if _, err := raw.Put(ctx, fmt.Sprintf("/calico/resources/v3/projectcalico.org/workloadendpoints/%s/w%05d", ns, i), v); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.List(ctx, k, datastore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != n {
		t.Fatalf("listed %d, want %d", len(all.Items), n)
	}
	inB, err := s.List(ctx, k, datastore.ListOptions{Namespace: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(inB.Items) != n/3 {
		t.Fatalf("namespace b: %d, want %d", len(inB.Items), n/3)
	}
	for i := 1; i < len(inB.Items); i++ {
		if inB.Items[i-1].GetName() >= inB.Items[i].GetName() || inB.Items[i].GetNamespace() != "b" {
			t.Fatalf("not in key order or wrong namespace at %d", i)
		}
	}
	rev, _ := strconv.ParseInt(all.ResourceVersion, 10, 64)
	if rev == 0 {
		t.Fatal("list has no revision")
	}
}

func TestWatchReportsChanges(t *testing.T) {
	s, _ := newStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	k := kind(t, "IPPool")
	events, err := s.Watch(ctx, k, datastore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created, _ := s.Create(ctx, pool("w1", "10.0.0.0/16"))
	created.(*api.IPPool).Spec.Disabled = true
	s.Update(ctx, created)
	s.Delete(ctx, k, "", "w1", "")
	var got []datastore.EventType
	for len(got) < 3 {
		select {
		case e := <-events:
			if e.Err != nil {
				t.Fatal(e.Err)
			}
			if e.Object.GetName() != "w1" {
				t.Fatalf("event for %s", e.Object.GetName())
			}
			got = append(got, e.Type)
		case <-ctx.Done():
			t.Fatalf("events so far: %v", got)
		}
	}
	if fmt.Sprint(got) != "[ADDED MODIFIED DELETED]" {
		t.Fatalf("events: %v", got)
	}
}

func TestUnreachableServerFailsWithinTimeout(t *testing.T) {
	s, err := etcdv3.New(etcdv3.Config{Endpoints: []string{"http://127.0.0.1:1"}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	_, err = s.Get(context.Background(), kind(t, "IPPool"), "", "x")
	var unreachable *datastore.UnreachableError
	if e, ok := err.(*datastore.UnreachableError); !ok {
		t.Fatalf("error %T %v, want UnreachableError", err, err)
	} else {
		unreachable = e
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("gave up after %s", time.Since(start))
	}
	if unreachable.Endpoints != "http://127.0.0.1:1" {
		t.Errorf("endpoints: %q", unreachable.Endpoints)
	}
}

// ListMany returns what List returns for each request, all at one revision, in one transaction.
func TestListManyReadsWhatListReads(t *testing.T) {
	s, raw := newStore(t)
	ctx := context.Background()
	for k, v := range map[string]string{
		"/calico/resources/v3/projectcalico.org/ippools/p1":             `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p1"},"spec":{"cidr":"10.1.0.0/16"}}`,
		"/calico/resources/v3/projectcalico.org/ippools/p10":            `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p10"},"spec":{"cidr":"10.10.0.0/16"}}`,
		"/calico/resources/v3/projectcalico.org/nodes/h1":               `{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"h1","labels":{"zone":"a"}},"spec":{}}`,
		"/calico/resources/v3/projectcalico.org/nodes/h10":              `{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"h10"},"spec":{}}`,
		"/calico/ipam/v2/config":                                        `{"strict_affinity":true,"auto_allocate_blocks":true}`,
		"/calico/ipam/v2/host/h1/ipv4/block/10.1.0.0-26":                `{"state":"confirmed","deleted":false}`,
		"/calico/ipam/v2/host/h1/ipv4/block/10.1.0.64-26":               `{"state":"pending","deleted":false}`,
		"/calico/ipam/v2/host/h10/ipv4/block/10.1.0.128-26":             `{"state":"confirmed","deleted":false}`,
		"/calico/resources/v3/projectcalico.org/workloadendpoints/a/w1": `{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"w1","namespace":"a"},"spec":{"node":"h1"}}`,
		"/calico/resources/v3/projectcalico.org/workloadendpoints/b/w1": `{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"w1","namespace":"b"},"spec":{"node":"h1"}}`,
	} {
		if _, err := raw.Put(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	reqs := []datastore.ListRequest{
		{Kind: kind(t, "IPPool")},
		{Kind: kind(t, "IPPool"), Options: datastore.ListOptions{Name: "p1"}},
		{Kind: kind(t, "Node"), Options: datastore.ListOptions{Name: "h1"}},
		{Kind: kind(t, "Node"), Options: datastore.ListOptions{Name: "missing"}},
		{Kind: kind(t, "IPAMConfig"), Options: datastore.ListOptions{Name: "default"}},
		{Kind: kind(t, "BlockAffinity"), Options: datastore.ListOptions{Name: "h1/", Prefix: true}},
		{Kind: kind(t, "BlockAffinity")},
		{Kind: kind(t, "WorkloadEndpoint"), Options: datastore.ListOptions{Name: "w1"}},
		{Kind: kind(t, "WorkloadEndpoint"), Options: datastore.ListOptions{Namespace: "b", Name: "w1"}},
	}
	wantCounts := []int{2, 1, 1, 0, 1, 2, 3, 2, 1}
	got, err := s.ListMany(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(reqs) {
		t.Fatalf("%d lists for %d requests", len(got), len(reqs))
	}
	for i, r := range reqs {
		want, err := s.List(ctx, r.Kind, r.Options)
		if err != nil {
			t.Fatal(err)
		}
		if len(got[i].Items) != wantCounts[i] || len(want.Items) != wantCounts[i] {
			t.Fatalf("request %d (%s %+v): ListMany %d items, List %d, want %d", i, r.Kind.Kind, r.Options, len(got[i].Items), len(want.Items), wantCounts[i])
		}
		for j := range want.Items {
			a, _ := json.Marshal(got[i].Items[j])
			b, _ := json.Marshal(want.Items[j])
			if string(a) != string(b) {
				t.Errorf("request %d item %d: ListMany read %s, List %s", i, j, a, b)
			}
		}
		if got[i].ResourceVersion != got[0].ResourceVersion || got[i].ResourceVersion != want.ResourceVersion {
			t.Errorf("request %d: revision %s, first list %s, List %s", i, got[i].ResourceVersion, got[0].ResourceVersion, want.ResourceVersion)
		}
	}
}

// WriteAll writes every object or none, and says which object's condition failed and how.
func TestWriteAllIsAllOrNothing(t *testing.T) {
	s, raw := newStore(t)
	ctx := context.Background()
	k := kind(t, "IPPool")
	failedAt := func(err error) int {
		var e *datastore.WriteAllError
		if !errors.As(err, &e) {
			t.Fatalf("not a WriteAllError: %v", err)
		}
		return e.Index
	}
	stored := func(name string) bool {
		got, err := raw.Get(ctx, etcdv3.Key(k, "", name))
		if err != nil {
			t.Fatal(err)
		}
		return len(got.Kvs) == 1
	}

	got, err := s.WriteAll(ctx, []resources.Resource{pool("a", "10.0.0.0/16"), pool("b", "10.1.0.0/16")})
	if err != nil || len(got) != 2 || got[0].GetResourceVersion() == "" || got[0].GetResourceVersion() != got[1].GetResourceVersion() {
		t.Fatalf("two creates: %v %v", got, err)
	}
	a, firstRV := got[0].(*api.IPPool), got[0].GetResourceVersion()

	// A create of an existing object fails the whole write: "c" is not created.
	_, err = s.WriteAll(ctx, []resources.Resource{pool("c", "10.2.0.0/16"), pool("b", "10.3.0.0/16")})
	var exists *datastore.AlreadyExistsError
	if failedAt(err) != 1 || !errors.As(err, &exists) || exists.Existing.(*api.IPPool).Spec.CIDR != "10.1.0.0/16" || stored("c") {
		t.Fatalf("create of existing b: %v (c stored: %v)", err, stored("c"))
	}

	// An update conditional on a revision: the first succeeds, the stale second conflicts.
	a.Spec.NATOutgoing = true
	if _, err := s.WriteAll(ctx, []resources.Resource{pool("d", "10.4.0.0/16"), a}); err != nil {
		t.Fatalf("create d and update a: %v", err)
	}
	stale := pool("a", "10.0.0.0/16")
	stale.ResourceVersion = firstRV
	if _, err := s.WriteAll(ctx, []resources.Resource{stale, pool("e", "10.5.0.0/16")}); failedAt(err) != 0 || !datastore.IsConflict(err) || stored("e") {
		t.Fatalf("stale update of a: %v (e stored: %v)", err, stored("e"))
	}
	missing := pool("gone", "10.6.0.0/16")
	missing.ResourceVersion = firstRV
	if _, err := s.WriteAll(ctx, []resources.Resource{pool("f", "10.7.0.0/16"), missing}); failedAt(err) != 1 || !datastore.IsDoesNotExist(err) || stored("f") {
		t.Fatalf("update of a missing object: %v (f stored: %v)", err, stored("f"))
	}
}

// A WriteAll conditional on lists being unchanged since a revision fails, writing nothing, once
// an object of a list was created or updated after it, or a named object that existed is gone.
func TestWriteAllUnchangedConditions(t *testing.T) {
	s, raw := newStore(t)
	ctx := context.Background()
	k := kind(t, "IPPool")
	first, err := s.Create(ctx, pool("a", "10.0.0.0/16"))
	if err != nil {
		t.Fatal(err)
	}
	since := first.GetResourceVersion()
	allPools := datastore.Unchanged{Request: datastore.ListRequest{Kind: k}, Since: since}
	poolA := datastore.Unchanged{Request: datastore.ListRequest{Kind: k, Options: datastore.ListOptions{Name: "a"}}, Since: since, Exists: true}
	tier := func(name string) resources.Resource {
		o := kind(t, "Tier").NewObject()
		o.SetName(name)
		return o
	}
	stored := func(name string) bool {
		got, err := raw.Get(ctx, etcdv3.Key(kind(t, "Tier"), "", name))
		return err == nil && len(got.Kvs) == 1
	}
	if _, err := s.WriteAll(ctx, []resources.Resource{tier("t1")}, allPools, poolA); err != nil {
		t.Fatalf("nothing changed: %v", err)
	}
	if _, err := s.Create(ctx, pool("b", "10.1.0.0/16")); err != nil {
		t.Fatal(err)
	}
	_, err = s.WriteAll(ctx, []resources.Resource{tier("t2")}, allPools)
	var failed *datastore.WriteAllError
	if !errors.As(err, &failed) || failed.Index != 1 || !datastore.IsConflict(err) || stored("t2") {
		t.Fatalf("a pool created since: %v (t2 stored: %v)", err, stored("t2"))
	}
	if _, err := s.WriteAll(ctx, []resources.Resource{tier("t3")}, poolA); err != nil {
		t.Fatalf("pool a unchanged: %v", err)
	}
	if _, err := s.Delete(ctx, k, "", "a", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteAll(ctx, []resources.Resource{tier("t4")}, poolA); !datastore.IsConflict(err) || stored("t4") {
		t.Fatalf("pool a deleted since: %v (t4 stored: %v)", err, stored("t4"))
	}
}
