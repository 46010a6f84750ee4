package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/node"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// DefaultNodeImage is calicoctl's default image, used only with a container engine.
const DefaultNodeImage = "quay.io/calico/node:latest"

// RunOptions are the flags of node run.
type RunOptions struct {
	IP, IP6             string
	AS                  string
	Name                string
	IPMethod, IP6Method string
	LogDir              string
	NodeImage           string
	NodeImageSet        bool
	Backend             string
	DryRun              bool
	InitSystem          bool
	NoDefaultIPPools    bool
	FelixConfig         string
	Config              string
	Agent               string        // the calico-node binary; "" finds it
	Timeout             time.Duration // how long to wait for the start-up line
	Engine              string        // the container engine command: docker
	SkipHostPreparation bool          // CALICO_CTL_CONTAINER: no modprobe or sysctls
	hostname            func() (string, error)
	engineReachable     func(ctx context.Context, engine string) error
	agentFinder         func() (string, error)
}

// NewCmdRun builds node run.
func NewCmdRun(env Env, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Start the Calico node agent on this host",
		Long: `Start the Calico node agent (calico-node) on this host, as a background process whose output goes
to <log-dir>/calico-node.log, and wait for it to report "Calico node started successfully".
With --init-system it runs in the foreground, for systemd and the like. With --node-image and a
reachable container engine it starts Calico's calico/node container instead, as calicoctl does.
--dryrun prints what would be run.`,
		Example: `  calicoctl node run --name node1 --ip autodetect --as 64512
  calicoctl node run --ip-autodetection-method interface=eth.* --dryrun`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.NodeImageSet = cmd.Flags().Changed("node-image")
			opts.SkipHostPreparation = os.Getenv("CALICO_CTL_CONTAINER") != ""
			if runF != nil {
				return runF(opts)
			}
			return RunRun(env, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.IP, "ip", "", "the node's IPv4 address, or autodetect (default: the Node's, else autodetected)")
	f.StringVar(&opts.IP6, "ip6", "", "the node's IPv6 address, or autodetect (default: the Node's, else none)")
	f.StringVar(&opts.AS, "as", "", "the node's AS number, plain or dotted (default: the Node's, else the global one)")
	f.StringVar(&opts.Name, "name", "", "the node's name (default: the hostname)")
	f.StringVar(&opts.IPMethod, "ip-autodetection-method", "first-found", "first-found, can-reach=DEST, interface=REGEX,..., skip-interface=REGEX,... or cidr=CIDR,...")
	f.StringVar(&opts.IP6Method, "ip6-autodetection-method", "first-found", "as --ip-autodetection-method, for IPv6")
	f.StringVar(&opts.LogDir, "log-dir", "/var/log/calico", "where the agent's log is written")
	f.StringVar(&opts.NodeImage, "node-image", DefaultNodeImage, "the calico/node image; given explicitly, a container engine runs it")
	f.StringVar(&opts.Backend, "backend", "bird", "the networking backend: bird (BGP) or none")
	f.BoolVar(&opts.DryRun, "dryrun", false, "print what would be run, and run nothing")
	f.BoolVar(&opts.InitSystem, "init-system", false, "run in the foreground, for an init system")
	f.BoolVar(&opts.NoDefaultIPPools, "no-default-ippools", false, "do not create the default IP pools")
	f.StringVar(&opts.FelixConfig, "felix-config", "", "a Felix configuration file (container engine only)")
	f.StringVar(&opts.Agent, "agent", "", "path of the calico-node binary (default: beside calicoctl, else on PATH)")
	f.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "how long to wait for the agent to start")
	if env.AddConfigFlag != nil {
		env.AddConfigFlag(cmd, &opts.Config)
	}
	return cmd
}

var backendRE = regexp.MustCompile(`^(none|bird)$`)

