package cmd

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// CompletionTimeout bounds the datastore reads of one completion: a slow or unreachable
// datastore must never hang the operator's shell, it only means no names are offered.
const CompletionTimeout = 2 * time.Second

// Shell completion comes from cobra's `completion bash|zsh|fish|powershell` scripts, which call
// the hidden __complete command; this adds what cobra cannot know: resource kinds, the names of
// stored resources and namespaces, output formats and kubeconfig contexts.
func addCompletions(root *cobra.Command, f *Factory) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "get", "delete":
			c.ValidArgsFunction = completeKindAndNames(f, -1)
		case "label", "patch":
			c.ValidArgsFunction = completeKindAndNames(f, 1)
		}
		if c.Name() == "get" && c.Flags().Lookup("output") != nil {
			_ = c.RegisterFlagCompletionFunc("output", completeOutput)
		}
	}
	// -n completes namespaces wherever a command has it (get, delete, policy explain, ...).
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("namespace") != nil {
			_ = c.RegisterFlagCompletionFunc("namespace", completeNamespaces(f))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	_ = root.RegisterFlagCompletionFunc("context", completeContexts)
}

// completeKindAndNames completes KIND, then up to maxNames NAMEs (-1: any number) of that kind.
func completeKindAndNames(f *Factory, maxNames int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			if cmd.Flags().Changed("filename") {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeKinds(toComplete), cobra.ShellCompDirectiveNoFileComp
		}
		if maxNames >= 0 && len(args) > maxNames {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		kind, err := resources.Lookup(args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ns := ""
		if kind.Namespaced {
			all, _ := cmd.Flags().GetBool("all-namespaces")
			ns, _ = cmd.Flags().GetString("namespace")
			if ns == "" && !all {
				ns = "default"
			}
		}
		ctx, cancel := context.WithTimeout(f.ctx(), CompletionTimeout)
		defer cancel()
		c, err := completionClient(f, cmd, args)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer c.Close()
		names, err := c.Names(ctx, kind, ns, toComplete)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		done := map[string]bool{}
		for _, a := range args[1:] {
			done[a] = true
		}
		out := make([]cobra.Completion, 0, len(names))
		for _, n := range names {
			if !done[n] {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeKinds offers each kind by its lower-case name, described by its API kind.
func completeKinds(prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, k := range resources.All() {
		name := strings.ToLower(k.Kind)
		if strings.HasPrefix(name, strings.ToLower(prefix)) {
			out = append(out, cobra.CompletionWithDesc(name, k.Kind))
		}
	}
	return out
}

func completeNamespaces(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ctx, cancel := context.WithTimeout(f.ctx(), CompletionTimeout)
		defer cancel()
		c, err := completionClient(f, cmd, args)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer c.Close()
		nss, err := c.Namespaces(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, ns := range nss {
			if strings.HasPrefix(ns, toComplete) {
				out = append(out, ns)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func completeOutput(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []cobra.Completion{"ps", "wide", "yaml", "json", "name", "jsonpath=", "custom-columns=", "go-template=", "go-template-file="},
		cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeContexts offers the contexts of the kubeconfig (KUBECONFIG or ~/.kube/config).
func completeContexts(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kc, _ := cmd.Flags().GetString("kubeconfig"); kc != "" {
		rules.ExplicitPath = kc
	}
	cfg, err := rules.Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for name := range cfg.Contexts {
		if strings.HasPrefix(name, toComplete) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completionClient connects as the command itself would: cobra does not run the root's
// pre-run (which applies --context and --kubeconfig) for __complete, so it is run here.
func completionClient(f *Factory, cmd *cobra.Command, args []string) (*client.Client, error) {
	if pre := cmd.Root().PersistentPreRunE; pre != nil {
		if err := pre(cmd, args); err != nil {
			return nil, err
		}
	}
	return f.Client(configFlag(cmd), false)
}

func configFlag(cmd *cobra.Command) string {
	if fl := cmd.Flags().Lookup("config"); fl != nil {
		return fl.Value.String()
	}
	return ""
}
