// Command gendocs writes docs/commands/: one reference page per calicoctl command, generated
// from the command tree itself (usage, description, examples, flags, subcommands), so that the
// reference cannot drift from the binary. `make docs` runs it; a test fails when the committed
// pages are stale.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/cmd"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

func main() {
	out := flag.String("out", "docs/commands", "directory to write the pages into")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// write replaces the pages in dir with freshly generated ones.
func write(dir string) error {
	pages := Generate()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if _, keep := pages[filepath.Base(p)]; !keep {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for name, content := range pages {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Generate returns every page by file name: README.md (the index) and one per command.
func Generate() map[string]string {
	root := cmd.NewRootCmd(&cmd.Factory{}, "calicoctl")
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	pages := map[string]string{}
	var index bytes.Buffer
	index.WriteString("# Command reference\n\n")
	index.WriteString("Generated from the command tree by `make docs` (hack/gendocs); do not edit by hand.\n")
	index.WriteString("Every command's `--help` prints the same text.\n\n")
	var walk func(c *cobra.Command, depth int)
	walk = func(c *cobra.Command, depth int) {
		if !shown(c) {
			return
		}
		pages[fileName(c)] = page(c)
		fmt.Fprintf(&index, "%s- [%s](%s): %s\n", strings.Repeat("  ", depth), c.CommandPath(), fileName(c), c.Short)
		for _, sub := range children(c) {
			walk(sub, depth+1)
		}
	}
	walk(root, 0)
	pages["README.md"] = index.String()
	return pages
}

func shown(c *cobra.Command) bool {
	return c.IsAvailableCommand() || !c.HasParent() || c.Name() == "help"
}

func children(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		if shown(sub) {
			out = append(out, sub)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

func fileName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "_") + ".md"
}

func page(c *cobra.Command) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n%s\n\n", c.CommandPath(), c.Short)
	if c.Long != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(c.Long))
	}
	if c.Runnable() {
		fmt.Fprintf(&b, "## Usage\n\n```\n%s\n```\n\n", c.UseLine())
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(&b, "Aliases: %s\n\n", strings.Join(c.Aliases, ", "))
	}
	if c.Example != "" {
		fmt.Fprintf(&b, "## Examples\n\n```\n%s\n```\n\n", strings.TrimRight(c.Example, "\n"))
	}
	if fl := c.LocalNonPersistentFlags(); fl.HasAvailableFlags() {
		fmt.Fprintf(&b, "## Options\n\n```\n%s```\n\n", fl.FlagUsages())
	}
	if fl := c.PersistentFlags(); fl.HasAvailableFlags() && !c.HasParent() {
		fmt.Fprintf(&b, "## Global options\n\n```\n%s```\n\n", fl.FlagUsages())
	}
	if fl := c.InheritedFlags(); fl.HasAvailableFlags() {
		fmt.Fprintf(&b, "## Global options\n\n```\n%s```\n\n", fl.FlagUsages())
	}
	if subs := children(c); len(subs) > 0 {
		b.WriteString("## Commands\n\n")
		for _, sub := range subs {
			fmt.Fprintf(&b, "- [%s](%s): %s\n", sub.CommandPath(), fileName(sub), sub.Short)
		}
		b.WriteString("\n")
	}
	if c.HasParent() {
		fmt.Fprintf(&b, "## See also\n\n- [%s](%s): %s\n- [All commands](README.md)\n", c.Parent().CommandPath(), fileName(c.Parent()), c.Parent().Short)
	} else {
		b.WriteString("## See also\n\n- [All commands](README.md)\n")
	}
	return b.String()
}
