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
	node, err := c.store.Get(ctx, kind, "", name)
	missing := datastore.IsDoesNotExist(err)
	unreadable := datastore.IsUnreadable(err)
	switch {
	case err != nil && !((missing || unreadable) && resourceVersion == ""):
		return nil, err
	case err == nil && resourceVersion != "" && node.GetResourceVersion() != resourceVersion:
		return nil, &datastore.ConflictError{ID: kind.ID("", name)}
	}
	if err := ipam.ReleaseNode(ctx, c.store, name); err != nil {
		return nil, fmt.Errorf("releasing the IP addresses of node %s: %w", name, err)
	}
	owned := []struct {
		kind   string
		ofNode func(resources.Resource) bool
	}{
		{"WorkloadEndpoint", func(r resources.Resource) bool { return r.(*api.WorkloadEndpoint).Spec.Node == name }},
		{"HostEndpoint", func(r resources.Resource) bool { return r.(*api.HostEndpoint).Spec.Node == name }},
		{"BGPPeer", func(r resources.Resource) bool { return r.(*api.BGPPeer).Spec.Node == name }},
		{"FelixConfiguration", func(r resources.Resource) bool { return r.GetName() == "node."+name }},
		{"BGPConfiguration", func(r resources.Resource) bool { return r.GetName() == "node."+name }},
	}
	for _, o := range owned {
		k, _ := resources.ByKind(o.kind)
		list, err := c.store.List(ctx, k, datastore.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing the %s resources of node %s: %w", o.kind, name, err)
		}
		for _, r := range list.Items {
			if !o.ofNode(r) {
				continue
			}
			if _, err := c.store.Delete(ctx, k, r.GetNamespace(), r.GetName(), r.GetResourceVersion()); err != nil && !datastore.IsDoesNotExist(err) {
				return nil, fmt.Errorf("deleting %s of node %s: %w", k.ID(r.GetNamespace(), r.GetName()), name, err)
			}
		}
	}
	if missing {
		return nil, err
	}
	if unreadable {
		return c.store.Delete(ctx, kind, "", name, "")
	}
	return c.store.Delete(ctx, kind, "", name, node.GetResourceVersion())
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
