package ipam

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"
)

// CheckOptions are the options of ipam check.
type CheckOptions struct {
	Config         string
	ShowAllIPs     bool
	ShowProblemIPs bool
	Output         string
}

// NewCmdCheck builds ipam check.
func NewCmdCheck(env *Env, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{}
	cmd := &cobra.Command{
		Use:   "check [--show-all-ips] [--show-problem-ips] [-o FILE]",
		Short: "Compare IPAM's records with the addresses workloads and nodes use",
		Long: `Find leaked addresses (allocated, used by nothing), addresses used without an allocation,
handles nothing refers to and blocks that are inconsistent. -o writes a report that
ipam release --from-report uses; make it with the datastore locked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runCheck(env, opts)
		},
	}
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().BoolVar(&opts.ShowAllIPs, "show-all-ips", false, "print every address (implies --show-problem-ips)")
	cmd.Flags().BoolVar(&opts.ShowProblemIPs, "show-problem-ips", false, "print the addresses that have a problem")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write a JSON report to FILE")
	return cmd
}

func runCheck(env *Env, opts *CheckOptions) error {
	c, ic, err := connect(env, opts.Config)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := env.Context()
	ci, err := clusterInfo(ctx, c)
	if err != nil {
		return err
	}
	out := env.Out
	fmt.Fprintln(out, "Checking IPAM for inconsistencies...")
	fmt.Fprintln(out)
	r, err := ic.Check(ctx, ci, env.Version, opts.Output != "" || opts.ShowAllIPs)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Loading all IPAM blocks...")
	fmt.Fprintf(out, "Found %d IPAM blocks.\n", len(r.Blocks))
	for _, b := range r.Blocks {
		aff := "<none>"
		if b.Spec.Affinity != nil {
			aff = *b.Spec.Affinity
		}
		fmt.Fprintf(out, " IPAM block %s affinity=%s:\n", b.Spec.CIDR, aff)
	}
	fmt.Fprintf(out, "IPAM blocks record %d allocations.\n\n", r.Allocations)
	fmt.Fprintln(out, "Loading all IPAM pools...")
	for _, p := range r.ActivePools {
		fmt.Fprintf(out, "  %s\n", p)
	}
	fmt.Fprintf(out, "Found %d active IP pools.\n\n", len(r.ActivePools))
	fmt.Fprintln(out, "Loading all nodes.")
	fmt.Fprintf(out, "Found %d node tunnel IPs.\n\n", r.TunnelIPs)
	fmt.Fprintln(out, "Loading all workload endpoints.")
	fmt.Fprintf(out, "Found %d workload IPs.\n", r.WorkloadIPs)
	fmt.Fprintf(out, "Workloads and nodes are using %d IPs.\n\n", r.WorkloadIPs+r.TunnelIPs)
	if r.LoadBalancerIPs > 0 {
		fmt.Fprintf(out, "Found %d LoadBalancer IPs (the load-balancer blocks: assigned to Services by kube-controllers, counted as in use).\n\n", r.LoadBalancerIPs)
	}

	fmt.Fprintln(out, "Looking for top (up to 20) nodes by allocations...")
	type nodeCount struct {
		node string
		n    int
	}
	var nodes []nodeCount
	for n, c := range r.ByNode {
		nodes = append(nodes, nodeCount{n, c})
	}
	sort.Slice(nodes, func(i, j int) bool {
		if nodes[i].n != nodes[j].n {
			return nodes[i].n > nodes[j].n
		}
		return nodes[i].node < nodes[j].node
	})
	for i, n := range nodes {
		if i == 20 {
			break
		}
		fmt.Fprintf(out, "  %s has %d allocations\n", n.node, n.n)
	}
	if len(nodes) > 0 {
		fmt.Fprintf(out, "Node with most allocations has %d; median is %d\n", nodes[0].n, nodes[len(nodes)/2].n)
	}
	fmt.Fprintln(out)

	fmt.Fprintln(out, "Scanning for IPs that are allocated but not actually in use...")
	fmt.Fprintf(out, "Found %d IPs that are allocated in IPAM but not actually in use.\n", len(r.NotInUse))
	fmt.Fprintln(out, "Scanning for IPs that are in use by a workload or node but not allocated in IPAM...")
	fmt.Fprintf(out, "Found %d in-use IPs that are not in active IP pools.\n", len(r.InUseNoPool))
	fmt.Fprintf(out, "Found %d in-use IPs that are in active IP pools but have no corresponding IPAM allocation.\n\n", len(r.InUseNoAlloc))
	fmt.Fprintln(out, "Scanning for IPAM handles with no matching IPs...")
	fmt.Fprintf(out, "Found %d handles with no matching IPs (and %d handles with matches).\n", len(r.LeakedHandles), r.HandlesMatched)
	fmt.Fprintln(out, "Scanning for IPs with missing handle...")
	fmt.Fprintf(out, "Found %d handles mentioned in blocks with no matching handle resource.\n", len(r.MissingHandles))
	fmt.Fprintln(out, "Scanning for invalid IPAM blocks...")
	for _, b := range r.InvalidBlocks {
		fmt.Fprintf(out, "  %s\n", b)
	}
	fmt.Fprintf(out, "Found %d invalid IPAM blocks.\n", len(r.InvalidBlocks))

	if opts.ShowAllIPs || opts.ShowProblemIPs {
		ips := make([]string, 0, len(r.Report.Allocations))
		for ip := range r.Report.Allocations {
			if opts.ShowAllIPs || r.ProblemAddrs[ip] {
				ips = append(ips, ip)
			}
		}
		sortAddrs(ips)
		for _, ip := range ips {
			for _, a := range r.Report.Allocations[ip] {
				state := "in use"
				switch {
				case a.CoolingDown:
					state = "cooling down"
				case a.Block == "":
					state = "in use, not allocated in IPAM"
				case !a.InUse:
					state = "allocated, not in use (leaked?)"
				}
				fmt.Fprintf(out, "  %s: %s; handle=%s node=%s pod=%s/%s\n", ip, state, a.Handle, a.Node, a.Namespace, a.Pod)
			}
		}
	}
	fmt.Fprintf(out, "Check complete; found %d problems.\n", r.Problems())
	if opts.Output != "" {
		data, err := json.MarshalIndent(r.Report, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(opts.Output, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
	}
	return nil
}

func sortStrings(s []string, less func(a, b string) bool) {
	sort.Slice(s, func(i, j int) bool { return less(s[i], s[j]) })
}
