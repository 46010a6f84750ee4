package datastore

import (
	"context"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// DryRun wraps a Store so that writes are checked against the datastore by reading it (does
// the object exist, does the resourceVersion match) and then reported as if they had been made,
// without writing anything.
func DryRun(s Store) Store { return dryRun{s} }

type dryRun struct{ Store }

func (d dryRun) Create(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	existing, err := d.Store.Get(ctx, kind, obj.GetNamespace(), obj.GetName())
	switch {
	case err == nil:
		return nil, &AlreadyExistsError{ID: kind.ID(obj.GetNamespace(), obj.GetName()), Existing: existing}
	case IsDoesNotExist(err):
		return obj, nil
	default:
		return nil, err
	}
}

func (d dryRun) Update(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	existing, err := d.Store.Get(ctx, kind, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return nil, err
	}
	if existing.GetResourceVersion() != obj.GetResourceVersion() {
		return nil, &ConflictError{ID: kind.ID(obj.GetNamespace(), obj.GetName())}
	}
	return obj, nil
}

func (d dryRun) Delete(ctx context.Context, kind *resources.Kind, namespace, name, resourceVersion string) (resources.Resource, error) {
	existing, err := d.Store.Get(ctx, kind, namespace, name)
	if err != nil {
		return nil, err
	}
	if resourceVersion != "" && existing.GetResourceVersion() != resourceVersion {
		return nil, &ConflictError{ID: kind.ID(namespace, name)}
	}
	return existing, nil
}

// Refuses passes the backend's refusals through, so that a dry run refuses what the real run
// would.
func (d dryRun) Refuses(op string, kind *resources.Kind, namespace, name string) error {
	if r, ok := d.Store.(Refuser); ok {
		return r.Refuses(op, kind, namespace, name)
	}
	return nil
}
