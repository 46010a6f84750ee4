package cniplugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kclient "k8s.io/client-go/kubernetes"

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

// The plugin is built and run as a runtime runs it: CNI_* environment, configuration on stdin,
// result or error on stdout.
var (
	plugin     string
	etcdEP     string
	etcdStore  datastore.Store
	etcdRaw    *clientv3.Client
	kubeconfig string
	kubeStore  datastore.Store
	core       kclient.Interface
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "calico-ipam-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	plugin = filepath.Join(dir, "calico-ipam")
	build := exec.Command("go", "build", "-tags", "grpcnotrace", "-o", plugin, "github.com/calicoctl-go/calicoctl/cmd/calico-ipam")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build builds it
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the plugin: %v\n%s", err, out)
		return 1
	}
	e, err := testenv.StartEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer e.Stop()
	etcdEP = e.Endpoint
	s, err := etcdv3.New(etcdv3.Config{Endpoints: []string{e.Endpoint}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	etcdStore, etcdRaw = s, s.Client()

	ke, err := testenv.StartEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer ke.Stop()
	k, err := testenv.StartKubeAPIServer(ke.Endpoint)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer k.Stop()
	kubeconfig = k.AdminKubeconfig
	cfg := &config.CalicoAPIConfig{}
	cfg.Spec.Kubeconfig = kubeconfig
	ks, err := kubernetes.New(cfg, 30*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := ks.InstallCRDs(ctx, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kubeStore = ks
	if core, err = kclient.NewForConfig(ks.RESTConfig()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func create(t *testing.T, s datastore.Store, kind, js string) {
	t.Helper()
	k, _ := resources.ByKind(kind)
	obj := k.NewObject()
	if err := json.Unmarshal([]byte(js), obj); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s: %v", kind, err)
	}
}

func resetEtcd(t *testing.T) {
	if _, err := etcdRaw.Delete(context.Background(), "/calico/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
}

// daemonSocket is the calico-ipam daemon runPlugin's processes hand their commands to: "none"
// unless a test runs through a daemon (throughDaemon).
var daemonSocket = "none"

// cniResult is what one run of the plugin printed, and how it exited.
type cniResult struct {
	stdout string
	stderr string
	err    error
}

func runPlugin(command, containerID, args, conf string) cniResult {
	return runPluginWith(daemonSocket, command, containerID, args, conf)
}

// runPluginWith runs the plugin with the given daemon socket and extra environment variables.
func runPluginWith(daemonSocket, command, containerID, args, conf string, env ...string) cniResult {
	cmd := exec.Command(plugin)
	cmd.Env = append([]string{"CNI_COMMAND=" + command, "CNI_CONTAINERID=" + containerID, "CNI_NETNS=/var/run/netns/test",
		"CNI_IFNAME=eth0", "CNI_PATH=/opt/cni/bin", "CNI_ARGS=" + args, handoff.SocketEnv + "=" + daemonSocket}, env...)
	cmd.Stdin = strings.NewReader(conf)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return cniResult{out.String(), errOut.String(), err}
}

func etcdConf(extra string) string {
	return fmt.Sprintf(`{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"calico","datastore_type":"etcdv3","etcd_endpoints":%q,"nodename":"node1","ipam":{"type":"calico-ipam"%s}}`, etcdEP, extra)
}

func ips(t *testing.T, r cniResult) []netip.Prefix {
	t.Helper()
	if r.err != nil {
		t.Fatalf("plugin failed: %v\n%s", r.err, r.stdout)
	}
	var res struct {
		CNIVersion string `json:"cniVersion"`
		IPs        []struct {
			Address string `json:"address"`
		} `json:"ips"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("result %q: %v", r.stdout, err)
	}
	var out []netip.Prefix
	for _, ip := range res.IPs {
		out = append(out, netip.MustParsePrefix(ip.Address))
	}
	return out
}

func handleKind(t *testing.T) *resources.Kind {
	t.Helper()
	k, ok := resources.ByKind("IPAMHandle")
	if !ok {
		t.Fatal("IPAMHandle is not a registered kind")
	}
	return k
}

func cniError(t *testing.T, r cniResult) (uint, string) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("the plugin succeeded: %s", r.stdout)
	}
	var e struct {
		Code uint   `json:"code"`
		Msg  string `json:"msg"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &e); err != nil {
		t.Fatalf("error result %q: %v", r.stdout, err)
	}
	return e.Code, e.Msg
}

func TestAddCheckDelOnEtcd(t *testing.T)                 { addCheckDelOnEtcd(t) }
func TestAddCheckDelOnEtcdThroughTheDaemon(t *testing.T) { throughDaemon(t, addCheckDelOnEtcd) }

func addCheckDelOnEtcd(t *testing.T) {
	resetEtcd(t)
	create(t, etcdStore, "IPPool", `{"metadata":{"name":"v4"},"spec":{"cidr":"10.60.0.0/24","blockSize":26}}`)
	create(t, etcdStore, "IPPool", `{"metadata":{"name":"v6"},"spec":{"cidr":"fd00:60::/120","blockSize":122}}`)
	create(t, etcdStore, "Node", `{"metadata":{"name":"node1"}}`)
	args := "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1"
	got := ips(t, runPlugin("ADD", "c1", args, etcdConf(`,"assign_ipv6":"true"`)))
	if len(got) != 2 || !got[0].Addr().Is4() || got[0].Bits() != 32 || !got[1].Addr().Is6() || got[1].Bits() != 128 {
		t.Fatalf("dual-stack ADD gave %v", got)
	}
	c := ipam.New(etcdStore)
	a, err := c.GetAssignment(context.Background(), got[0].Addr())
	if err != nil || a.HandleID != "k8s-pod-network.c1" || a.Attrs["pod"] != "web-0" || a.Attrs["namespace"] != "ns1" || a.Attrs["node"] != "node1" || a.Attrs["timestamp"] == "" {
		t.Fatalf("allocation %+v, %v", a, err)
	}
	if r := runPlugin("CHECK", "c1", args, etcdConf(`,"assign_ipv6":"true"`)); r.err != nil {
		t.Fatalf("CHECK: %v %s", r.err, r.stdout)
	}
	for i := 0; i < 2; i++ { // DEL is idempotent
		if r := runPlugin("DEL", "c1", args, etcdConf("")); r.err != nil || r.stdout != "" {
			t.Fatalf("DEL %d: %v %q", i, r.err, r.stdout)
		}
	}
	if _, err := c.GetAssignment(context.Background(), got[0].Addr()); err == nil {
		t.Fatal("the address is still allocated after DEL")
	}
	if code, _ := cniError(t, runPlugin("CHECK", "c1", args, etcdConf(""))); code != 3 {
		t.Errorf("CHECK after DEL: code %d, want 3 (unknown container)", code)
	}
	// Pools named in the configuration, by name or CIDR.
	create(t, etcdStore, "IPPool", `{"metadata":{"name":"other"},"spec":{"cidr":"10.61.0.0/24","blockSize":26}}`)
	for i, pool := range []string{`"other"`, `"10.61.0.0/24"`} {
		got := ips(t, runPlugin("ADD", fmt.Sprint("p", i), "", etcdConf(`,"ipv4_pools":[`+pool+`]`)))
		if !netip.MustParsePrefix("10.61.0.0/24").Contains(got[0].Addr()) {
			t.Errorf("ipv4_pools %s: got %v", pool, got)
		}
	}
	// VERSION.
	r := runPlugin("VERSION", "", "", `{"cniVersion":"1.0.0"}`)
	if r.err != nil || !strings.Contains(r.stdout, `"1.0.0"`) || !strings.Contains(r.stdout, `"0.3.1"`) {
		t.Errorf("VERSION: %v %s", r.err, r.stdout)
	}
	// An older CNI version gets an old-style result.
	old := strings.Replace(etcdConf(""), `"1.0.0"`, `"0.3.1"`, 1)
	if r := runPlugin("ADD", "old", "", old); r.err != nil || !strings.Contains(r.stdout, `"cniVersion": "0.3.1"`) || !strings.Contains(r.stdout, `"version": "4"`) {
		t.Errorf("0.3.1 ADD: %v %s", r.err, r.stdout)
	}
}

func TestBadInputGivesClearCNIErrors(t *testing.T) { badInputGivesClearCNIErrors(t) }
func TestBadInputGivesClearCNIErrorsThroughTheDaemon(t *testing.T) {
	throughDaemon(t, badInputGivesClearCNIErrors)
}

func badInputGivesClearCNIErrors(t *testing.T) {
	resetEtcd(t)
	create(t, etcdStore, "IPPool", `{"metadata":{"name":"tiny"},"spec":{"cidr":"10.62.0.0/30","blockSize":30}}`)
	create(t, etcdStore, "Node", `{"metadata":{"name":"node1"}}`)
	cases := []struct {
		name, conf, wantMsg string
		wantCode            uint
	}{
		{"not JSON", `{"cniVersion":"1.0.0",`, "", 6},
		{"no name", `{"cniVersion":"1.0.0","type":"calico","etcd_endpoints":"http://127.0.0.1:1"}`, "missing network name", 7},
		{"no endpoints", `{"cniVersion":"1.0.0","name":"n","type":"calico"}`, `needs "etcd_endpoints"`, 7},
		{"bad datastore", `{"cniVersion":"1.0.0","name":"n","type":"calico","datastore_type":"zookeeper"}`, `datastore_type "zookeeper" is not supported`, 7},
		{"bad assign_ipv4", etcdConf(`,"assign_ipv4":"yes"`), `ipam.assign_ipv4 must be "true" or "false"`, 7},
		{"unknown pool", etcdConf(`,"ipv4_pools":["nope"]`), `IP pool "nope" does not exist`, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := cniError(t, runPlugin("ADD", "x", "", tc.conf))
			if code != tc.wantCode || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("code %d msg %q, want %d containing %q", code, msg, tc.wantCode, tc.wantMsg)
			}
		})
	}
	// An exhausted pool: the fifth ADD fails, and leaves nothing behind.
	for i := 0; i < 4; i++ {
		ips(t, runPlugin("ADD", fmt.Sprint("full", i), "", etcdConf("")))
	}
	code, msg := cniError(t, runPlugin("ADD", "full4", "", etcdConf("")))
	if code != 999 || !strings.Contains(msg, "exhausted") {
		t.Errorf("exhausted pool: %d %q", code, msg)
	}
	k, _ := resources.ByKind("IPAMHandle")
	if _, err := etcdStore.Get(context.Background(), k, "", "k8s-pod-network.full4"); !datastore.IsDoesNotExist(err) {
		t.Errorf("a failed ADD left a handle: %v", err)
	}
}

func TestConcurrentADDsFromManyProcesses(t *testing.T) { concurrentADDsFromManyProcesses(t) }
func TestConcurrentADDsFromManyProcessesThroughTheDaemon(t *testing.T) {
	throughDaemon(t, concurrentADDsFromManyProcesses)
}

func concurrentADDsFromManyProcesses(t *testing.T) {
	resetEtcd(t)
	create(t, etcdStore, "IPPool", `{"metadata":{"name":"p"},"spec":{"cidr":"10.63.0.0/22","blockSize":26}}`)
	for i := 0; i < 4; i++ {
		create(t, etcdStore, "Node", fmt.Sprintf(`{"metadata":{"name":"host%d"}}`, i))
	}
	const n, parallel = 160, 8
	var mu sync.Mutex
	var all []netip.Prefix
	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan string, n)
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				conf := strings.Replace(etcdConf(""), `"nodename":"node1"`, fmt.Sprintf(`"nodename":"host%d"`, i%4), 1)
				// Through a daemon, every third ADD is a process of its own beside it.
				socket := daemonSocket
				if i%3 == 0 {
					socket = "none"
				}
				r := runPluginWith(socket, "ADD", fmt.Sprint("c", i), "", conf)
				if r.err != nil {
					errs <- r.stdout
					continue
				}
				var res struct{ IPs []struct{ Address string } }
				json.Unmarshal([]byte(r.stdout), &res)
				mu.Lock()
				all = append(all, netip.MustParsePrefix(res.IPs[0].Address))
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	seen := map[netip.Addr]bool{}
	for _, p := range all {
		if seen[p.Addr()] {
			t.Fatalf("%s handed out twice", p)
		}
		seen[p.Addr()] = true
	}
	if len(seen) != n {
		t.Fatalf("%d addresses, want %d", len(seen), n)
	}
	r, err := ipam.New(etcdStore).Check(context.Background(), nil, "test", true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Allocations != n || len(r.LeakedHandles) != 0 || len(r.MissingHandles) != 0 || len(r.InvalidBlocks) != 0 {
		t.Errorf("check: %d allocations, leaked %v, missing %v, invalid %v", r.Allocations, r.LeakedHandles, r.MissingHandles, r.InvalidBlocks)
	}
}

func TestPodAnnotationsOnKubernetes(t *testing.T) { podAnnotationsOnKubernetes(t, 0) }
func TestPodAnnotationsOnKubernetesThroughTheDaemon(t *testing.T) {
	throughDaemon(t, func(t *testing.T) { podAnnotationsOnKubernetes(t, 1) })
}

// podAnnotationsOnKubernetes runs in the n-th set of pools, pods, node and containers of its own.
func podAnnotationsOnKubernetes(t *testing.T, n int) {
	ctx := context.Background()
	create(t, kubeStore, "IPPool", fmt.Sprintf(`{"metadata":{"name":"a%d"},"spec":{"cidr":"10.%d.0.0/24","blockSize":26}}`, n, 70+2*n))
	create(t, kubeStore, "IPPool", fmt.Sprintf(`{"metadata":{"name":"b%d"},"spec":{"cidr":"10.%d.0.0/24","blockSize":26}}`, n, 71+2*n))
	node := fmt.Sprint("knode", n)
	if _, err := core.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := func(name string) string { return fmt.Sprintf("%s-%d", name, n) }
	fixedIP := fmt.Sprintf("10.%d.0.77", 70+2*n)
	pod := func(name string, annotations map[string]string) {
		_, err := core.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	pod(p("fixed"), map[string]string{"cni.projectcalico.org/ipAddrs": `["` + fixedIP + `"]`})
	pod(p("pooled"), map[string]string{"cni.projectcalico.org/ipv4pools": fmt.Sprintf(`["b%d"]`, n)})
	pod(p("plain"), nil)
	conf := fmt.Sprintf(`{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"calico","datastore_type":"kubernetes","kubernetes":{"kubeconfig":%q},"nodename":%q,"ipam":{"type":"calico-ipam"}}`, kubeconfig, node)
	args := func(pod string) string { return "K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + p(pod) }
	if got := ips(t, runPlugin("ADD", p("k1"), args("fixed"), conf)); len(got) != 1 || got[0].Addr().String() != fixedIP {
		t.Errorf("ipAddrs annotation: %v", got)
	}
	if got := ips(t, runPlugin("ADD", p("k2"), args("pooled"), conf)); !netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/24", 71+2*n)).Contains(got[0].Addr()) {
		t.Errorf("ipv4pools annotation: %v", got)
	}
	got := ips(t, runPlugin("ADD", p("k3"), args("plain"), conf))
	if r := runPlugin("DEL", p("k3"), args("plain"), conf); r.err != nil {
		t.Fatalf("DEL: %v %s", r.err, r.stdout)
	}
	if _, err := ipam.New(kubeStore).GetAssignment(ctx, got[0].Addr()); err == nil {
		t.Error("DEL left the address allocated")
	}
	// A pod the API server does not know: a clear error, and nothing allocated.
	if code, msg := cniError(t, runPlugin("ADD", p("k5"), args("absent"), conf)); code != 999 || !strings.Contains(msg, "pod default/"+p("absent")+" does not exist in the Kubernetes API") {
		t.Errorf("missing pod: %d %q", code, msg)
	}
	if _, err := kubeStore.Get(ctx, handleKind(t), "", "k8s-pod-network."+p("k5")); !datastore.IsDoesNotExist(err) {
		t.Errorf("an ADD for a missing pod left handle k8s-pod-network.%s: %v", p("k5"), err)
	}
	// The same fixed address for another container: a clear error.
	pod(p("fixed2"), map[string]string{"cni.projectcalico.org/ipAddrs": `["` + fixedIP + `"]`})
	if code, msg := cniError(t, runPlugin("ADD", p("k4"), args("fixed2"), conf)); code != 999 || !strings.Contains(msg, "already assigned") {
		t.Errorf("taken fixed address: %d %q", code, msg)
	}
}
