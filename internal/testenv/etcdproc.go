package testenv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// requireEtcdEnv makes tests fail, instead of skip, when the etcd program is missing (make test
// installs it and sets this).
const requireEtcdEnv = "CALICOCTL_REQUIRE_ETCD"

// EtcdProgram returns the path of Debian's etcd (etcd-server package), skipping the test when it
// is not installed, unless $CALICOCTL_REQUIRE_ETCD is set (make test), which fails it.
func EtcdProgram(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("etcd")
	if err != nil {
		if os.Getenv(requireEtcdEnv) != "" {
			t.Fatalf("the etcd program is not installed: run hack/test-deps.sh (apt-get install etcd-server)")
		}
		t.Skip("the etcd program is not installed (hack/test-deps.sh installs it; make test does)")
	}
	return path
}

// EtcdProcess is one etcd member run as its own process, which a test may kill and restart.
type EtcdProcess struct {
	Name     string
	Endpoint string // client URL
	PeerURL  string
	LogPath  string

	program string
	args    []string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// EtcdProcessOptions configure StartEtcdProcesses.
type EtcdProcessOptions struct {
	// TLS, when set, serves clients over https with these files.
	TLS *TLSFiles
	// ClientTLS is what the readiness check connects with (required with ClientCertAuth).
	ClientTLS *tls.Config
}

// StartEtcdProcesses starts a cluster of n members, each its own process with its own data
// directory under dir, and waits until it serves requests. Stop them with StopAll.
func StartEtcdProcesses(t testing.TB, dir string, n int, o EtcdProcessOptions) []*EtcdProcess {
	t.Helper()
	program := EtcdProgram(t)
	scheme := "http"
	if o.TLS != nil {
		scheme = "https"
	}
	members := make([]*EtcdProcess, n)
	var initial []string
	for i := range members {
		cp, err1 := FreePort()
		pp, err2 := FreePort()
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		m := &EtcdProcess{
			Name:     fmt.Sprintf("m%d", i),
			Endpoint: fmt.Sprintf("%s://127.0.0.1:%d", scheme, cp),
			PeerURL:  fmt.Sprintf("http://127.0.0.1:%d", pp),
			program:  program,
		}
		members[i] = m
		initial = append(initial, m.Name+"="+m.PeerURL)
	}
	for _, m := range members {
		data := filepath.Join(dir, m.Name)
		m.LogPath = data + ".log"
		m.args = []string{
			"--name", m.Name, "--data-dir", data,
			"--listen-client-urls", m.Endpoint, "--advertise-client-urls", m.Endpoint,
			"--listen-peer-urls", m.PeerURL, "--initial-advertise-peer-urls", m.PeerURL,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", filepath.Base(dir),
			"--logger", "zap", "--log-level", "warn",
			// Quick elections, so that a killed leader is replaced in well under a second.
			"--heartbeat-interval", "50", "--election-timeout", "500",
		}
		if o.TLS != nil {
			m.args = append(m.args, "--cert-file", o.TLS.CertFile, "--key-file", o.TLS.KeyFile)
			if o.TLS.TrustedCAFile != "" {
				m.args = append(m.args, "--trusted-ca-file", o.TLS.TrustedCAFile)
			}
			if o.TLS.ClientCertAuth {
				m.args = append(m.args, "--client-cert-auth")
			}
		}
		if err := m.start(); err != nil {
			StopAll(members)
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { StopAll(members) })
	if err := WaitEtcd(Endpoints(members), o.ClientTLS, 30*time.Second); err != nil {
		t.Fatalf("%v; logs in %s", err, members[0].LogPath)
	}
	return members
}

// Endpoints lists the client URLs of members.
func Endpoints(members []*EtcdProcess) []string {
	var eps []string
	for _, m := range members {
		eps = append(eps, m.Endpoint)
	}
	return eps
}

// WaitEtcd waits until a write through endpoints succeeds.
func WaitEtcd(endpoints []string, tlsConfig *tls.Config, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, TLS: tlsConfig, DialTimeout: time.Second, Logger: zap.NewNop()})
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = cli.Put(ctx, "/testenv/ready", "1")
			cancel()
			cli.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("etcd at %s was not ready within %s: %v", strings.Join(endpoints, ","), timeout, last)
}

func (m *EtcdProcess) start() error {
	log, err := os.OpenFile(m.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(m.program, m.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting etcd: %w", err)
	}
	m.cmd, m.exited = cmd, make(chan struct{})
	go func() {
		cmd.Wait()
		log.Close()
		close(m.exited)
	}()
	return nil
}

// Kill ends the member at once (SIGKILL), as a crash would.
func (m *EtcdProcess) Kill() {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Kill()
	<-m.exited
	m.cmd = nil
}

// Restart starts a killed member again on its data directory.
func (m *EtcdProcess) Restart() error {
	m.Kill()
	// The member rejoins the cluster it was part of.
	for i, a := range m.args {
		if a == "new" && i > 0 && m.args[i-1] == "--initial-cluster-state" {
			m.args[i] = "existing"
		}
	}
	return m.start()
}

// StopAll kills every member.
func StopAll(members []*EtcdProcess) {
	for _, m := range members {
		if m != nil {
			m.Kill()
		}
	}
}

// SilentListener accepts connections and never answers, as a firewall that drops packets or a
// hung server looks to a client. Close it when done.
func SilentListener(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// ClosedPort returns a loopback address nothing listens on.
func ClosedPort(t testing.TB) string {
	t.Helper()
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p)
}
