package cniplugin_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// servedReaches waits for the daemon's log to count n commands served (its stderr reaches the
// test through a pipe, behind the plugin's answer), for up to 5 s, and returns the count.
func (d *daemon) servedReaches(n int) int {
	for deadline := time.Now().Add(5 * time.Second); d.served() < n && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	return d.served()
}

// throughDaemon runs a test with every plugin run handing its command to a daemon, and checks
// that the daemon carried them out.
func throughDaemon(t *testing.T, body func(t *testing.T)) {
	d := startDaemon(t)
	daemonSocket = d.socket
	defer func() { daemonSocket = "none" }()
	body(t)
	if d.servedReaches(1) == 0 {
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

// A daemon's answer prints exactly as the plugin's own, whether the plugin handed the command
// over before its datastore clients' packages start (package early: inittrace shows no gRPC) or
// after skel (a configuration early leaves to skel: no cniVersion).
func TestDaemonAnswersPrintAsThePluginsOwn(t *testing.T) {
	resetEtcd(t)
	create(t, etcdStore, "IPPool", `{"metadata":{"name":"tiny"},"spec":{"cidr":"10.66.0.0/30","blockSize":30}}`)
	create(t, etcdStore, "Node", `{"metadata":{"name":"node1"}}`)
	d := startDaemon(t)
	noVersion := strings.Replace(etcdConf(""), `"cniVersion":"1.0.0",`, "", 1)
	for _, tc := range []struct{ name, command, conf string }{
		{"bad assign_ipv4", "ADD", etcdConf(`,"assign_ipv4":"yes"`)},
		{"unknown pool", "ADD", etcdConf(`,"ipv4_pools":["nope"]`)},
		{"CHECK of an unknown container", "CHECK", etcdConf("")},
		{"DEL of an unknown container", "DEL", etcdConf("")},
		{"0.1.0 configuration", "DEL", noVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			own := runPluginWith("none", tc.command, "same", "", tc.conf)
			before := d.served()
			handed := runPluginWith(d.socket, tc.command, "same", "", tc.conf, "GODEBUG=inittrace=1")
			if handed.stdout != own.stdout || (handed.err == nil) != (own.err == nil) {
				t.Errorf("through the daemon: %v\n%s\nitself: %v\n%s", handed.err, handed.stdout, own.err, own.stdout)
			}
			if got := d.servedReaches(before + 1); got != before+1 {
				t.Errorf("the daemon served %d commands, want 1", got-before)
			}
			early := !strings.Contains(handed.stderr, "init google.golang.org/grpc ")
			if want := tc.conf != noVersion; early != want {
				t.Errorf("handed over before gRPC's packages initialised: %v, want %v", early, want)
			}
		})
	}
	// ADDs that succeed: the same result but for the address.
	for _, conf := range []string{etcdConf(""), noVersion} {
		own := runPluginWith("none", "ADD", "ok1", "", conf)
		handed := runPluginWith(d.socket, "ADD", "ok2", "", conf)
		addr := regexp.MustCompile(`10\.66\.0\.[0-9]+`)
		ownIP, handedIP := addr.FindString(own.stdout), addr.FindString(handed.stdout)
		if own.err != nil || handed.err != nil || ownIP == "" || handedIP == "" || ownIP == handedIP ||
			addr.ReplaceAllString(own.stdout, "ADDRESS") != addr.ReplaceAllString(handed.stdout, "ADDRESS") {
			t.Errorf("ADD itself: %v\n%s\nthrough the daemon: %v\n%s", own.err, own.stdout, handed.err, handed.stdout)
		}
		runPluginWith("none", "DEL", "ok1", "", conf)
		runPluginWith("none", "DEL", "ok2", "", conf)
	}
}

// What skel would refuse is never handed over early: skel refuses it as without a daemon.
func TestEarlyHandoffLeavesRefusalsToSkel(t *testing.T) {
	d := startDaemon(t)
	for _, tc := range []struct {
		name string
		env  []string
		conf string
	}{
		{"bad container ID", []string{"CNI_CONTAINERID=-x"}, etcdConf("")},
		{"long interface name", []string{"CNI_IFNAME=abcdefghijklmnop"}, etcdConf("")},
		{"no CNI_PATH", []string{"CNI_PATH="}, etcdConf("")},
		{"bad network name", nil, strings.Replace(etcdConf(""), `"k8s-pod-network"`, `"k8s pod network"`, 1)},
		{"unsupported version", nil, strings.Replace(etcdConf(""), `"1.0.0"`, `"9.9.9"`, 1)},
		{"CHECK of a 0.3.1 configuration", []string{"CNI_COMMAND=CHECK"}, strings.Replace(etcdConf(""), `"1.0.0"`, `"0.3.1"`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			own := runPluginWith("none", "ADD", "x", "", tc.conf, tc.env...)
			handed := runPluginWith(d.socket, "ADD", "x", "", tc.conf, tc.env...)
			if own.err == nil || handed.stdout != own.stdout {
				t.Errorf("itself: %v %s\nthrough the daemon: %v %s", own.err, own.stdout, handed.err, handed.stdout)
			}
		})
	}
	if d.served() != 0 {
		t.Errorf("the daemon served %d commands skel refuses", d.served())
	}
	// skel refuses the plugin's own network namespace after the ADD: not handed over early, but
	// through the daemon after skel, and then refused as without a daemon.
	resetEtcd(t)
	create(t, etcdStore, "IPPool", `{"metadata":{"name":"v4"},"spec":{"cidr":"10.67.0.0/24","blockSize":26}}`)
	create(t, etcdStore, "Node", `{"metadata":{"name":"node1"}}`)
	own := runPluginWith("none", "ADD", "ns1", "", etcdConf(""), "CNI_NETNS=/proc/self/ns/net")
	handed := runPluginWith(d.socket, "ADD", "ns2", "", etcdConf(""), "CNI_NETNS=/proc/self/ns/net", "GODEBUG=inittrace=1")
	addr := regexp.MustCompile(`10\.67\.0\.[0-9]+`)
	if own.err == nil || !strings.Contains(own.stdout, `"code": 8`) || addr.ReplaceAllString(handed.stdout, "A") != addr.ReplaceAllString(own.stdout, "A") ||
		d.servedReaches(1) != 1 || !strings.Contains(handed.stderr, "init google.golang.org/grpc ") {
		t.Errorf("the plugin's own namespace: itself %v\n%s\nthrough the daemon (served %d): %v\n%s", own.err, own.stdout, d.served(), handed.err, handed.stdout)
	}
}
