package datastore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// DryRun wraps a Store so that writes are checked against the datastore by reading it (does
// the object exist, does the resourceVersion match) and then reported as if they had been made,
// without writing anything. What a dry run "wrote" is kept in memory and seen by its later reads,
// so that a dry run answers as the real run would: a policy after the tier it needs, a second
// pool overlapping the first, a create after a delete of the same name.
func DryRun(s Store) Store { return &dryRun{Store: s, objs: map[string]dryEntry{}} }

type dryRun struct {
	Store
	mu   sync.Mutex
	objs map[string]dryEntry
	rev  int
}

// dryEntry is an object as the dry run left it: written, or deleted when obj is nil.
type dryEntry struct {
	kind *resources.Kind
	obj  resources.Resource
}

func dryKey(kind *resources.Kind, namespace, name string) string {
	return kind.Kind + "/" + namespace + "/" + name
}

// current returns the object as the dry run sees it: its own write or delete, else the store's.
func (d *dryRun) current(ctx context.Context, kind *resources.Kind, namespace, name string) (resources.Resource, error) {
	d.mu.Lock()
	e, ok := d.objs[dryKey(kind, namespace, name)]
	d.mu.Unlock()
	if ok {
		if e.obj == nil {
			return nil, &DoesNotExistError{ID: kind.ID(namespace, name)}
		}
		return clone(kind, e.obj), nil
	}
	return d.Store.Get(ctx, kind, namespace, name)
}

// record keeps obj (nil: deleted) with a resourceVersion of the dry run's own, and returns a
// copy of it.
func (d *dryRun) record(kind *resources.Kind, namespace, name string, obj resources.Resource) resources.Resource {
	d.mu.Lock()
	defer d.mu.Unlock()
	if obj == nil {
		d.objs[dryKey(kind, namespace, name)] = dryEntry{kind: kind}
		return nil
	}
	d.rev++
	obj.SetResourceVersion(fmt.Sprintf("dry-run-%d", d.rev))
	d.objs[dryKey(kind, namespace, name)] = dryEntry{kind: kind, obj: clone(kind, obj)}
	return clone(kind, obj)
}

func (d *dryRun) Create(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	existing, err := d.current(ctx, kind, obj.GetNamespace(), obj.GetName())
	switch {
	case err == nil:
		return nil, &AlreadyExistsError{ID: kind.ID(obj.GetNamespace(), obj.GetName()), Existing: existing}
	case IsDoesNotExist(err):
		return d.record(kind, obj.GetNamespace(), obj.GetName(), obj), nil
	default:
		return nil, err
	}
}

func (d *dryRun) Update(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	existing, err := d.current(ctx, kind, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return nil, err
	}
	if existing.GetResourceVersion() != obj.GetResourceVersion() {
		return nil, &ConflictError{ID: kind.ID(obj.GetNamespace(), obj.GetName())}
	}
	return d.record(kind, obj.GetNamespace(), obj.GetName(), obj), nil
}

func (d *dryRun) Delete(ctx context.Context, kind *resources.Kind, namespace, name, resourceVersion string) (resources.Resource, error) {
	existing, err := d.current(ctx, kind, namespace, name)
	if err != nil {
		return nil, err
	}
	if resourceVersion != "" && existing.GetResourceVersion() != resourceVersion {
		return nil, &ConflictError{ID: kind.ID(namespace, name)}
	}
	d.record(kind, namespace, name, nil)
	return existing, nil
}

func (d *dryRun) Get(ctx context.Context, kind *resources.Kind, namespace, name string) (resources.Resource, error) {
	return d.current(ctx, kind, namespace, name)
}

// List is the store's list with the dry run's writes and deletes applied.
func (d *dryRun) List(ctx context.Context, kind *resources.Kind, opts ListOptions) (*List, error) {
	l, err := d.Store.List(ctx, kind, opts)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	mine := map[string]dryEntry{}
	for k, e := range d.objs {
		if e.kind == kind {
			mine[k] = e
		}
	}
	if len(mine) == 0 {
		return l, nil
	}
	items := l.Items[:0:0]
	for _, it := range l.Items {
		k := dryKey(kind, it.GetNamespace(), it.GetName())
		if e, ok := mine[k]; ok {
			delete(mine, k)
			if e.obj == nil {
				continue
			}
			it = clone(kind, e.obj)
		}
		items = append(items, it)
	}
	for _, e := range mine {
		if e.obj != nil && matches(e.obj, opts) {
			items = append(items, clone(kind, e.obj))
		}
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].GetNamespace() != items[j].GetNamespace() {
			return items[i].GetNamespace() < items[j].GetNamespace()
		}
		return items[i].GetName() < items[j].GetName()
	})
	return &List{Kind: l.Kind, ResourceVersion: l.ResourceVersion, Items: items, Skipped: l.Skipped}, nil
}

func matches(obj resources.Resource, opts ListOptions) bool {
	if opts.Namespace != "" && obj.GetNamespace() != opts.Namespace {
		return false
	}
	if opts.Name == "" {
		return true
	}
	if opts.Prefix {
		return strings.HasPrefix(obj.GetName(), opts.Name)
	}
	return obj.GetName() == opts.Name
}

// clone copies an object, so that what the dry run keeps is not changed by its callers.
func clone(kind *resources.Kind, obj resources.Resource) resources.Resource {
	b, err := json.Marshal(obj)
	if err != nil {
		return obj
	}
	out := kind.NewObject()
	if json.Unmarshal(b, out) != nil {
		return obj
	}
	out.GetObjectKind().SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
	return out
}

// Refuses passes the backend's refusals through, so that a dry run refuses what the real run
// would.
func (d *dryRun) Refuses(op string, kind *resources.Kind, namespace, name string) error {
	if r, ok := d.Store.(Refuser); ok {
		return r.Refuses(op, kind, namespace, name)
	}
	return nil
}
