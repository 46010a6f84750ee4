// Command calicoctl manages Calico resources in etcd or the Kubernetes API.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/calicoctl-go/calicoctl/pkg/cmd"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

func main() {
	// A short-lived command that decodes thousands of objects spends much of its time in the
	// garbage collector at the default setting, so collect less often; a soft limit still keeps a
	// large file's batch within about 50 MB of heap.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	f := &cmd.Factory{IOStreams: cmd.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}}
	code := cmd.Run(ctx, f, os.Args[0], os.Args[1:])
	stop()
	os.Exit(code)
}
