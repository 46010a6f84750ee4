package cmd_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
)

// secureEtcd is an etcd process that wants a client certificate signed by its CA and has
// authentication on: user calico may read and write /calico/ only, user other only /other/.
type secureEtcd struct {
	member                    *testenv.EtcdProcess
	ca, otherCA               *testenv.CA
	clientCert, clientKey     string // signed by ca, common name "client"
	strangerCert, strangerKey string // signed by otherCA
	expiredCert, expiredKey   string // signed by ca, expired yesterday
	expiredNotAfter           time.Time
	root                      *clientv3.Client
}

const calicoPassword = "calico-secret"

func startSecureEtcd(t *testing.T) *secureEtcd {
	t.Helper()
	dir := t.TempDir()
	se := &secureEtcd{}
	var err error
	must := func(e error) {
		if e != nil {
			t.Fatal(e)
		}
	}
	se.ca, err = testenv.NewCA(dir, "ca")
	must(err)
	se.otherCA, err = testenv.NewCA(dir, "other-ca")
	must(err)
	// The server's certificate names 127.0.0.1 only, so that https://localhost is a name mismatch.
	serverCert, serverKey, err := se.ca.Issue("server", testenv.CertOptions{IPs: ipv4Loopback()})
	must(err)
	se.clientCert, se.clientKey, err = se.ca.Issue("client", testenv.CertOptions{})
	must(err)
	rootCert, rootKey, err := se.ca.Issue("root", testenv.CertOptions{})
	must(err)
	se.strangerCert, se.strangerKey, err = se.otherCA.Issue("stranger", testenv.CertOptions{})
	must(err)
	se.expiredNotAfter = time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	se.expiredCert, se.expiredKey, err = se.ca.Issue("expired", testenv.CertOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: se.expiredNotAfter})
	must(err)

	rootTLS := clientTLS(t, se.ca.File, rootCert, rootKey)
	members := testenv.StartEtcdProcesses(t, dir, 1, testenv.EtcdProcessOptions{
		TLS:       &testenv.TLSFiles{CertFile: serverCert, KeyFile: serverKey, TrustedCAFile: se.ca.File, ClientCertAuth: true},
		ClientTLS: rootTLS,
	})
	se.member = members[0]

	// Users and roles, then authentication on. Until then the certificate alone is enough.
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{se.member.Endpoint}, TLS: rootTLS, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	must(err)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	steps := []func() error{
		func() error { _, err := cli.UserAdd(ctx, "root", "root-secret"); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := cli.RoleAdd(ctx, "calico"); return err },
		func() error {
			_, err := cli.RoleGrantPermission(ctx, "calico", "/calico/", clientv3.GetPrefixRangeEnd("/calico/"), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := cli.UserAdd(ctx, "calico", calicoPassword); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "calico", "calico"); return err },
		func() error { _, err := cli.RoleAdd(ctx, "other"); return err },
		func() error {
			_, err := cli.RoleGrantPermission(ctx, "other", "/other/", clientv3.GetPrefixRangeEnd("/other/"), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := cli.UserAdd(ctx, "other", "other-secret"); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "other", "other"); return err },
		func() error { _, err := cli.AuthEnable(ctx); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("setting up etcd authentication, step %d: %v", i, err)
		}
	}
	se.root, err = clientv3.New(clientv3.Config{Endpoints: []string{se.member.Endpoint}, TLS: rootTLS, Username: "root", Password: "root-secret", DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	must(err)
	t.Cleanup(func() { se.root.Close() })
	return se
}

func clientTLS(t *testing.T, caFile, certFile, keyFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}
}

// keys lists what is stored under prefix.
func (se *secureEtcd) keys(t *testing.T, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := se.root.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, kv := range resp.Kvs {
		out = append(out, string(kv.Key))
	}
	return out
}

