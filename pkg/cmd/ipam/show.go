package ipam

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/printer"
)

// ShowOptions are the options of ipam show. When several are given, IP wins, then ShowBlocks,
// then ShowBorrowed, then ShowConfiguration.
type ShowOptions struct {
	Config            string
	IP                string
	ShowBlocks        bool
	ShowBorrowed      bool
	ShowConfiguration bool
}

// NewCmdShow builds ipam show.
func NewCmdShow(env *Env, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{}
	cmd := &cobra.Command{
		Use:   "show [--ip=IP | --show-blocks | --show-borrowed | --show-configuration]",
		Short: "Show the use of IP pools and blocks, one address, borrowed addresses or the configuration",
		Example: `  calicoctl ipam show
  calicoctl ipam show --show-blocks
  calicoctl ipam show --ip=10.1.5.3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runShow(env, opts)
		},
	}
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().StringVar(&opts.IP, "ip", "", "show who holds this address")
	cmd.Flags().BoolVar(&opts.ShowBlocks, "show-blocks", false, "show each block of each pool")
	cmd.Flags().BoolVar(&opts.ShowBorrowed, "show-borrowed", false, "show addresses a host took from another host's block")
	cmd.Flags().BoolVar(&opts.ShowConfiguration, "show-configuration", false, "show the IPAM configuration")
	return cmd
}

func runShow(env *Env, opts *ShowOptions) error {
	var ip netip.Addr
	if opts.IP != "" {
		a, err := netip.ParseAddr(opts.IP)
		if err != nil {
			return fmt.Errorf("invalid IP address specified: %s", opts.IP)
		}
		ip = a
	}
	c, ic, err := connect(env, opts.Config)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := env.Context()
	switch {
	case opts.IP != "":
		a, err := ic.GetAssignment(ctx, ip)
		if errors.Is(err, ipam.ErrNotAssigned) {
			fmt.Fprintf(env.Out, "%s is not assigned\n", ip)
			return nil
		}
		if err != nil {
			return err
		}
		printAssignment(env, ip, a)
		return nil
	case opts.ShowBorrowed:
		if !opts.ShowBlocks {
			return showBorrowed(env, ic)
		}
	case opts.ShowConfiguration && !opts.ShowBlocks:
		cfg, err := ic.GetConfig(ctx)
		if err != nil {
			return err
		}
		return printer.Box(env.Out, []string{"PROPERTY", "VALUE"}, [][]string{
			{"StrictAffinity", fmt.Sprint(cfg.StrictAffinity)},
			{"AutoAllocateBlocks", fmt.Sprint(cfg.AutoAllocateBlocks)},
			{"MaxBlocksPerHost", fmt.Sprint(cfg.MaxBlocksPerHost)},
			{"KubeVirtVMAddressPersistence", string(cfg.KubeVirtVMAddressPersistence)},
			{"IPCooldownSeconds", fmt.Sprint(cfg.IPCooldownSeconds)},
		})
	}
	usage, err := ic.Utilization(ctx)
	if err != nil {
		return err
	}
	var rows [][]string
	for _, p := range usage {
		if p.CIDR.IsValid() {
			rows = append(rows, usageRow("IP Pool", p.Usage))
		}
		if opts.ShowBlocks || !p.CIDR.IsValid() {
			for _, b := range p.Blocks {
				rows = append(rows, usageRow("Block", b))
			}
		}
	}
	return printer.Box(env.Out, []string{"GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS RESERVED", "IPS FREE"}, rows)
}

// usageRow formats numbers as Calico does: %.5g, with the share of the total in brackets.
func usageRow(grouping string, u ipam.Usage) []string {
	pct := func(n float64) string {
		p := 0.0
		if u.Total > 0 {
			p = 100 * n / u.Total
		}
		return fmt.Sprintf("%.5g (%.f%%)", n, p)
	}
	return []string{grouping, u.CIDR.String(), fmt.Sprintf("%.5g", u.Total), pct(u.InUse), pct(u.Reserved), pct(u.Free)}
}

func printAssignment(env *Env, ip netip.Addr, a *ipam.Assignment) {
	if a.CoolingOff {
		fmt.Fprintf(env.Out, "IP %s was released and is cooling down: it is not yet free for reuse\n", ip)
		return
	}
	fmt.Fprintf(env.Out, "IP %s is in use\n", ip)
	if a.HandleID != "" {
		fmt.Fprintf(env.Out, "Handle ID: %s\n", a.HandleID)
	} else {
		fmt.Fprintln(env.Out, "Handle ID: <none>")
	}
	printAttrs := func(title string, attrs map[string]string) {
		fmt.Fprintln(env.Out, title)
		keys := make([]string, 0, len(attrs))
		for k := range attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(env.Out, "  %s: %s\n", k, attrs[k])
		}
	}
	if len(a.Attrs) == 0 {
		fmt.Fprintln(env.Out, "No Active Owner attributes defined")
	} else {
		printAttrs("Active Owner Attributes:", a.Attrs)
	}
	if len(a.Alternate) > 0 {
		printAttrs("Alternate Owner Attributes:", a.Alternate)
	}
}

func showBorrowed(env *Env, ic *ipam.Client) error {
	borrowed, unknown, err := ic.Borrowed(env.Context())
	if err != nil {
		return err
	}
	rows := make([][]string, 0, len(borrowed))
	for _, b := range borrowed {
		to := ""
		if b.Pod != "" {
			to = b.Namespace + "/" + b.Pod
		}
		rows = append(rows, []string{b.IP, b.Node, b.Block, b.Owner, b.Type, to})
	}
	if err := printer.Box(env.Out, []string{"IP", "BORROWING-NODE", "BLOCK", "BLOCK OWNER", "TYPE", "ALLOCATED-TO"}, rows); err != nil {
		return err
	}
	if unknown > 0 {
		fmt.Fprintf(env.Out, "%d allocation(s) have no node attribute, so whether they are borrowed is unknown.\n", unknown)
	}
	return nil
}
