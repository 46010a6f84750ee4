// Command calicoctl manages Calico resources in etcd or the Kubernetes API.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/calicoctl-go/calicoctl/pkg/cmd"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	f := &cmd.Factory{IOStreams: cmd.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}}
	code := cmd.Run(ctx, f, os.Args[0], os.Args[1:])
	stop()
	os.Exit(code)
}
