package testenv

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// modulePath identifies the repository root when BinaryPath walks up from the working directory.
	modulePath = "github.com/calicoctl-go/calicoctl"
	// binaryEnv overrides where the kube-apiserver binary is looked for.
	binaryEnv = "KUBE_APISERVER_BIN"

	readyTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	logTailLines = 30
)

// KubeAPIServer is a running kube-apiserver process, built from the upstream Kubernetes
// sources by hack/build-kube-apiserver.sh and backed by an etcd the caller supplies.
type KubeAPIServer struct {
	URL             string // https://127.0.0.1:<port>
	AdminKubeconfig string // path: a system:masters user, insecure-skip-tls-verify
	UserKubeconfig  string // path: user "alice", no RBAC bindings (every request is forbidden)
	AdminToken      string
	UserToken       string
	EtcdPrefix      string // where this server keeps its objects in etcd
	LogPath         string // the server's stdout and stderr

	dir      string
	cmd      *exec.Cmd
	exited   chan struct{} // closed once the process has been waited for
	stopOnce sync.Once
}

// BinaryPath returns where the kube-apiserver binary is: $KUBE_APISERVER_BIN if set, else
// bin/kube-apiserver under the root of this module (found by walking up from the working
// directory). When the binary is not there it returns the expected path with an error, so
// that the caller can say where it looked.
func BinaryPath() (string, error) {
	path := os.Getenv(binaryEnv)
	if path == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		path = filepath.Join(root, "bin", "kube-apiserver")
	}
	if _, err := os.Stat(path); err != nil {
		return path, fmt.Errorf("kube-apiserver binary not found at %s; run `make kube-apiserver` (or hack/build-kube-apiserver.sh)", path)
	}
	return path, nil
}

// moduleRoot returns the nearest directory at or above the working directory whose go.mod
// declares this module.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && declaresModule(data, modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for module %s above the working directory; set $%s to the kube-apiserver binary", modulePath, binaryEnv)
		}
		dir = parent
	}
}

func declaresModule(goMod []byte, module string) bool {
	sc := bufio.NewScanner(bytes.NewReader(goMod))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == module
		}
	}
	return false
}

