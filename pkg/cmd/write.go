package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// WriteOptions are the options of create, apply and replace.
type WriteOptions struct {
	fileFlags
	SkipExists bool
	DryRun     bool
}

// writeVerb says how one write command treats one object.
type writeVerb struct {
	name, past, use, short, long string
	op                           func(c *client.Client, ctx context.Context, obj resources.Resource) (resources.Resource, error)
	skipExists                   bool
}

var (
	createVerb = writeVerb{
		name: "create", past: "created", use: "create -f FILENAME",
		short: "Create resources from a file or stdin",
		long: `Create the resources in a file, a directory (-R to recurse) or stdin (-f -).
Every document is validated before anything is written. Resources that already exist are errors
unless --skip-exists is given.`,
		op:         (*client.Client).Create,
		skipExists: true,
	}
	applyVerb = writeVerb{
		name: "apply", past: "applied", use: "apply -f FILENAME",
		short: "Create resources, or replace them if they exist",
		long: `Apply the resources in a file, a directory (-R to recurse) or stdin (-f -): each is created if it
does not exist and replaced if it does. A resourceVersion in the input makes the replace conditional
on it; without one the latest version is replaced, retrying on concurrent updates.`,
		op: (*client.Client).Apply,
	}
	replaceVerb = writeVerb{
		name: "replace", past: "replaced", use: "replace -f FILENAME",
		short: "Replace existing resources",
		long: `Replace the resources in a file, a directory (-R to recurse) or stdin (-f -). A resource that does not
exist is an error.`,
		op: (*client.Client).Update,
	}
)

// NewCmdCreate, NewCmdApply and NewCmdReplace build the three write commands.
func NewCmdCreate(f *Factory, runF func(*WriteOptions) error) *cobra.Command {
	return newWriteCmd(f, createVerb, runF)
}
func NewCmdApply(f *Factory, runF func(*WriteOptions) error) *cobra.Command {
	return newWriteCmd(f, applyVerb, runF)
}
func NewCmdReplace(f *Factory, runF func(*WriteOptions) error) *cobra.Command {
	return newWriteCmd(f, replaceVerb, runF)
}

func newWriteCmd(f *Factory, verb writeVerb, runF func(*WriteOptions) error) *cobra.Command {
	opts := &WriteOptions{}
	cmd := &cobra.Command{
		Use:   verb.use,
		Short: verb.short,
		Long:  verb.long,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runWrite(f, verb, opts)
		},
	}
	opts.fileFlags.add(cmd, true)
	_ = cmd.MarkFlagRequired("filename")
	if verb.skipExists {
		cmd.Flags().BoolVar(&opts.SkipExists, "skip-exists", false, "treat resources that already exist as created")
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "validate and check against the datastore, but write nothing")
	return cmd
}

func runWrite(f *Factory, verb writeVerb, opts *WriteOptions) error {
	objs, err := opts.load(f, false)
	if err != nil {
		if errors.Is(err, errNoResources) {
			fmt.Fprintln(f.Out, err)
			return nil
		}
		return err
	}
	// Every document is defaulted and validated first: nothing is written when any is invalid.
	if invalid, errs := client.PrepareAll(objs); len(errs) > 0 {
		err := report(f, verb.name, verb.past, invalid, errs)
		if valid := len(objs) - len(invalid); valid > 0 {
			err = fmt.Errorf("%w; the other %d resource(s) in the input were not %s either: fix the invalid ones and run the command again", err, valid, verb.past)
		}
		return err
	}
	c, err := f.Client(opts.Config, true)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := f.ctx()
	if opts.DryRun {
		c = c.DryRun()
	}
	// A dry run makes the bootstrap objects in its memory only, so that it answers as the real
	// run would on a fresh datastore.
	if err := c.EnsureInitialized(ctx); err != nil && fatal(err) {
		return err
	}
	c.MarkPrepared(objs)
	if verb.name == "apply" {
		if err := c.Prefetch(ctx, objs); err != nil && fatal(err) {
			return err
		}
	}
	errs := f.batch(ctx, verb.name, objs, func(ctx context.Context, obj resources.Resource) error {
		_, err := verb.op(c, ctx, obj)
		if err != nil && opts.SkipExists && datastore.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	if opts.DryRun {
		defer fmt.Fprintln(f.Out, "(dry run: nothing was written)")
	}
	return report(f, verb.name, verb.past, objs, errs)
}

// fatal says whether an error means the datastore cannot be used at all.
func fatal(err error) bool { return datastore.IsConnection(err) }

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q: %s takes its resources from -f", args[0], cmd.Name())
	}
	return nil
}

