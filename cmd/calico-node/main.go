// calico-node is the Calico node agent: it runs calico/node's start-up against the datastore
// named by the environment (DATASTORE_TYPE, ETCD_ENDPOINTS, KUBECONFIG, ...), prints
// "Calico node started successfully", then runs the BGP speaker and its BIRD-compatible control
// sockets until SIGTERM or SIGINT. Configuration is calico/node's environment variables; see
// docs/node.md.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/node"
)

func main() {
	// The agent's heap at rest is a few MB; a tighter GC target keeps its footprint small
	// (GOGC in the environment still wins).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	os.Exit(run())
}

func run() int {
	level := node.ParseLogLevel(os.Getenv("CALICO_STARTUP_LOGLEVEL"))
	log := slog.New(node.NewLogHandler(os.Stdout, level))
	var libLog *slog.Logger
	if node.ParseLogLevel(os.Getenv("BGP_LOGSEVERITYSCREEN")) == slog.LevelDebug {
		libLog = slog.New(node.NewLogHandler(os.Stdout, slog.LevelDebug))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	cfg := node.ConfigFromEnv()
	if err := cfg.Validate(); err != nil {
		return terminate(log, err)
	}
	apiCfg, err := config.LoadEnv()
	if err != nil {
		return terminate(log, fmt.Errorf("datastore configuration: %w", err))
	}
	c, err := client.New(apiCfg)
	if err != nil {
		return terminate(log, fmt.Errorf("connecting to the datastore: %w", err))
	}
	defer c.Close()
	st, err := node.Run(ctx, c, cfg, log)
	if err != nil {
		return terminate(log, err)
	}
	var passwords *node.SecretPasswords
	if ks, ok := c.Store().(*kubernetes.Store); ok {
		if passwords, err = node.NewSecretPasswords(ks.RESTConfig(), node.SecretNamespace()); err != nil {
			return terminate(log, err)
		}
	}
	agent := &node.Agent{Passwords: passwords, Tunnels: true, Client: c, Config: cfg, Log: log, LibLog: libLog, NodeName: st.NodeName,
		Blocks: node.IPAMBlocks{IPAM: ipam.New(c.Store())}}
	if err := agent.Serve(ctx, func() { fmt.Fprintln(os.Stdout, node.StartedLine) }); err != nil {
		return terminate(log, err)
	}
	return 0
}

func terminate(log *slog.Logger, err error) int {
	log.Error(err.Error())
	log.Error("Terminating")
	fmt.Fprintln(os.Stdout, "Calico node failed to start")
	return 1
}
