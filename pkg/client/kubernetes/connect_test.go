package kubernetes_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// canRead connects with spec and reads the cluster's tiers, which needs admin rights.
func canRead(t *testing.T, spec config.KubeConfig) error {
	t.Helper()
	s, err := kubernetes.New(&config.CalicoAPIConfig{Spec: config.CalicoAPIConfigSpec{DatastoreType: config.Kubernetes, KubeConfig: spec}}, 5*time.Second)
	if err != nil {
		return err
	}
	_, err = s.List(ctxFor(t), kind(t, "Tier"), datastore.ListOptions{})
	return err
}

func TestKubeconfigSettingsAreHonoured(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	adminYAML, _ := os.ReadFile(kube.AdminKubeconfig)
	clusterOnly := write("cluster.yaml", `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "`+kube.URL+`", insecure-skip-tls-verify: true}
contexts:
- name: as-admin
  context: {cluster: test, user: admin}
- name: as-alice
  context: {cluster: test, user: alice}
current-context: as-alice
`)
	usersOnly := write("users.yaml", `apiVersion: v1
kind: Config
users:
- name: admin
  user: {token: "`+kube.AdminToken+`"}
- name: alice
  user: {token: "`+kube.UserToken+`"}
`)
	caFile := filepath.Join(filepath.Dir(kube.AdminKubeconfig), "certs", "apiserver.crt")
	withCA := write("with-ca.yaml", `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "`+kube.URL+`", certificate-authority: "`+caFile+`"}
users:
- name: admin
  user: {token: "`+kube.AdminToken+`"}
contexts:
- name: admin
  context: {cluster: test, user: admin}
current-context: admin
`)

	for _, tc := range []struct {
		name string
		spec config.KubeConfig
		ok   bool
	}{
		{"a ':'-separated KUBECONFIG list is merged, its context chosen by --context", config.KubeConfig{Kubeconfig: clusterOnly + ":" + usersOnly, K8sCurrentContext: "as-admin"}, true},
		{"the merged list's current context applies without --context", config.KubeConfig{Kubeconfig: clusterOnly + ":" + usersOnly}, false},
		{"k8sAPIToken overrides the kubeconfig's user", config.KubeConfig{Kubeconfig: kube.UserKubeconfig, K8sAPIToken: kube.AdminToken}, true},
		{"k8sAPIEndpoint with a token and insecure-skip-verify needs no kubeconfig", config.KubeConfig{K8sAPIEndpoint: kube.URL, K8sAPIToken: kube.AdminToken, K8sInsecureSkipTLSVerify: true}, true},
		{"k8sCAFile verifies the API server", config.KubeConfig{K8sAPIEndpoint: kube.URL, K8sAPIToken: kube.AdminToken, K8sCAFile: caFile}, true},
		{"a kubeconfig with a CA file verifies the API server", config.KubeConfig{Kubeconfig: withCA}, true},
		{"k8sInsecureSkipTLSVerify overrides the kubeconfig's CA", config.KubeConfig{Kubeconfig: withCA, K8sInsecureSkipTLSVerify: true}, true},
		{"kubeconfigInline is the whole configuration", config.KubeConfig{KubeconfigInline: string(adminYAML), Kubeconfig: kube.UserKubeconfig}, true},
	} {
		err := canRead(t, tc.spec)
		if (err == nil) != tc.ok {
			t.Errorf("%s: got %v, want success %v", tc.name, err, tc.ok)
		}
	}

	// Without a CA the API server's self-signed certificate is refused.
	err := canRead(t, config.KubeConfig{K8sAPIEndpoint: kube.URL, K8sAPIToken: kube.AdminToken})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unverified server certificate: %v", err)
	}
}

