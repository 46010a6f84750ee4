package cmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client"
)

// ValidateOptions are the options of validate.
type ValidateOptions struct {
	fileFlags
	// Config is accepted for scripts that pass the same flags to every command, and ignored:
	// validate needs no datastore.
	Config string
}

// NewCmdValidate builds validate, which needs no datastore.
func NewCmdValidate(f *Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate -f FILENAME",
		Short: "Check resources offline, without a datastore",
		Long: `Parse and validate the resources in a file, a directory (-R to recurse) or stdin (-f -) with the
rules the datastore commands apply, without connecting to any datastore. Suited to CI pipelines.
Checks that need the datastore (an IP pool overlapping another, a policy's tier existing) are
left to create/apply --dry-run.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runValidate(f, opts)
		},
	}
	opts.fileFlags.add(cmd, false)
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().Lookup("config").Usage = "accepted and ignored: validate needs no datastore"
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func runValidate(f *Factory, opts *ValidateOptions) error {
	objs, err := opts.load(f, false)
	if err != nil {
		if errors.Is(err, errNoResources) {
			fmt.Fprintln(f.Out, err)
			return nil
		}
		return err
	}
	invalid, errs := client.PrepareAll(objs)
	if len(errs) == 0 {
		return report(f, "validate", "validated", objs, nil)
	}
	// Calico's validate reports failures as "hit error: [...]", whatever the count.
	if valid := len(objs) - len(invalid); valid > 0 {
		fmt.Fprintf(f.Out, "Partial success: validated %d out of %d resources:\n", valid, len(objs))
	}
	return fmt.Errorf("hit error: %s", errList(errs))
}