// Every wrong setting against an etcd with client certificates and authentication gives one
// line naming the endpoint, the cause and the setting to fix, exits 1, writes nothing, and does
// not wait for the request timeout (20 s here) when the cause is a configuration error.
func TestEtcdMisconfigurationMatrix(t *testing.T) {
	se := startSecureEtcd(t)
	ep := se.member.Endpoint
	port := ep[strings.LastIndex(ep, ":")+1:]
	dir := filepath.Dir(se.ca.File)
	silent := testenv.SilentListener(t)
	closed := testenv.ClosedPort(t)

	good := map[string]string{
		"DATASTORE_TYPE":    "etcdv3",
		"ETCD_ENDPOINTS":    ep,
		"ETCD_CA_CERT_FILE": se.ca.File,
		"ETCD_CERT_FILE":    se.clientCert,
		"ETCD_KEY_FILE":     se.clientKey,
		"ETCD_USERNAME":     "calico",
		"ETCD_PASSWORD":     calicoPassword,
	}
	with := func(changes map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range good {
			env[k] = v
		}
		for k, v := range changes {
			env[k] = v
		}
		return env
	}
	const timeout = 20 * time.Second
	expiredOn := se.expiredNotAfter.UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		name string
		env  map[string]string
		// want is the exact first line of stderr.
		want string
		// within bounds the time taken; generous, but well under the timeout where a
		// configuration error is known at once.
		within time.Duration
	}{
		{"CA that did not sign the server's certificate", with(map[string]string{"ETCD_CA_CERT_FILE": se.otherCA.File}),
			"cannot connect to etcd at " + ep + ": the server's certificate is not signed by the CA this client trusts (x509: certificate signed by unknown authority); set ETCD_CA_CERT_FILE (etcdCACertFile) to the CA that signed the etcd server's certificate", 8 * time.Second},
		{"endpoint name the server's certificate does not name", with(map[string]string{"ETCD_ENDPOINTS": "https://localhost:" + port}),
			"cannot connect to etcd at https://localhost:" + port + ": the server's certificate is not valid for the name in the endpoint (x509: certificate is not valid for any names, but wanted to match localhost); use a host name or address the certificate names in ETCD_ENDPOINTS (etcdEndpoints), or reissue the server's certificate", 8 * time.Second},
		{"no client certificate", with(map[string]string{"ETCD_CERT_FILE": "", "ETCD_KEY_FILE": ""}),
			"cannot connect to etcd at " + ep + ": the server requires a client certificate (remote error: tls: bad certificate); set ETCD_CERT_FILE and ETCD_KEY_FILE (etcdCertFile, etcdKeyFile) to a certificate and key signed by a CA etcd trusts", 8 * time.Second},
		{"client certificate of another CA", with(map[string]string{"ETCD_CERT_FILE": se.strangerCert, "ETCD_KEY_FILE": se.strangerKey}),
			"cannot connect to etcd at " + ep + ": the server refused the client certificate (remote error: tls: bad certificate); set ETCD_CERT_FILE and ETCD_KEY_FILE (etcdCertFile, etcdKeyFile) to a valid certificate and key signed by a CA etcd trusts (its --trusted-ca-file)", 8 * time.Second},
		{"expired client certificate", with(map[string]string{"ETCD_CERT_FILE": se.expiredCert, "ETCD_KEY_FILE": se.expiredKey}),
			"cannot connect to etcd at " + ep + ": the server refused the client certificate: it expired on " + expiredOn + " (remote error: tls: bad certificate); renew the client certificate in ETCD_CERT_FILE (etcdCertFile), or check this machine's clock", 8 * time.Second},
		{"no user name", with(map[string]string{"ETCD_USERNAME": "", "ETCD_PASSWORD": ""}),
			"connection is unauthorized: etcd at " + ep + " does not allow user \"client\" (the common name of the client certificate in ETCD_CERT_FILE) to access /calico/resources/v3/projectcalico.org/clusterinformations/default (etcdserver: permission denied); grant the user's role readwrite on the /calico/ prefix (etcdctl role grant-permission ROLE --prefix=true readwrite /calico/), or configure a user that has it", 8 * time.Second},
		{"wrong password", with(map[string]string{"ETCD_PASSWORD": "wrong"}),
			"connection is unauthorized: etcd at " + ep + " rejected the user name or password of user \"calico\" (etcdserver: authentication failed, invalid user ID or password); check ETCD_USERNAME and ETCD_PASSWORD (etcdUsername, etcdPassword)", 8 * time.Second},
		{"user without rights on /calico/", with(map[string]string{"ETCD_USERNAME": "other", "ETCD_PASSWORD": "other-secret"}),
			"connection is unauthorized: etcd at " + ep + " does not allow user \"other\" (ETCD_USERNAME) to access /calico/resources/v3/projectcalico.org/clusterinformations/default (etcdserver: permission denied); grant the user's role readwrite on the /calico/ prefix (etcdctl role grant-permission ROLE --prefix=true readwrite /calico/), or configure a user that has it", 8 * time.Second},
		{"plain http to a TLS server", with(map[string]string{"ETCD_ENDPOINTS": "http://127.0.0.1:" + port}),
			"cannot connect to etcd at http://127.0.0.1:" + port + ": the server wants TLS (it refused a plain HTTP/2 request as a TLS server does); use https:// instead of http:// in ETCD_ENDPOINTS (etcdEndpoints), with ETCD_CA_CERT_FILE (etcdCACertFile)", 8 * time.Second},
		{"nothing listening", with(map[string]string{"ETCD_ENDPOINTS": "https://" + closed}),
			"cannot connect to etcd at https://" + closed + ": nothing accepts connections there (dial tcp " + closed + ": connect: connection refused); check that etcd is running and that ETCD_ENDPOINTS (etcdEndpoints) is right", 8 * time.Second},
		{"a server that never answers", with(map[string]string{"ETCD_ENDPOINTS": "https://" + silent, "ETCD_USERNAME": "", "ETCD_PASSWORD": ""}),
			"cannot connect to etcd at https://" + silent + ": no answer within 3s, although the server accepts connections; check that ETCD_ENDPOINTS (etcdEndpoints) names etcd's client port, with https:// if etcd wants TLS", 3*time.Second + 8*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := useEnv(t, tc.env)
			if strings.Contains(tc.want, "no answer within 3s") {
				t.Setenv("CALICO_DATASTORE_TIMEOUT", "3s") // this one does wait for the timeout
			} else {
				t.Setenv("CALICO_DATASTORE_TIMEOUT", timeout.String())
			}
			pool := writeFile(t, "pool.yaml", pool1)
			start := time.Now()
			r := c.run("", "apply", "-f", pool)
			took := time.Since(start)
			first, _, _ := strings.Cut(r.stderr, "\n")
			if r.code != 1 || first != tc.want {
				t.Errorf("exit %d, first line of stderr:\n got %s\nwant %s", r.code, first, tc.want)
			}
			if strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n") != 0 {
				t.Errorf("more than one line on stderr: %q", r.stderr)
			}
			if took > tc.within {
				t.Errorf("took %s, want at most %s", took.Round(time.Millisecond), tc.within)
			}
			if keys := se.keys(t, "/calico/"); len(keys) != 0 {
				t.Errorf("written although the command failed: %v", keys)
			}
			t.Logf("%s: %s", took.Round(time.Millisecond), first)
		})
	}

	// version says why it cannot read the cluster's version rather than that it is unknown
	// (a wrong password fails as the client connects).
	t.Run("version with a wrong password", func(t *testing.T) {
		c := useEnv(t, with(map[string]string{"ETCD_PASSWORD": "wrong"}))
		r := c.run("", "version")
		want := "unable to retrieve Cluster Version or Type: connection is unauthorized: etcd at " + ep + " rejected the user name or password of user \"calico\""
		if r.code != 1 || !strings.HasPrefix(r.stdout, "Client Version:") || !strings.HasPrefix(r.stderr, want) {
			t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})

	// The right settings work, and only the user's own prefix is written.
	c := useEnv(t, good)
	c.ok("apply", "-f", writeFile(t, "pool.yaml", pool1))
	if got := c.ok("get", "ippools", "-o", "name"); got != "ippool/pool1\n" {
		t.Fatalf("get with the right settings: %q", got)
	}
	_ = dir
	_ = fmt.Sprint
}

