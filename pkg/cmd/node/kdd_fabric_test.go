package node_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kclient "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

const birdPasswordConfig = `router id %[1]s;
protocol device { }
template bgp agents { local as 64512; rr client; rr cluster id 1.1.1.1; import all; export all; password "%[2]s"; }
%[3]s`

// On the Kubernetes datastore the agents take the BGP password of a global peer from a secret
// in their namespace: Debian's BIRD, configured with the same password, establishes with them
// (Linux drops TCP segments without the MD5 signature it expects), and a changed secret
// replaces the sessions without a restart.
func TestFabricKubernetesPeerPasswordFromSecret(t *testing.T) {
	needFabric(t)
	ctx := context.Background()
	k := testenv.KubeForTest(t)
	rc, err := clientcmd.BuildConfigFromFlags("", k.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	s, err := kubernetes.NewFromREST(rc, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InstallCRDs(ctx, nil); err != nil {
		t.Fatal(err)
	}
	core, err := kclient.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := core.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := core.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "calico-system"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "bgp-secrets", Namespace: "calico-system"}, StringData: map[string]string{"rr-password": "first-secret"}}
	if _, err := core.CoreV1().Secrets("calico-system").Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	f := newFabric(t, "10.214.10")
	endpoint := f.proxy(strings.TrimPrefix(k.URL, "https://"))
	kubeconfig := filepath.Join(f.Dir, "agent.kubeconfig")
	b, err := os.ReadFile(k.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(kubeconfig, []byte(strings.Replace(string(b), k.URL, "https://"+strings.TrimPrefix(endpoint, "http://"), 1)), 0o600)
	env := []string{"DATASTORE_TYPE=kubernetes", "KUBECONFIG=" + kubeconfig, "NAMESPACE=calico-system"}
	agents := []*agent{f.startAgent("a", 11, "", env...), f.startAgent("b", 12, "", env...)}

	// The reflector knows the password; the agents learn it from the secret.
	rrNS, rrIP := f.host("rr", 2)
	var protocols string
	for _, a := range agents {
		protocols += fmt.Sprintf("protocol bgp Node_%s from agents { neighbor %s as 64512; }\n", strings.ReplaceAll(a.IP, ".", "_"), a.IP)
	}
	conf := filepath.Join(f.Dir, "rr.conf")
	rrSocket, rrPid := filepath.Join(f.Dir, "rr.ctl"), filepath.Join(f.Dir, "rr.pid")
	startBird := func(password string) {
		os.WriteFile(conf, []byte(fmt.Sprintf(birdPasswordConfig, rrIP, password, protocols)), 0o644)
		if _, err := os.Stat(rrPid); err == nil {
			sh(t, "birdc", "-s", rrSocket, "configure")
			return
		}
		sh(t, "ip", "netns", "exec", rrNS, "bird", "-c", conf, "-s", rrSocket, "-P", rrPid)
	}
	startBird("first-secret")
	t.Cleanup(func() {
		if b, err := os.ReadFile(rrPid); err == nil {
			exec.Command("kill", strings.TrimSpace(string(b))).Run()
		}
	})
	c := client.NewFromStore(s)
	kind, _ := resources.ByKind("BGPPeer")
	peer := kind.NewObject().(*api.BGPPeer)
	peer.Name = "rr"
	peer.Spec = api.BGPPeerSpec{PeerIP: rrIP, ASNumber: 64512, Password: &api.BGPPassword{SecretKeyRef: &api.SecretKeySelector{Name: "bgp-secrets", Key: "rr-password"}}}
	if _, err := c.Create(ctx, peer); err != nil {
		t.Fatal(err)
	}
	mesh := func(a *agent) []string {
		other := agents[0]
		if a == other {
			other = agents[1]
		}
		return []string{"node-to-node mesh " + other.IP, "global " + rrIP}
	}
	waitSessions(t, agents, mesh)

	// A new password on both sides: the secret's change replaces the agents' sessions.
	startBird("second-secret")
	waitFor(t, 20*time.Second, "the sessions to drop under BIRD's new password", func() (bool, string) {
		got, err := sessions(agents[0].Socket, false)
		return err == nil && got["global "+rrIP] != "Established", fmt.Sprint(got, err)
	})
	secret.StringData = map[string]string{"rr-password": "second-secret"}
	if _, err := core.CoreV1().Secrets("calico-system").Update(ctx, secret, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitSessions(t, agents, mesh)
	for _, a := range agents {
		if strings.Contains(a.Out.String(), "Skipping BGP peer") {
			t.Errorf("%s skipped a peer:\n%s", a.Name, a.Out.String())
		}
	}
}
