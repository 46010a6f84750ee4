package client

import (
	"context"
	"fmt"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Deletes that take other objects with them, as Calico's client does. Each runs before the
// object itself is deleted, so that a failed cascade can be finished by deleting again.
var cascades = map[string]func(ctx context.Context, c *Client, kind *resources.Kind, name, resourceVersion string) (resources.Resource, error){
	"Node":   deleteNode,
	"IPPool": deleteIPPool,
}

// deleteNode removes what belongs to a node: its workload and host endpoints, its BGP peers,
// its per-node Felix and BGP configuration and its IPAM addresses and affinities, then the node.
func deleteNode(ctx context.Context, c *Client, kind *resources.Kind, name, resourceVersion string) (resources.Resource, error) {
	// A node that is already gone may have left its objects behind: clean them up all the same,
	// as Calico does, and report that the node does not exist.
	node, getErr := c.store.Get(ctx, kind, "", name)
	missing := datastore.IsDoesNotExist(getErr)
	unreadable := datastore.IsUnreadable(getErr)
	switch {
	case getErr != nil && !((missing || unreadable) && resourceVersion == ""):
		return nil, getErr
	case getErr == nil && resourceVersion != "" && node.GetResourceVersion() != resourceVersion:
		return nil, &datastore.ConflictError{ID: kind.ID("", name)}
	}
	if err := ipam.ReleaseNode(ctx, c.store, name); err != nil {
		return nil, fmt.Errorf("releasing the IP addresses of node %s: %w", name, err)
	}
	owned, prepared := c.preparedNodeObjects(name)
	if !prepared {
		var err error
		if owned, err = c.listNodeObjects(ctx, map[string]bool{name: true}); err != nil {
			return nil, fmt.Errorf("listing the objects of node %s: %w", name, err)
		}
	}
	for _, r := range owned[name] {
		k, err := resources.KindOf(r)
		if err != nil {
			return nil, err
		}
		if _, err := c.store.Delete(ctx, k, r.GetNamespace(), r.GetName(), r.GetResourceVersion()); err != nil && !datastore.IsDoesNotExist(err) {
			return nil, fmt.Errorf("deleting %s of node %s: %w", k.ID(r.GetNamespace(), r.GetName()), name, err)
		}
	}
	// Its own Felix and BGP configuration, by name.
	for _, kindName := range []string{"FelixConfiguration", "BGPConfiguration"} {
		k, _ := resources.ByKind(kindName)
		if _, err := c.store.Delete(ctx, k, "", "node."+name, ""); err != nil && !datastore.IsDoesNotExist(err) {
			return nil, fmt.Errorf("deleting %s of node %s: %w", k.ID("", "node."+name), name, err)
		}
	}
	if missing {
		return nil, getErr
	}
	if unreadable {
		return c.store.Delete(ctx, kind, "", name, "")
	}
	return c.store.Delete(ctx, kind, "", name, node.GetResourceVersion())
}

// nodeOwned are the kinds whose objects name the node they belong to.
var nodeOwned = []struct {
	kind string
	node func(resources.Resource) string
}{
	{"WorkloadEndpoint", func(r resources.Resource) string { return r.(*api.WorkloadEndpoint).Spec.Node }},
	{"HostEndpoint", func(r resources.Resource) string { return r.(*api.HostEndpoint).Spec.Node }},
	{"BGPPeer", func(r resources.Resource) string { return r.(*api.BGPPeer).Spec.Node }},
}

// listNodeObjects reads the objects that belong to the given nodes, by node: one list per kind.
func (c *Client) listNodeObjects(ctx context.Context, nodes map[string]bool) (map[string][]resources.Resource, error) {
	owned := map[string][]resources.Resource{}
	for _, o := range nodeOwned {
		k, _ := resources.ByKind(o.kind)
		list, err := c.store.List(ctx, k, datastore.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing %s resources: %w", o.kind, err)
		}
		for _, r := range list.Items {
			if n := o.node(r); nodes[n] {
				owned[n] = append(owned[n], r)
			}
		}
	}
	return owned, nil
}

// PrepareDeletes readies a batch of deletes: when it deletes several nodes, the objects that
// belong to them are listed once for the batch instead of once per node. (Like a list per node,
// it does not see an object created for a node after the list.)
func (c *Client) PrepareDeletes(ctx context.Context, objs []resources.Resource) error {
	nodes := map[string]bool{}
	for _, obj := range objs {
		if k, err := resources.KindOf(obj); err == nil && k.Kind == "Node" {
			nodes[obj.GetName()] = true
		}
	}
	if len(nodes) < 2 {
		return nil
	}
	owned, err := c.listNodeObjects(ctx, nodes)
	if err != nil {
		return err
	}
	c.prefetchMu.Lock()
	defer c.prefetchMu.Unlock()
	c.nodeObjects = map[string][]resources.Resource{}
	for n := range nodes {
		c.nodeObjects[n] = owned[n]
	}
	return nil
}

// preparedNodeObjects returns, once, what PrepareDeletes found for a node.
func (c *Client) preparedNodeObjects(name string) (map[string][]resources.Resource, bool) {
	c.prefetchMu.Lock()
	defer c.prefetchMu.Unlock()
	objs, ok := c.nodeObjects[name]
	if !ok {
		return nil, false
	}
	delete(c.nodeObjects, name)
	return map[string][]resources.Resource{name: objs}, true
}

// poolDrainDelay lets allocators that read the pool before it was disabled finish, as Calico
// waits, before the pool's affinities are released.
const poolDrainDelay = 500 * time.Millisecond

// deleteIPPool disables a pool so that no new address comes from it, releases its block
// affinities, and deletes it.
func deleteIPPool(ctx context.Context, c *Client, kind *resources.Kind, name, resourceVersion string) (resources.Resource, error) {
	obj, err := c.store.Get(ctx, kind, "", name)
	if datastore.IsUnreadable(err) {
		// Nothing can be allocated from a pool no one can read: just remove it.
		return c.store.Delete(ctx, kind, "", name, resourceVersion)
	}
	if err != nil {
		return nil, err
	}
	if resourceVersion != "" && obj.GetResourceVersion() != resourceVersion {
		return nil, &datastore.ConflictError{ID: kind.ID("", name)}
	}
	pool := obj.(*api.IPPool)
	if !pool.Spec.Disabled {
		pool.Spec.Disabled = true
		updated, err := c.store.Update(ctx, pool)
		if err != nil {
			return nil, fmt.Errorf("disabling %s before deleting it: %w", kind.ID("", name), err)
		}
		obj = updated
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poolDrainDelay):
		}
	}
	if err := ipam.ReleasePoolAffinities(ctx, c.store, pool.Spec.CIDR); err != nil {
		return nil, fmt.Errorf("releasing the block affinities of %s: %w", kind.ID("", name), err)
	}
	return c.store.Delete(ctx, kind, "", name, obj.GetResourceVersion())
}
