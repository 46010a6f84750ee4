package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	policycmd "github.com/calicoctl-go/calicoctl/pkg/cmd/policy"
)

var logLevels = []string{"panic", "fatal", "error", "warn", "info", "debug"}

// Name returns how the binary presents itself: as a kubectl plugin when installed as
// kubectl-calico, otherwise as calicoctl.
func Name(argv0 string) (name, description string) {
	switch pluginMode(argv0) {
	case modeKubectl, modeKubectlComplete:
		return "kubectl-calico", "calico kubectl plugin"
	case modeDCOS:
		return "dcos-calico", "calico DC/OS CLI plugin"
	}
	return "calicoctl", "calicoctl command line tool"
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory, argv0 string) *cobra.Command {
	name, description := Name(argv0)
	var logLevel, kubeContext, kubeconfig string
	root := &cobra.Command{
		Use:   name,
		Short: description,
		Long: `The calicoctl command line tool manages Calico network and security policy: IP pools, BGP
configuration and peers, nodes, policies, profiles and endpoints, stored in etcd or in the
Kubernetes API.

Configuration comes from /etc/calico/calicoctl.cfg (or -c FILE), else from environment variables
(DATASTORE_TYPE, ETCD_ENDPOINTS, KUBECONFIG, ...); with nothing configured it uses etcd at
http://127.0.0.1:2379 (see 'calicoctl datastore serve').`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			valid := false
			for _, l := range logLevels {
				valid = valid || l == logLevel
			}
			if !valid {
				return fmt.Errorf("unknown log level: %s, expected one of: %s", logLevel, strings.Join(logLevels, ", "))
			}
			setLogLevel(f, logLevel)
			if kubeContext != "" {
				// The CALICO_ form of a variable wins over the bare one: set both so that the
				// flag wins over the environment.
				os.Setenv("K8S_CURRENT_CONTEXT", kubeContext)
				os.Setenv("CALICO_K8S_CURRENT_CONTEXT", kubeContext)
			}
			config.SetKubeconfigFlag(kubeconfig)
			return nil
		},
	}
	setDisplayName(root, argv0)
	root.PersistentFlags().StringVar(&kubeContext, "context", "", "the kubeconfig context to use")
	root.PersistentFlags().StringVar(&kubeconfig, "kubeconfig", "", "the kubeconfig file to use (Kubernetes datastore; overrides KUBECONFIG and the config file)")
	root.PersistentFlags().BoolVar(&f.AllowVersionMismatch, "allow-version-mismatch", false, "do not check that the cluster runs a compatible Calico version")
	root.AddCommand(
		NewCmdCreate(f, nil),
		NewCmdApply(f, nil),
		NewCmdReplace(f, nil),
		NewCmdDelete(f, nil),
		NewCmdGet(f, nil),
		NewCmdPatch(f, nil),
		NewCmdLabel(f, nil),
		NewCmdValidate(f, nil),
		NewCmdVersion(f, nil),
		NewCmdDatastore(f),
		policycmd.NewCmdPolicy(f.Client),
		NewCmdConvert(f, nil),
		NewCmdConfig(f),
		NewCmdNode(f),
		newCmdIPAM(f),
	)
	// --log-level is global, with -l as its shorthand except where a command uses -l itself
	// (get -l SELECTOR, as in kubectl).
	var addLogLevel func(c *cobra.Command)
	addLogLevel = func(c *cobra.Command) {
		usage := "log level: " + strings.Join(logLevels, ", ")
		if c.Flags().ShorthandLookup("l") == nil {
			c.Flags().StringVarP(&logLevel, "log-level", "l", "panic", usage)
		} else {
			c.Flags().StringVar(&logLevel, "log-level", "panic", usage)
		}
		for _, sub := range c.Commands() {
			addLogLevel(sub)
		}
	}
	addLogLevel(root)
	addCompletions(root, f)
	return root
}

// Run executes calicoctl with args (without argv[0]) and returns the exit status: 0 only when
// everything asked for succeeded. Errors are printed on stderr.
func Run(ctx context.Context, f *Factory, argv0 string, args []string) int {
	f.Context = ctx
	f.CommandName = CommandName(argv0)
	args, code, done := pluginArgs(f, argv0, args)
	if done {
		return code
	}
	root := NewRootCmd(f, argv0)
	root.SetArgs(globalShorthands(args))
	root.SetOut(f.Out)
	root.SetErr(f.ErrOut)
	root.SetIn(f.In)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(f.ErrOut, massage(err.Error()))
		return 1
	}
	return 0
}

// massage rewrites library error wording into calicoctl's.
func massage(msg string) string {
	return strings.TrimPrefix(msg, "error unmarshaling JSON: while decoding JSON: json: ")
}

// globalShorthands rewrites "-l LEVEL" given before the command name to --log-level, so that it
// is not taken for a command's own -l (get -l SELECTOR).
func globalShorthands(args []string) []string {
	out := append([]string(nil), args...)
	for i := 0; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "-l" && i+1 < len(out):
			out[i] = "--log-level"
			i++
		case strings.HasPrefix(a, "-l=") || (strings.HasPrefix(a, "-l") && len(a) > 2 && a[2] != '-'):
			out[i] = "--log-level=" + strings.TrimPrefix(strings.TrimPrefix(a, "-l"), "=")
		case a == "--context" || a == "--kubeconfig" || a == "--log-level" || a == "-c" || a == "--config":
			i++
		case !strings.HasPrefix(a, "-"):
			return out // the command name: the rest is the command's
		}
	}
	return out
}

// setLogLevel sends this tool's own log lines (datastore requests at debug, retries at info,
// ...) to stderr from the given level up; at the default, panic, nothing is logged.
func setLogLevel(f *Factory, level string) {
	levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
	l, ok := levels[level]
	if !ok {
		slog.SetDefault(slog.New(slog.DiscardHandler))
		return
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(f.ErrOut, &slog.HandlerOptions{Level: l})))
}
