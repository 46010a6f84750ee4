// Package datastore defines the interface every storage backend (etcdv3, Kubernetes) offers and
// the errors they report. Backends store and return typed resources; the conflict semantics are
// those of a single primitive, compare-and-swap on a resourceVersion:
//
//   - Create succeeds only if the object is absent (etcd: Version(key) == 0).
//   - Update and Delete succeed only if the stored resourceVersion equals the one given
//     (etcd: ModRevision(key) == rv). Delete with an empty resourceVersion is unconditional.
//
// IPAM uses the same primitive: a block, handle or affinity update is an Update carrying the
// revision it read.
package datastore

import (
	"context"
	"fmt"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// ListOptions selects what List and Watch return.
type ListOptions struct {
	// Namespace restricts a namespaced kind to one namespace; empty means all namespaces.
	Namespace string
	// Name, when set, restricts the list to that name, or to names starting with it if Prefix.
	Name   string
	Prefix bool
	// Revision reads at (etcd) or not older than (Kubernetes) this resourceVersion.
	Revision string
}

// List is the result of a list: the items in key order and the revision they were read at.
type List struct {
	Kind            *resources.Kind
	ResourceVersion string
	Items           []resources.Resource
	// Skipped are stored values that could not be read as the kind (written corrupt, or by
	// something else): left out of Items so that one bad value does not hide the rest.
	Skipped []error
}

// EventType says what happened to an object in a watch.
type EventType string

const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
	Error    EventType = "ERROR"
)

// Event is one change seen by a watch. Object is the new state, or the last state for Deleted.
type Event struct {
	Type   EventType
	Object resources.Resource
	Err    error
}

// Store is a datastore backend.
type Store interface {
	// Create writes obj if no object of that kind, namespace and name exists. On conflict it
	// returns *AlreadyExistsError carrying the stored object (so apply can update it without
	// another read). The returned object carries the new resourceVersion.
	Create(ctx context.Context, obj resources.Resource) (resources.Resource, error)
	// Update replaces obj if the stored resourceVersion equals obj's; obj must carry one.
	Update(ctx context.Context, obj resources.Resource) (resources.Resource, error)
	// Delete removes an object, conditionally on resourceVersion when it is not empty, and
	// returns the deleted object.
	Delete(ctx context.Context, kind *resources.Kind, namespace, name, resourceVersion string) (resources.Resource, error)
	// Get reads one object.
	Get(ctx context.Context, kind *resources.Kind, namespace, name string) (resources.Resource, error)
	// List reads every object of a kind matching opts, paging through the backend as needed,
	// at one consistent revision.
	List(ctx context.Context, kind *resources.Kind, opts ListOptions) (*List, error)
	// Watch streams changes after opts.Revision (or after "now" when empty) until ctx ends.
	Watch(ctx context.Context, kind *resources.Kind, opts ListOptions) (<-chan Event, error)
	// Type names the backend: "etcdv3" or "kubernetes".
	Type() string
	// Close releases connections.
	Close() error
}

// KnownDeleter is implemented by backends whose delete must first read the object (the
// Kubernetes API wants its uid and resourceVersion as preconditions). Given the object as an
// earlier list read it, they delete it with one request; a conflict means it changed since.
type KnownDeleter interface {
	DeleteKnown(ctx context.Context, obj resources.Resource) (resources.Resource, error)
}

// Refuser is implemented by backends that refuse an operation on a kind whatever the object
// (the Kubernetes datastore's Nodes, WorkloadEndpoints and Profiles are views of core objects).
// The client asks before work that must not start for an operation that will be refused, such
// as the cascade of a node delete.
type Refuser interface {
	Refuses(op string, kind *resources.Kind, namespace, name string) error
}

// Transactor is implemented by backends that write several objects all or nothing in one round
// trip (etcd: one transaction). Each object without a resourceVersion is created if absent; each
// with one replaces the stored object of that revision. WriteAll returns the objects as stored
// (with their new resourceVersion), or a *WriteAllError naming the first object whose condition
// failed, in which case nothing was written. IPAM uses it to record an allocation's handle and
// its block together; callers fall back to one write at a time on backends without it.
//
// Each Unchanged is one more condition: what a list read at a revision still holds (an index
// past the objects in a WriteAllError names it).
type Transactor interface {
	WriteAll(ctx context.Context, objs []resources.Resource, unchanged ...Unchanged) ([]resources.Resource, error)
}

// Unchanged is the condition that nothing the list Request covers was created or updated after
// revision Since, and, with Exists (for a list of one name), that the object is still there.
// Other deletions inside a list are not seen.
type Unchanged struct {
	Request ListRequest
	Since   string
	Exists  bool
}

// WriteAllError says which object of a WriteAll failed its condition, and how: Err is an
// *AlreadyExistsError, *ConflictError or *DoesNotExistError (IsConflict and the others see it).
type WriteAllError struct {
	Index int
	Err   error
}

func (e *WriteAllError) Error() string {
	return fmt.Sprintf("nothing written: %v", e.Err)
}

func (e *WriteAllError) Unwrap() error { return e.Err }

// ListRequest is one list of a ListMany.
type ListRequest struct {
	Kind    *resources.Kind
	Options ListOptions
}

// ManyLister is implemented by backends that read several small lists in one round trip (etcd:
// one read-only transaction), all at one revision. The lists are not paged: for a few small
// reads, such as what an IP allocation starts from.
type ManyLister interface {
	ListMany(ctx context.Context, reqs []ListRequest) ([]*List, error)
}
