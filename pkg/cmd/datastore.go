package cmd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/internal/etcdpayload"
	"github.com/calicoctl-go/calicoctl/pkg/client/etcdv3"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// NewCmdDatastore builds the datastore command group.
func NewCmdDatastore(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "datastore",
		Short: "Run or migrate the Calico datastore",
	}
	cmd.AddCommand(newCmdServe(f), newCmdMigrate(f), newCmdInstallCRDs(f, nil), newCmdMigratePolicyNames(f))
	return cmd
}

func newCmdMigratePolicyNames(f *Factory) *cobra.Command {
	var cfg string
	cmd := &cobra.Command{
		Use:   "migrate-policy-names",
		Short: "Store policies saved under legacy default.<name> keys under their v3 names (etcdv3)",
		Long: `Calico up to 3.28 stored policies of the default tier in etcd under "default.<name>". Such a policy
is listed under its v3 name but cannot be read, updated or deleted by it. This moves each one to
the key of its v3 name, one atomic step per policy; running it again changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client(cfg, true)
			if err != nil {
				return err
			}
			defer c.Close()
			s, ok := c.Store().(*etcdv3.Store)
			if !ok {
				return fmt.Errorf("invalid datastore type: %s for policy name migration. Datastore type must be etcdv3", c.Store().Type())
			}
			n, err := s.MigratePolicyNames(f.ctx())
			if err != nil {
				return fmt.Errorf("policy name migration stopped after %d policies: %w", n, err)
			}
			fmt.Fprintf(f.Out, "Policy name migration complete, migrated %d policies.\n", n)
			return nil
		},
	}
	addConfigFlag(cmd, &cfg)
	return cmd
}

// ServeOptions are the options of datastore serve.
type ServeOptions struct {
	DataDir string
	Listen  string
}

func newCmdServe(f *Factory) *cobra.Command {
	opts := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run an etcd datastore embedded in this binary",
		Long: `Run a real etcd server, built into calicoctl, so that no other software is needed to try Calico's
resources or to develop against them. It serves until interrupted (Ctrl-C or SIGTERM); its data
survives restarts in --data-dir. Point calicoctl at it with ETCD_ENDPOINTS=http://<listen>, or use
no configuration at all for the default 127.0.0.1:2379.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(f, opts) },
	}
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", defaultDataDir(), "where etcd keeps its data")
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:2379", "address:port clients connect to")
	return cmd
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "calicoctl", "etcd")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "calicoctl", "etcd")
	}
	return "calicoctl-etcd"
}

func runServe(f *Factory, opts *ServeOptions) error {
	program, err := etcdpayload.Path()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(f.ctx(), program, "--listen", opts.Listen, "--data-dir", opts.DataDir)
	cmd.Stdout, cmd.Stderr = f.Out, f.ErrOut
	// On Ctrl-C the server stops cleanly; an interrupted calicoctl asks it to.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Run(); err != nil {
		if f.ctx().Err() != nil {
			return nil
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("the datastore stopped (exit status %d)", exit.ExitCode())
		}
		return fmt.Errorf("running %s: %w", program, err)
	}
	return nil
}

func newCmdMigrate(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Lock the datastore for a migration, and unlock it",
	}
	for _, lock := range []bool{true, false} {
		lock := lock
		var configPath string
		name, done := "unlock", "Datastore unlocked."
		short := "Mark the datastore ready again after a migration"
		if lock {
			name, done = "lock", "Datastore locked."
			short = "Mark the datastore not ready (ClusterInformation datastoreReady=false) before a migration"
		}
		sub := &cobra.Command{
			Use:   name,
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.Client(configPath, true)
				if err != nil {
					return err
				}
				defer c.Close()
				if err := c.EnsureInitialized(f.ctx()); err != nil {
					return err
				}
				kind, _ := resources.ByKind("ClusterInformation")
				_, err = c.Modify(f.ctx(), kind, "", "default", func(obj resources.Resource) (resources.Resource, error) {
					ready := !lock
					obj.(*api.ClusterInformation).Spec.DatastoreReady = &ready
					return obj, nil
				})
				if err != nil {
					return err
				}
				fmt.Fprintln(f.Out, done)
				return nil
			},
		}
		addConfigFlag(sub, &configPath)
		cmd.AddCommand(sub)
	}
	cmd.AddCommand(newCmdMigrateExport(f), newCmdMigrateImport(f))
	return cmd
}
