package cmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
)

// writeKubeconfig writes a kubeconfig for server with one cluster "test", one user and one
// context "<user>@test"; ca is the certificate-authority file ("" to skip verification).
func writeKubeconfig(t *testing.T, server, user, token, ca string) string {
	t.Helper()
	tlsLine := "insecure-skip-tls-verify: true"
	if ca != "" {
		tlsLine = "certificate-authority: " + ca
	}
	return writeFile(t, "kubeconfig", fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: %s@test
  context: {cluster: test, user: %s}
current-context: %s@test
`, server, tlsLine, user, token, user, user, user))
}

// A kube-apiserver reached with a wrong CA, a token it does not know, or a user without RBAC
// rights: one line naming the server, the cause, the kubeconfig user, cluster and context, exit
// 1, nothing written, and no version-mismatch hint.
func TestKubernetesMisconfigurationMatrix(t *testing.T) {
	if kdd == nil {
		t.Fatal("no kube-apiserver")
	}
	otherCA, err := testenv.NewCA(t.TempDir(), "other-ca")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, token, ca, want string
	}{
		{"CA that did not sign the server's certificate", "admin", kdd.AdminToken, otherCA.File,
			"cannot connect to the Kubernetes API server at " + kdd.URL + ": the server's certificate is not signed by the CA this client trusts (x509: certificate signed by unknown authority); set certificate-authority of cluster \"test\" in the kubeconfig (or K8S_CA_FILE, k8sCAFile) to the CA that signed it"},
		{"token the server does not know", "admin", "not-a-token", "",
			"connection is unauthorized: the Kubernetes API server at " + kdd.URL + " rejected the credentials of the kubeconfig's user \"admin\", cluster \"test\", context \"admin@test\" (401 Unauthorized); check the token or client certificate of that user in the kubeconfig (or K8S_API_TOKEN), or choose another context with --context"},
		{"user without RBAC rights", "alice", kdd.UserToken, "",
			"connection is unauthorized: clusterinformations.crd.projectcalico.org \"default\" is forbidden: User \"alice\" cannot get resource \"clusterinformations\" in API group \"crd.projectcalico.org\" at the cluster scope; grant that user RBAC rights (a ClusterRole and ClusterRoleBinding), or use another user: the kubeconfig's user \"alice\", cluster \"test\", context \"alice@test\" at " + kdd.URL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := writeKubeconfig(t, kdd.URL, tc.user, tc.token, tc.ca)
			c := useEnv(t, map[string]string{"DATASTORE_TYPE": "kubernetes", "KUBECONFIG": kc})
			t.Setenv("CALICO_DATASTORE_TIMEOUT", "20s")
			name := "faults-" + strings.ReplaceAll(tc.user, "@", "")
			pool := writeFile(t, "pool.yaml", strings.Replace(pool1, "name: pool1", "name: "+name, 1))
			start := time.Now()
			r := c.run("", "apply", "-f", pool)
			took := time.Since(start)
			if r.code != 1 || strings.TrimSuffix(r.stderr, "\n") != tc.want {
				t.Errorf("exit %d, stderr:\n got %s\nwant %s", r.code, r.stderr, tc.want)
			}
			if took > 8*time.Second {
				t.Errorf("took %s", took)
			}
			if _, err := kddDyn.Resource(schema.GroupVersionResource{Group: kubernetes.Group, Version: kubernetes.Version, Resource: "ippools"}).Get(context.Background(), name, metav1.GetOptions{}); err == nil {
				t.Errorf("IPPool %s was written", name)
			}
			t.Logf("%s: %s", took.Round(time.Millisecond), r.stderr)
		})
	}
}

// The kube-apiserver killed in the middle of an apply of 200 GlobalNetworkPolicies, and then of
// their delete, and started again 4 s later: each command waits for it and completes in one go;
// every policy is there once, then none is.
func TestApplySurvivesAnAPIServerRestart(t *testing.T) {
	k := testenv.KubeForTest(t)
	rc, err := clientcmd.BuildConfigFromFlags("", k.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	rc.QPS, rc.Burst = 1000, 1000
	s, err := kubernetes.NewFromREST(rc, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.InstallCRDs(ctx, nil); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	gnps := dyn.Resource(schema.GroupVersionResource{Group: kubernetes.Group, Version: kubernetes.Version, Resource: "globalnetworkpolicies"})

	var doc strings.Builder
	const n = 200
	for i := 0; i < n; i++ {
		fmt.Fprintf(&doc, "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: gnp-%03d\nspec:\n  selector: app == 'a%d'\n  ingress:\n  - action: Allow\n", i, i)
	}
	file := filepath.Join(t.TempDir(), "gnps.yaml")
	if err := os.WriteFile(file, []byte(doc.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	c := useEnv(t, map[string]string{"DATASTORE_TYPE": "kubernetes", "KUBECONFIG": k.AdminKubeconfig})
	t.Setenv("CALICO_DATASTORE_TIMEOUT", "30s")
	// About a second of work, so that the apply is surely in progress when the server dies.
	t.Setenv("K8S_CLIENT_QPS", "100")
	t.Setenv("K8S_CLIENT_BURST", "1")

	// Each command is cut by a restart once some of its work is done: the apply once 20
	// policies are in, the delete once 20 are gone.
	for _, step := range []struct {
		verb, past string
		progress   func(stored int) bool
		want       int // policies stored at the end
	}{
		{"apply", "applied", func(stored int) bool { return stored >= 20 }, n},
		{"delete", "deleted", func(stored int) bool { return stored <= n-20 }, 0},
	} {
		var wg sync.WaitGroup
		var r result
		wg.Add(1)
		start := time.Now()
		go func() {
			defer wg.Done()
			r = c.run("", step.verb, "-f", file, "--log-level", "info")
		}()
		for {
			l, err := gnps.List(ctx, metav1.ListOptions{})
			if err == nil && step.progress(len(l.Items)) {
				break
			}
			if time.Since(start) > time.Minute {
				t.Fatalf("the %s did not start", step.verb)
			}
			time.Sleep(50 * time.Millisecond)
		}
		k.Kill()
		killedAt := time.Since(start)
		time.Sleep(4 * time.Second)
		if err := k.Restart(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		took := time.Since(start)
		if r.code != 0 || r.stdout != fmt.Sprintf("Successfully %s %d 'GlobalNetworkPolicy' resource(s)\n", step.past, n) {
			t.Fatalf("%s across a restart: exit %d\nstdout %s\nstderr (without the retries) %s", step.verb, r.code, r.stdout, withoutRetries(r.stderr))
		}
		// At info level, the retries and nothing else: no line from a library.
		for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
			if !strings.Contains(line, `level=INFO msg="retrying a Kubernetes API request" object=GlobalNetworkPolicy(gnp-`) {
				t.Errorf("%s: unexpected line on stderr: %s", step.verb, line)
				break
			}
		}
		if !strings.Contains(r.stderr, "retrying a Kubernetes API request") {
			t.Errorf("%s: no retry logged at --log-level info", step.verb)
		}
		l, err := gnps.List(ctx, metav1.ListOptions{})
		if err != nil || len(l.Items) != step.want {
			t.Fatalf("after the %s: %d policies stored (%v), want %d", step.verb, len(l.Items), err, step.want)
		}
		if took > 90*time.Second {
			t.Errorf("%s took %s", step.verb, took)
		}
		t.Logf("%s: killed after %s, done after %s; %d retries logged", step.verb, killedAt.Round(time.Millisecond), took.Round(time.Millisecond), strings.Count(r.stderr, "retrying"))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func withoutRetries(stderr string) string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if !strings.Contains(l, "msg=\"retrying") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
