// Package config holds `calicoctl config get|set|unset`, calicoctl v1's commands for the cluster's
// BGP and Felix settings, kept for the operators and scripts that still use them. The mapping onto
// v3 resources is package settings'.
package config

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/settings"
)

// Env is what the commands need from calicoctl: where to print and how to reach the datastore.
type Env struct {
	Out     io.Writer
	Context func() context.Context
	// Client connects to the datastore named by a configuration file ("" for the default).
	Client func(configPath string) (*client.Client, error)
	// AddConfigFlag declares -c/--config as the other commands do.
	AddConfigFlag func(cmd *cobra.Command, path *string)
}

// Options are the parsed arguments of one config command.
type Options struct {
	Action string // get, set or unset
	Name   string
	Value  string
	Node   string
	Config string
}

// NewCmdConfig builds `config` and its three subcommands; runF replaces the run in tests of
// flag parsing.
func NewCmdConfig(env Env, runF func(*Options) error) *cobra.Command {
	group := &cobra.Command{
		Use:   "config",
		Short: "Get, set or unset a cluster setting in calicoctl v1's words",
		Long: `Get, set or unset asNumber, nodeToNodeMesh, logLevel or ipip as calicoctl v1 did. The values are
stored in the v3 resources that hold them: BGPConfiguration default (asNumber, nodeToNodeMesh),
BGPConfiguration and FelixConfiguration default or node.<name> (logLevel), FelixConfiguration
default (ipip). Resources are created when absent.`,
	}
	sub := func(action, use, short, example string, args int) *cobra.Command {
		opts := &Options{Action: action}
		c := &cobra.Command{
			Use:     use,
			Short:   short,
			Example: example,
			Args:    cobra.ExactArgs(args),
			RunE: func(cmd *cobra.Command, a []string) error {
				opts.Name = a[0]
				if len(a) > 1 {
					opts.Value = a[1]
				}
				if runF != nil {
					return runF(opts)
				}
				return Run(env, opts)
			},
		}
		c.Flags().StringVarP(&opts.Node, "node", "n", "", "the node, for a per-node setting (logLevel)")
		if env.AddConfigFlag != nil {
			env.AddConfigFlag(c, &opts.Config)
		}
		return c
	}
	group.AddCommand(
		sub("get", "get NAME [--node NODE]", "Print a setting", "  calicoctl config get asNumber\n  calicoctl config get logLevel --node node1", 1),
		sub("set", "set NAME VALUE [--node NODE]", "Change a setting", "  calicoctl config set asNumber 64513\n  calicoctl config set nodeToNodeMesh off", 2),
		sub("unset", "unset NAME [--node NODE]", "Return a setting to its default (for a node: to the global value)", "  calicoctl config unset logLevel --node node1", 1),
	)
	return group
}

// Run performs one config command.
func Run(env Env, opts *Options) error {
	c, err := env.Client(opts.Config)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := env.Context()
	switch opts.Action {
	case "get":
		v, err := settings.Get(ctx, c, opts.Name, opts.Node)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Out, v)
		return nil
	case "set":
		return settings.Set(ctx, c, opts.Name, opts.Node, opts.Value)
	default:
		return settings.Unset(ctx, c, opts.Name, opts.Node)
	}
}