func TestEnvironmentAndHomeKubeconfig(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(kube.AdminKubeconfig)
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	for _, k := range []string{"KUBECONFIG", "ETCD_ENDPOINTS", "K8S_API_ENDPOINT", "DATASTORE_TYPE", "CALICO_DATASTORE_TYPE"} {
		t.Setenv(k, "")
	}
	t.Setenv("K8S_CLIENT_QPS", "7")
	t.Setenv("K8S_CLIENT_BURST", "9")
	cfg, err := config.LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Spec.DatastoreType != config.Kubernetes || cfg.Spec.Kubeconfig != filepath.Join(home, ".kube", "config") {
		t.Fatalf("loaded %+v", cfg.Spec)
	}
	rc, err := kubernetes.RESTConfig(&cfg.Spec.KubeConfig, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rc.QPS != 7 || rc.Burst != 9 {
		t.Errorf("QPS %v burst %d, want 7 and 9", rc.QPS, rc.Burst)
	}
	if err := canRead(t, cfg.Spec.KubeConfig); err != nil {
		t.Errorf("connecting with ~/.kube/config: %v", err)
	}

	rc, _ = kubernetes.RESTConfig(&config.KubeConfig{Kubeconfig: kube.AdminKubeconfig}, time.Second)
	if rc.QPS != 50 || rc.Burst != 100 {
		t.Errorf("default QPS %v burst %d, want 50 and 100", rc.QPS, rc.Burst)
	}

	// --kubeconfig wins over KUBECONFIG.
	t.Setenv("KUBECONFIG", kube.UserKubeconfig)
	config.SetKubeconfigFlag(kube.AdminKubeconfig)
	defer config.SetKubeconfigFlag("")
	cfg, err = config.LoadEnv()
	if err != nil || cfg.Spec.Kubeconfig != kube.AdminKubeconfig {
		t.Errorf("--kubeconfig: %v %+v", err, cfg)
	}
}

func TestUnreachableAPIServerFailsWithinTheTimeout(t *testing.T) {
	// Nothing listens: the connection is refused.
	refused := config.KubeConfig{K8sAPIEndpoint: "https://127.0.0.1:1", K8sAPIToken: "x", K8sInsecureSkipTLSVerify: true}
	// Something accepts connections and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	silent := config.KubeConfig{K8sAPIEndpoint: "https://" + l.Addr().String(), K8sAPIToken: "x", K8sInsecureSkipTLSVerify: true}

	for name, spec := range map[string]config.KubeConfig{"refused": refused, "silent": silent} {
		s, err := kubernetes.New(&config.CalicoAPIConfig{Spec: config.CalicoAPIConfigSpec{DatastoreType: config.Kubernetes, KubeConfig: spec}}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = s.Get(context.Background(), kind(t, "IPPool"), "", "p")
		took := time.Since(start)
		var unreachable *datastore.UnreachableError
		if !errors.As(err, &unreachable) || !strings.HasPrefix(err.Error(), "cannot connect to the Kubernetes API server at "+spec.K8sAPIEndpoint+": ") {
			t.Errorf("%s: %T %v", name, err, err)
		}
		if took > 3*time.Second {
			t.Errorf("%s: took %s with a 1s timeout", name, took)
		}
		t.Logf("%s (%s): %v", name, took.Round(time.Millisecond), err)
	}
}

// flakyProxy passes requests to the API server, except that it answers the first of them 503
// and drops the connection of the second after the API server has handled it.
func flakyProxy(t *testing.T) (*httptest.Server, *atomic.Int32) {
	target, _ := url.Parse(kube.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	var n atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd leader changed","reason":"ServiceUnavailable","code":503}`))
		case 2:
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r) // the API server acts on it...
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // ...and the answer is lost
			}
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestTransientErrorsAndLostAnswersAreRetried(t *testing.T) {
	ctx := ctxFor(t)
	for _, op := range []string{"get", "create"} {
		srv, n := flakyProxy(t)
		s, err := kubernetes.New(&config.CalicoAPIConfig{Spec: config.CalicoAPIConfigSpec{DatastoreType: config.Kubernetes,
			KubeConfig: config.KubeConfig{K8sAPIEndpoint: srv.URL, K8sAPIToken: kube.AdminToken, K8sInsecureSkipTLSVerify: true}}}, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		switch op {
		case "get":
			_, err = s.List(ctx, kind(t, "Tier"), datastore.ListOptions{})
		case "create":
			var obj any
			obj, err = s.Create(ctx, decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"Tier","metadata":{"name":"retried"},"spec":{"order":42}}`))
			if err == nil && *obj.(*api.Tier).Spec.Order != 42 {
				t.Errorf("create returned %+v", obj)
			}
		}
		if err != nil || n.Load() < 3 {
			t.Errorf("%s through a flaky connection: %v after %d requests", op, err, n.Load())
		}
	}
}
