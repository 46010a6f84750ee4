package cmd

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// NewCmdDatastore builds the datastore command group.
func NewCmdDatastore(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "datastore",
		Short: "Run or migrate the Calico datastore",
	}
	cmd.AddCommand(newCmdServe(f), newCmdMigrate(f), newCmdInstallCRDs(f, nil))
	return cmd
}

// ServeOptions are the options of datastore serve.
type ServeOptions struct {
	DataDir string
	Listen  string
	Ready   func(endpoint string) // tests learn the endpoint here
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
	host, port, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return fmt.Errorf("invalid --listen %q: write it as address:port, e.g. 127.0.0.1:2379", opts.Listen)
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating the data directory: %w", err)
	}
	// The peer port only serves this one-member cluster; any free port on loopback will do.
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	peerPort := pl.Addr().(*net.TCPAddr).Port
	pl.Close()

	cfg := embed.NewConfig()
	cfg.Name = "calicoctl"
	cfg.Dir = opts.DataDir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
	peerURL := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(peerPort)}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	cfg.InitialCluster = cfg.Name + "=" + peerURL.String()
	cfg.ForceNewCluster = true // the peer port changes between runs; the member is alone anyway
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("starting the embedded etcd on %s: %w", opts.Listen, err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		return errors.New("the embedded etcd was not ready within 60s")
	}
	fmt.Fprintf(f.Out, "Datastore ready: etcd serving on %s (data in %s). Stop it with Ctrl-C.\n", clientURL.String(), opts.DataDir)
	if opts.Ready != nil {
		opts.Ready(clientURL.String())
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)
	select {
	case <-stop:
		fmt.Fprintln(f.Out, "Stopping the datastore.")
	case err := <-e.Err():
		return fmt.Errorf("the embedded etcd stopped: %w", err)
	case <-f.ctx().Done():
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
