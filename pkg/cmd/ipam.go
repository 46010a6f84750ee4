package cmd

import (
	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	ipamcmd "github.com/calicoctl-go/calicoctl/pkg/cmd/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/version"
)

// newCmdIPAM builds the ipam group (pkg/cmd/ipam) on this factory.
func newCmdIPAM(f *Factory) *cobra.Command {
	return ipamcmd.NewCmdIPAM(&ipamcmd.Env{
		Out: f.Out, ErrOut: f.ErrOut,
		Context: f.ipamContext,
		Client:  func(configPath string) (*client.Client, error) { return f.Client(configPath, true) },
		Version: version.Version,
	})
}
