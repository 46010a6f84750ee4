// Command calico-ipam is a CNI IPAM plugin that allocates addresses from Calico IP pools,
// compatible with Calico's own calico-ipam (same network configuration, same datastore records).
package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/calicoctl-go/calicoctl/internal/etcdwire"
	"github.com/calicoctl-go/calicoctl/pkg/ipam/cniplugin"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
	v "github.com/calicoctl-go/calicoctl/pkg/version"
)

// The plugin is a process per ADD: etcd's messages are written and read without protobuf's
// reflection, whose tables would be built anew in every process.
func init() { etcdwire.Register() }

func main() {
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
	switch os.Getenv("CALICO_IPAM_LOG_LEVEL") {
	case "debug":
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	case "info":
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	default:
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	skel.PluginMainFuncs(skel.CNIFuncs{Add: cniplugin.Add, Del: cniplugin.Del, Check: cniplugin.Check},
		version.All, "Calico CNI IPAM "+v.Version)
}
