package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// Modify reads an object, lets edit change it, validates it and writes it back conditionally on
// the revision it read, starting again from a fresh read when another writer got there first.
// It is the one read-modify-write loop behind patch, label and datastore locking. edit returning
// an error stops the loop with that error; otherwise it returns the object to write (the one it was
// given, changed, or a new one).
func (c *Client) Modify(ctx context.Context, kind *resources.Kind, namespace, name string, edit func(obj resources.Resource) (resources.Resource, error)) (resources.Resource, error) {
	for attempt := 0; ; attempt++ {
		obj, err := c.Get(ctx, kind, namespace, name)
		if err != nil {
			return nil, err
		}
		rv := obj.GetResourceVersion()
		stored, err := deepCopy(kind, obj)
		if err != nil {
			return nil, err
		}
		if obj, err = edit(obj); err != nil {
			return nil, err
		}
		obj.SetResourceVersion(rv)
		if err := Prepare(obj); err != nil {
			return nil, &WriteError{err}
		}
		if err := c.check(ctx, kind, obj, stored); err != nil {
			return nil, &WriteError{err}
		}
		out, err := c.store.Update(ctx, obj)
		if err == nil {
			return out, nil
		}
		if !datastore.IsConflict(err) || attempt+1 >= c.updateRetries {
			return nil, &WriteError{err}
		}
	}
}

// WriteError is a failure of the write step of Modify (the edited object is invalid, refused, or
// its update failed), as opposed to reading the object or editing it. Its text is the cause's.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

// PatchFunc turns the JSON of the stored object into the JSON of the patched one.
type PatchFunc func(original []byte) ([]byte, error)

// PatchError says which step of a patch failed, in calicoctl's words.
type PatchError struct {
	Step string
	Err  error
}

func (e *PatchError) Error() string { return fmt.Sprintf("%s: %v", e.Step, e.Err) }
func (e *PatchError) Unwrap() error { return e.Err }

// Patch applies patch to a stored object. Identity and bookkeeping metadata (name, namespace,
// uid, resourceVersion, creationTimestamp) cannot be changed by a patch.
func (c *Client) Patch(ctx context.Context, kind *resources.Kind, namespace, name string, patch PatchFunc) (resources.Resource, error) {
	if err := refuse(kind, "patch", name, kind.ReadOnly.NoUpdate); err != nil {
		return nil, err
	}
	out, err := c.Modify(ctx, kind, namespace, name, func(obj resources.Resource) (resources.Resource, error) {
		original, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		patched, err := patch(original)
		if err != nil {
			return nil, err
		}
		fresh, err := kind.DecodeStrict(patched)
		if err != nil {
			return nil, &PatchError{Step: "the patched " + kind.ID(namespace, name) + " is not valid", Err: err}
		}
		if fresh.GetName() != obj.GetName() || fresh.GetNamespace() != obj.GetNamespace() {
			return nil, &PatchError{Step: "patching " + kind.ID(namespace, name), Err: errors.New("a patch cannot change metadata.name or metadata.namespace: create the resource under its new name and delete the old one")}
		}
		// A resourceVersion in the patch pins the revision the patch was written against, as in
		// Calico: a stale one is an update conflict, never silently overwritten.
		if rv := fresh.GetResourceVersion(); rv != "" && rv != obj.GetResourceVersion() {
			return nil, &WriteError{&datastore.ConflictError{ID: kind.ID(namespace, name)}}
		}
		fresh.GetObjectKind().SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
		fresh.SetName(obj.GetName())
		fresh.SetNamespace(obj.GetNamespace())
		fresh.SetUID(obj.GetUID())
		fresh.SetCreationTimestamp(obj.GetCreationTimestamp())
		return fresh, nil
	})
	// Calico words a failed write of the patched object so.
	var we *WriteError
	if errors.As(err, &we) {
		return nil, &PatchError{Step: "updating existing resource", Err: we.Err}
	}
	return out, err
}

func deepCopy(kind *resources.Kind, obj resources.Resource) (resources.Resource, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	out := kind.NewObject()
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	out.SetResourceVersion(obj.GetResourceVersion())
	return out, nil
}
