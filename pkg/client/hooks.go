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
	"IPPool":                    checkIPPool,
	"BGPPeer":                   checkBGPPeerFilters,
	"BGPFilter":                 rememberBGPFilter,
	"NetworkPolicy":             checkNetworkPolicy,
	"GlobalNetworkPolicy":       checkTier,
	"StagedNetworkPolicy":       checkTier,
	"StagedGlobalNetworkPolicy": checkTier,
	"Tier":                      checkTierUpdate,
}

// knpReason is why knp.default.* policies are refused: kube-controllers derives them from
// Kubernetes NetworkPolicies.
const knpReason = "kubernetes network policies must be managed through the kubernetes API"

func checkNetworkPolicy(ctx context.Context, c *Client, obj, stored resources.Resource) error {
	if validation.IsKubernetesNetworkPolicyName(obj.GetName()) {
		op := "create or apply"
		if stored != nil {
			op = "update"
		}
		k, _ := resources.KindOf(obj)
		return &datastore.NotSupportedError{Operation: op, ID: k.ID(obj.GetNamespace(), obj.GetName()), Reason: knpReason}
	}
	return checkTier(ctx, c, obj, stored)
}

func (c *Client) check(ctx context.Context, kind *resources.Kind, obj, stored resources.Resource) error {
	if f, ok := checks[kind.Kind]; ok {
		return f(ctx, c, obj, stored)
	}
	return nil
}

