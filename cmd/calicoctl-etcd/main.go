// Command calicoctl-etcd is the etcd server that `calicoctl datastore serve` runs. calicoctl
// carries it embedded (see internal/etcdpayload); it can also be run on its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/calicoctl-go/calicoctl/internal/etcdserver"
)

func main() {
	var opts etcdserver.Options
	flag.StringVar(&opts.Listen, "listen", "127.0.0.1:2379", "address:port clients connect to")
	flag.StringVar(&opts.DataDir, "data-dir", "calicoctl-etcd", "where etcd keeps its data")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := etcdserver.Run(ctx, os.Stdout, opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
