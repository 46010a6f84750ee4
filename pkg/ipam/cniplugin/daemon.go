package cniplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/ipam/handoff"
)

// The daemon (`calico-ipam daemon`) is the plugin kept running on a host, as the CNI project's
// dhcp plugin has one: a runtime still runs the plugin binary for every container, and the plugin
// hands the command to the daemon when one listens. The daemon carries it out with the same code
// and the same network configuration, on datastore connections it keeps open, so that an ADD
// costs neither a new connection (a TLS handshake on a secured etcd or API server) nor reading
// what it read a moment ago. Without a daemon the plugin does the work itself.

// daemonConcurrency is how many plugin processes the daemon's Kubernetes rate limit stands for.
const daemonConcurrency = 10

// maxPooledAge bounds how long the daemon keeps one datastore connection, so that certificates
// and kubeconfigs renewed in place are read again without a restart.
const maxPooledAge = 5 * time.Minute

// delegate hands a command to the daemon. It reports false when no daemon took it, and the plugin
// is to do the work itself: no daemon listens, the daemon declined, or a DEL or CHECK (which may
// run twice) lost its answer. An ADD whose answer is lost after the daemon took it is not run
// again here (handoff.LostAnswer).
func delegate(command string, args *skel.CmdArgs) (bool, error) {
	path := handoff.Socket()
	if path == "" || handoff.Skip {
		return false, nil
	}
	conn, err := handoff.Dial(path)
	if err != nil {
		slog.Debug("no calico-ipam daemon: doing the work in this process", "socket", path, "err", err)
		return false, nil
	}
	defer conn.Close()
	resp, sent, err := conn.Exchange(handoff.Request{Protocol: handoff.Protocol, Command: command, ContainerID: args.ContainerID,
		Netns: args.Netns, IfName: args.IfName, Args: args.Args, Path: args.Path, StdinData: args.StdinData}, Timeout+10*time.Second)
	switch {
	case err != nil && (!sent || command != "ADD"):
		slog.Debug("the calico-ipam daemon gave no answer: doing the work in this process", "socket", path, "command", command, "err", err)
		return false, nil
	case err != nil:
		e := handoff.LostAnswer(path, err)
		return true, types.NewError(e.Code, e.Msg, e.Details)
	case resp.Decline != "":
		slog.Debug("the calico-ipam daemon declined: doing the work in this process", "socket", path, "why", resp.Decline)
		return false, nil
	case resp.Error != nil:
		return true, types.NewError(resp.Error.Code, resp.Error.Msg, resp.Error.Details)
	}
	if len(resp.Stdout) > 0 {
		if _, err := os.Stdout.Write(resp.Stdout); err != nil {
			return true, err
		}
	}
	return true, nil
}

// Daemon serves the plugin's commands on a Unix socket.
type Daemon struct {
	// Socket is the path it listens on (handoff.DefaultSocket when empty).
	Socket string
	Log    *slog.Logger

	mu   sync.Mutex
	pool map[string]*pooled // by datastore configuration
	now  func() time.Time
}

// pooled is one datastore connection the daemon keeps, shared by the requests that name the same
// datastore with the same files.
type pooled struct {
	spec    string // the configuration, without the state of its files
	files   string // the files' sizes and modification times when connected
	created time.Time
	client  *client.Client
	ipam    *ipam.Client
	users   int
	retired bool // replaced: closed once its last user is done
}

// Serve listens until ctx ends, then waits for the commands in flight and closes the connections.
func (d *Daemon) Serve(ctx context.Context) error {
	if d.Socket == "" {
		d.Socket = handoff.DefaultSocket
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(d.Socket), 0o755); err != nil {
		return fmt.Errorf("creating the directory of socket %s: %w", d.Socket, err)
	}
	if conn, err := net.DialTimeout("unix", d.Socket, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("socket %s is in use: another calico-ipam daemon is running; stop it or give this one another --socket", d.Socket)
	}
	if err := os.Remove(d.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the stale socket %s: %w", d.Socket, err)
	}
	ln, err := net.Listen("unix", d.Socket)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", d.Socket, err)
	}
	defer os.Remove(d.Socket)
	// Whoever may connect may assign addresses: the owner alone, as for the plugin binary itself.
	if err := os.Chmod(d.Socket, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("restricting socket %s to its owner: %w", d.Socket, err)
	}
	d.Log.Info("calico-ipam daemon listening", "socket", d.Socket)
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var inFlight sync.WaitGroup
	defer func() {
		inFlight.Wait()
		d.closeAll()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accepting on %s: %w", d.Socket, err)
		}
		inFlight.Add(1)
		go func() {
			defer inFlight.Done()
			d.handle(conn)
		}()
	}
}