// validate checks every flag before anything runs, with calicoctl's messages.
func (o *RunOptions) validate() error {
	for _, ip := range []struct {
		flag, v string
		four    bool
	}{{"--ip", o.IP, true}, {"--ip6", o.IP6, false}} {
		if ip.v == "" || ip.v == "autodetect" {
			continue
		}
		a, err := net.ParseIP(ip.v), error(nil)
		if a == nil {
			err = fmt.Errorf("invalid IP address specified: %s (%s takes an address without prefix length, or autodetect)", ip.v, ip.flag)
			return err
		}
		if (a.To4() != nil) != ip.four {
			return fmt.Errorf("%s is wrong IP version: %s", ip.flag, ip.v)
		}
	}
	if o.AS != "" {
		if _, err := api.ParseASNumber(o.AS); err != nil {
			return fmt.Errorf("invalid AS Number specified: %s (expected 0 to 4294967295, or the dotted form a.b)", o.AS)
		}
	}
	if !backendRE.MatchString(o.Backend) {
		return fmt.Errorf("unknown backend '%s': expected bird or none", o.Backend)
	}
	for _, m := range []struct {
		flag, v string
		version int
	}{{"--ip-autodetection-method", o.IPMethod, 4}, {"--ip6-autodetection-method", o.IP6Method, 6}} {
		if err := node.ValidateMethod(m.v); err != nil {
			return fmt.Errorf("%s: %w", m.flag, err)
		}
		if dest, ok := strings.CutPrefix(m.v, "can-reach="); ok {
			ips, err := net.LookupIP(dest)
			if err != nil {
				return fmt.Errorf("cannot resolve address specified for IP autodetection: %s", dest)
			}
			found := false
			for _, ip := range ips {
				found = found || (ip.To4() != nil) == (m.version == 4)
			}
			if !found {
				return fmt.Errorf("address for IP autodetection does not resolve to an IPv%d address: %s", m.version, dest)
			}
		}
	}
	return nil
}

