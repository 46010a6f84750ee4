package kubernetes_test

import (
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// DeleteKnown deletes what was read with one request, and refuses (conflict) when the object
// changed since it was read, so that a batch never deletes a newer version it has not seen.
func TestDeleteKnownIsConditionalOnWhatWasRead(t *testing.T) {
	s := fastStore(t)
	ctx := ctxFor(t)
	gnp := kind(t, "GlobalNetworkPolicy")
	_, err := s.Create(ctx, decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"known-1"},"spec":{"selector":"all()"}}`))
	if err != nil {
		t.Fatal(err)
	}
	read, err := s.Get(ctx, gnp, "", "known-1")
	if err != nil {
		t.Fatal(err)
	}
	// Someone else changes it after our read.
	newer := read.(*api.GlobalNetworkPolicy)
	copyOf, _ := s.Get(ctx, gnp, "", "known-1")
	copyOf.(*api.GlobalNetworkPolicy).Spec.Selector = "has(x)"
	if _, err := s.Update(ctx, copyOf); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteKnown(ctx, newer); !datastore.IsConflict(err) {
		t.Fatalf("deleting a stale read: %v, want a conflict", err)
	}
	current, err := s.Get(ctx, gnp, "", "known-1")
	if err != nil {
		t.Fatalf("the newer object was deleted: %v", err)
	}
	if _, err := s.DeleteKnown(ctx, current); err != nil {
		t.Fatalf("deleting the current read: %v", err)
	}
	if _, err := s.Get(ctx, gnp, "", "known-1"); !datastore.IsDoesNotExist(err) {
		t.Fatalf("after delete: %v", err)
	}
}
