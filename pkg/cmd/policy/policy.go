// Package policy holds `calicoctl policy explain|trace|lint`: they parse flags, gather the
// model (pkg/policy/source), call the evaluator (pkg/policy) and print.
package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/policy/source"
)

// ClientFunc connects to the datastore a configuration file names ("" for the default), as
// cmd.Factory.Client does.
type ClientFunc func(configPath string, checkVersion bool) (*client.Client, error)

// NewCmdPolicy is the `policy` command group.
func NewCmdPolicy(connect ClientFunc) *cobra.Command {
	c := &cobra.Command{
		Use:   "policy",
		Short: "Explain, trace and lint network policy without a node",
		Long: `Evaluate Calico's policy model from the datastore, from files, or from files laid over the
datastore (--overlay): which tiers, policies and profiles apply to an endpoint (explain), what
they do to a packet (trace), and what in them cannot work as written (lint).`,
	}
	c.AddCommand(NewCmdExplain(connect, nil), NewCmdTrace(connect, nil), NewCmdLint(connect, nil))
	return c
}

// inputOptions are the flags every policy command shares: where the model comes from.
type inputOptions struct {
	Config    string
	Files     []string
	Recursive bool
	Overlay   bool
	Output    string

	connect ClientFunc
	stdin   io.Reader
}

func (o *inputOptions) addFlags(c *cobra.Command) {
	c.Flags().StringVarP(&o.Config, "config", "c", "", "path to the file containing connection configuration in YAML or JSON format (default /etc/calico/calicoctl.cfg)")
	c.Flags().StringSliceVarP(&o.Files, "filename", "f", nil, "evaluate the resources of these files, directories or - (stdin) instead of the datastore's (repeatable)")
	c.Flags().BoolVarP(&o.Recursive, "recursive", "R", false, "process the directories given with -f recursively")
	c.Flags().BoolVar(&o.Overlay, "overlay", false, "with -f: lay the files' resources over the datastore's (a change evaluated against the live state)")
	c.Flags().StringVarP(&o.Output, "output", "o", "text", "output format: text, json or yaml")
}

func (o *inputOptions) validate() error {
	switch o.Output {
	case "text", "json", "yaml":
	default:
		return fmt.Errorf("unrecognized output format %q: use text, json or yaml", o.Output)
	}
	if o.Overlay && len(o.Files) == 0 {
		return fmt.Errorf("--overlay lays -f files over the datastore: give at least one -f FILE")
	}
	return nil
}

// load gathers the model: files alone, the datastore alone, or files over the datastore.
func (o *inputOptions) load(ctx context.Context, keepInvalid bool) (*source.Result, error) {
	opts := source.Options{Files: o.Files, Recursive: o.Recursive, Stdin: o.stdin, KeepInvalid: keepInvalid}
	if len(o.Files) == 0 || o.Overlay {
		c, err := o.connect(o.Config, true)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		opts.Client = c
	}
	return source.Load(ctx, opts)
}

// printData writes v as JSON or YAML.
func printData(w io.Writer, format string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	if format == "json" {
		_, err := w.Write(buf.Bytes())
		return err
	}
	y, err := yaml.JSONToYAML(buf.Bytes())
	if err != nil {
		return err
	}
	_, err = w.Write(y)
	return err
}

// parseLabels reads "k=v,k2=v2".
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid label %q: write labels as key=value[,key=value...]", kv)
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no labels given: write labels as key=value[,key=value...]")
	}
	return out, nil
}