// environment is what the agent is given, sorted by name (calicoctl's order is random).
func (o *RunOptions) environment(cfg *config.CalicoAPIConfig, name string) [][2]string {
	as := ""
	if o.AS != "" {
		n, _ := api.ParseASNumber(o.AS)
		as = n.String()
	}
	env := map[string]string{
		"NODENAME":                  name,
		"CALICO_NETWORKING_BACKEND": o.Backend,
		"CALICO_MANAGE_CNI":         "false",
	}
	if cfg.Spec.DatastoreType == "kubernetes" {
		env["DATASTORE_TYPE"] = "kubernetes"
		if cfg.Spec.Kubeconfig != "" {
			env["KUBECONFIG"] = cfg.Spec.Kubeconfig
		}
	} else {
		env["ETCD_ENDPOINTS"] = cfg.Spec.EtcdEndpoints
		env["ETCD_DISCOVERY_SRV"] = cfg.Spec.EtcdDiscoverySrv
		if cfg.Spec.EtcdCACertFile != "" {
			env["ETCD_CA_CERT_FILE"] = cfg.Spec.EtcdCACertFile
		}
		if cfg.Spec.EtcdKeyFile != "" && cfg.Spec.EtcdCertFile != "" {
			env["ETCD_KEY_FILE"], env["ETCD_CERT_FILE"] = cfg.Spec.EtcdKeyFile, cfg.Spec.EtcdCertFile
		}
	}
	if o.NoDefaultIPPools {
		env["NO_DEFAULT_POOLS"] = "true"
	}
	if o.IPMethod != "first-found" {
		env["IP_AUTODETECTION_METHOD"] = o.IPMethod
	}
	if o.IP6Method != "first-found" {
		env["IP6_AUTODETECTION_METHOD"] = o.IP6Method
	}
	for k, v := range map[string]string{"AS": as, "IP": o.IP, "IP6": o.IP6} {
		if v != "" {
			env[k] = v
		}
	}
	var out [][2]string
	for k, v := range env {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// dockerCommand is calicoctl's docker run line.
func (o *RunOptions) dockerCommand(env [][2]string, cfg *config.CalicoAPIConfig) []string {
	cmd := []string{o.engine(), "run", "--net=host", "--privileged", "--name=calico-node"}
	if o.InitSystem {
		cmd = append(cmd, "--rm")
	} else {
		cmd = append(cmd, "-d", "--restart=always")
	}
	volumes := []string{o.LogDir + ":/var/log/calico", "/var/run/calico:/var/run/calico", "/var/lib/calico:/var/lib/calico", "/lib/modules:/lib/modules", "/run:/run"}
	if o.FelixConfig != "" {
		volumes = append(volumes, o.FelixConfig+":/etc/calico/felix.cfg")
	}
	for _, kv := range env {
		// Certificates are mounted at fixed paths in the container.
		switch kv[0] {
		case "ETCD_CA_CERT_FILE":
			volumes = append(volumes, kv[1]+":/etc/calico/certs/ca_cert.crt")
			kv[1] = "/etc/calico/certs/ca_cert.crt"
		case "ETCD_KEY_FILE":
			volumes = append(volumes, kv[1]+":/etc/calico/certs/key.pem")
			kv[1] = "/etc/calico/certs/key.pem"
		case "ETCD_CERT_FILE":
			volumes = append(volumes, kv[1]+":/etc/calico/certs/cert.crt")
			kv[1] = "/etc/calico/certs/cert.crt"
		}
		cmd = append(cmd, "-e", kv[0]+"="+kv[1])
	}
	for _, v := range volumes {
		cmd = append(cmd, "-v", v)
	}
	return append(cmd, o.NodeImage)
}

func (o *RunOptions) engine() string {
	if o.Engine == "" {
		return "docker"
	}
	return o.Engine
}

// processCommand is the agent's command line: its environment and the binary.
func processCommand(env [][2]string, agent string) []string {
	cmd := []string{"env"}
	for _, kv := range env {
		cmd = append(cmd, kv[0]+"="+kv[1])
	}
	return append(cmd, agent)
}

// findAgent looks for calico-node beside calicoctl, then on PATH.
func findAgent() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "calico-node")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("calico-node"); err == nil {
		return filepath.Abs(p)
	}
	return "", errors.New("the node agent binary calico-node was not found beside calicoctl or on PATH: install it (make build puts it in bin/), or name it with --agent")
}

func defaultEngineReachable(ctx context.Context, engine string) error {
	if _, err := exec.LookPath(engine); err != nil {
		return fmt.Errorf("%s is not installed", engine)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, engine, "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s info: %s", engine, strings.TrimSpace(lastLine(string(out), err)))
	}
	return nil
}

func lastLine(out string, err error) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if l := lines[len(lines)-1]; l != "" {
		return l
	}
	return err.Error()
}

