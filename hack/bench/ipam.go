package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kclient "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/etcdv3"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/ipam/handoff"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

var (
	plugin   = flag.String("ipam-plugin", "bin/calico-ipam", "the calico-ipam binary the plugin scenarios run")
	ipamOnly = flag.Bool("ipam-only", false, "measure only IPAM and print its table (nothing is written)")
	ipamRuns = flag.String("ipam-scenarios", "plugin,library,show,kube", "with -ipam-only: the IPAM scenarios to run, of plugin, library, show, kube")
	cpuProf  = flag.String("cpuprofile", "", "with -ipam-only: write a CPU profile of this process (the library and the embedded etcd) here")
)

// runIPAMOnly measures the IPAM scenarios alone, against a fresh embedded etcd, and prints their
// figures on stderr (docs/performance.md is left alone).
func runIPAMOnly() error {
	be, err := startBenchEnv()
	if err != nil {
		return err
	}
	defer be.stop()
	e, raw, dir := be.e, be.raw, be.dir
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ctlWith := ctlRunner(self)
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	_, err = ipamBench(e.Endpoint, dir, raw, ctlWith)
	return err
}

// ipamScenario tells whether the IPAM scenario is to run.
func ipamScenario(name string) bool {
	return !*ipamOnly || slices.Contains(strings.Split(*ipamRuns, ","), name)
}

