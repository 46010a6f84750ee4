// Package netfabric builds a small network of real hosts on one machine for tests and benchmarks
// of the node agent: a bridge in the caller's network namespace, and hosts in namespaces of their
// own joined to it by veth pairs, each with eth0 on one /24. Agents run in those namespaces as
// processes; etcd on loopback is reached through a proxy on the bridge. It needs root and `ip`.
package netfabric

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Fabric is a bridge with hosts.
type Fabric struct {
	ID     string
	Bridge string
	Subnet string // the first three octets: "10.213.7"
	// Subnet6, when set (e.g. "fd00:213:7::"), gives hosts an IPv6 address too: Subnet6<octet>/64.
	Subnet6 string
	Dir     string // sockets, state and configuration files

	mu       sync.Mutex
	cleanups []func()
}

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// New creates the bridge with address <subnet>.1/24 and a state directory under dir.
func New(subnet, dir string) (*Fabric, error) {
	b := make([]byte, 2)
	rand.Read(b)
	f := &Fabric{ID: hex.EncodeToString(b), Subnet: subnet, Dir: dir}
	f.Bridge = "cbr" + f.ID
	if err := run("ip", "link", "add", f.Bridge, "type", "bridge"); err != nil {
		return nil, err
	}
	f.defer_(func() { exec.Command("ip", "link", "del", f.Bridge).Run() })
	for _, args := range [][]string{{"ip", "addr", "add", subnet + ".1/24", "dev", f.Bridge}, {"ip", "link", "set", f.Bridge, "up"}} {
		if err := run(args...); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

func (f *Fabric) defer_(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

// Close stops what the fabric started and removes its namespaces and bridge, last first.
func (f *Fabric) Close() {
	f.mu.Lock()
	c := f.cleanups
	f.cleanups = nil
	f.mu.Unlock()
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

// Host creates namespace cn<id><name> with eth0 at <subnet>.<octet>/24.
func (f *Fabric) Host(name string, octet int) (ns, ip string, err error) {
	ns = "cn" + f.ID + name
	veth := "cv" + f.ID + name
	ip = fmt.Sprintf("%s.%d", f.Subnet, octet)
	if err := run("ip", "netns", "add", ns); err != nil {
		return "", "", err
	}
	f.defer_(func() { exec.Command("ip", "netns", "del", ns).Run() })
	for _, args := range [][]string{
		{"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
		{"ip", "link", "set", veth, "master", f.Bridge, "up"},
		{"ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0"},
		{"ip", "-n", ns, "link", "set", "eth0", "up"},
		{"ip", "-n", ns, "link", "set", "lo", "up"},
	} {
		if err := run(args...); err != nil {
			return "", "", err
		}
	}
	if f.Subnet6 != "" {
		if err := run("ip", "-n", ns, "addr", "add", fmt.Sprintf("%s%d/64", f.Subnet6, octet), "dev", "eth0", "nodad"); err != nil {
			return "", "", err
		}
	}
	return ns, ip, nil
}

// Proxy forwards connections to the bridge address to target (host:port) and returns the
// endpoint hosts use.
func (f *Fabric) Proxy(target string) (string, error) {
	ln, err := net.Listen("tcp", f.Subnet+".1:0")
	if err != nil {
		return "", err
	}
	f.defer_(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.DialTimeout("tcp", target, 5*time.Second)
				if err != nil {
					return
				}
				defer u.Close()
				go io.Copy(u, c)
				io.Copy(c, u)
			}()
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Agent is a calico-node process in a host's namespace.
type Agent struct {
	Name, NS, IP, Socket string
	Cmd                  *exec.Cmd
	Out                  *Buffer
}

// Buffer is an output buffer safe for a process to write while it is read.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartAgent creates a host and runs the agent binary in it against the datastore at endpoint,
// with its state and control sockets in the fabric's directory, and waits up to timeout for
// its start-up line.
func (f *Fabric) StartAgent(bin, name string, octet int, endpoint string, timeout time.Duration, extraEnv ...string) (*Agent, error) {
	ns, ip, err := f.Host(name, octet)
	if err != nil {
		return nil, err
	}
	a := &Agent{Name: name, NS: ns, IP: ip, Socket: filepath.Join(f.Dir, name+".ctl"), Out: &Buffer{}}
	a.Cmd = exec.Command("ip", "netns", "exec", ns, bin)
	a.Cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "NODENAME=" + name, "ETCD_ENDPOINTS=" + endpoint,
		"CALICO_NODENAME_FILE=" + filepath.Join(f.Dir, name+".nodename"), "CALICO_BIRD_SOCKET=" + a.Socket,
		"CALICO_BIRD6_SOCKET=" + filepath.Join(f.Dir, name+".ctl6"), "CALICO_IPV6POOL_CIDR=none"}, extraEnv...)
	a.Cmd.Stdout, a.Cmd.Stderr = a.Out, a.Out
	if err := a.Cmd.Start(); err != nil {
		return nil, err
	}
	f.defer_(a.Stop)
	deadline := time.Now().Add(timeout)
	for !strings.Contains(a.Out.String(), "Calico node started successfully\n") {
		if time.Now().After(deadline) {
			return a, fmt.Errorf("agent %s did not start within %s:\n%s", name, timeout, a.Out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return a, nil
}

// Stop sends SIGTERM and waits for the agent to exit (SIGKILL after 10 s).
func (a *Agent) Stop() {
	if a.Cmd.Process == nil || a.Cmd.ProcessState != nil {
		return
	}
	a.Cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { a.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.Cmd.Process.Kill()
		<-done
	}
}

// RSS is the agent's resident memory in KiB: all of it, and the anonymous part (heap, stacks;
// the rest is the binary's file-backed pages, shared and reclaimable).
func (a *Agent) RSS() (total, anon int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", a.Cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &total)
		}
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &anon)
		}
	}
	if total == 0 {
		return 0, 0, fmt.Errorf("no VmRSS for agent %s", a.Name)
	}
	return total, anon, nil
}