// RunRun starts the agent, or prints what it would run.
func RunRun(env Env, o *RunOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	name := o.Name
	if name == "" {
		h := o.hostname
		if h == nil {
			h = os.Hostname
		}
		hn, err := h()
		if err != nil || strings.TrimSpace(hn) == "" {
			return errors.New("unable to determine node name: give one with --name")
		}
		name = strings.ToLower(strings.TrimSpace(hn))
	}
	cfg, err := env.LoadConfig(o.Config)
	if err != nil {
		return err
	}
	vars := o.environment(cfg, name)
	ctx := env.Context()
	useEngine := false
	if o.NodeImageSet {
		reach := o.engineReachable
		if reach == nil {
			reach = defaultEngineReachable
		}
		if err := reach(ctx, o.engine()); err != nil && !o.DryRun {
			return fmt.Errorf("--node-image needs a container engine, and none is reachable (%v): run without --node-image to start the calico-node agent as a process", err)
		}
		useEngine = true
	}
	if useEngine {
		cmd := o.dockerCommand(vars, cfg)
		if o.DryRun {
			fmt.Fprintf(env.Out, "Use the following command to start the calico/node container:\n\n%s\n\n", strings.Join(cmd, " "))
			if o.InitSystem {
				fmt.Fprintf(env.Out, "Use the following command to stop the calico/node container:\n\n%s stop calico-node\n\n", o.engine())
			} else {
				fmt.Fprint(env.Out, "If you are running calico/node in an init system, use the --init-system flag\nto display the appropriate start and stop commands.\n")
			}
			return nil
		}
		return runContainer(env, o, cmd)
	}
	find := o.agentFinder
	if find == nil {
		find = findAgent
	}
	agent := o.Agent
	if agent == "" {
		if agent, err = find(); err != nil {
			if !o.DryRun {
				return err
			}
			agent = "calico-node"
		}
	}
	cmd := processCommand(vars, agent)
	if o.DryRun {
		fmt.Fprintf(env.Out, "Use the following command to start the calico-node agent:\n\n%s\n\n", strings.Join(cmd, " "))
		if o.InitSystem {
			fmt.Fprint(env.Out, "It runs in the foreground; stop it with SIGTERM (systemctl stop, or Ctrl-C).\n")
		} else {
			fmt.Fprintf(env.Out, "Its output goes to %s. If you are running calico-node in an init system, use the\n--init-system flag to run it in the foreground.\n", filepath.Join(o.LogDir, "calico-node.log"))
		}
		return nil
	}
	if err := env.enforceRoot(); err != nil {
		return err
	}
	if !o.SkipHostPreparation {
		prepareHost(env.Out)
	}
	if o.InitSystem {
		return runForeground(env, vars, agent)
	}
	return runBackground(env, o, vars, agent)
}

// prepareHost loads modules and sets the sysctls calico/node needs, as calicoctl does.
func prepareHost(out io.Writer) {
	fmt.Fprintln(out, "Running command to load modules: modprobe -a xt_set ip6_tables")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "modprobe", "-a", "xt_set", "ip6_tables").CombinedOutput(); err != nil {
		fmt.Fprintf(out, "WARNING: Unable to load kernel modules: %s\n", strings.TrimSpace(lastLine(string(b), err)))
	}
	fmt.Fprintln(out, "Enabling IPv4 forwarding")
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		fmt.Fprintln(out, "WARNING: Could not enable ipv4 forwarding: "+err.Error())
	}
	if _, err := os.Stat("/proc/sys/net/ipv6"); err == nil {
		fmt.Fprintln(out, "Enabling IPv6 forwarding")
		if err := os.WriteFile("/proc/sys/net/ipv6/conf/all/forwarding", []byte("1"), 0o644); err != nil {
			fmt.Fprintln(out, "WARNING: Could not enable ipv6 forwarding: "+err.Error())
		}
	}
	fmt.Fprintln(out, "Increasing conntrack limit")
	if err := os.WriteFile("/proc/sys/net/netfilter/nf_conntrack_max", []byte("1000000"), 0o644); err != nil {
		fmt.Fprintln(out, "WARNING: Could not set nf_conntrack_max. This may have an impact at scale.")
	}
}

func agentCmd(vars [][2]string, agent string) *exec.Cmd {
	c := exec.Command(agent)
	c.Args[0] = "calico-node" // `calicoctl node status` of any version recognises it
	c.Env = os.Environ()
	for _, kv := range vars {
		c.Env = append(c.Env, kv[0]+"="+kv[1])
	}
	return c
}

func runForeground(env Env, vars [][2]string, agent string) error {
	c := agentCmd(vars, agent)
	c.Stdout, c.Stderr = env.Out, env.ErrOut
	if err := c.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", agent, err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			c.Process.Signal(s)
		}
	}()
	if err := c.Wait(); err != nil {
		return fmt.Errorf("calico-node exited: %w", err)
	}
	return nil
}

const pidFile = "calico-node.pid"

