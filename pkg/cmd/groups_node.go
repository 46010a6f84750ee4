package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	configcmd "github.com/calicoctl-go/calicoctl/pkg/cmd/config"
	nodecmd "github.com/calicoctl-go/calicoctl/pkg/cmd/node"
)

// NewCmdConfig adapts `config` (its own package) to the factory.
func NewCmdConfig(f *Factory) *cobra.Command {
	return configcmd.NewCmdConfig(configcmd.Env{
		Out:           f.Out,
		Context:       func() context.Context { return f.ctx() },
		Client:        func(path string) (*client.Client, error) { return f.Client(path, true) },
		AddConfigFlag: addConfigFlag,
	}, nil)
}

// NewCmdNode adapts `node` (its own package) to the factory.
func NewCmdNode(f *Factory) *cobra.Command {
	return nodecmd.NewCmdNode(nodecmd.Env{
		Out:           f.Out,
		ErrOut:        f.ErrOut,
		Context:       func() context.Context { return f.ctx() },
		LoadConfig:    config.Load,
		AddConfigFlag: addConfigFlag,
	})
}
