package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/printer"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/selector"
)

// GetOptions are the options of get.
type GetOptions struct {
	fileFlags
	Output        string
	AllNamespaces bool
	allNsShort    bool
	Export        bool
	Selector      string
	Args          []string
}

// NewCmdGet builds get.
func NewCmdGet(f *Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{}
	cmd := &cobra.Command{
		Use:   "get (-f FILENAME | KIND [NAME...])",
		Short: "Show resources",
		Long: `Show the resources of one KIND (all of them, or those NAMEd), or those named in a file.
Output formats (-o): ps (default), wide, yaml, json, name, jsonpath=TEMPLATE,
custom-columns=NAME,CIDR,... (the kind's table headings, or HEADING:JSONPATH pairs),
go-template=TEMPLATE, go-template-file=PATH.

Kinds, with the short names they may be given by:
` + kindHelp(),
		Example: `  calicoctl get ippools -o wide
  calicoctl get networkpolicy -A
  calicoctl get wep -n tenant-a -l 'app == "frontend"'
  calicoctl get ippool default-ipv4-ippool -o yaml --export`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Args = args
			opts.AllNamespaces = opts.AllNamespaces || opts.allNsShort
			if opts.Filename == "" && len(args) == 0 {
				return errors.New("nothing to get: give a KIND (e.g. calicoctl get ippools) or -f FILENAME")
			}
			if opts.Filename != "" && len(args) > 0 {
				return errors.New("give either -f FILENAME or KIND [NAME...], not both")
			}
			if runF != nil {
				return runF(opts)
			}
			return runGet(f, opts)
		},
	}
	opts.fileFlags.add(cmd, true)
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "ps", "output format: ps, wide, yaml, json, name, jsonpath=..., custom-columns=..., go-template=..., go-template-file=...")
	cmd.Flags().BoolVarP(&opts.AllNamespaces, "all-namespaces", "A", false, "show namespaced resources of every namespace")
	cmd.Flags().BoolVarP(&opts.allNsShort, "all-namespaces-short", "a", false, "")
	_ = cmd.Flags().MarkHidden("all-namespaces-short")
	cmd.Flags().BoolVar(&opts.Export, "export", false, "leave out cluster-specific metadata (uid, resourceVersion, creationTimestamp, namespace) so the output can be applied elsewhere")
	cmd.Flags().StringVarP(&opts.Selector, "selector", "l", "", "only resources whose labels match this Calico selector, e.g. 'env == \"prod\"'")
	return cmd
}

// target is one thing to fetch: a named object, or a list when name is empty.
type target struct {
	kind      *resources.Kind
	namespace string
	name      string
}

