package cniplugin_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
)

// daemon is a `calico-ipam daemon` process.
type daemon struct {
	socket string
	cmd    *exec.Cmd
	logs   *testenv.SyncBuffer
	exited chan error
}

// startDaemon runs the built binary's daemon on a socket of its own, logging at debug level.
func startDaemon(t *testing.T) *daemon {
	t.Helper()
	d := &daemon{socket: filepath.Join(t.TempDir(), "calico-ipam.sock"), logs: &testenv.SyncBuffer{}, exited: make(chan error, 1)}
	d.cmd = exec.Command(plugin, "daemon", "--socket", d.socket)
	d.cmd.Env = append(os.Environ(), "CALICO_IPAM_LOG_LEVEL=debug")
	d.cmd.Stderr = d.logs
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("unix", d.socket); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			d.cmd.Process.Kill()
			t.Fatalf("the daemon did not listen within 10 s:\n%s", d.logs)
		}
	}
	t.Cleanup(func() { d.stop(t) })
	return d
}

// stop ends the daemon as a service manager does, once; it must exit 0 and remove its socket.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	if d.cmd.ProcessState != nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		if err != nil {
			t.Errorf("the daemon exited with %v after SIGTERM:\n%s", err, d.logs)
		}
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		t.Fatalf("the daemon did not stop within 30 s of SIGTERM")
	}
	if _, err := os.Stat(d.socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the daemon left its socket behind: %v", err)
	}
}

// served counts the commands the daemon's log says it carried out.
func (d *daemon) served() int { return strings.Count(d.logs.String(), `msg=served`) }

// throughDaemon runs a test with every plugin run handing its command to a daemon, and checks
// that the daemon carried them out.
func throughDaemon(t *testing.T, body func(t *testing.T)) {
	d := startDaemon(t)
	daemonSocket = d.socket
	defer func() { daemonSocket = "none" }()
	body(t)
	if d.served() == 0 {
		t.Fatalf("the daemon served no command; its log:\n%s", d.logs)
	}
}

// Without a daemon, with a socket nobody listens on, or with a daemon that declines, the plugin
// does the work itself.
func TestPluginWorksWithoutADaemon(t *testing.T) {
	resetEtcd(t)
	create(t, etcdStore, "IPPool", `{"metadata":{"name":"v4"},"spec":{"cidr":"10.64.0.0/24","blockSize":26}}`)
	create(t, etcdStore, "Node", `{"metadata":{"name":"node1"}}`)
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the file stays, as after a daemon killed with SIGKILL
	declining := fakeDaemon(t, filepath.Join(dir, "declining.sock"), func(c net.Conn) {
		json.NewDecoder(c).Decode(&map[string]any{})
		c.Write([]byte(`{"decline":"request protocol 1, this daemon speaks 2"}`))
	})
	for i, socket := range []string{filepath.Join(dir, "absent.sock"), stale, declining} {
		daemonSocket = socket
		got := ips(t, runPlugin("ADD", "w"+string(rune('0'+i)), "", etcdConf("")))
		if len(got) != 1 || !netip.MustParsePrefix("10.64.0.0/24").Contains(got[0].Addr()) {
			t.Errorf("socket %s: ADD gave %v", socket, got)
		}
	}
	daemonSocket = "none"
}

// A daemon that takes a command and dies before answering: an ADD is not repeated (the daemon may
// have assigned an address) but reported as "try again later"; DEL and CHECK, which may run twice,
// are done by the plugin itself.
func TestDaemonLostAnswer(t *testing.T) {
	resetEtcd(t)
	create(t, etcdStore, "IPPool", `{"metadata":{"name":"v4"},"spec":{"cidr":"10.65.0.0/24","blockSize":26}}`)
	create(t, etcdStore, "Node", `{"metadata":{"name":"node1"}}`)
	got := ips(t, runPlugin("ADD", "lost", "", etcdConf("")))
	daemonSocket = fakeDaemon(t, filepath.Join(t.TempDir(), "dying.sock"), func(c net.Conn) {
		json.NewDecoder(c).Decode(&map[string]any{})
	})
	defer func() { daemonSocket = "none" }()
	code, msg := cniError(t, runPlugin("ADD", "lost2", "", etcdConf("")))
	if code != 11 || !strings.Contains(msg, "took the ADD but gave no answer") {
		t.Errorf("ADD with a lost answer: code %d %q, want 11 (try again later)", code, msg)
	}
	if r := runPlugin("CHECK", "lost", "", etcdConf("")); r.err != nil {
		t.Errorf("CHECK with a lost answer: %v %s", r.err, r.stdout)
	}
	if r := runPlugin("DEL", "lost", "", etcdConf("")); r.err != nil {
		t.Errorf("DEL with a lost answer: %v %s", r.err, r.stdout)
	}
	if a, err := ipam.New(etcdStore).GetAssignment(t.Context(), got[0].Addr()); err == nil {
		t.Errorf("DEL, done by the plugin itself, left %s assigned to %s", got[0].Addr(), a.HandleID)
	}
}

// fakeDaemon listens on socket and answers every connection with serve: a daemon of another
// version, or one that dies mid-request.
func fakeDaemon(t *testing.T, socket string, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serve(c)
			c.Close()
		}
	}()
	return socket
}

// One daemon per socket; SIGTERM stops it cleanly (startDaemon's clean-up checks that).
func TestDaemonRefusesATakenSocket(t *testing.T) {
	d := startDaemon(t)
	cmd := exec.Command(plugin, "daemon", "--socket", d.socket)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "socket "+d.socket+" is in use: another calico-ipam daemon is running") {
		t.Errorf("second daemon: %v\n%s", err, out)
	}
	fi, err := os.Stat(d.socket)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket %v %v: want it kept, mode 0600", fi, err)
	}
	out, err = exec.Command(plugin, "daemon", "--bogus").CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "flag provided but not defined: -bogus") {
		t.Errorf("bad flag: %v\n%s", err, out)
	}
}
