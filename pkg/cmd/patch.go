package cmd

import (
	"encoding/json"
	"errors"
	"fmt"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// PatchOptions are the options of patch.
type PatchOptions struct {
	Patch     string
	Type      string
	Config    string
	Namespace string
	DryRun    bool
	Kind      string
	Name      string
}

// NewCmdPatch builds patch.
func NewCmdPatch(f *Factory, runF func(*PatchOptions) error) *cobra.Command {
	opts := &PatchOptions{}
	cmd := &cobra.Command{
		Use:   "patch KIND NAME -p PATCH",
		Short: "Change fields of one resource",
		Long: `Patch one resource. --type strategic (default) and merge take a partial object in JSON, e.g.
'{"spec":{"natOutgoing":true}}'; a null value removes a field. --type json takes an RFC 6902 list of
operations, e.g. '[{"op":"replace","path":"/spec/disabled","value":true}]'.`,
		Example: `  calicoctl patch bgpconfig default -p '{"spec":{"asNumber":64513}}'
  calicoctl patch ippool pool1 --type json -p '[{"op":"add","path":"/metadata/labels/env","value":"prod"}]'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind, opts.Name = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return runPatch(f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Patch, "patch", "p", "", "the patch, in JSON")
	cmd.Flags().StringVarP(&opts.Type, "type", "t", "strategic", "patch type: strategic, merge or json")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "check the patched resource, but write nothing")
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().StringVarP(&opts.Namespace, "namespace", "n", "", "namespace of a namespaced resource (default \"default\")")
	_ = cmd.MarkFlagRequired("patch")
	return cmd
}

// patchFunc returns the function that applies the patch of the given type.
func patchFunc(kind *resources.Kind, typ, patch string) (client.PatchFunc, error) {
	if !json.Valid([]byte(patch)) {
		names := map[string]string{"strategic": "strategic merge patch", "merge": "merge patch", "json": "json patch"}
		if n, ok := names[typ]; ok {
			return nil, errors.New("performing " + n + ": invalid JSON document")
		}
	}
	switch typ {
	case "strategic":
		return func(original []byte) ([]byte, error) {
			out, err := strategicpatch.StrategicMergePatch(original, []byte(patch), kind.New())
			if err != nil {
				return nil, fmt.Errorf("performing strategic merge patch: %w", err)
			}
			return out, nil
		}, nil
	case "merge":
		return func(original []byte) ([]byte, error) {
			out, err := jsonpatch.MergePatch(original, []byte(patch))
			if err != nil {
				return nil, fmt.Errorf("performing merge patch: %w", err)
			}
			return out, nil
		}, nil
	case "json":
		p, err := jsonpatch.DecodePatch([]byte(patch))
		if err != nil {
			return nil, fmt.Errorf("performing json patch: %w (a json patch is a list of operations such as [{\"op\":\"replace\",\"path\":\"/spec/disabled\",\"value\":true}])", err)
		}
		return func(original []byte) ([]byte, error) {
			out, err := p.Apply(original)
			if err != nil {
				return nil, fmt.Errorf("performing json patch: %w", err)
			}
			return out, nil
		}, nil
	}
	return nil, fmt.Errorf("unknown patch type %q: use strategic, merge or json", typ)
}

func runPatch(f *Factory, opts *PatchOptions) error {
	kind, err := resources.Lookup(opts.Kind)
	if err != nil {
		return err
	}
	if opts.Name == "" {
		return errors.New("resource name may not be empty")
	}
	ns, err := cliNamespace(kind, opts.Namespace, false)
	if err != nil {
		return err
	}
	apply, err := patchFunc(kind, opts.Type, opts.Patch)
	if err != nil {
		return fmt.Errorf("hit error: %w", err)
	}
	c, err := f.Client(opts.Config, true)
	if err != nil {
		return err
	}
	defer c.Close()
	if opts.DryRun {
		c = c.DryRun()
	}
	if _, err := c.Patch(f.ctx(), kind, ns, opts.Name, apply); err != nil {
		return fmt.Errorf("hit error: %w", err)
	}
	fmt.Fprintf(f.Out, "Successfully patched 1 '%s' resource\n", kind.Kind)
	if opts.DryRun {
		fmt.Fprintln(f.Out, "(dry run: nothing was written)")
	}
	return nil
}
