package node

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kclient "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// secretClient starts a kube-apiserver for the test and returns its configuration and a typed
// client to write secrets with.
func secretClient(t *testing.T) (*rest.Config, kclient.Interface) {
	t.Helper()
	k := testenv.KubeForTest(t)
	rc, err := clientcmd.BuildConfigFromFlags("", k.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kclient.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return rc, cs
}

// secretPasswords reads the secrets of namespace ns through rc, as the agent does.
func secretPasswords(t *testing.T, rc *rest.Config, ns string) *SecretPasswords {
	t.Helper()
	sp, err := NewSecretPasswords(rc, ns)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func putSecret(t *testing.T, cs kclient.Interface, ns, name string, data map[string]string) {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, StringData: data}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err == nil {
		return
	}
	old, err := cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old.Data, old.StringData = nil, data
	if _, err := cs.CoreV1().Secrets(ns).Update(ctx, old, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// BGP passwords come from secrets of calico-node's namespace on the real kube-apiserver; a
// missing secret or key is a clear error naming it.
func TestSecretPasswordsReadsSecretKeyRef(t *testing.T) {
	rc, cs := secretClient(t)
	putSecret(t, cs, "calico-system", "bgp-secrets", map[string]string{"rr-password": "very-secret"})
	sp := secretPasswords(t, rc, "calico-system")
	for _, tc := range []struct {
		name, secret, key, want, err string
	}{
		{"found", "bgp-secrets", "rr-password", "very-secret", ""},
		{"no key", "bgp-secrets", "other", "", `its password secret calico-system/bgp-secrets has no key "other"`},
		{"no secret", "missing", "rr-password", "", "its password secret calico-system/missing does not exist: create it in the namespace calico-node runs in (NAMESPACE)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sp.Password(&Peer{Password: &api.SecretKeySelector{Name: tc.secret, Key: tc.key}})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got %q, %v; want error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Setenv("NAMESPACE", "")
	if ns := SecretNamespace(); ns != "kube-system" {
		t.Errorf("SecretNamespace() without NAMESPACE = %q", ns)
	}
	t.Setenv("NAMESPACE", "calico-system")
	if ns := SecretNamespace(); ns != "calico-system" {
		t.Errorf("SecretNamespace() with NAMESPACE = %q", ns)
	}
}

// Two speakers whose peerings take their TCP-MD5 password from secrets: different passwords
// keep the session down; once the secret matches, re-applying the same configuration replaces
// the session and it establishes.
func TestSpeakersWithSecretPasswords(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: BGP on port 1791 of loopback addresses")
	}
	rc, cs := secretClient(t)
	putSecret(t, cs, "ns-a", "bgp-secrets", map[string]string{"pw": "right-password"})
	putSecret(t, cs, "ns-b", "bgp-secrets", map[string]string{"pw": "wrong-password"})
	var logs bytes.Buffer
	log := slog.New(NewLogHandler(&logs, slog.LevelInfo))
	ip := netip.MustParseAddr
	ctx := context.Background()
	ref := &api.SecretKeySelector{Name: "bgp-secrets", Key: "pw"}
	speaker := func(ns, self, other string, passive bool) (*Speaker, Desired) {
		s := NewSpeaker(log, nil, nil)
		s.ListenAddress = self
		s.Passwords = secretPasswords(t, rc, ns).Password
		t.Cleanup(s.Stop)
		return s, Desired{Enabled: true, NodeIP: ip(self), AS: 64512, RouterID: self, ListenPort: 1791,
			Peers: []Peer{{Name: "Mesh_" + strings.ReplaceAll(other, ".", "_"), IP: ip(other), Port: 1791, AS: 64512, SourceIP: ip(self), Passive: passive, Password: ref}}}
	}
	a, da := speaker("ns-a", "127.0.0.31", "127.0.0.32", false)
	b, db := speaker("ns-b", "127.0.0.32", "127.0.0.31", true)
	for _, x := range []struct {
		s *Speaker
		d Desired
	}{{a, da}, {b, db}} {
		if err := x.s.Apply(ctx, x.d); err != nil {
			t.Fatal(err)
		}
	}
	state := func() string {
		st := a.Status(ctx)
		if len(st) != 1 {
			return "no session"
		}
		return st[0].Info
	}
	time.Sleep(6 * time.Second) // a connects every 5 s
	if got := state(); got == "Established" {
		t.Fatalf("the session established with different passwords\n%s", logs.String())
	}
	putSecret(t, cs, "ns-b", "bgp-secrets", map[string]string{"pw": "right-password"})
	if err := b.Apply(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "the session to establish with the same password", func() (bool, string) {
		got := state()
		return got == "Established", got
	})
	if !strings.Contains(logs.String(), "Removed BGP peer") {
		t.Errorf("the changed password did not replace b's peer:\n%s", logs.String())
	}
}