// DeleteOptions are the options of delete.
type DeleteOptions struct {
	fileFlags
	SkipNotExists bool
	DryRun        bool
	Args          []string
}

// NewCmdDelete builds delete.
func NewCmdDelete(f *Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete (-f FILENAME | KIND NAME...)",
		Short: "Delete resources by file or by kind and name",
		Long: `Delete the resources named in a file (-f), or the resources of one KIND with the given NAMEs.
A resourceVersion in a file makes the delete conditional on it.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Args = args
			if opts.Filename == "" && len(args) < 2 {
				if len(args) == 0 {
					return errors.New("nothing to delete: give -f FILENAME, or KIND and one or more NAMEs (e.g. calicoctl delete ippool pool1)")
				}
				return fmt.Errorf("resource name may not be empty: give one or more names after %s", args[0])
			}
			if opts.Filename != "" && len(args) > 0 {
				return errors.New("give either -f FILENAME or KIND NAME..., not both")
			}
			if runF != nil {
				return runF(opts)
			}
			return runDelete(f, opts)
		},
	}
	opts.fileFlags.add(cmd, true)
	cmd.Flags().BoolVarP(&opts.SkipNotExists, "skip-not-exists", "s", false, "treat resources that do not exist as deleted")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "check against the datastore, but delete nothing")
	return cmd
}

func runDelete(f *Factory, opts *DeleteOptions) error {
	var objs []resources.Resource
	if opts.Filename != "" {
		var err error
		if objs, err = opts.load(f, false); err != nil {
			if errors.Is(err, errNoResources) {
				fmt.Fprintln(f.Out, err)
				return nil
			}
			return err
		}
	} else {
		kind, err := resources.Lookup(opts.Args[0])
		if err != nil {
			return err
		}
		ns, err := cliNamespace(kind, opts.Namespace, false)
		if err != nil {
			return err
		}
		for _, name := range opts.Args[1:] {
			if name == "" {
				return errors.New("resource name may not be empty")
			}
			obj := kind.NewObject()
			obj.SetName(name)
			obj.SetNamespace(ns)
			objs = append(objs, obj)
		}
	}
	c, err := f.Client(opts.Config, true)
	if err != nil {
		return err
	}
	defer c.Close()
	if opts.DryRun {
		c = c.DryRun()
	} else if _, ok := c.Store().(datastore.KnownDeleter); ok {
		if err := c.Prefetch(f.ctx(), objs); err != nil && fatal(err) {
			return err
		}
	}
	if err := c.PrepareDeletes(f.ctx(), objs); err != nil && fatal(err) {
		return err
	}
	errs := f.batch(f.ctx(), "delete", objs, func(ctx context.Context, obj resources.Resource) error {
		kind, err := resources.KindOf(obj)
		if err != nil {
			return err
		}
		_, err = c.Delete(ctx, kind, obj.GetNamespace(), obj.GetName(), obj.GetResourceVersion())
		if err != nil && opts.SkipNotExists && datastore.IsDoesNotExist(err) {
			return nil
		}
		return err
	})
	var failed []error
	for _, e := range errs {
		if e != nil {
			failed = append(failed, e)
		}
	}
	kind := kindSummary(objs)
	if deleted := len(objs) - len(failed); deleted > 0 {
		if kind == "" {
			fmt.Fprintf(f.Out, "Successfully deleted %d resource(s)\n", deleted)
		} else {
			fmt.Fprintf(f.Out, "Successfully deleted %d '%s' resource(s)\n", deleted, kind)
		}
	}
	if opts.DryRun {
		fmt.Fprintln(f.Out, "(dry run: nothing was deleted)")
	}
	if len(failed) == 0 {
		return nil
	}
	msg := ""
	for i, e := range failed {
		if i > 0 {
			msg += "\n"
		}
		if kind == "" {
			msg += fmt.Sprintf("Failed to delete resource: %v", e)
		} else {
			msg += fmt.Sprintf("Failed to delete '%s' resource: %v", kind, e)
		}
	}
	return errors.New(msg)
}