func runGet(f *Factory, opts *GetOptions) error {
	var sel *selector.Selector
	if opts.Selector != "" {
		s, err := selector.Parse(opts.Selector)
		if err != nil {
			return fmt.Errorf("failed to get resources: %w", err)
		}
		sel = s
	}
	targets, err := getTargets(f, opts)
	if err != nil {
		if errors.Is(err, errNoResources) {
			fmt.Fprintln(f.Out, err)
			return nil
		}
		return err
	}
	c, err := f.Client(opts.Config, true)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := f.ctx()
	p, err := printer.New(opts.Output, printer.Options{
		ShowNamespace: opts.Namespace != "" || opts.AllNamespaces,
		Context:       printContext(ctx, c),
	})
	if err != nil {
		return err
	}

	var results []printer.Result
	var errs []string
	for _, t := range targets {
		// A named object of a namespaced kind with no namespace (-f with -A) is looked up in
		// every namespace.
		if t.name != "" && !(t.kind.Namespaced && t.namespace == "") {
			obj, err := c.Get(ctx, t.kind, t.namespace, t.name)
			if err != nil {
				if fatal(err) {
					return fmt.Errorf("failed to get resources: %w", err)
				}
				errs = append(errs, err.Error())
				continue
			}
			if opts.Export {
				export(obj, false)
			}
			results = append(results, printer.Result{Kind: t.kind, Items: []resources.Resource{obj}})
			continue
		}
		list, err := c.List(ctx, t.kind, datastore.ListOptions{Namespace: t.namespace, Name: t.name})
		if err != nil {
			return fmt.Errorf("failed to get resources: %w", err)
		}
		warnSkipped(f, list)
		if t.name != "" && len(list.Items) == 0 {
			errs = append(errs, (&datastore.DoesNotExistError{ID: t.kind.ID("", t.name)}).Error()+" in any namespace")
			continue
		}
		items := list.Items
		if sel != nil {
			items = items[:0:0]
			for _, obj := range list.Items {
				if sel.Evaluate(obj.GetLabels()) {
					items = append(items, obj)
				}
			}
		}
		if t.kind.Sort != nil {
			t.kind.Sort(items)
		}
		rv := list.ResourceVersion
		if opts.Export {
			// Objects of a list keep their namespace: blanking it would put them all in one
			// namespace when the export is applied.
			for _, obj := range items {
				export(obj, true)
			}
			rv = ""
		}
		results = append(results, printer.Result{Kind: t.kind, Items: items, List: true, ResourceVersion: rv})
	}
	if len(results) > 0 {
		if err := p.Print(f.Out, results); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

func getTargets(f *Factory, opts *GetOptions) ([]target, error) {
	if opts.Filename != "" {
		objs, err := opts.load(f, opts.AllNamespaces)
		if err != nil {
			return nil, err
		}
		targets := make([]target, 0, len(objs))
		for _, obj := range objs {
			kind, _ := resources.KindOf(obj)
			targets = append(targets, target{kind: kind, namespace: obj.GetNamespace(), name: obj.GetName()})
		}
		return targets, nil
	}
	kind, err := resources.Lookup(opts.Args[0])
	if err != nil {
		return nil, fmt.Errorf("failed to get resources: %w", err)
	}
	names := opts.Args[1:]
	if len(names) > 0 && opts.AllNamespaces {
		return nil, errors.New("cannot use --all-namespace flag for getting a single resource")
	}
	ns, err := cliNamespace(kind, opts.Namespace, opts.AllNamespaces)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return []target{{kind: kind, namespace: ns}}, nil
	}
	targets := make([]target, 0, len(names))
	for _, name := range names {
		if name == "" {
			return nil, errors.New("failed to get resources: resource name may not be empty")
		}
		targets = append(targets, target{kind: kind, namespace: ns, name: name})
	}
	return targets, nil
}

// export strips what only makes sense in the cluster the object was read from. A single object
// also loses its namespace, so that it can be applied into another with -n.
func export(obj resources.Resource, keepNamespace bool) {
	if !keepNamespace {
		obj.SetNamespace("")
	}
	obj.SetUID("")
	obj.SetResourceVersion("")
	obj.SetCreationTimestamp(metaTimeZero)
	obj.SetDeletionTimestamp(nil)
	obj.SetDeletionGracePeriodSeconds(nil)
}

// printContext serves the cluster-wide AS number to table cells and templates, reading it at
// most once.
func printContext(ctx context.Context, c *client.Client) *resources.PrintContext {
	var once sync.Once
	asn := "64512"
	return &resources.PrintContext{GlobalASNumber: func() string {
		once.Do(func() {
			kind, ok := resources.ByKind("BGPConfiguration")
			if !ok {
				return
			}
			obj, err := c.Get(ctx, kind, "", "default")
			switch {
			case datastore.IsDoesNotExist(err):
			case err != nil:
				asn = "unknown"
			default:
				if n := obj.(*api.BGPConfiguration).Spec.ASNumber; n != nil {
					asn = n.String()
				}
			}
		})
		return asn
	}}
}

// kindHelp lists every kind and its aliases, for help texts.
func kindHelp() string {
	var b strings.Builder
	for _, k := range resources.All() {
		ns := ""
		if k.Namespaced {
			ns = " (namespaced)"
		}
		fmt.Fprintf(&b, "  %-30s %s%s\n", k.Kind, strings.Join(k.Aliases, ", "), ns)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// warnSkipped tells the operator on stderr about stored values a list left out because they
// could not be read.
func warnSkipped(f *Factory, list *datastore.List) {
	for _, err := range list.Skipped {
		fmt.Fprintf(f.ErrOut, "Warning: skipped a stored %s that cannot be read: %v\n", list.Kind.Kind, err)
	}
}
