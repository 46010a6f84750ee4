package node_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/internal/netfabric"
	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/birdctl"
	"github.com/calicoctl-go/calicoctl/pkg/cmd"
	nodecmd "github.com/calicoctl-go/calicoctl/pkg/cmd/node"
)

// A BGP fabric of real processes: calico-node agents in network namespaces joined by a bridge,
// Debian's BIRD 1.6 as route reflector, etcd reached through the bridge.

// needFabric skips when the machine cannot run the fabric (not root, no ip or bird): `make test`
// installs the packages (hack/ensure-node-test-packages.sh).
func needFabric(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	for _, c := range []string{"ip", "bird", "birdc"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed: run hack/ensure-node-test-packages.sh", c)
		}
	}
}

var (
	buildOnce sync.Once
	agentBin  string
	buildErr  error
)

// goEnv pins Go's caches to where they were when the test binary started, before any test
// changed HOME.
var goEnv = func() []string {
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		return nil
	}
	v := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(v) != 3 {
		return nil
	}
	return []string{"GOCACHE=" + v[0], "GOMODCACHE=" + v[1], "GOPATH=" + v[2]}
}()

// agentBinary builds cmd/calico-node once per test run.
func agentBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "calico-node-bin-*")
		if err != nil {
			buildErr = err
			return
		}
		agentBin = filepath.Join(dir, "calico-node")
		// Built as the Makefile builds it (static, without gRPC's tracing).
		build := exec.Command("go", "build", "-tags", "grpcnotrace", "-o", agentBin, "../../../cmd/calico-node")
		// Tests move HOME; the build keeps the caches of the environment the tests started in.
		build.Env = append(append(os.Environ(), goEnv...), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building calico-node: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return agentBin
}

func sh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// fabric wraps netfabric for a test: failures end the test, everything is removed at its end.
type fabric struct {
	*netfabric.Fabric
	t *testing.T
}

type agent = netfabric.Agent