// Checks before a delete, per kind.
var deleteChecks = map[string]func(ctx context.Context, c *Client, kind *resources.Kind, namespace, name string) error{
	"BGPFilter": forgetBGPFilter,
	"NetworkPolicy": func(_ context.Context, _ *Client, kind *resources.Kind, namespace, name string) error {
		if validation.IsKubernetesNetworkPolicyName(name) {
			return &datastore.NotSupportedError{Operation: "delete", ID: kind.ID(namespace, name), Reason: knpReason}
		}
		return nil
	},
	"Tier": checkTierDelete,
}

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
			return validation.FieldError(id, "spec.cidr", pool.Spec.CIDR, fmt.Sprintf("the CIDR of an IP pool cannot be changed (it is %s); create a new pool and disable this one", old.Spec.CIDR)).
				Calico("IPPool.Spec.CIDR", "")
		}
		if old.Spec.BlockSize != pool.Spec.BlockSize {
			return validation.FieldError(id, "spec.blockSize", pool.Spec.BlockSize, fmt.Sprintf("the block size of an IP pool cannot be changed (it is %d)", old.Spec.BlockSize)).
				Calico("IPPool.Spec.BlockSize", "")
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
			return validation.FieldError(id, "spec.cidr", pool.Spec.CIDR, "IP pools must not overlap: choose another range, or delete or shrink the other pool").
				Calico("IPPool.Spec.CIDR", fmt.Sprintf("IPPool(%s) CIDR overlaps with IPPool(%s) CIDR %s", pool.Name, other.Name, other.Spec.CIDR))
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

// policyTier reads the tier of any policy kind.
func policyTier(obj resources.Resource) string {
	switch p := obj.(type) {
	case *api.NetworkPolicy:
		return p.Spec.Tier
	case *api.GlobalNetworkPolicy:
		return p.Spec.Tier
	case *api.StagedNetworkPolicy:
		return p.Spec.Tier
	case *api.StagedGlobalNetworkPolicy:
		return p.Spec.Tier
	}
	return ""
}

// checkTier refuses a policy whose tier does not exist. Tiers known to exist are remembered for
// the life of the client, so a batch of policies reads each tier once.
func checkTier(ctx context.Context, c *Client, obj, _ resources.Resource) error {
	tier := policyTier(obj)
	if tier == "" {
		return nil
	}
	c.tiersMu.Lock()
	known := c.tiers[tier]
	c.tiersMu.Unlock()
	if known {
		return nil
	}
	kind, _ := resources.ByKind("Tier")
	if _, err := c.store.Get(ctx, kind, "", tier); err != nil {
		if datastore.IsDoesNotExist(err) {
			k, _ := resources.KindOf(obj)
			return validation.FieldError(k.ID(obj.GetNamespace(), obj.GetName()), "spec.tier", tier, fmt.Sprintf("tier %s does not exist: create the Tier first (calicoctl get tiers lists them)", tier))
		}
		return err
	}
	c.tiersMu.Lock()
	c.tiers[tier] = true
	c.tiersMu.Unlock()
	return nil
}

// checkTierUpdate remembers a tier that is being written, so policies later in the same batch
// that use it need not read it.
func checkTierUpdate(_ context.Context, c *Client, obj, _ resources.Resource) error {
	c.tiersMu.Lock()
	c.tiers[obj.GetName()] = true
	c.tiersMu.Unlock()
	return nil
}

var protectedTiers = map[string]bool{"default": true, "kube-admin": true, "kube-baseline": true}

// ProtectedTier reports the tiers every Calico datastore has and that cannot be deleted.
func ProtectedTier(name string) bool { return protectedTiers[name] }

// checkTierDelete refuses to delete the built-in tiers and tiers that still hold policies.
func checkTierDelete(ctx context.Context, c *Client, kind *resources.Kind, _, name string) error {
	if protectedTiers[name] {
		return &datastore.NotSupportedError{Operation: "delete", ID: kind.ID("", name), Reason: "the default, kube-admin and kube-baseline tiers are built in"}
	}
	for _, pk := range []string{"GlobalNetworkPolicy", "NetworkPolicy", "StagedGlobalNetworkPolicy", "StagedNetworkPolicy"} {
		k, _ := resources.ByKind(pk)
		list, err := c.store.List(ctx, k, datastore.ListOptions{})
		if err != nil {
			return err
		}
		for _, p := range list.Items {
			if policyTier(p) == name {
				return &datastore.NotSupportedError{Operation: "delete", ID: kind.ID("", name), Reason: fmt.Sprintf("the tier still holds %s: delete its policies first", k.ID(p.GetNamespace(), p.GetName()))}
			}
		}
	}
	c.tiersMu.Lock()
	delete(c.tiers, name)
	c.tiersMu.Unlock()
	return nil
}

// checkBGPPeerFilters refuses a BGPPeer whose filters name BGPFilters that do not exist, naming
// every missing one. Filters known to exist are remembered for the life of the client.
func checkBGPPeerFilters(ctx context.Context, c *Client, obj, _ resources.Resource) error {
	peer := obj.(*api.BGPPeer)
	if len(peer.Spec.Filters) == 0 {
		return nil
	}
	kind, _ := resources.ByKind("BGPFilter")
	var missing []string
	for _, name := range peer.Spec.Filters {
		if _, known := c.bgpFilters.Load(name); known {
			continue
		}
		if _, err := c.store.Get(ctx, kind, "", name); err != nil {
			if !datastore.IsDoesNotExist(err) {
				return err
			}
			missing = append(missing, name)
			continue
		}
		c.bgpFilters.Store(name, struct{}{})
	}
	if len(missing) == 0 {
		return nil
	}
	return validation.FieldError(validation.ID("BGPPeer", false, "", peer.Name), "spec.filters", strings.Join(missing, ", "),
		"BGPFilter(s) not found: "+strings.Join(missing, ", ")+"; create them first (calicoctl get bgpfilters lists them) or remove them from spec.filters")
}

// rememberBGPFilter notes a BGPFilter being written, for the peers after it in the same batch.
func rememberBGPFilter(_ context.Context, c *Client, obj, _ resources.Resource) error {
	c.bgpFilters.Store(obj.GetName(), struct{}{})
	return nil
}

// forgetBGPFilter drops a BGPFilter being deleted from those known to exist.
func forgetBGPFilter(_ context.Context, c *Client, _ *resources.Kind, _, name string) error {
	c.bgpFilters.Delete(name)
	return nil
}
