// Command calico-ipam is a CNI IPAM plugin that allocates addresses from Calico IP pools,
// compatible with Calico's own calico-ipam (same network configuration, same datastore records).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/calicoctl-go/calicoctl/internal/etcdwire"
	"github.com/calicoctl-go/calicoctl/pkg/ipam/cniplugin"
	"github.com/calicoctl-go/calicoctl/pkg/ipam/handoff"
	// Before the other packages initialise: hands the command to a daemon when one listens.
	_ "github.com/calicoctl-go/calicoctl/pkg/ipam/handoff/early"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
	v "github.com/calicoctl-go/calicoctl/pkg/version"
)

// The plugin is a process per ADD: etcd's messages are written and read without protobuf's
// reflection, whose tables would be built anew in every process.
func init() { etcdwire.Register() }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "daemon" {
		os.Exit(daemon(os.Args[2:]))
	}
	if os.Getenv("GOGC") == "" {
		// One short request: collecting garbage would only cost CPU that parallel ADDs share.
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(128 << 20)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		// One request waits on the datastore most of the time: a second P only adds thread
		// wake-ups and spinning (runtimes start many plugins at once on the same cores).
		runtime.GOMAXPROCS(1)
	}
	// stdout carries the CNI result alone; the libraries' log lines go nowhere, or to stderr with
	// CALICO_IPAM_LOG_LEVEL=debug|info.
	slog.SetDefault(slog.New(logHandler(slog.DiscardHandler)))
	skel.PluginMainFuncs(skel.CNIFuncs{Add: cniplugin.Add, Del: cniplugin.Del, Check: cniplugin.Check},
		version.All, "Calico CNI IPAM "+v.Version)
}

// logHandler writes to stderr at CALICO_IPAM_LOG_LEVEL (debug, info, warning or error), or uses
// def when it is unset.
func logHandler(def slog.Handler) slog.Handler {
	var level slog.Level
	switch os.Getenv("CALICO_IPAM_LOG_LEVEL") {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warning", "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return def
	}
	return slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
}

// daemon runs `calico-ipam daemon`: the plugin's commands served on a Unix socket until SIGINT or
// SIGTERM.
func daemon(args []string) int {
	fs := flag.NewFlagSet("calico-ipam daemon", flag.ContinueOnError)
	socket := fs.String("socket", "", "the Unix socket to listen on (default $"+handoff.SocketEnv+", else "+handoff.DefaultSocket+")")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: calico-ipam daemon [--socket PATH]

Serves the plugin's ADD, DEL and CHECK on a Unix socket, on datastore connections it keeps open.
The plugin, run by the container runtime as usual, hands its command over when the daemon listens
and does the work itself when not (docs/ipam.md). SIGTERM or SIGINT stop it.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "calico-ipam daemon: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *socket == "" {
		*socket = handoff.Socket()
	}
	if *socket == "" {
		fmt.Fprintf(os.Stderr, "calico-ipam daemon: %s=none turns the daemon off; give --socket PATH to run one\n", handoff.SocketEnv)
		return 2
	}
	log := slog.New(logHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	slog.SetDefault(slog.New(slog.DiscardHandler)) // the libraries' own lines
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	d := &cniplugin.Daemon{Socket: *socket, Log: log}
	if err := d.Serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "calico-ipam daemon:", err)
		return 1
	}
	log.Info("calico-ipam daemon stopped", "socket", *socket)
	return 0
}
