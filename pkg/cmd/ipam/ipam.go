// Package ipam holds the `calicoctl ipam` commands: show, release, check, configure and split.
// Each parses its flags into Options, calls pkg/ipam, and prints with Calico's wording.
package ipam

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Env is what the commands need from calicoctl: output streams, the invocation's context and a
// datastore client for a configuration file ("" for the default).
type Env struct {
	Out, ErrOut io.Writer
	Context     func() context.Context
	Client      func(configPath string) (*client.Client, error)
	// Version is this calicoctl's version, written into and checked against check reports.
	Version string
}

// NewCmdIPAM builds the ipam command group.
func NewCmdIPAM(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ipam",
		Short: "IP address management: show, check, release, configure, split",
		Long: `Calico's IP address management. Pools are cut into blocks, hosts claim blocks, and every
address is recorded with a handle and its owner. These commands show the use of pools and
blocks, find and release leaked addresses, and set the IPAM configuration.`,
	}
	cmd.AddCommand(NewCmdShow(env, nil), NewCmdRelease(env, nil), NewCmdCheck(env, nil), NewCmdConfigure(env, nil), NewCmdSplit(env, nil))
	return cmd
}

const configDefault = "/etc/calico/calicoctl.cfg"

func addConfigFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "config", "c", "", "path to the client configuration file (default \""+configDefault+"\")")
}

// connect returns a calicoctl client and an IPAM client on its datastore.
func connect(env *Env, configPath string) (*client.Client, *ipam.Client, error) {
	c, err := env.Client(configPath)
	if err != nil {
		return nil, nil, err
	}
	return c, ipam.New(c.Store()), nil
}

// clusterInfo reads ClusterInformation default; nil when there is none.
func clusterInfo(ctx context.Context, c *client.Client) (*api.ClusterInformation, error) {
	kind, _ := resources.ByKind("ClusterInformation")
	obj, err := c.Get(ctx, kind, "", "default")
	if datastore.IsDoesNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ClusterInformation default: %w", err)
	}
	return obj.(*api.ClusterInformation), nil
}

// locked reports whether `datastore migrate lock` was run.
func locked(ci *api.ClusterInformation) bool {
	return ci != nil && ci.Spec.DatastoreReady != nil && !*ci.Spec.DatastoreReady
}
