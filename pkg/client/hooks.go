package client

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/validation"
)

// Checks that need the datastore, per kind. stored is nil for a create and the current object for
// an update. Offline rules belong in package validation.
var checks = map[string]func(ctx context.Context, c *Client, obj, stored resources.Resource) error{
	"IPPool": checkIPPool,
}

func (c *Client) check(ctx context.Context, kind *resources.Kind, obj, stored resources.Resource) error {
	if f, ok := checks[kind.Kind]; ok {
		return f(ctx, c, obj, stored)
	}
	return nil
}

// Checks before a delete, per kind.
var deleteChecks = map[string]func(ctx context.Context, c *Client, kind *resources.Kind, namespace, name string) error{}

func (c *Client) checkDelete(ctx context.Context, kind *resources.Kind, namespace, name string) error {
	if s := static(kind, name); s != nil {
		return &datastore.NotSupportedError{Operation: "delete", ID: kind.ID(namespace, name), Reason: "it is built in"}
	}
	if f, ok := deleteChecks[kind.Kind]; ok {
		return f(ctx, c, kind, namespace, name)
	}
	return nil
}

func checkIPPool(ctx context.Context, c *Client, obj, stored resources.Resource) error {
	pool := obj.(*api.IPPool)
	id := validation.ID("IPPool", false, "", pool.Name)
	if stored != nil {
		old := stored.(*api.IPPool)
		if !sameCIDR(old.Spec.CIDR, pool.Spec.CIDR) {
			return validation.FieldError(id, "spec.cidr", pool.Spec.CIDR, fmt.Sprintf("the CIDR of an IP pool cannot be changed (it is %s); create a new pool and disable this one", old.Spec.CIDR))
		}
		if old.Spec.BlockSize != pool.Spec.BlockSize {
			return validation.FieldError(id, "spec.blockSize", pool.Spec.BlockSize, fmt.Sprintf("the block size of an IP pool cannot be changed (it is %d)", old.Spec.BlockSize))
		}
		return nil
	}
	_, cidr, err := net.ParseCIDR(pool.Spec.CIDR)
	if err != nil {
		return nil // reported by validation
	}
	kind, _ := resources.ByKind("IPPool")
	pools, err := c.store.List(ctx, kind, datastore.ListOptions{})
	if err != nil {
		return err
	}
	for _, r := range pools.Items {
		other := r.(*api.IPPool)
		if other.Name == pool.Name {
			continue
		}
		if _, oc, err := net.ParseCIDR(other.Spec.CIDR); err == nil && (oc.Contains(cidr.IP) || cidr.Contains(oc.IP)) {
			return validation.FieldError(id, "spec.cidr", pool.Spec.CIDR, fmt.Sprintf("overlaps with IPPool(%s) CIDR %s; IP pools must not overlap: choose another range, or delete or shrink the other pool", other.Name, other.Spec.CIDR))
		}
	}
	return nil
}

func sameCIDR(a, b string) bool {
	_, x, err1 := net.ParseCIDR(a)
	_, y, err2 := net.ParseCIDR(b)
	if err1 != nil || err2 != nil {
		return strings.EqualFold(a, b)
	}
	return x.String() == y.String()
}
