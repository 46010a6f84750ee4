package client

import (
	"context"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// prefetchMin is the number of objects of one kind from which reading them all in one list is
// cheaper than learning, one create attempt at a time, which exist.
const prefetchMin = 32

// Prefetch reads, with one list per kind, the stored objects that a batch is about to update or
// delete, so that Apply sends one conditional update for an existing object instead of a failed
// create followed by an update, and a backend that must read an object before deleting it
// (Kubernetes) can skip that read. Stale entries are harmless: the writes are conditional on the
// revision read here and fall back to a fresh read on conflict.
func (c *Client) Prefetch(ctx context.Context, objs []resources.Resource) error {
	count := map[*resources.Kind]int{}
	for _, obj := range objs {
		if k, err := resources.KindOf(obj); err == nil {
			count[k]++
		}
	}
	for kind, n := range count {
		if n < prefetchMin {
			continue
		}
		list, err := c.store.List(ctx, kind, datastore.ListOptions{})
		if err != nil {
			return err
		}
		c.prefetchMu.Lock()
		if c.prefetched == nil {
			c.prefetched = map[*resources.Kind]map[string]resources.Resource{}
		}
		byName := make(map[string]resources.Resource, len(list.Items))
		for _, item := range list.Items {
			byName[item.GetNamespace()+"/"+item.GetName()] = item
		}
		c.prefetched[kind] = byName
		c.prefetchMu.Unlock()
	}
	return nil
}

// prefetchedObject returns the prefetched copy of an object, taking it out of the cache, and
// whether its kind was prefetched at all.
func (c *Client) prefetchedObject(kind *resources.Kind, namespace, name string) (resources.Resource, bool) {
	c.prefetchMu.Lock()
	defer c.prefetchMu.Unlock()
	byName, ok := c.prefetched[kind]
	if !ok {
		return nil, false
	}
	key := namespace + "/" + name
	obj := byName[key]
	delete(byName, key)
	return obj, true
}