func runBackground(env Env, o *RunOptions, vars [][2]string, agent string) error {
	if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
		return fmt.Errorf("creating the log directory %s: %w", o.LogDir, err)
	}
	pidPath := filepath.Join(o.LogDir, pidFile)
	if b, err := os.ReadFile(pidPath); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && alive(pid) {
			return fmt.Errorf("calico-node is already running (pid %d, see %s): stop it first with 'kill %d'", pid, pidPath, pid)
		}
	}
	logPath := filepath.Join(o.LogDir, "calico-node.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("opening the agent's log %s: %w", logPath, err)
	}
	defer logFile.Close()
	c := agentCmd(vars, agent)
	c.Stdout, c.Stderr = logFile, logFile
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // it outlives calicoctl
	fmt.Fprintf(env.Out, "Running the following command to start calico-node:\n\n%s\n\n", strings.Join(processCommand(vars, agent), " "))
	if err := c.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", agent, err)
	}
	os.WriteFile(pidPath, []byte(strconv.Itoa(c.Process.Pid)), 0o644)
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	fmt.Fprintf(env.Out, "Agent started (pid %d), checking progress logs.\n\n", c.Process.Pid)

	deadline := time.After(o.Timeout)
	var offset int64
	var partial string
	for {
		lines, n := readNew(logPath, offset)
		offset += n
		for _, l := range strings.SplitAfter(partial+lines, "\n") {
			if !strings.HasSuffix(l, "\n") {
				partial = l
				continue
			}
			partial = ""
			l = strings.TrimSuffix(l, "\n")
			fmt.Fprintln(env.Out, l)
			if l == node.StartedLine {
				return nil
			}
		}
		select {
		case err := <-exited:
			rest, _ := readNew(logPath, offset)
			if rest != "" {
				fmt.Fprint(env.Out, rest)
			}
			os.Remove(pidPath)
			return fmt.Errorf("calico-node has terminated (%v), check logs for details: %s\n%s", err, logPath, tail(logPath, 10))
		case <-deadline:
			return fmt.Errorf("calico-node did not report %q within %s; it is still running (pid %d): check its log %s, or stop it with 'kill %d'\n%s", node.StartedLine, o.Timeout, c.Process.Pid, logPath, c.Process.Pid, tail(logPath, 10))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func readNew(path string, offset int64) (string, int64) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "", 0
	}
	b, _ := io.ReadAll(f)
	return string(b), int64(len(b))
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		lines = append(lines, " | "+s.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

func runContainer(env Env, o *RunOptions, cmd []string) error {
	if err := env.enforceRoot(); err != nil {
		return err
	}
	if !o.SkipHostPreparation {
		prepareHost(env.Out)
	}
	ctx, cancel := context.WithTimeout(env.Context(), 5*time.Minute)
	defer cancel()
	fmt.Fprintln(env.Out, "Removing old calico-node container (if running).")
	exec.CommandContext(ctx, o.engine(), "rm", "-f", "calico-node").Run()
	fmt.Fprintf(env.Out, "Running the following command to start calico-node:\n\n%s\n\nImage may take a short time to download if it is not available locally.\n", strings.Join(cmd, " "))
	if out, err := exec.CommandContext(ctx, cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n | %s", err, strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "\n | "))
	}
	fmt.Fprint(env.Out, "Container started, checking progress logs.\n\n")
	logCtx, logCancel := context.WithTimeout(ctx, o.Timeout)
	defer logCancel()
	logs := exec.CommandContext(logCtx, o.engine(), "logs", "--follow", "calico-node")
	stdout, err := logs.StdoutPipe()
	if err != nil {
		return err
	}
	if err := logs.Start(); err != nil {
		return fmt.Errorf("reading calico/node logs: %w", err)
	}
	defer logs.Wait()
	s := bufio.NewScanner(stdout)
	for s.Scan() {
		fmt.Fprintln(env.Out, s.Text())
		if s.Text() == node.StartedLine {
			logCancel()
			return nil
		}
	}
	return errors.New("calico/node has terminated, check logs for details")
}
