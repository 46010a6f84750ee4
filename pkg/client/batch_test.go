package client_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

func obj(t *testing.T, kind, name string) resources.Resource {
	k, ok := resources.ByKind(kind)
	if !ok {
		t.Fatalf("no kind %s", kind)
	}
	o := k.NewObject()
	o.SetName(name)
	return o
}

// A batch gives the outcome of a one-at-a-time run in file order: objects with the same name are
// handled in order, and a run of one kind ends before the next kind starts.
func TestBatchKeepsFileOrderWhereItMatters(t *testing.T) {
	var objs []resources.Resource
	objs = append(objs, obj(t, "Tier", "t1"))
	for i := 0; i < 200; i++ {
		o := obj(t, "GlobalNetworkPolicy", []string{"a", "b", "c", "d"}[i%4])
		o.SetGeneration(int64(i))
		objs = append(objs, o)
	}
	objs = append(objs, obj(t, "Tier", "t2"))
	var mu sync.Mutex
	var order []string
	tiersDone := map[string]bool{}
	lastSeq := map[string]int64{}
	errs := client.Batch(context.Background(), objs, func(_ context.Context, o resources.Resource) error {
		kind := o.GetObjectKind().GroupVersionKind().Kind
		if kind == "GlobalNetworkPolicy" {
			time.Sleep(time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if kind == "Tier" {
			tiersDone[o.GetName()] = true
		}
		if kind == "GlobalNetworkPolicy" && (!tiersDone["t1"] || tiersDone["t2"]) {
			t.Errorf("policy %s ran outside its kind's turn", o.GetName())
		}
		if kind == "GlobalNetworkPolicy" {
			if prev, ok := lastSeq[o.GetName()]; ok && prev > o.GetGeneration() {
				t.Errorf("%s: object %d ran after object %d", o.GetName(), o.GetGeneration(), prev)
			}
			lastSeq[o.GetName()] = o.GetGeneration()
		}
		order = append(order, kind+"/"+o.GetName())
		return nil
	})
	if len(errs) != len(objs) {
		t.Fatalf("%d results for %d objects", len(errs), len(objs))
	}
	seen := map[string]int{}
	for _, o := range order {
		seen[o]++
	}
	if seen["GlobalNetworkPolicy/a"] != 50 || seen["Tier/t1"] != 1 || seen["Tier/t2"] != 1 {
		t.Fatalf("counts: %v", seen)
	}
}

func TestBatchReportsErrorsByIndex(t *testing.T) {
	var objs []resources.Resource
	for _, n := range []string{"ok1", "bad", "ok2"} {
		objs = append(objs, obj(t, "IPPool", n))
	}
	errs := client.Batch(context.Background(), objs, func(_ context.Context, o resources.Resource) error {
		if o.GetName() == "bad" {
			return context.Canceled
		}
		return nil
	})
	if errs[0] != nil || errs[1] != context.Canceled || errs[2] != nil {
		t.Fatalf("errors: %v", errs)
	}
}