// StartKubeAPIServer starts a kube-apiserver against etcdEndpoint and waits until it is ready.
// Each server stores its objects under its own etcd prefix, so several can share one etcd.
// The caller must Stop it.
func StartKubeAPIServer(etcdEndpoint string) (*KubeAPIServer, error) {
	bin, err := BinaryPath()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		k, err := startKubeAPIServer(bin, etcdEndpoint)
		if err == nil {
			return k, nil
		}
		lastErr = err
		// A port picked as free may have been taken meanwhile: that alone is worth a retry.
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func startKubeAPIServer(bin, etcdEndpoint string) (*KubeAPIServer, error) {
	dir, err := os.MkdirTemp("", "calicoctl-kube-apiserver-*")
	if err != nil {
		return nil, err
	}
	k := &KubeAPIServer{
		dir:        dir,
		LogPath:    filepath.Join(dir, "kube-apiserver.log"),
		EtcdPrefix: "/registry-" + randomHex(8),
		AdminToken: randomHex(16),
		UserToken:  randomHex(16),
		exited:     make(chan struct{}),
	}
	fail := func(err error) (*KubeAPIServer, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return fail(err)
	}
	k.URL = fmt.Sprintf("https://127.0.0.1:%d", port)
	if err := k.writeFiles(); err != nil {
		return fail(fmt.Errorf("preparing kube-apiserver files in %s: %w", dir, err))
	}
	logFile, err := os.Create(k.LogPath)
	if err != nil {
		return fail(err)
	}
	defer logFile.Close() // the child holds its own descriptor

	k.cmd = exec.Command(bin,
		"--etcd-servers="+etcdEndpoint,
		"--etcd-prefix="+k.EtcdPrefix,
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--secure-port="+fmt.Sprint(port),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--authorization-mode=RBAC",
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--service-cluster-ip-range=10.96.0.0/12",
		// Lighter for a single test server: no request queueing, no in-flight limits,
		// no profiling endpoints, no endpoint lease writes for the "kubernetes" Service.
		"--enable-priority-and-fairness=false",
		"--max-requests-inflight=0",
		"--max-mutating-requests-inflight=0",
		"--profiling=false",
		"--endpoint-reconciler-type=none",
		// No controller-manager creates the "default" ServiceAccount in new namespaces,
		// so this admission plugin would reject every Pod a test creates.
		"--disable-admission-plugins=ServiceAccount",
	)
	k.cmd.Dir = dir
	k.cmd.Stdout = logFile
	k.cmd.Stderr = logFile
	// The server must not outlive a test binary that is killed.
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := k.cmd.Start(); err != nil {
		return fail(fmt.Errorf("starting %s: %w", bin, err))
	}
	go func() {
		k.cmd.Wait()
		close(k.exited)
	}()

	if err := k.waitReady(); err != nil {
		err = fmt.Errorf("kube-apiserver at %s: %w\nlast %d lines of %s:\n%s",
			k.URL, err, logTailLines, k.LogPath, tail(k.LogPath, logTailLines))
		k.Stop()
		return nil, err
	}
	return k, nil
}

// waitReady polls /readyz as the admin until it answers 200, the process exits, or time runs out.
func (k *KubeAPIServer) waitReady() error {
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(readyTimeout)
	lastStatus := "no answer yet"
	for time.Now().Before(deadline) {
		select {
		case <-k.exited:
			return fmt.Errorf("exited before it was ready (%s)", k.cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
		req, err := http.NewRequest(http.MethodGet, k.URL+"/readyz", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+k.AdminToken)
		resp, err := client.Do(req)
		if err != nil {
			lastStatus = err.Error()
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		lastStatus = resp.Status
	}
	return fmt.Errorf("not ready after %s (last /readyz: %s)", readyTimeout, lastStatus)
}

// writeFiles writes the service-account key pair, the token file and both kubeconfigs.
func (k *KubeAPIServer) writeFiles() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	k.AdminKubeconfig = filepath.Join(k.dir, "admin.kubeconfig")
	k.UserKubeconfig = filepath.Join(k.dir, "alice.kubeconfig")
	files := map[string][]byte{
		"sa.key": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		"sa.pub": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
		// token,user,uid,"group1,group2"
		"tokens.csv": []byte(fmt.Sprintf("%s,admin,admin,\"system:masters\"\n%s,alice,alice\n",
			k.AdminToken, k.UserToken)),
		"admin.kubeconfig": kubeconfig(k.URL, "admin", k.AdminToken),
		"alice.kubeconfig": kubeconfig(k.URL, "alice", k.UserToken),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(k.dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func kubeconfig(server, user, token string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %[1]s
    insecure-skip-tls-verify: true
users:
- name: %[2]s
  user:
    token: %[3]s
contexts:
- name: %[2]s@test
  context:
    cluster: test
    user: %[2]s
current-context: %[2]s@test
`, server, user, token))
}

// Stop terminates the server (SIGTERM, then SIGKILL after 10s) and removes its files.
// It is safe to call more than once.
func (k *KubeAPIServer) Stop() {
	k.stopOnce.Do(func() {
		if k.cmd != nil && k.cmd.Process != nil {
			k.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-k.exited:
			case <-time.After(stopTimeout):
				k.cmd.Process.Kill()
				<-k.exited
			}
		}
		os.RemoveAll(k.dir)
	})
}

// KubeForTest starts an etcd and a kube-apiserver on it for one test and stops both when the
// test ends. (For one server per package, call StartEtcd and StartKubeAPIServer from TestMain.)
// A missing binary is a failure, not a skip: these tests are meant to run everywhere.
func KubeForTest(t testing.TB) *KubeAPIServer {
	t.Helper()
	if _, err := BinaryPath(); err != nil {
		t.Fatal(err)
	}
	etcd := EtcdForTest(t)
	k, err := StartKubeAPIServer(etcd.Endpoint)
	if err != nil {
		t.Fatalf("starting kube-apiserver: %v", err)
	}
	// Registered after etcd's cleanup, so it runs first: the server stops before its etcd.
	t.Cleanup(k.Stop)
	return k
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(reading log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
