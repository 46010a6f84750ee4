// Package etcdserver runs the single-member etcd behind `calicoctl datastore serve`. It lives in
// its own program (cmd/calicoctl-etcd), embedded in calicoctl, because linking etcd's server into
// calicoctl itself would add about 8 ms to the start of every command.
package etcdserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Options say where to listen and keep data.
type Options struct {
	Listen  string
	DataDir string
}

// Run serves until ctx ends or the server fails. It prints one line when ready.
func Run(ctx context.Context, out io.Writer, opts Options) error {
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
	fmt.Fprintf(out, "Datastore ready: etcd serving on %s (data in %s). Stop it with Ctrl-C.\n", clientURL.String(), opts.DataDir)
	select {
	case <-ctx.Done():
		fmt.Fprintln(out, "Stopping the datastore.")
	case err := <-e.Err():
		return fmt.Errorf("the embedded etcd stopped: %w", err)
	}
	return nil
}
