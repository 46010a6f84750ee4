package ipam

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/ipam"
)

// ReleaseOptions are the options of ipam release.
type ReleaseOptions struct {
	Config      string
	IP          string
	FromReports []string
	Force       bool
}

// NewCmdRelease builds ipam release.
func NewCmdRelease(env *Env, runF func(*ReleaseOptions) error) *cobra.Command {
	opts := &ReleaseOptions{}
	cmd := &cobra.Command{
		Use:   "release (--ip=IP | --from-report=FILE... [--force])",
		Short: "Release an address, or the leaked addresses and handles of ipam check reports",
		Long: `Release one allocated address (--ip), or every address and handle that ipam check reports
(-o FILE) found leaked. With several reports only what all of them found is released, each
address only if nothing changed since; the datastore must be locked (datastore migrate lock)
unless --force.`,
		Example: `  calicoctl ipam release --ip=10.1.5.3
  calicoctl datastore migrate lock
  calicoctl ipam check -o report.json
  calicoctl ipam release --from-report=report.json
  calicoctl datastore migrate unlock`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runRelease(env, opts)
		},
	}
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().StringVar(&opts.IP, "ip", "", "the address to release")
	cmd.Flags().StringArrayVar(&opts.FromReports, "from-report", nil, "an ipam check report (repeat for several)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "release from a report of another calicoctl version, or on an unlocked datastore")
	return cmd
}

func runRelease(env *Env, opts *ReleaseOptions) error {
	switch {
	case opts.IP != "":
		ip, err := netip.ParseAddr(opts.IP)
		if err != nil {
			return fmt.Errorf("invalid IP address specified: %s", opts.IP)
		}
		c, ic, err := connect(env, opts.Config)
		if err != nil {
			return err
		}
		defer c.Close()
		notAssigned, err := ic.ReleaseIPs(env.Context(), ip)
		if err != nil {
			return err
		}
		if len(notAssigned) > 0 {
			return fmt.Errorf("IP address %s is not assigned", ip)
		}
		fmt.Fprintf(env.Out, "Successfully released IP address %s\n", ip)
		return nil
	case len(opts.FromReports) > 0:
		return releaseFromReports(env, opts)
	}
	return nil
}

func releaseFromReports(env *Env, opts *ReleaseOptions) error {
	reports := make([]ipam.Report, len(opts.FromReports))
	for i, path := range opts.FromReports {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading report: %w", err)
		}
		if err := json.Unmarshal(data, &reports[i]); err != nil {
			return fmt.Errorf("report %s is not an ipam check report: %w", path, err)
		}
	}
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
	if ci == nil {
		return errors.New("ClusterInformation default does not exist: the reports cannot be matched to this cluster")
	}
	current := false
	for i, r := range reports {
		if r.ClusterGUID != ci.Spec.ClusterGUID {
			return fmt.Errorf("report %s is for another cluster (cluster GUID %s; this cluster is %s): nothing was released", opts.FromReports[i], r.ClusterGUID, ci.Spec.ClusterGUID)
		}
		if r.Version != env.Version && !opts.Force {
			return fmt.Errorf("report %s was made by calicoctl %s, this is %s: make a new report, or re-run with --force", opts.FromReports[i], r.Version, env.Version)
		}
		current = current || r.ClusterInformationRevision == ci.ResourceVersion
	}
	if !current {
		return fmt.Errorf("no report is from the cluster's current state (ClusterInformation revision %s): run ipam check -o FILE again on the locked datastore", ci.ResourceVersion)
	}
	if !locked(ci) && !opts.Force {
		return errors.New("data store is not locked. Either lock the data store, or re-run with --force")
	}
	// Release only what every report found allocated and unused, with the same handle and
	// sequence number.
	var leaked []ipam.AllocationInfo
	for ip, allocs := range reports[0].Allocations {
		for _, a := range allocs {
			if a.InUse || a.CoolingDown || a.Block == "" {
				continue
			}
			inAll := true
			for _, r := range reports[1:] {
				found := false
				for _, b := range r.Allocations[ip] {
					found = found || (!b.InUse && !b.CoolingDown && b.Handle == a.Handle && b.SequenceNumber == a.SequenceNumber)
				}
				inAll = inAll && found
			}
			if inAll {
				leaked = append(leaked, a)
			}
		}
	}
	fmt.Fprintf(env.Out, "Releasing %d old IPs...\n", len(leaked))
	n, err := ic.ReleaseReported(ctx, leaked)
	if err != nil {
		return fmt.Errorf("released %d IPs, then: %w", n, err)
	}
	fmt.Fprintf(env.Out, "Released %d IPs successfully\n", n)
	handles := map[ipam.LeakedHandle]int{}
	for _, r := range reports {
		for _, h := range r.LeakedHandles {
			handles[h]++
		}
	}
	var released, skipped, errs int
	for h, count := range handles {
		if count != len(reports) {
			continue
		}
		ok, err := ic.DeleteLeakedHandle(ctx, h)
		switch {
		case err != nil:
			errs++
			fmt.Fprintf(env.ErrOut, "Failed to release handle %s: %v\n", h.ID, err)
		case ok:
			released++
		default:
			skipped++
		}
	}
	fmt.Fprintf(env.Out, "Released %d handles; %d skipped; %d errors.\n", released, skipped, errs)
	if locked(ci) {
		fmt.Fprintln(env.Out, "You may now unlock the data store.")
	}
	if errs > 0 {
		return fmt.Errorf("%d handles could not be released", errs)
	}
	return nil
}
