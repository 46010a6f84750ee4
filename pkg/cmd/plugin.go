package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/version"
)

// The binary behaves as a plugin of another CLI when installed under that CLI's plugin name:
// kubectl-calico is run by `kubectl calico ARGS` (argv[0] is the plugin's path, then ARGS), and
// dcos-calico by `dcos calico ARGS` (argv[0], then "calico", then ARGS). Help and messages then
// name the command as the operator types it.

const (
	modeCalicoctl = ""
	modeKubectl   = "kubectl"
	// modeKubectlComplete is kubectl_complete-calico, which kubectl (1.26 and later) runs to
	// complete `kubectl calico ...` with the words after "calico".
	modeKubectlComplete = "kubectl_complete"
	modeDCOS            = "dcos"

	// dcosCommand is the top-level noun the DC/OS CLI passes as the plugin's first argument.
	dcosCommand = "calico"
	// dcosInfo is the one-line summary `dcos help` shows (the DC/OS core CLI's wording).
	dcosInfo = "Manage Calico in DC/OS"
)

func pluginMode(argv0 string) string {
	base := filepath.Base(argv0)
	switch {
	case strings.HasPrefix(base, "kubectl-"):
		return modeKubectl
	case strings.HasPrefix(base, "kubectl_complete-"):
		return modeKubectlComplete
	case strings.HasPrefix(base, "dcos-"):
		return modeDCOS
	}
	return modeCalicoctl
}

// CommandName is how the operator runs the binary: "calicoctl", "kubectl calico" or
// "dcos calico".
func CommandName(argv0 string) string {
	switch pluginMode(argv0) {
	case modeKubectl, modeKubectlComplete:
		return "kubectl calico"
	case modeDCOS:
		return "dcos calico"
	}
	return "calicoctl"
}

// setDisplayName makes help and usage lines read "kubectl calico get ..." in plugin modes.
func setDisplayName(root *cobra.Command, argv0 string) {
	if name := CommandName(argv0); name != "calicoctl" {
		if root.Annotations == nil {
			root.Annotations = map[string]string{}
		}
		root.Annotations[cobra.CommandDisplayNameAnnotation] = name
		root.Long = strings.Replace(root.Long, "The calicoctl command line tool", "The calico "+strings.Fields(name)[0]+" plugin", 1)
	}
}

// pluginArgs adapts the arguments of a plugin invocation before the command tree sees them. It
// returns done when the invocation was answered here (DC/OS's --info, --version,
// --config-schema, or a wrong call) with the exit status.
func pluginArgs(f *Factory, argv0 string, args []string) (out []string, code int, done bool) {
	switch pluginMode(argv0) {
	case modeKubectl:
		return kubectlArgs(args), 0, false
	case modeKubectlComplete:
		// The last word is the one being completed: it stays last.
		if len(args) == 0 {
			return []string{cobra.ShellCompRequestCmd, ""}, 0, false
		}
		last := args[len(args)-1]
		words := kubectlArgs(args[:len(args)-1])
		return append(append([]string{cobra.ShellCompRequestCmd}, words...), last), 0, false
	case modeDCOS:
		return dcosArgs(f, args)
	}
	return args, 0, false
}

// kubectlArgs moves -n/--namespace given before the command name after it: kubectl users write
// `kubectl calico -n dev get networkpolicies`, where -n belongs to get.
func kubectlArgs(args []string) []string {
	var ns []string
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-n" || a == "--namespace") && i+1 < len(args):
			ns = append(ns, a, args[i+1])
			i++
			continue
		case strings.HasPrefix(a, "--namespace=") || strings.HasPrefix(a, "-n=") || (strings.HasPrefix(a, "-n") && len(a) > 2 && a[2] != '-'):
			ns = append(ns, a)
			continue
		case a == "--context" || a == "--kubeconfig" || a == "--log-level" || a == "-l" || a == "-c" || a == "--config":
			rest = append(rest, a)
			if i+1 < len(args) {
				rest = append(rest, args[i+1])
				i++
			}
			continue
		case !strings.HasPrefix(a, "-"):
			// The command name: its own arguments follow; -n goes after the whole command path.
			rest = append(rest, args[i:]...)
			if len(ns) == 0 {
				return rest
			}
			return appendFlags(rest, ns)
		}
		rest = append(rest, a)
	}
	return append(rest, ns...)
}

// appendFlags puts flags at the end, before any "--": every command with -n takes flags anywhere after
// its name, and what follows "--" stays positional.
func appendFlags(args, flags []string) []string {
	for i, a := range args {
		if a == "--" {
			return append(append(append([]string{}, args[:i]...), flags...), args[i:]...)
		}
	}
	return append(args, flags...)
}

