package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/selector"
)

// tunnelKind is one kind of tunnel address calico/node's allocateip keeps on the Node.
type tunnelKind struct {
	handlePrefix string // the IPAM handle is handlePrefix + node name
	attrType     string // the "type" owner attribute
	v6           bool
	needs        func(api.IPPoolSpec) bool
	field        func(*api.Node) *string
}

func encapOn[M ~string](m M) bool { return m == "Always" || m == "CrossSubnet" }

var tunnelKinds = []tunnelKind{
	{"ipip-tunnel-addr-", "ipipTunnelAddress", false,
		func(p api.IPPoolSpec) bool { return encapOn(p.IPIPMode) },
		func(n *api.Node) *string {
			if n.Spec.BGP == nil {
				n.Spec.BGP = &api.NodeBGPSpec{}
			}
			return &n.Spec.BGP.IPv4IPIPTunnelAddr
		}},
	{"vxlan-tunnel-addr-", "vxlanTunnelAddress", false,
		func(p api.IPPoolSpec) bool { return encapOn(p.VXLANMode) },
		func(n *api.Node) *string { return &n.Spec.IPv4VXLANTunnelAddr }},
	{"vxlan-v6-tunnel-addr-", "vxlanV6TunnelAddress", true,
		func(p api.IPPoolSpec) bool { return encapOn(p.VXLANMode) },
		func(n *api.Node) *string { return &n.Spec.IPv6VXLANTunnelAddr }},
}

// EnsureTunnelAddresses is calico/node's allocate-tunnel-addrs (reference §6.2): for IPIP, VXLAN
// and VXLAN-v6, when an enabled pool of the family that allows tunnel addresses and selects the
// node has the encapsulation, the node keeps the address it has (if it lies in such a pool and
// is held by its handle) or gets one from IPAM (handle ipip-tunnel-addr-<node>, ...); otherwise
// the address is released and the field cleared. The Node is updated when a field changed; the
// updated Node is returned.
func EnsureTunnelAddresses(ctx context.Context, c *client.Client, node *api.Node, log *slog.Logger) (*api.Node, error) {
	list, err := c.List(ctx, mustKind("IPPool"), datastore.ListOptions{})
	if err != nil {
		return node, fmt.Errorf("listing IP pools: %w", err)
	}
	im := ipam.New(c.Store())
	changed := false
	for _, k := range tunnelKinds {
		var pools []netip.Prefix
		for _, o := range list.Items {
			p := o.(*api.IPPool)
			cidr, err := netip.ParsePrefix(p.Spec.CIDR)
			if err != nil || cidr.Addr().Is6() != k.v6 || p.Spec.Disabled || !k.needs(p.Spec) || !allowsTunnel(p.Spec) {
				continue
			}
			if sel, err := selector.Parse(p.Spec.NodeSelector); err != nil || !sel.Evaluate(node.Labels) {
				continue
			}
			pools = append(pools, cidr.Masked())
		}
		handle := k.handlePrefix + node.Name
		field := k.field(node)
		current := *field
		if len(pools) == 0 {
			if current == "" {
				continue
			}
			if err := im.ReleaseByHandle(ctx, handle); err != nil && !errors.Is(err, ipam.ErrNotAssigned) {
				return node, fmt.Errorf("releasing tunnel address %s of node %s: %w", current, node.Name, err)
			}
			log.Info("Removed tunnel address from node", "IP", current, "type", k.attrType)
			*field = ""
			changed = true
			continue
		}
		if current != "" {
			held, err := heldBy(ctx, im, current, handle, pools)
			if err != nil {
				return node, err
			}
			if held {
				continue
			}
		}
		// An address outside the pools, not ours, or allocated by a run that could not store it
		// on the Node: give back what the handle holds, then take a new one.
		if err := im.ReleaseByHandle(ctx, handle); err != nil && !errors.Is(err, ipam.ErrNotAssigned) {
			return node, fmt.Errorf("releasing the tunnel addresses of handle %s: %w", handle, err)
		}
		args := ipam.AutoAssignArgs{HandleID: handle, Hostname: node.Name, IntendedUse: ipam.UseTunnel,
			Attrs: map[string]string{ipam.AttrNode: node.Name, ipam.AttrType: k.attrType}}
		if k.v6 {
			args.Num6, args.IPv6Pools = 1, pools
		} else {
			args.Num4, args.IPv4Pools = 1, pools
		}
		v4, v6, err := im.AutoAssign(ctx, args)
		got := append(v4, v6...)
		if err != nil || len(got) == 0 {
			if len(got) > 0 {
				im.ReleaseByHandle(ctx, handle)
			}
			if err == nil {
				err = errors.New("no address was assigned")
			}
			return node, fmt.Errorf("assigning a %s to node %s from pools %v: %w", k.attrType, node.Name, pools, err)
		}
		*field = got[0].Addr().String()
		log.Info("Assigned tunnel address to node", "IP", *field, "type", k.attrType)
		changed = true
	}
	if node.Spec.BGP != nil && *node.Spec.BGP == (api.NodeBGPSpec{}) {
		node.Spec.BGP = nil
	}
	if !changed {
		return node, nil
	}
	updated, err := c.Update(ctx, node)
	if err != nil {
		return node, fmt.Errorf("storing the tunnel addresses of node %s: %w", node.Name, err)
	}
	return updated.(*api.Node), nil
}

func allowsTunnel(p api.IPPoolSpec) bool {
	if len(p.AllowedUses) == 0 {
		return true
	}
	for _, u := range p.AllowedUses {
		if u == api.IPPoolAllowedUseTunnel {
			return true
		}
	}
	return false
}

// heldBy tells whether addr lies in one of pools and IPAM records it under handle.
func heldBy(ctx context.Context, im *ipam.Client, addr, handle string, pools []netip.Prefix) (bool, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false, nil
	}
	in := false
	for _, p := range pools {
		in = in || p.Contains(a)
	}
	if !in {
		return false, nil
	}
	blocks, err := im.ListBlocks(ctx)
	if err != nil {
		return false, err
	}
	for _, b := range blocks {
		cidr, err := netip.ParsePrefix(b.Spec.CIDR)
		if err != nil || !cidr.Contains(a) {
			continue
		}
		for ord, attr := range b.Spec.Allocations {
			if attr == nil || *attr < 0 || *attr >= len(b.Spec.Attributes) || addOrdinal(cidr.Masked().Addr(), ord) != a {
				continue
			}
			h := b.Spec.Attributes[*attr].HandleID
			return h != nil && *h == handle, nil
		}
	}
	return false, nil
}