// useEnv points calicoctl at a datastore by environment only (no config file, no kubeconfig).
func useEnv(t *testing.T, env map[string]string) cli {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"KUBECONFIG", "ETCD_ENDPOINTS", "DATASTORE_TYPE", "K8S_API_ENDPOINT", "ETCD_CA_CERT_FILE", "ETCD_CERT_FILE", "ETCD_KEY_FILE", "ETCD_USERNAME", "ETCD_PASSWORD"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range env {
		if v == "" {
			continue
		}
		t.Setenv(k, v)
	}
	return cli{t: t}
}

func ipv4Loopback() []net.IP { return []net.IP{net.ParseIP("127.0.0.1")} }

// One member of a three-member etcd cluster, the leader, killed in the middle of an apply of 300
// policies: the apply completes in one go, every policy is stored once, and at the default log
// level nothing but the result is printed.
func TestApplySurvivesAnEtcdMemberKilled(t *testing.T) {
	members := testenv.StartEtcdProcesses(t, t.TempDir(), 3, testenv.EtcdProcessOptions{})
	eps := testenv.Endpoints(members)
	raw, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const n = 300
	var doc strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&doc, "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: gnp-%03d\nspec:\n  selector: app == 'a%d'\n  ingress:\n  - action: Allow\n", i, i)
	}
	file := writeFile(t, "gnps.yaml", doc.String())
	c := useEnv(t, map[string]string{"DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": strings.Join(eps, ",")})
	t.Setenv("CALICO_DATASTORE_TIMEOUT", "30s")

	prefix := "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/"
	done := make(chan result)
	start := time.Now()
	go func() { done <- c.run("", "apply", "-f", file) }()
	var killed string
	var countAtKill int64
	for killed == "" {
		resp, err := raw.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err == nil && resp.Count >= 30 {
			for _, m := range members {
				st, err := raw.Status(ctx, m.Endpoint)
				if err == nil && st.Leader == st.Header.MemberId {
					m.Kill()
					killed, countAtKill = m.Name, resp.Count
					break
				}
			}
		}
		if time.Since(start) > time.Minute {
			t.Fatal("the apply did not start, or no leader was found")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := <-done
	took := time.Since(start)
	if r.code != 0 || r.stdout != fmt.Sprintf("Successfully applied %d 'GlobalNetworkPolicy' resource(s)\n", n) || r.stderr != "" {
		t.Fatalf("apply with the leader killed: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, tail(r.stderr, 10))
	}
	resp, err := raw.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || resp.Count != n {
		t.Fatalf("%d policies stored (%v), want %d", resp.Count, err, n)
	}
	if took > 90*time.Second {
		t.Errorf("took %s", took)
	}
	if countAtKill >= n {
		t.Errorf("the leader was killed after the apply had written everything")
	}
	t.Logf("leader %s killed with %d policies stored; apply done after %s", killed, countAtKill, took.Round(time.Millisecond))
}

// An etcd with authentication on and no user configured (no client certificates either).
func TestEtcdAuthenticationRequired(t *testing.T) {
	members := testenv.StartEtcdProcesses(t, t.TempDir(), 1, testenv.EtcdProcessOptions{})
	ep := members[0].Endpoint
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.UserAdd(ctx, "root", "root-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.UserGrantRole(ctx, "root", "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.AuthEnable(ctx); err != nil {
		t.Fatal(err)
	}
	c := useEnv(t, map[string]string{"DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": ep})
	start := time.Now()
	r := c.run("", "apply", "-f", writeFile(t, "pool.yaml", pool1))
	want := "connection is unauthorized: etcd at " + ep + " has authentication enabled and no user name is configured (etcdserver: user name is empty); set ETCD_USERNAME and ETCD_PASSWORD (etcdUsername, etcdPassword)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr:\n got %s\nwant %s", r.code, r.stderr, want)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("took %s", took)
	}
	// With the user, it works.
	t.Setenv("ETCD_USERNAME", "root")
	t.Setenv("ETCD_PASSWORD", "root-secret")
	c.ok("apply", "-f", writeFile(t, "pool.yaml", pool1))
}