func newFabric(t *testing.T, subnet string) *fabric {
	f, err := netfabric.New(subnet, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return &fabric{Fabric: f, t: t}
}

func (f *fabric) host(name string, octet int) (ns, ip string) {
	ns, ip, err := f.Host(name, octet)
	if err != nil {
		f.t.Fatal(err)
	}
	return ns, ip
}

func (f *fabric) proxy(target string) string {
	ep, err := f.Proxy(target)
	if err != nil {
		f.t.Fatal(err)
	}
	return ep
}

func (f *fabric) startAgent(name string, octet int, endpoint string, extraEnv ...string) *agent {
	a, err := f.StartAgent(agentBinary(f.t), name, octet, endpoint, 15*time.Second, extraEnv...)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// sessions reads the agent's BGP sessions (IPv4, or IPv6 on the bird6 socket) through its control socket.
func sessions(socket string, v6 bool) (map[string]string, error) {
	lines, err := birdctl.Query(socket, "show protocols")
	if err != nil {
		return nil, err
	}
	peers, err := birdctl.ParsePeers(lines, v6)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range peers {
		out[p.Type+" "+p.Address] = p.BGPState
	}
	return out, nil
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s; last state:\n%s", timeout, what, last)
}

// waitSessions waits until every agent has exactly the wanted sessions established.
func waitSessions(t *testing.T, agents []*agent, want func(a *agent) []string) {
	t.Helper()
	for _, a := range agents {
		w := want(a)
		waitFor(t, 20*time.Second, fmt.Sprintf("%s to have sessions %v", a.Name, w), func() (bool, string) {
			got, err := sessions(a.Socket, false)
			if err != nil {
				return false, err.Error()
			}
			if len(got) != len(w) {
				return false, fmt.Sprint(got)
			}
			for _, k := range w {
				if got[k] != "Established" {
					return false, fmt.Sprint(got)
				}
			}
			return true, ""
		})
	}
}

// calicoctl runs the command in-process against etcd.
func calicoctl(t *testing.T, endpoint string, stdin string, args ...string) string {
	t.Helper()
	t.Setenv("ETCD_ENDPOINTS", endpoint)
	t.Setenv("DATASTORE_TYPE", "etcdv3")
	var out, errOut bytes.Buffer
	f := &cmd.Factory{IOStreams: cmd.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}}
	if code := cmd.Run(context.Background(), f, "calicoctl", args); code != 0 {
		t.Fatalf("calicoctl %s: exit %d: %s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

const birdRRConfig = `router id %[1]s;
protocol device { }
protocol static { route 10.99.0.0/24 blackhole; }
template bgp clients { local as 64512; rr client; rr cluster id 1.1.1.1; import all; export all; next hop self; }
%[2]s`

func TestFabricMeshRouteReflectorAndRoutes(t *testing.T) {
	needFabric(t)
	e := testenv.EtcdForTest(t)
	f := newFabric(t, "10.213.7")
	endpoint := f.proxy(strings.TrimPrefix(e.Endpoint, "http://"))

	f.Subnet6 = "fd00:213:7::"
	agents := []*agent{f.startAgent("n1", 11, endpoint, "IP6=autodetect"), f.startAgent("n2", 12, endpoint, "IP6=autodetect"), f.startAgent("n3", 13, endpoint, "IP6=autodetect")}
	meshOf := func(a *agent) []string {
		var w []string
		for _, o := range agents {
			if o != a {
				w = append(w, "node-to-node mesh "+o.IP)
			}
		}
		return w
	}
	waitSessions(t, agents, meshOf)
	if !strings.Contains(agents[0].Out.String(), "Using autodetected IPv4 address on interface eth0: 10.213.7.11/24") {
		t.Errorf("start-up log lacks the autodetected address:\n%s", agents[0].Out.String())
	}

	// The IPv6 mesh, on the agents' bird6 sockets.
	for _, a := range agents {
		waitFor(t, 20*time.Second, a.Name+"'s IPv6 mesh", func() (bool, string) {
			got, err := sessions(a.Socket+"6", true)
			if err != nil {
				return false, err.Error()
			}
			n := 0
			for k, v := range got {
				if strings.HasPrefix(k, "node-to-node mesh fd00:213:7::") && v == "Established" {
					n++
				}
			}
			return n == 2 && len(got) == 2, fmt.Sprint(got)
		})
	}
	if out := sh(t, "birdc", "-s", agents[0].Socket+"6", "show", "protocols"); !strings.Contains(out, "Mesh_fd00_213_7__12 BGP") {
		t.Errorf("birdc show protocols on bird6.ctl:\n%s", out)
	}

	// Debian's birdc reads the agent's socket.
	out := sh(t, "birdc", "-s", agents[0].Socket, "show", "protocols")
	if !strings.Contains(out, "Mesh_10_213_7_12 BGP") || !strings.Contains(out, "Established") {
		t.Errorf("birdc show protocols:\n%s", out)
	}
	out = sh(t, "birdc", "-s", agents[0].Socket, "show", "protocols", "all", "Mesh_10_213_7_13")
	if !strings.Contains(out, "Neighbor address: 10.213.7.13") || !strings.Contains(out, "BGP state:          Established") {
		t.Errorf("birdc show protocols all:\n%s", out)
	}
	if out := sh(t, "birdc", "-s", agents[0].Socket, "show", "status"); !strings.Contains(out, "Router ID is 10.213.7.11") || !strings.Contains(out, "Daemon is up and running") {
		t.Errorf("birdc show status:\n%s", out)
	}

	// Mesh off: every session goes, without a restart.
	calicoctl(t, e.Endpoint, "", "config", "set", "nodeToNodeMesh", "off")
	waitSessions(t, agents, func(*agent) []string { return nil })
	for _, a := range agents {
		waitFor(t, 10*time.Second, a.Name+"'s IPv6 mesh to go", func() (bool, string) {
			got, err := sessions(a.Socket+"6", true)
			return err == nil && len(got) == 0, fmt.Sprint(got, err)
		})
	}

	// A route reflector nobody here wrote: BIRD 1.6, with the agents as its clients.
	rrNS, rrIP := f.host("rr", 2)
	var protocols string
	for _, a := range agents {
		protocols += fmt.Sprintf("protocol bgp Node_%s from clients { neighbor %s as 64512; }\n", strings.ReplaceAll(a.IP, ".", "_"), a.IP)
	}
	conf := filepath.Join(f.Dir, "rr.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(birdRRConfig, rrIP, protocols)), 0o644)
	rrSocket := filepath.Join(f.Dir, "rr.ctl")
	rrPid := filepath.Join(f.Dir, "rr.pid")
	sh(t, "ip", "netns", "exec", rrNS, "bird", "-c", conf, "-s", rrSocket, "-P", rrPid)
	t.Cleanup(func() {
		if b, err := os.ReadFile(rrPid); err == nil {
			exec.Command("kill", strings.TrimSpace(string(b))).Run()
		}
	})
	calicoctl(t, e.Endpoint, fmt.Sprintf("apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: rr}\nspec: {peerIP: %s, asNumber: 64512}\n", rrIP), "apply", "-f", "-")
	waitSessions(t, agents, func(*agent) []string { return []string{"global " + rrIP} })

	// The reflector's route arrives in every agent's kernel table.
	for _, a := range agents {
		waitFor(t, 10*time.Second, "10.99.0.0/24 in "+a.Name+"'s kernel", func() (bool, string) {
			r := sh(t, "ip", "-n", a.NS, "route", "show", "10.99.0.0/24")
			return strings.Contains(r, "via "+rrIP) && strings.Contains(r, "proto bird"), r
		})
	}

	// CalicoNodeStatus shows a node's sessions and routes from anywhere.
	calicoctl(t, e.Endpoint, "apiVersion: projectcalico.org/v3\nkind: CalicoNodeStatus\nmetadata: {name: n2-status}\nspec: {node: n2, classes: [Agent, BGP, Routes], updatePeriodSeconds: 1}\n", "apply", "-f", "-")
	waitFor(t, 10*time.Second, "CalicoNodeStatus n2-status to be filled", func() (bool, string) {
		got := calicoctl(t, e.Endpoint, "", "get", "caliconodestatus", "n2-status", "-o", "yaml")
		return strings.Contains(got, "numberEstablishedV4: 1") && strings.Contains(got, "peerIP: "+rrIP) &&
			strings.Contains(got, "type: GlobalPeer") && strings.Contains(got, "destination: 10.99.0.0/24") &&
			strings.Contains(got, "routerID: 10.213.7.12") && strings.Contains(got, "state: Established"), got
	})

	// This tool's node status reads the real BIRD: its protocols named Node_<ip> are sessions.
	var status bytes.Buffer
	t.Setenv("CALICO_BIRD_SOCKET", rrSocket)
	t.Setenv("CALICO_BIRD6_SOCKET", filepath.Join(f.Dir, "none.ctl"))
	env := nodecmd.Env{Out: &status, ErrOut: &status, Context: context.Background}
	if err := nodecmd.RunStatus(env, nodecmd.DefaultStatusOptions()); err != nil {
		t.Fatalf("node status against BIRD: %v\n%s", err, status.String())
	}
	for _, a := range agents {
		if !strings.Contains(status.String(), fmt.Sprintf("| %-12s | node specific | up    |", a.IP)) {
			t.Errorf("node status against BIRD lacks %s:\n%s", a.IP, status.String())
		}
	}

	// And the agent's socket, the way operators run it.
	status.Reset()
	t.Setenv("CALICO_BIRD_SOCKET", agents[1].Socket)
	if err := nodecmd.RunStatus(env, nodecmd.DefaultStatusOptions()); err != nil {
		t.Fatalf("node status against the agent: %v\n%s", err, status.String())
	}
	if !strings.HasPrefix(status.String(), "Calico process is running.\n\nIPv4 BGP status\n+--------------+-----------+-------+") ||
		!strings.Contains(status.String(), "| 10.213.7.2   | global    | up    |") {
		t.Errorf("node status against the agent:\n%s", status.String())
	}

	// Mesh back on: mesh and reflector sessions together.
	calicoctl(t, e.Endpoint, "", "config", "set", "nodeToNodeMesh", "on")
	waitSessions(t, agents, func(a *agent) []string { return append(meshOf(a), "global "+rrIP) })
	status.Reset()
	t.Setenv("CALICO_BIRD6_SOCKET", agents[1].Socket+"6")
	waitFor(t, 20*time.Second, "node status to show n2's IPv6 mesh", func() (bool, string) {
		status.Reset()
		err := nodecmd.RunStatus(env, nodecmd.DefaultStatusOptions())
		out := status.String()
		return err == nil && strings.Contains(out, "IPv6 BGP status\n") &&
			strings.Contains(out, "| fd00:213:7::11 | node-to-node mesh | up    |") &&
			strings.Contains(out, "| fd00:213:7::13 | node-to-node mesh | up    |"), out
	})

	// An agent that stops removes the routes it programmed.
	agents[2].Stop()
	if r := sh(t, "ip", "-n", agents[2].NS, "route", "show", "proto", "bird"); r != "" {
		t.Errorf("routes left behind by a stopped agent:\n%s", r)
	}
	if !strings.Contains(agents[2].Out.String(), "Removed route") {
		t.Errorf("the agent did not log removing its routes:\n%s", agents[2].Out.String())
	}

	// A new AS number re-establishes every session under it: the reflector, still at 64512,
	// now refuses the agents, while the mesh comes back at 65001.
	calicoctl(t, e.Endpoint, "", "config", "set", "asNumber", "65001")
	for _, a := range agents[:2] {
		waitFor(t, 20*time.Second, a.Name+" to re-establish the mesh under AS 65001", func() (bool, string) {
			lines, err := birdctl.Query(a.Socket, "show protocols all")
			if err != nil {
				return false, err.Error()
			}
			all := strings.Join(lines, "\n")
			got, _ := sessions(a.Socket, false)
			n := 0
			for k, v := range got {
				if strings.HasPrefix(k, "node-to-node mesh") && v == "Established" {
					n++
				}
			}
			return n == 1 && strings.Contains(all, "Neighbor AS:      65001") && got["global "+rrIP] != "Established", all
		})
	}

}
