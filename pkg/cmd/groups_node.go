package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	configcmd "github.com/calicoctl-go/calicoctl/pkg/cmd/config"
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
