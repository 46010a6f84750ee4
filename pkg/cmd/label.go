package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// LabelOptions are the options of label.
type LabelOptions struct {
	Config    string
	Namespace string
	Overwrite bool
	Remove    bool
	Kind      string
	Name      string
	Label     string
}

// NewCmdLabel builds label.
func NewCmdLabel(f *Factory, runF func(*LabelOptions) error) *cobra.Command {
	opts := &LabelOptions{}
	cmd := &cobra.Command{
		Use:   "label KIND NAME (KEY=VALUE [--overwrite] | KEY --remove)",
		Short: "Set or remove a label on one resource",
		Example: `  calicoctl label node node1 route-reflector=true
  calicoctl label node node1 route-reflector --remove`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind, opts.Name, opts.Label = args[0], args[1], args[2]
			if runF != nil {
				return runF(opts)
			}
			return runLabel(f, opts)
		},
	}
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().StringVarP(&opts.Namespace, "namespace", "n", "", "namespace of a namespaced resource (default \"default\")")
	cmd.Flags().BoolVar(&opts.Overwrite, "overwrite", false, "replace the value of a label that is already set")
	cmd.Flags().BoolVar(&opts.Remove, "remove", false, "remove the label KEY")
	return cmd
}

// labelOutcome says what happened, for the success message.
type labelOutcome string

func runLabel(f *Factory, opts *LabelOptions) error {
	kind, err := resources.Lookup(opts.Kind)
	if err != nil {
		return fmt.Errorf("failed to get %s %s, error %w", opts.Kind, opts.Name, err)
	}
	key, value, hasValue := strings.Cut(opts.Label, "=")
	if !hasValue && !opts.Remove {
		return fmt.Errorf("invalid label %s: write KEY=VALUE to set a label, or KEY --remove to remove one", opts.Label)
	}
	if hasValue && opts.Remove {
		return fmt.Errorf("invalid label %s: --remove takes only the KEY", opts.Label)
	}
	ns, err := cliNamespace(kind, opts.Namespace, false)
	if err != nil {
		return err
	}
	c, err := f.Client(opts.Config, true)
	if err != nil {
		return err
	}
	defer c.Close()
	var outcome labelOutcome
	refusal := errors.New("refused")
	var refusedMsg string
	_, err = c.Modify(f.ctx(), kind, ns, opts.Name, func(obj resources.Resource) (resources.Resource, error) {
		labels := obj.GetLabels()
		old, present := labels[key]
		switch {
		case opts.Remove && !present:
			refusedMsg = fmt.Sprintf("cannot remove label of %s %s, key %s does not exist", opts.Kind, opts.Name, key)
			return nil, refusal
		case opts.Remove:
			delete(labels, key)
			outcome = "removed"
		case present && old != value && !opts.Overwrite:
			refusedMsg = fmt.Sprintf("failed to update label of %s %s, key %s is already present. please use '--overwrite' to set a new value", opts.Kind, opts.Name, key)
			return nil, refusal
		case present:
			outcome = "updated"
		default:
			outcome = "set"
		}
		if !opts.Remove {
			if labels == nil {
				labels = map[string]string{}
			}
			labels[key] = value
		}
		obj.SetLabels(labels)
		return obj, nil
	})
	switch {
	case errors.Is(err, refusal):
		return errors.New(refusedMsg)
	case datastore.IsDoesNotExist(err):
		return fmt.Errorf("%s %s not found", opts.Kind, opts.Name)
	case err != nil:
		return fmt.Errorf("failed to update %s %s, label not changed: %w", opts.Kind, opts.Name, err)
	}
	prep := "on"
	if outcome == "removed" {
		prep = "from"
	}
	fmt.Fprintf(f.Out, "Successfully %s label %s %s %s %s\n", outcome, key, prep, opts.Kind, opts.Name)
	return nil
}
