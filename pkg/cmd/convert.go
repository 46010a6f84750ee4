package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/convert"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// ConvertOptions are the options of convert.
type ConvertOptions struct {
	Filename         string
	Output           string
	IgnoreValidation bool
}

// NewCmdConvert builds convert, which needs no datastore.
func NewCmdConvert(f *Factory, runF func(*ConvertOptions) error) *cobra.Command {
	opts := &ConvertOptions{}
	cmd := &cobra.Command{
		Use:   "convert -f FILENAME [-o yaml|json]",
		Short: "Convert calicoctl v1 manifests and Kubernetes NetworkPolicies to v3",
		Long: `Convert a file (or stdin, -f -) of calicoctl v1 manifests (apiVersion v1: node, hostEndpoint,
workloadEndpoint, profile, policy, tier, ipPool, bgpPeer) and Kubernetes networking.k8s.io/v1
NetworkPolicies to projectcalico.org/v3 resources, and print them. Names, selectors and the order of
rules are kept; names are converted as Calico's upgrade did (an IP pool is named after its CIDR, a
v1 policy becomes a GlobalNetworkPolicy). The result is validated as create would validate it.
Notes about choices the converter made go to stderr. Nothing is written to any datastore: review
the output, then create or apply it.`,
		Example: `  calicoctl convert -f v1-policy.yaml > v3-policy.yaml
  calicoctl convert -f netpol.yaml -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Output != "yaml" && opts.Output != "yml" && opts.Output != "json" {
				return fmt.Errorf("unrecognized output format '%s': convert prints yaml or json", opts.Output)
			}
			if runF != nil {
				return runF(opts)
			}
			return runConvert(f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Filename, "filename", "f", "", "file holding the v1 or Kubernetes resources, or - (stdin)")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "yaml", "output format: yaml or json")
	cmd.Flags().BoolVar(&opts.IgnoreValidation, "ignore-validation", false, "print the converted resources even if they are not valid v3 resources")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func runConvert(f *Factory, opts *ConvertOptions) error {
	var data []byte
	var err error
	if opts.Filename == "-" {
		data, err = io.ReadAll(f.stdin())
	} else {
		data, err = os.ReadFile(opts.Filename)
	}
	if err != nil {
		return fmt.Errorf("failed to execute command: %w", err)
	}
	res, err := convert.Convert(data, opts.Filename)
	if err != nil {
		return fmt.Errorf("failed to convert: %w", err)
	}
	if len(res.Objects) == 0 {
		return fmt.Errorf("no resources specified in file %s", opts.Filename)
	}
	// The notes come first: they may explain a validation failure.
	for _, n := range res.Notes {
		fmt.Fprintln(f.ErrOut, "note: "+n)
	}
	if !opts.IgnoreValidation {
		if _, errs := client.PrepareAll(res.Objects); len(errs) > 0 {
			return fmt.Errorf("converted manifest resource(s) failed validation: %s\nfix the input, or print the result anyway with --ignore-validation", errList(errs))
		}
	}
	return printConverted(f.Out, res.Objects, opts.Output)
}

// printConverted prints one object bare and several as a Kubernetes v1 List, as calicoctl's
// convert did.
func printConverted(w io.Writer, objs []resources.Resource, output string) error {
	var v any = objs[0]
	if len(objs) > 1 {
		v = struct {
			APIVersion string               `json:"apiVersion"`
			Kind       string               `json:"kind"`
			Items      []resources.Resource `json:"items"`
			Metadata   struct{}             `json:"metadata"`
		}{"v1", "List", objs, struct{}{}}
	}
	var out []byte
	var err error
	if strings.HasPrefix(output, "y") {
		out, err = yaml.Marshal(v)
	} else {
		out, err = json.MarshalIndent(v, "", "  ")
		out = append(out, '\n')
	}
	if err != nil {
		return errors.New("printing the converted resources: " + err.Error())
	}
	_, err = w.Write(out)
	return err
}
