// Package node holds `calicoctl node run|status|checksystem|diags`: starting the node agent,
// reading its BGP sessions, checking the host and collecting diagnostics.
package node

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client/config"
)

// Env is what the commands need from calicoctl.
type Env struct {
	Out, ErrOut io.Writer
	Context     func() context.Context
	// LoadConfig reads the datastore configuration named by -c ("" for the default).
	LoadConfig func(path string) (*config.CalicoAPIConfig, error)
	// AddConfigFlag declares -c/--config as the other commands do.
	AddConfigFlag func(cmd *cobra.Command, path *string)
	// Geteuid is os.Geteuid; tests replace it.
	Geteuid func() int
}

func (e Env) euid() int {
	if e.Geteuid != nil {
		return e.Geteuid()
	}
	return os.Geteuid()
}

var errNotRoot = errors.New("Need super user privileges: Operation not permitted")

func (e Env) enforceRoot() error {
	if e.euid() != 0 {
		return errNotRoot
	}
	return nil
}

// NewCmdNode builds `node` and its subcommands.
func NewCmdNode(env Env) *cobra.Command {
	group := &cobra.Command{
		Use:   "node",
		Short: "Run the Calico node agent on this host and inspect it",
	}
	group.AddCommand(NewCmdRun(env, nil), NewCmdStatus(env, nil), NewCmdCheckSystem(env, nil), NewCmdDiags(env, nil))
	return group
}
