package node_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/internal/netfabric"
	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/cmd"
	nodecmd "github.com/calicoctl-go/calicoctl/pkg/cmd/node"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s:\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// isolate gives the test a clean environment pointing at etcd at endpoint.
func isolate(t *testing.T, endpoint string) {
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"KUBECONFIG", "DATASTORE_TYPE", "CALICO_BIRD_SOCKET", "CALICO_BIRD6_SOCKET"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("ETCD_ENDPOINTS", endpoint)
}

func calicoctlRun(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	f := &cmd.Factory{IOStreams: cmd.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}}
	code = cmd.Run(context.Background(), f, "calicoctl", args)
	return out.String(), errOut.String(), code
}

func TestNodeRunDryRun(t *testing.T) {
	isolate(t, "http://10.0.0.1:2379")
	cases := []struct {
		name string
		args []string
	}{
		{"dryrun-agent", []string{"--name", "node1", "--ip", "10.0.0.5", "--as", "1.10", "--agent", "/usr/local/bin/calico-node"}},
		{"dryrun-agent-init-system", []string{"--name", "node1", "--ip", "autodetect", "--ip-autodetection-method", "interface=eth.*",
			"--no-default-ippools", "--init-system", "--agent", "/usr/local/bin/calico-node", "--backend", "none"}},
		{"dryrun-container", []string{"--name", "node1", "--ip6", "autodetect", "--node-image", "quay.io/calico/node:v3.32.0", "--log-dir", "/data/log",
			"--felix-config", "/etc/felix.cfg"}},
		{"dryrun-container-init-system", []string{"--name", "node1", "--node-image", "quay.io/calico/node:v3.32.0", "--init-system"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := calicoctlRun(append([]string{"node", "run", "--dryrun"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, tc.name, out)
		})
	}
}

func TestNodeRunRefusesBadInput(t *testing.T) {
	isolate(t, "http://10.0.0.1:2379")
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--as", "99999999999"}, "invalid AS Number specified: 99999999999 (expected 0 to 4294967295, or the dotted form a.b)"},
		{[]string{"--as", "1.99999"}, "invalid AS Number specified: 1.99999"},
		{[]string{"--ip", "10.0.0.1/24"}, "invalid IP address specified: 10.0.0.1/24 (--ip takes an address without prefix length, or autodetect)"},
		{[]string{"--ip", "2001:db8::1"}, "--ip is wrong IP version: 2001:db8::1"},
		{[]string{"--ip6", "10.0.0.1"}, "--ip6 is wrong IP version: 10.0.0.1"},
		{[]string{"--backend", "gobgp"}, "unknown backend 'gobgp': expected bird or none"},
		{[]string{"--ip-autodetection-method", "magic"}, "--ip-autodetection-method: invalid IP autodetection method: magic (expected first-found"},
		{[]string{"--ip6-autodetection-method", "interface=("}, `--ip6-autodetection-method: invalid IP autodetection method "interface=("`},
		{[]string{"--ip-autodetection-method", "can-reach=no-such-host.invalid"}, "cannot resolve address specified for IP autodetection: no-such-host.invalid"},
		{[]string{"--ip6-autodetection-method", "can-reach=127.0.0.1"}, "address for IP autodetection does not resolve to an IPv6 address: 127.0.0.1"},
	}
	for _, tc := range cases {
		out, errOut, code := calicoctlRun(append([]string{"node", "run", "--dryrun"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.msg) || out != "" {
			t.Errorf("node run %s: exit %d, stdout %q, stderr %q; want an error containing %q and nothing printed", strings.Join(tc.args, " "), code, out, errOut, tc.msg)
		}
	}
}

// Without a container engine, --node-image is refused with what to do instead.
func TestNodeRunWithAnImageNeedsAContainerEngine(t *testing.T) {
	isolate(t, "http://10.0.0.1:2379")
	t.Setenv("PATH", t.TempDir()) // no docker here, whatever the machine has
	_, errOut, code := calicoctlRun("node", "run", "--name", "n1", "--node-image", "calico/node:v3.32.0")
	if code == 0 || !strings.Contains(errOut, "--node-image needs a container engine, and none is reachable (docker is not installed): run without --node-image to start the calico-node agent as a process") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// node run starts the real agent in the background, waits for its start-up line, and reports an
// agent that dies with the end of its log.
func TestNodeRunStartsTheAgent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("node run needs root")
	}
	e := testenv.EtcdForTest(t)
	isolate(t, e.Endpoint)
	dir := t.TempDir()
	t.Setenv("CALICO_CTL_CONTAINER", "1") // leave the host's sysctls alone
	t.Setenv("CALICO_NODENAME_FILE", filepath.Join(dir, "nodename"))
	t.Setenv("CALICO_IPV6POOL_CIDR", "none")
	t.Setenv("CALICO_BGP_LISTEN_ADDRESS", "127.0.0.77")
	t.Setenv("CALICO_BIRD_SOCKET", filepath.Join(dir, "bird.ctl"))
	t.Setenv("CALICO_BIRD6_SOCKET", filepath.Join(dir, "bird6.ctl"))
	bin := agentBinary(t)
	logDir := func(name string) string { return filepath.Join(dir, name) }
	// Every agent started here is stopped before etcd is.
	t.Cleanup(func() {
		for _, d := range []string{"log", "log2", "log3"} {
			if b, err := os.ReadFile(filepath.Join(logDir(d), "calico-node.pid")); err == nil {
				if pid, err := strconv.Atoi(string(b)); err == nil {
					syscall.Kill(pid, syscall.SIGTERM)
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	})

	start := time.Now()
	out, errOut, code := calicoctlRun("node", "run", "--name", "runner", "--ip", "10.0.0.5", "--log-dir", logDir("log"), "--agent", bin)
	if code != 0 {
		t.Fatalf("node run: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("node run to started line: %s", time.Since(start))
	pidBytes, err := os.ReadFile(filepath.Join(logDir("log"), "calico-node.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(pidBytes))
	if !strings.Contains(out, "Agent started (pid "+string(pidBytes)+"), checking progress logs.") ||
		!strings.HasSuffix(out, "Calico node started successfully\n") || !strings.Contains(out, "Using node name: runner") {
		t.Errorf("node run output:\n%s", out)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the agent is not running after node run returned: %v", err)
	}
	cmdline, _ := os.ReadFile("/proc/" + string(pidBytes) + "/cmdline")
	if !strings.HasPrefix(string(cmdline), "calico-node\x00") {
		t.Errorf("argv[0] is not calico-node, so calicoctl node status would not see it: %q", cmdline)
	}
	if out, _, code := calicoctlRun("node", "status"); code != 0 || out != "Calico process is running.\n\nIPv4 BGP status\nNo IPv4 peers found.\n\nIPv6 BGP status\nNo IPv6 peers found.\n\n" {
		t.Errorf("node status: exit %d\n%s", code, out)
	}

	// A second run with the same log directory refuses while the first agent runs.
	_, errOut, code = calicoctlRun("node", "run", "--name", "runner", "--log-dir", logDir("log"), "--agent", bin)
	if code == 0 || !strings.Contains(errOut, "calico-node is already running (pid "+string(pidBytes)) {
		t.Errorf("second run: exit %d, %s", code, errOut)
	}

	// Agents that cannot start: the name belongs to another host, the address to another node.
	t.Setenv("CALICO_NODENAME_FILE", filepath.Join(dir, "other-host-nodename"))
	for _, tc := range []struct {
		args     []string
		log, msg string
	}{
		{[]string{"--name", "runner", "--ip", "10.0.0.6"}, "log2", "node name runner is already used by another host (IPv4 address 10.0.0.5/32, this host has 10.0.0.6/32)"},
		{[]string{"--name", "intruder", "--ip", "10.0.0.5"}, "log3", "IPv4 address conflict: node runner already uses 10.0.0.5"},
	} {
		out, errOut, code = calicoctlRun(append([]string{"node", "run", "--log-dir", logDir(tc.log), "--agent", bin}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, "calico-node has terminated (exit status 1), check logs for details: "+filepath.Join(logDir(tc.log), "calico-node.log")) ||
			!strings.Contains(errOut, " | ") || !strings.Contains(out+errOut, tc.msg) {
			t.Errorf("node run %v: exit %d\nstdout: %s\nstderr: %s", tc.args, code, out, errOut)
		}
	}
}

// fakeProc is a /proc with the given processes' command lines.
func fakeProc(t *testing.T, argvs ...[]string) string {
	dir := t.TempDir()
	for i, argv := range argvs {
		p := filepath.Join(dir, strconv.Itoa(100+i))
		os.MkdirAll(p, 0o755)
		os.WriteFile(filepath.Join(p, "cmdline"), []byte(strings.Join(argv, "\x00")+"\x00"), 0o644)
	}
	return dir
}

func TestNodeStatusFailures(t *testing.T) {
	dir := t.TempDir()
	// A socket that closes every connection at once.
	broken := filepath.Join(dir, "broken.ctl")
	ln, err := net.Listen("unix", broken)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	cases := []struct {
		name string
		euid int
		opts nodecmd.StatusOptions
		out  string
		err  string
	}{
		{"not root", 1000, nodecmd.StatusOptions{ProcRoot: fakeProc(t, []string{"/usr/bin/calico-node"})}, "", "Need super user privileges: Operation not permitted"},
		{"agent not running", 0, nodecmd.StatusOptions{ProcRoot: fakeProc(t, []string{"bash"})}, "", "Calico process is not running."},
		{"no BGP backend", 0, nodecmd.StatusOptions{ProcRoot: fakeProc(t, []string{"calico-node", "-felix"}), Sockets4: []string{filepath.Join(dir, "none")}, Sockets6: []string{filepath.Join(dir, "none6")}},
			"Calico process is running.\n\nThe BGP backend process (BIRD) is not running.\n\n", ""},
		{"socket unreadable", 0, nodecmd.StatusOptions{ProcRoot: fakeProc(t, []string{"/opt/calico-node"}), Sockets4: []string{broken}, Sockets6: []string{filepath.Join(dir, "none6")}},
			"Calico process is running.\n\nIPv4 BGP status\nError querying BIRD: unable to connect to BIRDv4 socket: reading BIRD's greeting from " + broken + ": EOF\n\nINFO: BIRDv6 process: 'bird6' is not running.\n\n",
			"the BIRDv4 socket " + broken + " cannot be read: is the agent's BGP backend running?"},
		{"bird running, socket missing", 0, nodecmd.StatusOptions{ProcRoot: fakeProc(t, []string{"calico-node"}, []string{"bird", "-R"}), Sockets4: []string{filepath.Join(dir, "gone.ctl")}, Sockets6: []string{filepath.Join(dir, "none6")}},
			"Calico process is running.\n\nIPv4 BGP status\nError querying BIRD: unable to connect to BIRDv4 socket: dial unix " + filepath.Join(dir, "gone.ctl") + ": connect: no such file or directory\n\nINFO: BIRDv6 process: 'bird6' is not running.\n\n",
			"the BIRDv4 socket " + filepath.Join(dir, "gone.ctl") + " cannot be read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			euid := tc.euid
			env := nodecmd.Env{Out: &out, ErrOut: &out, Context: context.Background, Geteuid: func() int { return euid }}
			err := nodecmd.RunStatus(env, &tc.opts)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
			if out.String() != tc.out {
				t.Errorf("stdout:\n%q\nwant\n%q", out.String(), tc.out)
			}
		})
	}
}

// checksystem on made-up hosts: a module counts when loaded, built in, available, renamed on
// a modern kernel, or enabled in the kernel configuration.
func TestNodeCheckSystem(t *testing.T) {
	required := []string{"ip_set", "ip_tables", "ipt_ipvs", "vfio-pci", "ipt_REJECT", "xt_rpfilter", "nf_conntrack_netlink", "xt_addrtype", "xt_conntrack", "xt_mark", "xt_multiport", "xt_set"}
	host := func(t *testing.T, skip string, how func(root, release, name string)) string {
		root := t.TempDir()
		for _, m := range required {
			if m != skip {
				how(root, "6.1.0", m)
			}
		}
		return root
	}
	write := func(path, line string) {
		os.MkdirAll(filepath.Dir(path), 0o755)
		f, _ := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		f.WriteString(line + "\n")
		f.Close()
	}
	loaded := func(root, _, name string) {
		os.MkdirAll(filepath.Join(root, "sys/module", strings.ReplaceAll(name, "-", "_")), 0o755)
	}
	available := func(root, rel, name string) {
		write(filepath.Join(root, "lib/modules", rel, "modules.dep"), "kernel/net/"+name+".ko.zst: ")
	}
	renamed := func(root, rel, name string) {
		alt := map[string]string{"ipt_ipvs": "xt_ipvs", "ipt_REJECT": "xt_REJECT", "xt_rpfilter": "ipt_rpfilter", "xt_set": "ipt_set", "vfio-pci": "vfio_pci"}[name]
		if alt == "" {
			alt = name
		}
		write(filepath.Join(root, "lib/modules", rel, "modules.builtin"), "kernel/net/"+alt+".ko")
	}
	cases := []struct {
		name, root, kernelConfig, release string
		fail                              bool
		want                              []string
	}{
		{name: "loaded or built in", root: host(t, "", loaded), release: "6.1.0", want: []string{"\t\txt_set              \t\t\t\t\tOK\n", "System meets minimum system requirements to run Calico!"}},
		{name: "available as modules", root: host(t, "", available), release: "6.1.0", want: []string{"\t\tip_tables           \t\t\t\t\tOK\n"}},
		{name: "renamed on a modern kernel", root: host(t, "", renamed), release: "6.1.0", want: []string{"\t\tipt_REJECT          \t\t\t\t\tOK\n"}},
		{name: "missing module", root: host(t, "xt_mark", loaded), release: "6.1.0", fail: true,
			want: []string{"WARNING: Unable to detect the xt_mark module as Loaded/Builtin module or lsmod\n\t\txt_mark             \t\t\t\t\tFAIL\n",
				"WARNING: Unable to detect optional module/feature xt_u32; continuing\n\t\txt_u32              \t\t\t\t\tSKIP\n"}},
		{name: "missing module enabled in --kernel-config", root: host(t, "xt_mark", loaded), release: "6.1.0",
			kernelConfig: writeTemp(t, "CONFIG_NETFILTER_XT_MARK=m\n"), want: []string{"\t\txt_mark             \t\t\t\t\tOK\n"}},
		{name: "built into a kernel that publishes its configuration in /proc/config.gz", root: procConfig(t, host(t, "xt_mark", loaded), "CONFIG_NETFILTER_XT_MARK=y\n"),
			release: "6.1.0", want: []string{"\t\txt_mark             \t\t\t\t\tOK\n"}},
		{name: "old kernel", root: host(t, "", loaded), release: "2.6.18-1", fail: true,
			want: []string{"Minimum kernel version to run Calico is 2.6.24. Detected kernel version: 2.6.18-1\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := nodecmd.RunCheckSystem(nodecmd.Env{Out: &out}, &nodecmd.CheckSystemOptions{Root: tc.root, Release: tc.release, KernelConfig: tc.kernelConfig})
			if tc.fail != (err != nil) || (err != nil && err.Error() != "system doesn't meet one or more minimum systems requirements to run Calico") {
				t.Errorf("error %v, want failure %v\n%s", err, tc.fail, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func procConfig(t *testing.T, root, content string) string {
	os.MkdirAll(filepath.Join(root, "proc"), 0o755)
	f, err := os.Create(filepath.Join(root, "proc", "config.gz"))
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	gz.Write([]byte(content))
	gz.Close()
	f.Close()
	return root
}

func writeTemp(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "config")
	os.WriteFile(p, []byte(content), 0o644)
	return p
}

func TestNodeDiagsCollectsAndListsWhatIsMissing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("node diags needs root")
	}
	logDir := t.TempDir()
	os.WriteFile(filepath.Join(logDir, "calico-node.log"), []byte("Calico node started successfully\n"), 0o644)
	dir := t.TempDir()
	t.Setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
	var out bytes.Buffer
	if err := nodecmd.RunDiags(nodecmd.Env{Out: &out, Context: context.Background}, &nodecmd.DiagsOptions{LogDir: logDir, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Diags saved to (\S+\.tar\.gz)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no bundle reported:\n%s", out.String())
	}
	f, err := os.Open(m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
	}
	if !strings.Contains(files["diagnostics/ipv4_route"]+files["diagnostics/ipv4_addr"], "127.0.0.1") {
		t.Errorf("addresses missing from the bundle: %v", files["diagnostics/ipv4_addr"])
	}
	if files["diagnostics/logs/calico-node.log"] != "Calico node started successfully\n" {
		t.Errorf("agent log missing from the bundle; files: %v", keys(files))
	}
	// Whatever this machine lacks is listed, each with its reason.
	for _, c := range []string{"nft", "ipset", "iptables-save"} {
		if _, present := files["diagnostics/"+map[string]string{"nft": "nft_ruleset", "ipset": "ipsets", "iptables-save": "ipv4_tables"}[c]]; !present &&
			!regexp.MustCompile(`(?m)^  - `+regexp.QuoteMeta(c)+` .*\(.+\)$`).MatchString(out.String()) {
			t.Errorf("%s neither collected nor listed as missing:\n%s", c, out.String())
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// serveBIRD answers every connection with BIRD's greeting and, to `show protocols`, reply (lines
// as BIRD 1.6 writes them); it stands for a recorded BIRD, so that the table can be compared
// byte for byte (the fabric test reads a live one).
func serveBIRD(t *testing.T, path string, reply string) {
	ln, err := net.Listen("unix", path)
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
			go func() {
				defer c.Close()
				c.Write([]byte("0001 BIRD v0.3.3+birdv1.6.8 ready.\n"))
				buf := make([]byte, 256)
				if n, _ := c.Read(buf); strings.TrimSpace(string(buf[:n])) == "show protocols" {
					c.Write([]byte(reply))
				}
			}()
		}
	}()
}

func TestNodeStatusTable(t *testing.T) {
	dir := t.TempDir()
	v4, v6 := filepath.Join(dir, "bird.ctl"), filepath.Join(dir, "bird6.ctl")
	serveBIRD(t, v4, "2002-name     proto    table    state  since       info\n"+
		"1002-static1  Static   master   up     2016-11-21  \n"+
		" kernel1  Kernel   master   up     2016-11-21  \n"+
		" device1  Device   master   up     2016-11-21  \n"+
		" Mesh_172_17_8_102 BGP      master   up     2016-11-21  Established   \n"+
		" Node_172_17_8_104 BGP      master   down   23:30:04    Failed Socket: error\n"+
		" Global_172_17_8_1 BGP      master   start  23:30:04    Active        Socket: Connection refused\n"+
		"0000 \n")
	serveBIRD(t, v6, "2002-name     proto    table    state  since       info\n1002-kernel1  Kernel   master   up     2016-11-21  \n0000 \n")
	var out bytes.Buffer
	env := nodecmd.Env{Out: &out, ErrOut: &out, Context: context.Background, Geteuid: func() int { return 0 }}
	err := nodecmd.RunStatus(env, &nodecmd.StatusOptions{ProcRoot: fakeProc(t, []string{"calico-node", "-felix"}), Sockets4: []string{v4}, Sockets6: []string{v6}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "node-status", out.String())
}

// --init-system runs the agent in the foreground, its output on calicoctl's, until the agent
// is stopped.
func TestNodeRunInitSystemRunsInTheForeground(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("node run needs root")
	}
	e := testenv.EtcdForTest(t)
	isolate(t, e.Endpoint)
	dir := t.TempDir()
	t.Setenv("CALICO_CTL_CONTAINER", "1")
	t.Setenv("CALICO_NODENAME_FILE", filepath.Join(dir, "nodename"))
	t.Setenv("CALICO_IPV6POOL_CIDR", "none")
	bin := agentBinary(t)
	var out netfabric.Buffer
	done := make(chan int, 1)
	go func() {
		f := &cmd.Factory{IOStreams: cmd.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}}
		done <- cmd.Run(context.Background(), f, "calicoctl", []string{"node", "run", "--init-system", "--name", "fg", "--backend", "none", "--agent", bin})
	}()
	waitFor(t, 15*time.Second, "the foreground agent to start", func() (bool, string) {
		return strings.Contains(out.String(), "Calico node started successfully\n"), out.String()
	})
	// The agent is the calico-node process whose environment names node fg.
	pid := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range procs {
		env, err := os.ReadFile(p)
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		if err == nil && strings.HasPrefix(string(cmdline), "calico-node\x00") && strings.Contains(string(env), "\x00NODENAME=fg\x00") {
			pid, _ = strconv.Atoi(filepath.Base(filepath.Dir(p)))
		}
	}
	if pid == 0 {
		t.Fatal("no calico-node process for node fg")
	}
	select {
	case code := <-done:
		t.Fatalf("node run --init-system returned (exit %d) while the agent runs", code)
	case <-time.After(200 * time.Millisecond):
	}
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after the agent stopped cleanly:\n%s", code, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("node run --init-system did not return after its agent stopped")
	}
}
