package etcdv3_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/calicoctl-go/calicoctl/internal/faultproxy"
	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/etcdv3"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// proxied is a store that reaches the test etcd through a fault proxy, and the raw client that
// reaches it directly.
func proxied(t *testing.T) (*etcdv3.Store, *clientv3.Client, *faultproxy.Proxy) {
	t.Helper()
	_, raw := newStore(t) // empties /calico/
	p := faultproxy.GRPC(t, endpoint)
	s, err := etcdv3.New(etcdv3.Config{Endpoints: []string{p.URL}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, raw, p
}

const txn = "/etcdserverpb.KV/Txn"

// A create or update whose answer is lost after etcd applied it is retried, and the retry
// recognises its own earlier write: the caller sees success, not "already exists" or "update
// conflict".
func TestLostAnswerOfAWriteIsRecognised(t *testing.T) {
	s, raw, p := proxied(t)
	ctx := context.Background()
	drop := p.Arm(faultproxy.Rule{Match: txn, Times: 1, DropAnswer: true})
	created, err := s.Create(ctx, pool("lost-create", "10.20.0.0/16"))
	if err != nil {
		t.Fatalf("create whose answer was lost: %v", err)
	}
	if p.Hits(drop) != 1 {
		t.Fatalf("the answer was not dropped")
	}
	got, err := raw.Get(ctx, etcdv3.Key(kind(t, "IPPool"), "", "lost-create"))
	if err != nil || len(got.Kvs) != 1 || strconv.FormatInt(got.Kvs[0].ModRevision, 10) != created.GetResourceVersion() {
		t.Fatalf("stored %v (%v); create returned resourceVersion %s", got.Kvs, err, created.GetResourceVersion())
	}

	drop = p.Arm(faultproxy.Rule{Match: txn, Times: 1, DropAnswer: true})
	created.(*api.IPPool).Spec.NATOutgoing = true
	updated, err := s.Update(ctx, created)
	if err != nil {
		t.Fatalf("update whose answer was lost: %v", err)
	}
	if p.Hits(drop) != 1 || !updated.(*api.IPPool).Spec.NATOutgoing {
		t.Fatalf("dropped %d, updated %+v", p.Hits(drop), updated)
	}
}

// Connections refused for a while (etcd restarting) after etcd has answered this client: the
// request waits for it within its timeout.
func TestRefusedConnectionsAfterAnAnswerAreWaitedFor(t *testing.T) {
	s, _, p := proxied(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, pool("before", "10.21.0.0/16")); err != nil {
		t.Fatal(err)
	}
	p.Refuse(2 * time.Second)
	start := time.Now()
	if _, err := s.Create(ctx, pool("during", "10.22.0.0/16")); err != nil {
		t.Fatalf("create while connections were refused for 2s: %v", err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("took %s: the connections were not refused", took)
	}
}

// A list read in pages is read at the revision of its first page: an object created and one
// deleted between two pages change nothing in the result.
func TestPagedListIsReadAtOneRevision(t *testing.T) {
	s, raw, p := proxied(t)
	ctx := context.Background()
	k := kind(t, "GlobalNetworkSet")
	const n = 2100 // more than one page of 2000
	ops := make([]clientv3.Op, 0, 128)
	flush := func() {
		if _, err := raw.Txn(ctx).Then(ops...).Commit(); err != nil {
			t.Fatal(err)
		}
		ops = ops[:0]
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("set-%04d", i)
		ops = append(ops, clientv3.OpPut(etcdv3.Key(k, "", name), `{"kind":"GlobalNetworkSet","apiVersion":"projectcalico.org/v3","metadata":{"name":"`+name+`"},"spec":{}}`))
		if len(ops) == 100 {
			flush()
		}
	}
	// Before the second page is read: a new object at the end, and the last one deleted.
	p.Arm(faultproxy.Rule{Match: "/etcdserverpb.KV/Range", Times: 1}) // the first page
	p.Arm(faultproxy.Rule{Match: "/etcdserverpb.KV/Range", Times: 1, Before: func() {
		if _, err := raw.Put(ctx, etcdv3.Key(k, "", "set-9999"), `{"kind":"GlobalNetworkSet","apiVersion":"projectcalico.org/v3","metadata":{"name":"set-9999"},"spec":{}}`); err != nil {
			t.Error(err)
		}
		if _, err := raw.Delete(ctx, etcdv3.Key(k, "", fmt.Sprintf("set-%04d", n-1))); err != nil {
			t.Error(err)
		}
	}})
	l, err := s.List(ctx, k, datastore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != n || l.Items[n-1].GetName() != fmt.Sprintf("set-%04d", n-1) {
		t.Fatalf("%d items, last %s: the list is not the state of one revision", len(l.Items), l.Items[len(l.Items)-1].GetName())
	}
}

// apply and replace without a resourceVersion retry when another writer updates the object
// between their read and their write.
func TestApplyAndReplaceRetryAfterAConflict(t *testing.T) {
	s, raw, p := proxied(t)
	ctx := context.Background()
	c := client.NewFromStore(s)
	if _, err := c.Create(ctx, pool("raced", "10.23.0.0/16")); err != nil {
		t.Fatal(err)
	}
	key := etcdv3.Key(kind(t, "IPPool"), "", "raced")
	// Another writer changes the pool just before each conditional update reaches etcd.
	race := func() {
		got, err := raw.Get(ctx, key)
		if err != nil || len(got.Kvs) != 1 {
			t.Errorf("reading the pool: %v", err)
			return
		}
		if _, err := raw.Put(ctx, key, string(got.Kvs[0].Value)); err != nil {
			t.Error(err)
		}
	}
	for _, op := range []string{"apply", "replace"} {
		if op == "apply" {
			p.Arm(faultproxy.Rule{Match: txn, Times: 1}) // its create, which finds the pool
		}
		rule := p.Arm(faultproxy.Rule{Match: txn, Times: 1, Before: race})
		obj := pool("raced", "10.23.0.0/16")
		obj.Spec.Disabled = true
		var err error
		if op == "apply" {
			_, err = c.Apply(ctx, obj)
		} else {
			_, err = c.Update(ctx, obj)
		}
		if err != nil || p.Hits(rule) != 1 {
			t.Fatalf("%s raced by another writer: %v (raced %d times)", op, err, p.Hits(rule))
		}
	}
}

// A dry run checks its writes against the datastore (existence, resourceVersions), sees its own
// earlier writes and deletes in later reads and lists, and writes nothing.
func TestDryRunChecksAndRemembersWithoutWriting(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	k := kind(t, "IPPool")
	stored, err := s.Create(ctx, pool("real", "10.30.0.0/16"))
	if err != nil {
		t.Fatal(err)
	}
	stale := pool("real", "10.30.0.0/16")
	stale.ResourceVersion, stale.UID = stored.GetResourceVersion(), stored.GetUID()
	stored.(*api.IPPool).Spec.Disabled = true
	if _, err := s.Update(ctx, stored); err != nil {
		t.Fatal(err)
	}
	d := datastore.DryRun(s)
	if _, err := d.Update(ctx, stale); !datastore.IsConflict(err) {
		t.Errorf("dry-run update with a stale resourceVersion: %v", err)
	}
	if _, err := d.Delete(ctx, k, "", "real", stale.ResourceVersion); !datastore.IsConflict(err) {
		t.Errorf("dry-run delete with a stale resourceVersion: %v", err)
	}
	if _, err := d.Create(ctx, pool("real", "10.30.0.0/16")); !datastore.IsAlreadyExists(err) {
		t.Errorf("dry-run create of an existing pool: %v", err)
	}
	if _, err := d.Create(ctx, pool("new", "10.31.0.0/16")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Delete(ctx, k, "", "real", ""); err != nil {
		t.Fatal(err)
	}
	l, err := d.List(ctx, k, datastore.ListOptions{})
	if err != nil || len(l.Items) != 1 || l.Items[0].GetName() != "new" {
		t.Errorf("dry-run list after creating new and deleting real: %v %v", l, err)
	}
	if _, err := d.Get(ctx, k, "", "real"); !datastore.IsDoesNotExist(err) {
		t.Errorf("dry-run get of the pool it deleted: %v", err)
	}
	if _, err := d.Create(ctx, pool("new", "10.31.0.0/16")); !datastore.IsAlreadyExists(err) {
		t.Errorf("second dry-run create of the same pool: %v", err)
	}
	l, err = s.List(ctx, k, datastore.ListOptions{})
	if err != nil || len(l.Items) != 1 || l.Items[0].GetName() != "real" {
		t.Errorf("the dry run wrote: %v %v", l, err)
	}
}

// A WriteAll whose answer is lost after etcd applied it is retried, and the retry recognises
// its own transaction instead of reporting that the objects it created already exist.
func TestLostAnswerOfAWriteAllIsRecognised(t *testing.T) {
	s, raw, p := proxied(t)
	ctx := context.Background()
	drop := p.Arm(faultproxy.Rule{Match: txn, Times: 1, DropAnswer: true})
	got, err := s.WriteAll(ctx, []resources.Resource{pool("lost-1", "10.30.0.0/16"), pool("lost-2", "10.31.0.0/16")})
	if err != nil {
		t.Fatalf("write whose answer was lost: %v", err)
	}
	if p.Hits(drop) != 1 {
		t.Fatalf("the answer was not dropped")
	}
	stored, err := raw.Get(ctx, etcdv3.Key(kind(t, "IPPool"), "", "lost-2"))
	if err != nil || len(stored.Kvs) != 1 || strconv.FormatInt(stored.Kvs[0].ModRevision, 10) != got[1].GetResourceVersion() {
		t.Fatalf("stored %v (%v); WriteAll returned resourceVersion %s", stored.Kvs, err, got[1].GetResourceVersion())
	}
}
