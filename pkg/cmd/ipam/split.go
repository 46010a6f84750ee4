package ipam

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// SplitOptions are the options of ipam split.
type SplitOptions struct {
	Config string
	Number string
	CIDR   string
	Name   string
}

// NewCmdSplit builds ipam split.
func NewCmdSplit(env *Env, runF func(*SplitOptions) error) *cobra.Command {
	opts := &SplitOptions{}
	cmd := &cobra.Command{
		Use:   "split NUMBER (--cidr=CIDR | --name=POOL)",
		Short: "Split an IP pool into NUMBER smaller pools (a power of 2), on a locked datastore",
		Long: `Replace an IP pool by NUMBER pools that cover its range, named split-<pool>-<i>, with the
same settings. Blocks and allocations stay as they are. The datastore must be locked first
(calicoctl datastore migrate lock), so that nothing allocates meanwhile.`,
		Example: `  calicoctl datastore migrate lock
  calicoctl ipam split 4 --name=default-ipv4-ippool
  calicoctl datastore migrate unlock`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Number = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runSplit(env, opts)
		},
	}
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().StringVar(&opts.CIDR, "cidr", "", "the CIDR of the pool to split")
	cmd.Flags().StringVar(&opts.Name, "name", "", "the name of the pool to split")
	return cmd
}

func runSplit(env *Env, opts *SplitOptions) error {
	if opts.CIDR == "" && opts.Name == "" {
		return errors.New("no name or CIDR provided. Provide a name or CIDR to denote the IP pool to split")
	}
	// Unlike Calico's, the number is checked before anything changes.
	n, err := strconv.Atoi(opts.Number)
	if err != nil || n < 2 || bits.OnesCount(uint(n)) != 1 {
		return fmt.Errorf("number to split CIDR into is not a valid power of 2: %s", opts.Number)
	}
	c, err := env.Client(opts.Config)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := env.Context()
	ci, err := clusterInfo(ctx, c)
	if err != nil {
		return err
	}
	if !locked(ci) {
		return errors.New("datastore is not locked. Run the `calicoctl datastore migrate lock` command in order split the IP pools")
	}
	pool, err := findPool(ctx, c, opts)
	if err != nil {
		return err
	}
	prefix, err := netip.ParsePrefix(pool.Spec.CIDR)
	if err != nil {
		return fmt.Errorf("IP pool %s has an invalid CIDR %q", pool.Name, pool.Spec.CIDR)
	}
	prefix = prefix.Masked()
	extra := bits.TrailingZeros(uint(n))
	blockBits := pool.Spec.BlockSize
	if blockBits == 0 {
		blockBits = 26
		if prefix.Addr().Is6() {
			blockBits = 122
		}
	}
	if prefix.Bits()+extra > blockBits {
		return fmt.Errorf("IP pool %s (%s, block size %d) is not large enough to be split into %d parts", pool.Name, prefix, blockBits, n)
	}
	// Build and check every new pool before changing anything.
	parts := make([]*api.IPPool, n)
	kind, _ := resources.ByKind("IPPool")
	for i := range parts {
		sub := ipam.Subnet(prefix, prefix.Bits()+extra, uint64(i))
		p := kind.NewObject().(*api.IPPool)
		p.Name = fmt.Sprintf("split-%s-%d", pool.Name, i)
		p.Labels, p.Annotations = pool.Labels, pool.Annotations
		p.Spec = pool.Spec
		p.Spec.CIDR = sub.String()
		p.Spec.Disabled = pool.Spec.Disabled
		if err := client.Prepare(p); err != nil {
			return fmt.Errorf("the new pool %s would be invalid: %w", p.Name, err)
		}
		parts[i] = p
	}
	// The old pool goes first (the new ones overlap it); its blocks and allocations stay, now
	// inside the new pools. Deleting through the store keeps the pool's affinities.
	if _, err := c.Store().Delete(ctx, kind, "", pool.Name, pool.ResourceVersion); err != nil {
		return fmt.Errorf("deleting IP pool %s: %w", pool.Name, err)
	}
	fmt.Fprintf(env.Out, "IP Pool %s was successfully split into %d smaller pools.\n", pool.Name, n)
	for _, p := range parts {
		if _, err := c.Create(ctx, p); err != nil {
			return fmt.Errorf("creating IP pool %s (%s) after deleting %s: %w; create it by hand", p.Name, p.Spec.CIDR, pool.Name, err)
		}
		fmt.Fprintf(env.Out, "Created %s with CIDR %s.\n", p.Name, p.Spec.CIDR)
	}
	fmt.Fprintln(env.Out, "Please refer to the documentation for final steps.")
	return nil
}

func findPool(ctx context.Context, c *client.Client, opts *SplitOptions) (*api.IPPool, error) {
	kind, _ := resources.ByKind("IPPool")
	if opts.Name != "" {
		obj, err := c.Get(ctx, kind, "", opts.Name)
		if err != nil {
			return nil, err
		}
		return obj.(*api.IPPool), nil
	}
	want, err := netip.ParsePrefix(opts.CIDR)
	if err != nil {
		return nil, fmt.Errorf("invalid CIDR %q: %v", opts.CIDR, err)
	}
	l, err := c.List(ctx, kind, datastore.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, it := range l.Items {
		p := it.(*api.IPPool)
		if got, err := netip.ParsePrefix(p.Spec.CIDR); err == nil && got.Masked() == want.Masked() {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no IP pool has the CIDR %s", opts.CIDR)
}

// sortAddrs sorts address strings numerically.
func sortAddrs(ips []string) {
	parsed := make(map[string]netip.Addr, len(ips))
	for _, s := range ips {
		parsed[s], _ = netip.ParseAddr(s)
	}
	sortStrings(ips, func(a, b string) bool { return parsed[a].Less(parsed[b]) })
}