// dcosArgs answers the DC/OS CLI's plugin contract: argv[1] is the command name ("calico"),
// "calico --info" prints a one-line summary, "--version" and "--config-schema" answer for the
// legacy CLI; otherwise the DC/OS environment becomes calicoctl's and the rest of the arguments
// run as calicoctl's.
func dcosArgs(f *Factory, args []string) ([]string, int, bool) {
	if len(args) == 0 || args[0] != dcosCommand {
		fmt.Fprintf(f.ErrOut, "dcos-calico is a DC/OS CLI plugin: run it as 'dcos %s ARGS' (or 'dcos-calico %s ARGS')\n", dcosCommand, dcosCommand)
		return nil, 1, true
	}
	args = args[1:]
	if len(args) == 1 {
		switch args[0] {
		case "--info":
			fmt.Fprintln(f.Out, dcosInfo)
			return nil, 0, true
		case "--version":
			fmt.Fprintf(f.Out, "dcos-calico version %s (calicoctl %s)\n", version.Version, version.Version)
			return nil, 0, true
		case "--config-schema":
			if err := printDCOSSchema(f); err != nil {
				fmt.Fprintln(f.ErrOut, err)
				return nil, 1, true
			}
			return nil, 0, true
		}
	}
	env, err := config.DCOSEnv(os.Environ())
	if err != nil && !completing(args) {
		fmt.Fprintln(f.ErrOut, err)
		return nil, 1, true
	}
	for k, v := range env {
		os.Setenv(k, v)
	}
	// The DC/OS CLI passes its own log level (dcos -v, --debug): use it unless one is given.
	if lvl := os.Getenv("DCOS_LOG_LEVEL"); lvl != "" && !hasFlag(args, "--log-level", "-l") {
		args = append([]string{"--log-level", lvl}, args...)
	}
	return args, 0, false
}

// completing reports a shell completion request, which completes commands and flags even
// without a cluster.
func completing(args []string) bool {
	return len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd)
}

func hasFlag(args []string, names ...string) bool {
	for _, a := range args {
		for _, n := range names {
			if a == n || strings.HasPrefix(a, n+"=") {
				return true
			}
		}
	}
	return false
}

// printDCOSSchema prints the JSON schema of the [calico] section of the DC/OS CLI's
// configuration, which the legacy DC/OS CLI reads from `dcos-calico calico --config-schema`.
func printDCOSSchema(f *Factory) error {
	props := map[string]any{}
	names := make([]string, 0, len(config.DCOSSettings))
	for name := range config.DCOSSettings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		props[name] = map[string]string{"type": "string", "title": name, "description": config.DCOSSettings[name]}
	}
	out, err := json.MarshalIndent(map[string]any{
		"$schema":              "http://json-schema.org/schema#",
		"type":                 "object",
		"title":                "calico",
		"description":          "Settings of the calico plugin: `dcos config set calico.NAME VALUE` (any calicoctl environment variable CALICO_NAME may be set this way)",
		"properties":           props,
		"additionalProperties": true,
	}, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(f.Out, string(out))
	return nil
}

// DCOSPluginTOML is the env/plugin.toml of the DC/OS plugin package.
func DCOSPluginTOML() string {
	return `schema_version = 1
name = "calico"

[[commands]]
name = "` + dcosCommand + `"
path = "bin/dcos-calico"
description = "` + dcosInfo + `"
`
}

// DCOSBashCompletion is the bash completion the DC/OS CLI sources from env/completion/bash/: a
// _dcos_calico function that asks the plugin (installed beside it, in env/bin) what completes
// the word under the cursor, through cobra's __complete command.
func DCOSBashCompletion() string {
	return `# bash completion for 'dcos calico', sourced by the DC/OS CLI from env/completion/bash/.
__dcos_calico_bin="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../bin" 2>/dev/null && pwd)/dcos-calico"

_dcos_calico() {
	local cur="${COMP_WORDS[COMP_CWORD]}" i line
	local -a args=() candidates=()
	for ((i = 2; i < COMP_CWORD; i++)); do
		args+=("${COMP_WORDS[i]}")
	done
	local out
	out=$("$__dcos_calico_bin" ` + dcosCommand + ` __completeNoDesc "${args[@]}" "$cur" 2>/dev/null) || return 0
	while IFS= read -r line; do
		case "$line" in
		:* | "") ;;
		*) candidates+=("$line") ;;
		esac
	done <<<"$out"
	COMPREPLY=($(compgen -W "${candidates[*]}" -- "$cur"))
}
`
}
