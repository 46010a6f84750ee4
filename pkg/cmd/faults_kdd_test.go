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

// The kube-apiserver killed in the middle of an apply of 200 GlobalNetworkPolicies and started
// again 4 s later: the apply waits for it and completes in one go; every policy is there once.
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

	var wg sync.WaitGroup
	var r result
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		r = c.run("", "apply", "-f", file, "--log-level", "info")
	}()
	// Kill it once some policies are in.
	for {
		l, err := gnps.List(ctx, metav1.ListOptions{})
		if err == nil && len(l.Items) >= 20 {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatal("the apply did not start")
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
	if r.code != 0 || r.stdout != fmt.Sprintf("Successfully applied %d 'GlobalNetworkPolicy' resource(s)\n", n) {
		t.Fatalf("apply across a restart: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, tail(r.stderr, 10))
	}
	if !strings.Contains(r.stderr, "retrying a Kubernetes API request") {
		t.Errorf("no retry logged at --log-level info: %s", tail(r.stderr, 5))
	}
	l, err := gnps.List(ctx, metav1.ListOptions{})
	if err != nil || len(l.Items) != n {
		t.Fatalf("%d policies stored (%v), want %d", len(l.Items), err, n)
	}
	if took > 90*time.Second {
		t.Errorf("took %s", took)
	}
	t.Logf("killed after %s, apply done after %s; %d retries logged", killedAt.Round(time.Millisecond), took.Round(time.Millisecond), strings.Count(r.stderr, "retrying"))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
