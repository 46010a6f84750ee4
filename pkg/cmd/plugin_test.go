package cmd_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/cmd"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func init() {
	// The binary built for the plugin tests is removed when the package's tests end.
	setupHooks = append(setupHooks, func() (func(), error) {
		return func() {
			if buildErr == nil && binDir != "" {
				os.RemoveAll(binDir)
			}
		}, nil
	})
}

// pluginBinary builds calicoctl once and installs it under name (kubectl-calico, dcos-calico)
// in a directory of its own, as an operator installs a plugin; it returns that directory.
func pluginBinary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "calicoctl-plugin-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "calicoctl"), "github.com/calicoctl-go/calicoctl/cmd/calicoctl").CombinedOutput()
		if err != nil {
			buildErr = err
			binDir = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building calicoctl: %v\n%s", buildErr, binDir)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(binDir, "calicoctl"), filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// run executes a program with the given environment (on top of a minimal one) and stdin.
func runProgram(t *testing.T, env []string, stdin string, prog string, args ...string) result {
	t.Helper()
	c := exec.Command(prog, args...)
	c.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	c.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", prog, err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

const pluginPool = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: plugin-pool
spec:
  cidr: 10.77.0.0/16
`

// `kubectl calico ...` through the real kubectl: the plugin names itself as kubectl calico,
// uses the kubeconfig kubectl users have, takes --context, --kubeconfig and -n after the plugin
// name, reads stdin and returns its exit status.
func TestKubectlPlugin(t *testing.T) {
	if kdd == nil {
		t.Skip("no kube-apiserver (bin/kube-apiserver)")
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not installed: run hack/install-kubectl.sh (make test does)")
	}
	useDatastore(t, testDatastores[len(testDatastores)-1]) // empties the Kubernetes datastore
	dir := pluginBinary(t, "kubectl-calico")
	home := t.TempDir()

	// ~/.kube/config: the real cluster as context "real", and a current context that points
	// nowhere, so that only --context real or --kubeconfig reaches the cluster.
	cfg, err := clientcmd.LoadFromFile(kdd.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	realCtx := cfg.Contexts[cfg.CurrentContext].DeepCopy()
	cfg.Contexts = map[string]*clientcmdapi.Context{"real": realCtx}
	broken := realCtx.DeepCopy()
	broken.Cluster = "nowhere"
	cfg.Clusters["nowhere"] = cfg.Clusters[realCtx.Cluster].DeepCopy()
	cfg.Clusters["nowhere"].Server = "https://127.0.0.1:1"
	cfg.Contexts["broken"] = broken
	cfg.CurrentContext = "broken"
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*cfg, filepath.Join(home, ".kube", "config")); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + dir + ":" + os.Getenv("PATH"), "HOME=" + home, "CALICO_DATASTORE_TIMEOUT=3s"}
	k := func(stdin string, args ...string) result {
		return runProgram(t, env, stdin, kubectl, append([]string{"calico"}, args...)...)
	}

	r := k("", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "kubectl calico [command]") || !strings.Contains(r.stdout, `Use "kubectl calico [command] --help"`) {
		t.Errorf("kubectl calico --help: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := k("", "get", "--help"); !strings.Contains(r.stdout, "kubectl calico get ") {
		t.Errorf("kubectl calico get --help does not name the plugin:\n%s", r.stdout)
	}

	// The Kubernetes datastore is the default when a kubeconfig exists: stdin goes through.
	r = k(pluginPool, "--context", "real", "apply", "-f", "-")
	if r.code != 0 || r.stdout != "Successfully applied 1 'IPPool' resource(s)\n" {
		t.Fatalf("kubectl calico --context real apply -f -: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := k("", "get", "ippools", "-o", "name", "--context", "real"); r.code != 0 || r.stdout != "ippool/plugin-pool\n" {
		t.Errorf("get after apply: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	// Without --context the broken current context is used, and the failure is the exit status.
	if r := k("", "get", "ippools"); r.code != 1 || !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Errorf("broken current context: exit %d %q", r.code, r.stderr)
	}
	// --kubeconfig names another file.
	if r := k("", "--kubeconfig", kdd.AdminKubeconfig, "get", "ippool", "plugin-pool", "-o", "jsonpath={.spec.cidr}"); r.code != 0 || r.stdout != "10.77.0.0/16" {
		t.Errorf("--kubeconfig: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := k("", "--kubeconfig", kdd.AdminKubeconfig, "get", "ippool", "nope"); r.code != 1 || !strings.Contains(r.stderr, "resource does not exist: IPPool(nope)") {
		t.Errorf("missing pool: exit %d %q", r.code, r.stderr)
	}
	// -n before the command name, as kubectl users write it.
	np := "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: web\nspec:\n  selector: app == 'web'\n"
	if r := k(np, "--context", "real", "-n", "dev", "create", "-f", "-"); r.code != 0 {
		t.Fatalf("-n dev create: exit %d %q", r.code, r.stderr)
	}
	if r := k("", "-n", "dev", "--context=real", "get", "networkpolicies", "-o", "name"); r.code != 0 || r.stdout != "networkpolicy/web\n" {
		t.Errorf("-n dev get: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := k("", "--context", "real", "get", "networkpolicies", "-o", "name"); r.code != 0 || r.stdout != "" {
		t.Errorf("default namespace has no policy: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	// kubectl 1.26 and later complete plugins through kubectl_complete-<name>.
	t.Run("completion", func(t *testing.T) {
		var v struct {
			ClientVersion struct{ Major, Minor string } `json:"clientVersion"`
		}
		out, err := exec.Command(kubectl, "version", "--client", "-o", "json").Output()
		if err != nil || json.Unmarshal(out, &v) != nil {
			t.Fatalf("kubectl version: %v %s", err, out)
		}
		if minor, _ := strconv.Atoi(strings.TrimRight(v.ClientVersion.Minor, "+")); v.ClientVersion.Major == "1" && minor < 26 {
			t.Skipf("kubectl 1.%d completes no plugins (1.26 and later do)", minor)
		}
		if err := os.Symlink(filepath.Join(dir, "kubectl-calico"), filepath.Join(dir, "kubectl_complete-calico")); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ args, want string }{
			{"calico ge", "get"},
			{"calico get ippool --context real ", "plugin-pool"},
			{"calico -n dev --context real get networkpolicy ", "web"},
		} {
			words := strings.Split(tc.args, " ")
			r := runProgram(t, env, "", kubectl, append([]string{"__complete"}, words...)...)
			var got []string
			for _, line := range strings.Split(r.stdout, "\n") {
				if line != "" && !strings.HasPrefix(line, ":") {
					got = append(got, strings.SplitN(line, "\t", 2)[0])
				}
			}
			if r.code != 0 || strings.Join(got, " ") != tc.want {
				t.Errorf("kubectl __complete %s: exit %d %q %q, want %q", tc.args, r.code, got, r.stderr, tc.want)
			}
		}
	})
	// Messages that suggest a command suggest it as the operator types it.
	v1 := writeFile(t, "v1.yaml", "apiVersion: v1\nkind: policy\nmetadata: {name: p}\n")
	if r := k("", "validate", "-f", v1); r.code != 1 || !strings.Contains(r.stderr, "'kubectl calico convert -f "+v1+"'") {
		t.Errorf("v1 hint: exit %d %q", r.code, r.stderr)
	}
}

// The DC/OS CLI runs a plugin as `<path>/dcos-calico calico ARGS` with its cluster's URL, token
// and TLS settings in the environment; etcd sits behind the cluster's proxy, which wants the
// token. Here the proxy is a real HTTP/2 reverse proxy in front of a real etcd that refuses gRPC
// calls without the token.
func TestDCOSPlugin(t *testing.T) {
	dir := pluginBinary(t, "dcos-calico")
	bin := filepath.Join(dir, "dcos-calico")
	e, err := testenv.StartEtcd()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	proxy := startTokenProxy(t, e.Endpoint, "token=s3cret", "", "")
	env := func(token string) []string {
		return []string{"HOME=" + t.TempDir(), "DCOS_URL=http://127.0.0.1/", "DCOS_ACS_TOKEN=" + token, "DCOS_TLS_INSECURE=1",
			"DCOS_CLI_VERSION=1.2.0", "DCOS_CALICO_ETCD_ENDPOINTS=" + proxy, "DCOS_CALICO_DATASTORE_TIMEOUT=3s"}
	}
	host := func(token, stdin string, args ...string) result {
		return runProgram(t, env(token), stdin, bin, args...)
	}

	if r := host("s3cret", "", "calico", "--info"); r.code != 0 || r.stdout != "Manage Calico in DC/OS\n" || r.stderr != "" {
		t.Errorf("--info: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := host("s3cret", "", "calico", "--version"); r.code != 0 || !strings.HasPrefix(r.stdout, "dcos-calico version v") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("--version: exit %d %q", r.code, r.stdout)
	}
	r := host("s3cret", "", "calico", "--config-schema")
	var schema struct {
		Type       string
		Properties map[string]struct{ Type string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &schema); r.code != 0 || err != nil || schema.Type != "object" || schema.Properties["etcd_endpoints"].Type != "string" {
		t.Errorf("--config-schema: exit %d %v %s", r.code, err, r.stdout)
	}
	if r := host("s3cret", "", "get", "nodes"); r.code != 1 || !strings.Contains(r.stderr, "run it as 'dcos calico ARGS'") {
		t.Errorf("called without the command name: exit %d %q", r.code, r.stderr)
	}
	if r := host("s3cret", "", "calico", "--help"); r.code != 0 || !strings.Contains(r.stdout, "dcos calico [command]") {
		t.Errorf("calico --help: exit %d %q", r.code, r.stdout)
	}

	// stdin, stdout and the exit status pass through; the token reaches etcd's proxy.
	if r := host("s3cret", pluginPool, "calico", "apply", "-f", "-"); r.code != 0 || r.stdout != "Successfully applied 1 'IPPool' resource(s)\n" {
		t.Fatalf("calico apply -f -: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := host("s3cret", "", "calico", "get", "ippools", "-o", "name"); r.code != 0 || r.stdout != "ippool/plugin-pool\n" {
		t.Errorf("calico get ippools: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := host("s3cret", "", "calico", "get", "ippool", "nope"); r.code != 1 || !strings.Contains(r.stderr, "resource does not exist: IPPool(nope)") {
		t.Errorf("missing pool: exit %d %q", r.code, r.stderr)
	}
	// The package's bash completion, laid out as `dcos plugin add` unpacks it, completes
	// commands and, through the cluster's proxy, names.
	env0 := filepath.Join(t.TempDir(), "env")
	for _, d := range []string{"bin", "completion/bash"} {
		if err := os.MkdirAll(filepath.Join(env0, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(bin, filepath.Join(env0, "bin", "dcos-calico")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(env0, "completion", "bash", "calico.sh"), []byte(cmd.DCOSBashCompletion()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `source "$1"
try() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _dcos_calico; echo "${COMPREPLY[*]}"; }
try dcos calico ge
try dcos calico get ippool ""
try dcos calico get -o ya
`
	if r := runProgram(t, env("s3cret"), "", "bash", "-c", script, "bash", filepath.Join(env0, "completion", "bash", "calico.sh")); r.code != 0 || r.stdout != "get\nplugin-pool\nyaml\n" {
		t.Errorf("dcos calico completion: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := host("wrong", "", "calico", "get", "ippools"); r.code != 1 || !strings.Contains(r.stderr, "connection is unauthorized") {
		t.Errorf("wrong token: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	// An https cluster that the DC/OS CLI does not verify cannot give etcd's CA.
	r = runProgram(t, []string{"HOME=" + t.TempDir(), "DCOS_URL=https://10.0.0.1", "DCOS_TLS_INSECURE=1"}, "", bin, "calico", "get", "nodes")
	if r.code != 1 || !strings.Contains(r.stderr, "dcos cluster setup --no-check") {
		t.Errorf("insecure https cluster: exit %d %q", r.code, r.stderr)
	}
}

// startTokenProxy serves gRPC (HTTP/2 without TLS) on a local port and forwards it to backend
// when the authorization metadata is want, as DC/OS's proxy in front of Calico's etcd does.
func startTokenProxy(t *testing.T, backend, want, certFile, keyFile string) string {
	t.Helper()
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{Protocols: &h2c}
	rp.FlushInterval = -1
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Addr:      "127.0.0.1:" + strconv.Itoa(port),
		Protocols: &h2c,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != want {
				w.Header().Set("Content-Type", "application/grpc")
				w.Header().Set("Grpc-Status", "16") // Unauthenticated
				w.Header().Set("Grpc-Message", "missing or wrong token")
				w.WriteHeader(http.StatusOK)
				return
			}
			rp.ServeHTTP(w, r)
		}),
	}
	t.Cleanup(func() { srv.Close() })
	if certFile != "" {
		srv.Protocols = nil // HTTP/2 over TLS, by ALPN
		go srv.ListenAndServeTLS(certFile, keyFile)
		return "https://" + srv.Addr
	}
	go srv.ListenAndServe()
	return "http://" + srv.Addr
}

// An enterprise (https) cluster: etcd's proxy is verified with the CA the DC/OS CLI passes in
// DCOS_TLS_CA_PATH, and refused with another.
func TestDCOSPluginTLS(t *testing.T) {
	bin := filepath.Join(pluginBinary(t, "dcos-calico"), "dcos-calico")
	e, err := testenv.StartEtcd()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	dir := t.TempDir()
	ca := newCA(t, dir, "cluster-ca")
	other := newCA(t, dir, "other-ca")
	cert, key := ca.issue(t, "proxy")
	proxy := startTokenProxy(t, e.Endpoint, "token=s3cret", cert, key)
	run := func(caPath string, args ...string) result {
		return runProgram(t, []string{"HOME=" + t.TempDir(), "DCOS_URL=https://127.0.0.1", "DCOS_ACS_TOKEN=s3cret",
			"DCOS_TLS_CA_PATH=" + caPath, "DCOS_CALICO_ETCD_ENDPOINTS=" + proxy, "DCOS_CALICO_DATASTORE_TIMEOUT=3s"}, pluginPool, bin, args...)
	}
	if r := run(filepath.Join(dir, "cluster-ca.pem"), "calico", "apply", "-f", "-"); r.code != 0 || r.stdout != "Successfully applied 1 'IPPool' resource(s)\n" {
		t.Fatalf("apply through the https proxy: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(filepath.Join(other.dir, "other-ca.pem"), "calico", "get", "ippools"); r.code != 1 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("another CA: exit %d %q", r.code, r.stderr)
	}
}
