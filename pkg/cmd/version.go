package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/version"
)

// VersionOptions are the options of version.
type VersionOptions struct {
	Config     string
	Poll       string
	ClientOnly bool
}

// NewCmdVersion builds version.
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show the client version and the cluster's Calico version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runVersion(f, opts)
		},
	}
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().StringVar(&opts.Poll, "poll", "", "keep reading the cluster version at this interval (e.g. 5s) until interrupted")
	cmd.Flags().BoolVar(&opts.ClientOnly, "client", false, "show only the client version")
	return cmd
}

func runVersion(f *Factory, opts *VersionOptions) error {
	var interval time.Duration
	if opts.Poll != "" {
		d, err := time.ParseDuration(opts.Poll)
		if err != nil || d <= 0 {
			return fmt.Errorf("invalid poll duration specified: %s", opts.Poll)
		}
		interval = d
	}
	// Println separates its operands with a space: the columns line up one further than the labels.
	fmt.Fprintln(f.Out, "Client Version:   ", version.Version)
	fmt.Fprintln(f.Out, "Git commit:       ", version.GitCommit)
	if opts.ClientOnly {
		return nil
	}
	c, err := f.Client(opts.Config, false)
	if err != nil {
		if datastore.IsConnection(err) {
			// Configured, but the datastore refused or did not answer (a connection that
			// authenticates at once fails here): say why, as any other command would.
			return fmt.Errorf("unable to retrieve Cluster Version or Type: %w", err)
		}
		// As in calicoctl: without a usable configuration only the client version is known.
		fmt.Fprintln(f.Out, "Unable to detect installed Calico version")
		return nil
	}
	defer c.Close()
	kind, _ := resources.ByKind("ClusterInformation")
	// Polling prints the cluster lines when they change, as Calico's does: a watcher sees an
	// upgrade as one new pair of lines.
	var last string
	for {
		obj, err := c.Get(f.ctx(), kind, "", "default")
		if err != nil {
			if datastore.IsDoesNotExist(err) || interval == 0 {
				return fmt.Errorf("unable to retrieve Cluster Version or Type: %w", err)
			}
		} else {
			ci := obj.(*api.ClusterInformation)
			lines := fmt.Sprintln("Cluster Version:  ", orUnknown(ci.Spec.CalicoVersion)) +
				fmt.Sprintln("Cluster Type:     ", orUnknown(ci.Spec.ClusterType))
			if lines != last {
				fmt.Fprint(f.Out, lines)
				last = lines
			}
		}
		if interval == 0 {
			return nil
		}
		select {
		case <-f.ctx().Done():
			return nil
		case <-time.After(interval):
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
