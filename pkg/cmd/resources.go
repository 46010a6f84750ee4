package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/manifest"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// fileFlags are the input and connection flags the CRUD commands share.
type fileFlags struct {
	Filename  string
	Recursive bool
	SkipEmpty bool
	Config    string
	Namespace string
}

func (fl *fileFlags) add(cmd *cobra.Command, withConfig bool) {
	cmd.Flags().StringVarP(&fl.Filename, "filename", "f", "", "file, directory or - (stdin) holding the resources")
	cmd.Flags().BoolVarP(&fl.Recursive, "recursive", "R", false, "process the directory given with -f recursively")
	cmd.Flags().BoolVar(&fl.SkipEmpty, "skip-empty", false, "do not fail when a file or directory holds no resources")
	cmd.Flags().StringVarP(&fl.Namespace, "namespace", "n", "", "namespace of namespaced resources (default \"default\")")
	if withConfig {
		addConfigFlag(cmd, &fl.Config)
	}
}

func addConfigFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "config", "c", "", "path to the client configuration file (default \""+configDefault+"\")")
}

const configDefault = "/etc/calico/calicoctl.cfg"

// errNoResources is returned (and printed as "No resources specified", exit 0) when --skip-empty
// let an empty input through.
var errNoResources = errors.New("No resources specified")

// load reads the resources of -f, applies the namespace rules, and checks the kinds.
func (fl *fileFlags) load(f *Factory, allNamespaces bool) ([]resources.Resource, error) {
	objs, err := manifest.Load(fl.Filename, fl.Recursive, f.stdin())
	if err != nil {
		var empty *manifest.EmptyError
		if errors.As(err, &empty) && fl.SkipEmpty {
			return nil, errNoResources
		}
		var old *manifest.OldFormatError
		if errors.As(err, &old) {
			old.Command = f.commandName()
		}
		return nil, fmt.Errorf("failed to execute command: %w", err)
	}
	for _, obj := range objs {
		kind, _ := resources.KindOf(obj)
		if err := applyNamespace(kind, obj, fl.Namespace, allNamespaces); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// applyNamespace enforces calicoctl's namespace rules on one object from a file.
func applyNamespace(kind *resources.Kind, obj resources.Resource, cliNs string, allNs bool) error {
	if cliNs != "" && allNs {
		return errors.New("cannot use both --namespace and --all-namespaces flags at the same time")
	}
	resNs := obj.GetNamespace()
	if !kind.Namespaced {
		if resNs != "" {
			return fmt.Errorf("namespace should not be specified for a non-namespaced resource. %s is not a namespaced resource", kind.Kind)
		}
		if cliNs != "" || allNs {
			return fmt.Errorf("%s is not namespaced", kind.Kind)
		}
		return nil
	}
	switch {
	case allNs:
		obj.SetNamespace("")
	case resNs == "" && cliNs != "":
		obj.SetNamespace(cliNs)
	case resNs == "":
		obj.SetNamespace("default")
	case cliNs != "" && resNs != cliNs:
		return fmt.Errorf("resource namespace does not match client namespace. %s != %s", resNs, cliNs)
	}
	return nil
}

// cliNamespace resolves -n/-A for KIND NAME arguments.
func cliNamespace(kind *resources.Kind, ns string, allNs bool) (string, error) {
	if ns != "" && allNs {
		return "", errors.New("cannot use both --namespace and --all-namespaces flags at the same time")
	}
	if !kind.Namespaced {
		if ns != "" || allNs {
			return "", fmt.Errorf("%s is not namespaced", kind.Kind)
		}
		return "", nil
	}
	if allNs {
		return "", nil
	}
	if ns == "" {
		return "default", nil
	}
	return ns, nil
}

// kindSummary returns the kind all objects share, or "" when they are mixed.
func kindSummary(objs []resources.Resource) string {
	kind := ""
	for i, obj := range objs {
		k := obj.GetObjectKind().GroupVersionKind().Kind
		if i == 0 {
			kind = k
		} else if k != kind {
			return ""
		}
	}
	return kind
}

// errList prints errors the way calicoctl does: Go's %v of a slice, "[e1 e2]".
func errList(errs []error) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Error()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// report prints the outcome of create, apply, replace or validate and returns the error that
// makes the command exit non-zero. verb is "create", past "created".
func report(f *Factory, verb, past string, objs []resources.Resource, errs []error) error {
	var failed []error
	for _, e := range errs {
		if e != nil {
			failed = append(failed, e)
		}
	}
	n, handled := len(objs), len(objs)-len(failed)
	kind := kindSummary(objs)
	what := func(plural bool) string {
		switch {
		case kind == "":
			return "resources"
		case plural:
			return fmt.Sprintf("'%s' resources", kind)
		default:
			return fmt.Sprintf("'%s' resource", kind)
		}
	}
	switch {
	case len(failed) == 0:
		if kind == "" {
			fmt.Fprintf(f.Out, "Successfully %s %d resource(s)\n", past, n)
		} else {
			fmt.Fprintf(f.Out, "Successfully %s %d '%s' resource(s)\n", past, n, kind)
		}
		return nil
	case handled == 0 && n == 1:
		return fmt.Errorf("failed to %s %s: %s", verb, what(false), errList(failed))
	case handled == 0:
		return fmt.Errorf("failed to %s any %s: %s", verb, what(true), errList(failed))
	default:
		fmt.Fprintf(f.Out, "Partial success: %s %d out of %d %s:\n", past, handled, n, what(true))
		return fmt.Errorf("hit error: %s", errList(failed))
	}
}