func (d *Daemon) handle(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var req handoff.Request
	if err := json.NewDecoder(io.LimitReader(conn, 8<<20)).Decode(&req); err != nil {
		if errors.Is(err, io.EOF) {
			d.Log.Debug("a connection without a request (a probe of the socket)")
		} else {
			d.Log.Warn("unreadable request", "err", err)
		}
		return
	}
	var resp handoff.Response
	switch {
	case req.Protocol != handoff.Protocol:
		resp.Decline = "request protocol " + strconv.Itoa(req.Protocol) + ", this daemon speaks " + strconv.Itoa(handoff.Protocol)
	case req.Command != "ADD" && req.Command != "DEL" && req.Command != "CHECK":
		resp.Decline = "unknown command " + strconv.Quote(req.Command)
	default:
		start := d.now()
		out, err := run(req.Command, &skel.CmdArgs{ContainerID: req.ContainerID, Netns: req.Netns, IfName: req.IfName,
			Args: req.Args, Path: req.Path, StdinData: req.StdinData}, d)
		resp.Stdout = out
		if err != nil {
			var te *types.Error
			if !errors.As(err, &te) {
				te = types.NewError(types.ErrInternal, err.Error(), "")
			}
			resp.Error = &handoff.Error{Code: te.Code, Msg: te.Msg, Details: te.Details}
		}
		d.Log.Debug("served", "command", req.Command, "container", req.ContainerID, "took", d.now().Sub(start), "err", err)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := json.NewEncoder(conn).Encode(resp); err != nil {
		d.Log.Warn("the plugin left before its answer", "command", req.Command, "container", req.ContainerID, "err", err)
	}
}

// connect gives a request the daemon's connection to its datastore, making one the first time a
// configuration is named, and again when the files it names change or it has served
// maxPooledAge.
func (d *Daemon) connect(cfg *config.CalicoAPIConfig) (*client.Client, *ipam.Client, func(), error) {
	specJSON, err := json.Marshal(cfg.Spec)
	if err != nil {
		return nil, nil, nil, err
	}
	spec := string(specJSON)
	files := fileStates(cfg.Spec.EtcdKeyFile, cfg.Spec.EtcdCertFile, cfg.Spec.EtcdCACertFile, cfg.Spec.Kubeconfig)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pool == nil {
		d.pool = map[string]*pooled{}
	}
	// Retire this configuration's connection when its files changed, and every connection past
	// its age (so that one no request names any more is closed too).
	for key, o := range d.pool {
		if d.now().Sub(o.created) > maxPooledAge || (key == spec && o.files != files) {
			o.retired = true
			if o.users == 0 {
				o.client.Close()
			}
			delete(d.pool, key)
		}
	}
	p := d.pool[spec]
	if p == nil {
		// A plugin process limits its own requests to the Kubernetes API; the daemon's one client
		// sends those of the ADDs it serves at once, and without a limit of its own would still
		// send fewer (no connection or start read per ADD). Its limit is that of ten processes.
		scaled := *cfg
		scaled.Spec.K8sClientQPS, scaled.Spec.K8sClientBurst = daemonConcurrency*cfg.Spec.K8sClientQPS, daemonConcurrency*cfg.Spec.K8sClientBurst
		c, err := client.New(&scaled)
		if err != nil {
			return nil, nil, nil, err
		}
		p = &pooled{spec: spec, files: files, created: d.now(), client: c, ipam: ipam.New(c.Store())}
		d.pool[spec] = p
	}
	p.users++
	release := func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		p.users--
		if p.retired && p.users == 0 {
			p.client.Close()
		}
	}
	return p.client, p.ipam, release, nil
}

func (d *Daemon) closeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for spec, p := range d.pool {
		p.client.Close()
		delete(d.pool, spec)
	}
}

// fileStates describes the named files by size and modification time.
func fileStates(paths ...string) string {
	var b []byte
	for _, p := range paths {
		if p == "" {
			continue
		}
		b = append(b, p...)
		if fi, err := os.Stat(p); err == nil {
			b = append(b, ' ')
			b = strconv.AppendInt(b, fi.Size(), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, fi.ModTime().UnixNano(), 10)
		}
		b = append(b, ';')
	}
	return string(b)
}
