package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/calicoctl-go/calicoctl/internal/netfabric"
	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/birdctl"
)

var (
	agentBinary = flag.String("calico-node", "bin/calico-node", "the node agent binary to measure")
	nodeOnly    = flag.Bool("node-only", false, "measure only the node agent and print its section")
)

// appendNodeSection adds the node agent's figures to the performance page.
func appendNodeSection() error {
	section, err := nodeSection()
	if err != nil {
		return fmt.Errorf("node agent: %w", err)
	}
	f, err := os.OpenFile(*out, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(section); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// nodeSection measures the node agent (it needs root and `ip`: agents run in network
// namespaces) and returns the Markdown section of docs/performance.md.
func nodeSection() (string, error) {
	var b strings.Builder
	b.WriteString("\n## Node agent\n\n")
	if os.Geteuid() != 0 {
		b.WriteString("Not measured: the node agent's figures need root (network namespaces).\n")
		return b.String(), nil
	}
	rows, err := nodeBench()
	if err != nil {
		return "", err
	}
	b.WriteString("The built `bin/calico-node` agents, each in its own network namespace on a bridge, against an embedded\n")
	b.WriteString("etcd; `bin/calicoctl` run as a process. Session changes are timed from the start of the `calicoctl config set`\n")
	b.WriteString("command until every agent's control socket reports the new sessions (Established, or gone), polled every\n")
	b.WriteString("10 ms. One run each. calico/node takes several seconds to start and confd/BIRD reconfigure in about a second.\n\n")
	b.WriteString("Memory at rest is the agent's resident set (VmRSS of /proc/PID/status) 2 s after its mesh is complete, split into\n")
	b.WriteString("anonymous memory (Go heap, stacks, runtime) and file-backed pages (the binary's code and read-only data, shared by\n")
	b.WriteString("every agent of a host). How much of the binary is mapped depends on how the kernel caches the file: with large\n")
	b.WriteString("page-cache folios (ext4 on recent kernels, depending on how the file was written or read) nearly all of it is, so\n")
	b.WriteString("the row also gives the bound: anonymous memory plus the whole binary.\n")
	b.WriteString("`make build` links the agent static (`CGO_ENABLED=0`) and with `-tags grpcnotrace` (gRPC without x/net/trace, which\n")
	b.WriteString("would keep every method of every linked type). The agent sets a GC target of 25 % (`GOGC=25`) unless GOGC is in its\n")
	b.WriteString("environment; GOMEMLIMIT is left to the operator.\n\n")
	b.WriteString("| operation | took | target |\n|---|---|---|\n")
	for _, r := range rows {
		target := r.target
		if target == "" {
			target = "–"
		}
		took := fmtDur(r.took)
		if r.maxRSS > 0 {
			took = fmt.Sprintf("%.1f MB", float64(r.maxRSS)/1024)
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.what, took, target)
	}
	return b.String(), nil
}

func nodeBench() ([]measurement, error) {
	e, err := testenv.StartEtcd()
	if err != nil {
		return nil, err
	}
	defer e.Stop()
	dir, err := os.MkdirTemp("", "calico-node-bench-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	agentBin, err := filepath.Abs(*agentBinary)
	if err != nil {
		return nil, err
	}
	ctlEnv := append(os.Environ(), "DATASTORE_TYPE=etcdv3", "ETCD_ENDPOINTS="+e.Endpoint, "HOME="+dir)
	ctl := func(args ...string) error {
		cmd := exec.Command(*binary, args...)
		cmd.Env = ctlEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("calicoctl %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	var rows []measurement

	// node run to the start-up line, on this host (BGP on a loopback address).
	var runs []time.Duration
	for i := 0; i < 3; i++ {
		logDir := filepath.Join(dir, fmt.Sprintf("log%d", i))
		cmd := exec.Command(*binary, "node", "run", "--name", fmt.Sprintf("bench%d", i), "--ip", fmt.Sprintf("10.250.0.%d", i+1),
			"--log-dir", logDir, "--agent", agentBin)
		cmd.Env = append(ctlEnv, "CALICO_CTL_CONTAINER=1", "CALICO_BGP_LISTEN_ADDRESS=127.0.0.79",
			"CALICO_NODENAME_FILE="+filepath.Join(dir, fmt.Sprintf("nodename%d", i)), "CALICO_IPV6POOL_CIDR=none",
			"CALICO_BIRD_SOCKET="+filepath.Join(dir, "b.ctl"), "CALICO_BIRD6_SOCKET="+filepath.Join(dir, "b6.ctl"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if pid, perr := os.ReadFile(filepath.Join(logDir, "calico-node.pid")); perr == nil {
			if n, _ := strconv.Atoi(string(pid)); n > 0 {
				stopPid(n)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("node run: %v\n%s", err, out.String())
		}
		// The next agent would mesh with this node's (unreachable) address.
		if err := ctl("delete", "node", fmt.Sprintf("bench%d", i)); err != nil {
			return nil, err
		}
		runs = append(runs, took)
	}
	rows = append(rows, measurement{what: "`calicoctl node run` to `Calico node started successfully`", target: "< 1 s", took: median(runs)})

	for _, n := range []int{3, 10} {
		r, err := meshBench(e.Endpoint, dir, agentBin, n, ctl)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
		if err := ctl("config", "set", "nodeToNodeMesh", "on"); err != nil {
			return nil, err
		}
		if err := ctl("delete", "--skip-not-exists", "-f", nodesFile(dir, n)); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

func stopPid(pid int) {
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
}

// nodesFile lists the fabric's nodes, to delete them between runs.
func nodesFile(dir string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: m%d-%d}\n", n, i)
	}
	p := filepath.Join(dir, fmt.Sprintf("nodes%d.yaml", n))
	os.WriteFile(p, []byte(b.String()), 0o644)
	return p
}

// meshBench starts n agents, waits for the full mesh, then turns it off and on.
func meshBench(etcdEndpoint, dir, agentBin string, n int, ctl func(...string) error) ([]measurement, error) {
	f, err := netfabric.New(fmt.Sprintf("10.214.%d", n), filepath.Join(dir))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	endpoint, err := f.Proxy(strings.TrimPrefix(etcdEndpoint, "http://"))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var agents []*netfabric.Agent
	for i := 1; i <= n; i++ {
		a, err := f.StartAgent(agentBin, fmt.Sprintf("m%d-%d", n, i), 10+i, endpoint, 30*time.Second)
		if err != nil {
			return nil, err
		}
		agents = append(agents, a)
	}
	if err := waitMesh(agents, n-1, 60*time.Second); err != nil {
		return nil, err
	}
	rows := []measurement{{what: fmt.Sprintf("%d agents started one after another, to a full mesh (%d sessions) established", n, n*(n-1)/2), took: time.Since(start)}}
	time.Sleep(2 * time.Second) // at rest
	var rss, anon int64
	for _, a := range agents {
		if r, an, err := a.RSS(); err == nil && r > rss {
			rss, anon = r, an
		}
	}
	binSize := int64(0)
	if fi, err := os.Stat(agentBin); err == nil {
		binSize = fi.Size()
	}
	for _, step := range []struct {
		value string
		want  int
	}{{"off", 0}, {"on", n - 1}} {
		start := time.Now()
		if err := ctl("config", "set", "nodeToNodeMesh", step.value); err != nil {
			return nil, err
		}
		if err := waitMesh(agents, step.want, 60*time.Second); err != nil {
			return nil, err
		}
		rows = append(rows, measurement{what: fmt.Sprintf("`config set nodeToNodeMesh %s` until all %d agents show it", step.value, n), target: "", took: time.Since(start)})
	}
	rows = append(rows, measurement{what: fmt.Sprintf("agent memory at rest, RSS (largest of %d, in a full mesh): anonymous %.1f MB + file-backed %.1f MB (binary: %.1f MB, so at most %.1f MB with all of it resident)",
		n, float64(anon)/1024, float64(rss-anon)/1024, float64(binSize)/(1<<20), float64(anon)/1024+float64(binSize)/(1<<20)), target: "< 40 MB", maxRSS: rss})
	return rows, nil
}

// waitMesh waits until every agent has want Established mesh sessions and no others.
func waitMesh(agents []*netfabric.Agent, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, a := range agents {
		for {
			lines, err := birdctl.Query(a.Socket, "show protocols")
			if err == nil {
				peers, _ := birdctl.ParsePeers(lines, false)
				up := 0
				for _, p := range peers {
					if p.BGPState == "Established" {
						up++
					}
				}
				if up == want && len(peers) == want {
					break
				}
			}
			if time.Now().After(deadline) {
				return errors.New("agent " + a.Name + " did not reach the expected sessions in time")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}