// ipamBench measures IPAM: the calico-ipam plugin run as a runtime runs it, the library, and
// `ipam show` / `ipam check` over many allocations. Its table is appended to the report.
func ipamBench(etcdEndpoint, dir string, raw *clientv3.Client, ctlWith func(env []string) func(args ...string) (time.Duration, int64, error)) ([]measurement, error) {
	ctx := context.Background()
	reset := func() error {
		_, err := raw.Delete(ctx, "/calico/", clientv3.WithPrefix())
		return err
	}
	store, err := etcdv3.New(etcdv3.Config{Endpoints: []string{etcdEndpoint}, Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var rows []measurement
	defer func() {
		for _, r := range rows {
			fmt.Fprintf(os.Stderr, "%s: %s (%d KiB)", r.what, fmtDur(r.took), r.maxRSS)
			if r.limit > 0 {
				fmt.Fprintf(os.Stderr, ", raw limit %s", fmtDur(r.limit))
			}
			fmt.Fprintln(os.Stderr)
		}
	}()

	// 1,000 ADDs through the plugin binary for 20 hosts, 8 at once, on etcd.
	if ipamScenario("plugin") {
		if err := reset(); err != nil {
			return nil, err
		}
		if err := ipamSetup(ctx, store, "10.128.0.0/14", 20); err != nil {
			return nil, err
		}
		conf := func(host int) string {
			return fmt.Sprintf(`{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"calico","datastore_type":"etcdv3","etcd_endpoints":%q,"nodename":"host-%d","ipam":{"type":"calico-ipam"}}`, etcdEndpoint, host)
		}
		took, err := pluginADDs(1000, 8, 0, conf, "etcd", "")
		if err != nil {
			return nil, err
		}
		rows = append(rows, measurement{what: "calico-ipam: 1,000 ADDs, 20 hosts, 8 at once (etcd)", target: "< 3 s (Calico's: ~15 s)", took: took})

		// The same through `calico-ipam daemon`, from the same empty start.
		if err := reset(); err != nil {
			return nil, err
		}
		if err := ipamSetup(ctx, store, "10.128.0.0/14", 20); err != nil {
			return nil, err
		}
		if took, err = pluginADDs(1000, 8, 0, conf, "etcd", dir); err != nil {
			return nil, err
		}
		rows = append(rows, measurement{what: "calico-ipam with its daemon: 1,000 ADDs, 20 hosts, 8 at once (etcd)", target: "< 3 s (Calico's: ~15 s)", took: took})
	}

	// 10,000 library allocations for 100 hosts, 8 goroutines, beside the raw transactions.
	if ipamScenario("library") {
		if err := reset(); err != nil {
			return nil, err
		}
		if err := ipamSetup(ctx, store, "10.128.0.0/14", 100); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := libraryAllocations(store, 10000, 100, 8); err != nil {
			return nil, err
		}
		took := time.Since(start)
		limit, err := rawAllocationTxns(ctx, raw, 10000, 100, 8)
		if err != nil {
			return nil, err
		}
		rows = append(rows, measurement{what: "library: 10,000 allocations, 100 hosts, 8 goroutines (etcd)", target: "< 3 s", took: took,
			limit: limit, limitBy: "10,000 txns: per address, its handle created and its block swapped in one txn, conditional on the pools, configuration, reservations, Node and affinities being unchanged; 8 concurrent"})
	}

	// ipam show / check over 1k, 10k, 100k allocations, written as Calico writes them.
	env := append(os.Environ(), "DATASTORE_TYPE=etcdv3", "ETCD_ENDPOINTS="+etcdEndpoint, "HOME="+dir)
	ctl := ctlWith(env)
	for _, n := range []int{1000, 10000, 100000} {
		if !ipamScenario("show") {
			break
		}
		if err := reset(); err != nil {
			return nil, err
		}
		if err := ipamSetup(ctx, store, "10.128.0.0/14", 0); err != nil {
			return nil, err
		}
		if err := writeAllocations(ctx, raw, n); err != nil {
			return nil, err
		}
		for _, s := range []struct {
			what, target string
			args         []string
		}{
			{fmt.Sprintf("ipam show --show-blocks (%s allocations)", thousands(n)), map[int]string{10000: "< 0.5 s"}[n], []string{"ipam", "show", "--show-blocks"}},
			{fmt.Sprintf("ipam check (%s allocations)", thousands(n)), "", []string{"ipam", "check"}},
		} {
			var times []time.Duration
			var rss int64
			for i := 0; i < *runs; i++ {
				t, r, err := ctl(s.args...)
				if err != nil {
					return nil, err
				}
				times, rss = append(times, t), max(rss, r)
			}
			rows = append(rows, measurement{what: s.what, target: s.target, took: median(times), maxRSS: rss})
		}
	}
	if err := reset(); err != nil {
		return nil, err
	}
	if !ipamScenario("kube") {
		return rows, nil
	}
	// The plugin on the Kubernetes API, last: the API server then loads nothing else.
	k, err := testenv.StartKubeAPIServer(etcdEndpoint)
	if err != nil {
		return nil, err
	}
	defer k.Stop()
	kcfg := &config.CalicoAPIConfig{}
	kcfg.Spec.Kubeconfig = k.AdminKubeconfig
	kcfg.Spec.K8sClientQPS, kcfg.Spec.K8sClientBurst = 5000, 5000
	ks, err := kubernetes.New(kcfg, time.Minute)
	if err != nil {
		return nil, err
	}
	if err := ks.InstallCRDs(ctx, nil); err != nil {
		return nil, err
	}
	if err := kubeNodes(k.AdminKubeconfig, 20); err != nil {
		return nil, err
	}
	if err := createPods(k.AdminKubeconfig, 1000); err != nil {
		return nil, err
	}
	if err := ipamSetup(ctx, ks, "10.128.0.0/14", 0); err != nil {
		return nil, err
	}
	kconf := func(host int) string {
		return fmt.Sprintf(`{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"calico","datastore_type":"kubernetes","kubernetes":{"kubeconfig":%q},"nodename":"host-%d","ipam":{"type":"calico-ipam"}}`, k.AdminKubeconfig, host)
	}
	took, err := pluginADDs(1000, 8, 0, kconf, "Kubernetes API", "")
	if err != nil {
		return nil, err
	}
	rows = append(rows, measurement{what: "calico-ipam: 1,000 ADDs, 20 hosts, 8 at once (Kubernetes API)", took: took})
	// Through the daemons, from the same empty start: other containers of the same pods.
	if err := deleteIPAMRecords(ctx, ks); err != nil {
		return nil, err
	}
	if took, err = pluginADDs(1000, 8, 1000, kconf, "Kubernetes API", dir); err != nil {
		return nil, err
	}
	rows = append(rows, measurement{what: "calico-ipam with its daemon: 1,000 ADDs, 20 hosts, 8 at once (Kubernetes API)", took: took})

	return rows, reset()
}

// deleteIPAMRecords removes every block, affinity and handle, as they were before any allocation.
func deleteIPAMRecords(ctx context.Context, s datastore.Store) error {
	for _, name := range []string{"IPAMHandle", "BlockAffinity", "IPAMBlock"} {
		k, _ := resources.ByKind(name)
		l, err := s.List(ctx, k, datastore.ListOptions{})
		if err != nil {
			return err
		}
		for _, o := range l.Items {
			if _, err := s.Delete(ctx, k, "", o.GetName(), ""); err != nil && !datastore.IsDoesNotExist(err) {
				return fmt.Errorf("deleting %s %s: %w", name, o.GetName(), err)
			}
		}
	}
	return nil
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func create(ctx context.Context, s datastore.Store, kind, js string) error {
	k, _ := resources.ByKind(kind)
	obj := k.NewObject()
	if err := json.Unmarshal([]byte(js), obj); err != nil {
		return err
	}
	_, err := s.Create(ctx, obj)
	return err
}

// ipamSetup creates a pool and (on etcd) Node resources host-0..host-(n-1).
func ipamSetup(ctx context.Context, s datastore.Store, cidr string, hosts int) error {
	if err := create(ctx, s, "IPPool", fmt.Sprintf(`{"metadata":{"name":"bench"},"spec":{"cidr":%q,"blockSize":26,"nodeSelector":"all()"}}`, cidr)); err != nil {
		return err
	}
	for i := 0; i < hosts; i++ {
		if err := create(ctx, s, "Node", fmt.Sprintf(`{"metadata":{"name":"host-%d"}}`, i)); err != nil {
			return err
		}
	}
	return nil
}

// pluginADDs runs n ADDs of the plugin binary, parallel at once, hosts round-robin over 20, for
// the pods bench/pod-00000... (which exist in the Kubernetes case: the plugin reads their
// annotations), with container IDs from idBase. With daemonDir set, `calico-ipam daemon` listens
// on a socket there for the run, and the plugins hand it their ADDs.
func pluginADDs(n, parallel, idBase int, conf func(host int) string, backend, daemonDir string) (time.Duration, error) {
	socketEnv := func(host int) string { return handoff.SocketEnv + "=none" }
	var daemons []*exec.Cmd
	if daemonDir != "" {
		// One daemon per host, as each host runs its own.
		socket := func(host int) string { return filepath.Join(daemonDir, fmt.Sprintf("calico-ipam-%d.sock", host)) }
		defer func() {
			for _, d := range daemons {
				_ = d.Process.Signal(syscall.SIGTERM)
				_ = d.Wait()
			}
		}()
		for host := 0; host < 20; host++ {
			d := exec.Command(*plugin, "daemon", "--socket", socket(host))
			var stderr bytes.Buffer
			d.Stderr = &stderr
			if err := d.Start(); err != nil {
				return 0, fmt.Errorf("starting calico-ipam daemon: %w", err)
			}
			daemons = append(daemons, d)
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if c, err := net.Dial("unix", socket(host)); err == nil {
					c.Close()
					break
				}
				if time.Now().After(deadline) {
					return 0, fmt.Errorf("calico-ipam daemon did not listen on %s within 10 s: %s", socket(host), stderr.String())
				}
			}
		}
		socketEnv = func(host int) string { return handoff.SocketEnv + "=" + socket(host) }
		backend += ", through a calico-ipam daemon per host"
	}
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	var pluginCPU atomic.Int64
	daemonCPU := func() time.Duration {
		var sum time.Duration
		for _, d := range daemons {
			sum += procCPU(d.Process.Pid)
		}
		return sum
	}
	selfBefore, serversBefore, daemonBefore := selfCPU(), serverCPU(), daemonCPU()
	start := time.Now()
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				cmd := exec.Command(*plugin)
				cmd.Env = []string{"CNI_COMMAND=ADD", fmt.Sprintf("CNI_CONTAINERID=bench-%d", idBase+i), "CNI_NETNS=/var/run/netns/x", "CNI_IFNAME=eth0", "CNI_PATH=/opt/cni/bin",
					fmt.Sprintf("CNI_ARGS=K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-%05d", i), socketEnv(i % 20)}
				cmd.Stdin = strings.NewReader(conf(i % 20))
				if out, err := cmd.Output(); err != nil {
					errs <- fmt.Errorf("calico-ipam ADD: %v: %s", err, out)
				}
				if ps := cmd.ProcessState; ps != nil {
					pluginCPU.Add(int64(ps.UserTime() + ps.SystemTime()))
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	took := time.Since(start)
	// CPU is what 8 parallel ADDs on 2 cores are bound by: the plugin processes', the daemon's,
	// this process's (the embedded etcd, and the bench itself, which is idle but for exec) and
	// the other servers' it started (the kube-apiserver).
	perADD := func(d time.Duration) float64 { return float64(d) / 1e6 / float64(n) }
	d := daemonCPU() - daemonBefore
	note := fmt.Sprintf("CPU per ADD (%s): calico-ipam %.2f ms, calico-ipam daemons %.2f ms, the bench process (embedded etcd; starting the plugins) %.2f ms, kube-apiserver %.2f ms",
		backend, perADD(time.Duration(pluginCPU.Load())), perADD(d), perADD(selfCPU()-selfBefore), perADD(serverCPU()-serversBefore-d))
	fmt.Fprintln(os.Stderr, "  "+note)
	pluginCPUNotes = append(pluginCPUNotes, note)
	close(errs)
	for err := range errs {
		return 0, err
	}
	return took, nil
}

// The CPU each plugin run took, by datastore: what the report shows under the IPAM table.
var pluginCPUNotes []string

// procCPU is the CPU time a running process has used, from /proc.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	u, st := statTimes(b)
	return time.Duration(u+st) * (time.Second / 100) // USER_HZ
}

// statTimes reads utime and stime from a /proc/PID/stat line (fields 14 and 15; comm, field 2,
// may hold spaces).
func statTimes(b []byte) (utime, stime int64) {
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, 0
	}
	utime, _ = strconv.ParseInt(f[11], 10, 64)
	stime, _ = strconv.ParseInt(f[12], 10, 64)
	return utime, stime
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the CPU time used so far by the running child processes of this one (the
// kube-apiserver; the plugin processes have exited and are counted apart), from /proc.
func serverCPU() time.Duration {
	dirs, _ := os.ReadDir("/proc")
	self := os.Getpid()
	var ticks int64
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: the parent is field 4.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid != self {
			continue
		}
		u, st := statTimes(b)
		ticks += u + st
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

func libraryAllocations(store datastore.Store, n, hosts, workers int) error {
	c := ipam.New(store)
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				host := fmt.Sprintf("host-%d", i%hosts)
				_, _, err := c.AutoAssign(context.Background(), ipam.AutoAssignArgs{Num4: 1, HandleID: fmt.Sprintf("h-%d", i), Hostname: host,
					Attrs: map[string]string{ipam.AttrNode: host}})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	return nil
}

// rawAllocationTxns is the floor of n allocations: per address, one transaction creating its
// handle and swapping its host's block (conditional on the revision the writer last saw), also
// conditional on the configuration, pools, reservations and the host's Node and affinities being
// unchanged since a revision (at their Calico keys), with the same concurrency.
func rawAllocationTxns(ctx context.Context, cli *clientv3.Client, n, hosts, workers int) (time.Duration, error) {
	block := fmt.Sprintf(`{"cidr":"10.200.0.0/26","affinity":"host:h","allocations":[%s],"unallocated":[],"attributes":[],"sequenceNumber":1,"deleted":false}`, strings.Repeat("null,", 63)+"null")
	revs := make([]int64, hosts)
	for h := range revs {
		r, err := cli.Put(ctx, fmt.Sprintf("/calico/bench/block/%d", h), block)
		if err != nil {
			return 0, err
		}
		revs[h] = r.Header.Revision
	}
	since := revs[len(revs)-1] + 1
	const v3 = "/calico/resources/v3/projectcalico.org/"
	unchanged := func(key string, prefix bool) clientv3.Cmp {
		c := clientv3.Compare(clientv3.ModRevision(key), "<", since)
		if prefix {
			c = c.WithPrefix()
		}
		return c
	}
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				h := i % hosts
				host := fmt.Sprintf("host-%d", h)
				key := fmt.Sprintf("/calico/bench/handle/h-%d", i)
				bkey := fmt.Sprintf("/calico/bench/block/%d", h)
				mu.Lock()
				rev := revs[h]
				mu.Unlock()
				r, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.Version(key), "=", 0), clientv3.Compare(clientv3.ModRevision(bkey), "=", rev),
					unchanged("/calico/ipam/v2/config", false), unchanged(v3+"ippools/", true), unchanged(v3+"ipreservations/", true),
					unchanged(v3+"nodes/"+host, false), unchanged("/calico/ipam/v2/host/"+host+"/", true)).
					Then(clientv3.OpPut(key, `{"block":{"10.200.0.0/26":1},"deleted":false}`), clientv3.OpPut(bkey, block)).Commit()
				if err == nil && r.Succeeded {
					mu.Lock()
					revs[h] = max(revs[h], r.Header.Revision)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return time.Since(start), nil
}

// writeAllocations writes n allocations the way Calico stores them, straight into etcd (set-up,
// not measured): full /26 blocks of the bench pool, one handle per address, 20 hosts.
func writeAllocations(ctx context.Context, cli *clientv3.Client, n int) error {
	type kv struct{ k, v string }
	var kvs []kv
	for b := 0; b*64 < n; b++ {
		cidr := fmt.Sprintf("10.%d.%d.%d/26", 128+(b>>10), (b>>2)&255, (b&3)*64)
		host := fmt.Sprintf("host-%d", b%20)
		count := min(64, n-b*64)
		allocs := make([]string, 64)
		var unalloc, attrs []string
		for o := 0; o < 64; o++ {
			if o < count {
				allocs[o] = fmt.Sprint(o)
				attrs = append(attrs, fmt.Sprintf(`{"handle_id":"k8s-pod-network.c%d-%d","secondary":{"namespace":"bench","node":%q,"pod":"pod-%d-%d"}}`, b, o, host, b, o))
				kvs = append(kvs, kv{fmt.Sprintf("/calico/ipam/v2/handle/k8s-pod-network.c%d-%d", b, o), fmt.Sprintf(`{"block":{%q:1},"deleted":false}`, cidr)})
			} else {
				allocs[o] = "null"
				unalloc = append(unalloc, fmt.Sprint(o))
			}
		}
		name := strings.Replace(cidr, "/", "-", 1)
		kvs = append(kvs,
			kv{"/calico/ipam/v2/assignment/ipv4/block/" + name, fmt.Sprintf(`{"cidr":%q,"affinity":"host:%s","allocations":[%s],"unallocated":[%s],"attributes":[%s],"sequenceNumber":1,"sequenceNumberForAllocation":{},"deleted":false}`,
				cidr, host, strings.Join(allocs, ","), strings.Join(unalloc, ","), strings.Join(attrs, ","))},
			kv{fmt.Sprintf("/calico/ipam/v2/host/%s/ipv4/block/%s", host, name), `{"state":"confirmed","deleted":false}`})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w * 100; i < len(kvs); i += 16 * 100 {
				var ops []clientv3.Op
				for _, x := range kvs[i:min(i+100, len(kvs))] {
					ops = append(ops, clientv3.OpPut(x.k, x.v))
				}
				if _, err := cli.Txn(ctx).Then(ops...).Commit(); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// kubeNodes creates the Kubernetes nodes host-0..host-(n-1).
func kubeNodes(kubeconfig string, n int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("host-%d", i)}}
		if _, err := cs.CoreV1().Nodes().Create(context.Background(), node, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// writeIPAM appends the IPAM table to the report.
func writeIPAM(path string, rows []measurement) error {
	var b strings.Builder
	b.WriteString("\n## IPAM\n\n")
	b.WriteString("The calico-ipam plugin is the built `bin/calico-ipam` run as a container runtime runs it (one process per\n")
	b.WriteString("ADD, CNI environment and configuration on stdin); the library figure is pkg/ipam in one process; `ipam\n")
	b.WriteString("show` and `ipam check` run `bin/calicoctl` over allocations written into etcd as Calico writes them (full\n")
	b.WriteString("/26 blocks, one handle per address). Raw limit: the bare etcd client sending the transactions the same\n")
	b.WriteString("allocations need. A library allocation is one transaction (the handle and the block together, conditional\n")
	b.WriteString("on what the host's last allocation read being unchanged: docs/ipam.md), plus the block claims; a plugin\n")
	b.WriteString("ADD, a new process, reads what it starts from and the block, then writes that one transaction. \"With its\n")
	b.WriteString("daemon\": the same runs of the same binary with `calico-ipam daemon` listening, one per host as each host\n")
	b.WriteString("runs its own, to which each plugin process hands its ADD (docs/ipam.md); the daemons' CPU is counted below.\n\n")
	b.WriteString("| operation | time | peak memory | target | raw limit | raw limit measured as |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		limit, by, target, mem := "–", "–", "–", "–"
		if r.limit > 0 {
			limit, by = fmtDur(r.limit), r.limitBy
		}
		if r.target != "" {
			target = r.target
		}
		if r.maxRSS > 0 {
			mem = fmt.Sprintf("%.0f MB", float64(r.maxRSS)/1024)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.what, fmtDur(r.took), mem, target, limit, by)
	}
	if len(pluginCPUNotes) > 0 {
		b.WriteString("\nThe plugin runs are bound by CPU (8 processes at once on this machine's cores): a process per ADD\n")
		b.WriteString("pays the Go runtime's start, the initialisation of every package it links (the etcd client, gRPC and\n")
		b.WriteString("protobuf, client-go's REST client) and its page faults, before the ADD's own work. Through a daemon the\n")
		b.WriteString("process hands the ADD over before those packages initialise (docs/ipam.md) and the daemon allocates on\n")
		b.WriteString("connections it keeps open.\n\n")
		for _, n := range pluginCPUNotes {
			b.WriteString("- " + n + "\n")
		}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(b.String())
	return err
}
