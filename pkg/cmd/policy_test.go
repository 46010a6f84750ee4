package cmd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The policy fixtures are the seeds' scenarios, shared with pkg/policy's tests.
const policyTestdata = "../policy/testdata/"

// noDatastore points calicoctl at a datastore that refuses connections: file-only commands must
// not need one.
func noDatastore(t *testing.T) cli {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DATASTORE_TYPE", "etcdv3")
	t.Setenv("ETCD_ENDPOINTS", "http://127.0.0.1:1")
	return cli{t: t}
}

func TestPolicyCommandsOnFilesAlone(t *testing.T) {
	c := noDatastore(t)
	cases := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		golden string
		stderr string
	}{
		{name: "trace the tenant seed: the leading deny decides",
			args:   []string{"policy", "trace", "-f", policyTestdata + "tenant.yaml", "--from", "default/frontend1", "--to", "default/database", "--port", "3306"},
			golden: "policy-trace-tenant"},
		{name: "trace the bookstore seed as JSON",
			args:   []string{"policy", "trace", "-f", policyTestdata + "bookstore.yaml", "--from", "default/fruitstore-frontend", "--to", "default/bookstore-server", "--port", "80", "-o", "json"},
			golden: "policy-trace-fruitstore-json"},
		{name: "trace with --expect that holds",
			args:   []string{"policy", "trace", "-f", policyTestdata + "bookstore.yaml", "--from", "default/bookstore-frontend", "--to", "default/bookstore-server", "--port", "80", "--expect", "allow", "-o", "yaml"},
			golden: "policy-trace-bookstore-yaml"},
		{name: "trace with --expect that does not hold fails",
			args: []string{"policy", "trace", "-f", policyTestdata + "bookstore.yaml", "--from", "default/fruitstore-frontend", "--to", "default/bookstore-server", "--port", "80", "--expect", "Allow", "-o", "json"},
			code: 1, stderr: "verdict Deny, expected Allow: rule 1 (Deny) of NetworkPolicy default/allow-bookstore-cliient-to-server in tier default\n"},
		{name: "trace labels in another namespace to an address of a pod",
			args:   []string{"policy", "trace", "-f", policyTestdata + "k8s-default-deny.yaml", "--from", "prod:run=client", "--to", "10.244.1.10", "--port", "443"},
			golden: "policy-trace-k8s-labels"},
		{name: "explain a pod of the Kubernetes seed, read from stdin",
			args: []string{"policy", "explain", "-f", "-", "-n", "dev", "pod1"}, stdin: readFile(t, policyTestdata+"k8s-default-deny.yaml"),
			golden: "policy-explain-k8s"},
		{name: "lint the tenant seed reports both shadowed allows and fails",
			args: []string{"policy", "lint", "-f", policyTestdata + "tenant.yaml"},
			code: 1, golden: "policy-lint-tenant", stderr: "policy lint: 2 error(s), 0 warning(s), 0 info\n"},
		{name: "lint a clean directory succeeds",
			args:   []string{"policy", "lint", "-f", policyTestdata + "k8s-default-deny.yaml", "-f", policyTestdata + "bookstore.yaml"},
			golden: "policy-lint-clean"},
		{name: "unknown endpoint",
			args: []string{"policy", "trace", "-f", policyTestdata + "bookstore.yaml", "--from", "default/nope", "--to", "default/bookstore-server"},
			code: 1, stderr: `--from: no endpoint "nope" in namespace "default": give a WorkloadEndpoint name (with -n NAMESPACE), a HostEndpoint name, an address, or --labels` + "\n"},
		{name: "bad protocol",
			args: []string{"policy", "trace", "-f", policyTestdata + "bookstore.yaml", "--from", "default/bookstore-frontend", "--to", "default/bookstore-server", "--protocol", "tpc"},
			code: 1, stderr: `unknown protocol "tpc": use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255` + "\n"},
		{name: "lint needs -f or --all",
			args: []string{"policy", "lint"}, code: 1, stderr: "give -f FILE... to lint files, or --all to lint the datastore\n"},
		{name: "an invalid policy in a file is named",
			args:  []string{"policy", "trace", "-f", "-", "--from", "a/b", "--to", "a/c"},
			stdin: "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: bad}\nspec:\n  selector: a = 'b'\n",
			code:  1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			r := c.run(tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			if tc.golden != "" {
				golden(t, tc.golden, r.stdout)
			}
			if tc.stderr != "" && r.stderr != tc.stderr {
				t.Errorf("stderr %q, want %q", r.stderr, tc.stderr)
			}
			if tc.code != 0 && r.stderr == "" {
				t.Error("a failure without a message")
			}
		})
	}
}

// The same questions answered from either datastore: the tenant seed stored in etcd, and the
// Kubernetes seed as pods, namespaces and networking.k8s.io NetworkPolicies in a real cluster.
func TestPolicyCommandsOnEtcd(t *testing.T) {
	for _, ds := range testDatastores {
		if ds.Name != "etcdv3" {
			continue
		}
		c := useDatastore(t, ds)
		c.ok("apply", "-f", policyTestdata+"tenant.yaml")
		hep := writeFile(t, "hep.yaml", "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: slave1-eth0, labels: {namespace: default}}\nspec: {node: slave1, interfaceName: eth0, expectedIPs: [192.168.1.11]}\n")
		c.ok("apply", "-f", hep)
		// Host endpoints get global policies: the namespace policy selects this one by label.
		out := c.ok("policy", "explain", "192.168.1.11")
		if !strings.HasPrefix(out, "HostEndpoint slave1-eth0\n") || !strings.Contains(out, "GlobalNetworkPolicy namespace-default (tier default, order -)") {
			t.Errorf("explain a host endpoint by address:\n%s", out)
		}
		out = c.ok("policy", "trace", "--from", "default/frontend1", "--to", "default/database", "--port", "3306")
		golden(t, "policy-trace-tenant", out)
		r := c.run("", "policy", "lint", "--all")
		if r.code != 1 || !strings.Contains(r.stdout, "GlobalNetworkPolicy namespace-default  ingress rule 1") || !strings.Contains(r.stdout, "Profile profile-database") {
			t.Errorf("lint --all: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		// A fix laid over the live state: the namespace policy without its leading deny.
		fix := writeFile(t, "fix.yaml", "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: namespace-default}\nspec:\n  selector: namespace == 'default'\n  ingress: [{action: Allow, source: {selector: namespace == 'default'}}]\n  egress: [{action: Allow}]\n")
		out = c.ok("policy", "trace", "-f", fix, "--overlay", "--from", "default/frontend1", "--to", "default/database", "--port", "3306", "--expect", "Allow")
		if !strings.Contains(out, "rule 0 (Allow) of GlobalNetworkPolicy namespace-default") {
			t.Errorf("trace with the fix laid over etcd:\n%s", out)
		}
		// Lint of the fix against the live state speaks of the fix only, and finds it clean.
		out = c.ok("policy", "lint", "-f", fix, "--overlay")
		if out != "No findings.\n" {
			t.Errorf("lint of the fix:\n%s", out)
		}
		// The datastore is unchanged: the fix was never written.
		out = c.ok("policy", "explain", "-n", "default", "database", "-o", "json")
		if !strings.Contains(out, `"action": "Deny"`) {
			t.Errorf("explain after overlay runs:\n%s", out)
		}
	}
}

func TestPolicyCommandsOnKubernetes(t *testing.T) {
	onKDD(t, func(t *testing.T, c cli) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, ns := range []string{"dev", "prod"} {
			ensureNamespace(t, ns)
			t.Cleanup(func() {
				zero := int64(0)
				_ = kddCore.CoreV1().Pods(ns).DeleteCollection(context.Background(), metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
				_ = kddCore.NetworkingV1().NetworkPolicies(ns).DeleteCollection(context.Background(), metav1.DeleteOptions{}, metav1.ListOptions{})
			})
		}
		createNode(t, "node1", nil)
		pod := func(ns, name, ip string, labels map[string]string) {
			p, err := kddCore.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
				Spec:       corev1.PodSpec{NodeName: "node1", Containers: []corev1.Container{{Name: "c", Image: "x"}}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p.Status.PodIP, p.Status.PodIPs, p.Status.Phase = ip, []corev1.PodIP{{IP: ip}}, corev1.PodRunning
			if _, err := kddCore.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		pod("dev", "pod1", "10.244.1.10", map[string]string{"app": "myapp"})
		pod("dev", "pod2", "10.244.1.11", nil)
		pod("prod", "client", "10.244.2.5", map[string]string{"run": "client"})
		tcp := corev1.ProtocolTCP
		nps := kddCore.NetworkingV1().NetworkPolicies("dev")
		for _, np := range []*networkingv1.NetworkPolicy{
			{ObjectMeta: metav1.ObjectMeta{Name: "deny-all-ingress"}, Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "allow-myapp-ingress"}, Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "myapp"}},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.244.0.0/16", Except: []string{"10.244.1.2/32"}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: ptr(intstr.FromInt32(80))}, {Protocol: &tcp, Port: ptr(intstr.FromInt32(443))}},
				}}}},
		} {
			if _, err := nps.Create(ctx, np, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct{ from, to, port, want string }{
			{"prod/client", "dev/pod1", "80", "INGRESS at WorkloadEndpoint dev/node1-k8s-pod1-eth0: Allow\n  rule 0 (Allow) of NetworkPolicy dev/knp.default.allow-myapp-ingress in tier default"},
			{"prod/client", "dev/pod1", "8080", "INGRESS at WorkloadEndpoint dev/node1-k8s-pod1-eth0: Deny\n  end of tier default"},
			{"prod/client", "dev/pod2", "80", "INGRESS at WorkloadEndpoint dev/node1-k8s-pod2-eth0: Deny\n  end of tier default"},
			{"10.244.1.2", "dev/pod1", "80", "INGRESS at WorkloadEndpoint dev/node1-k8s-pod1-eth0: Deny\n  end of tier default"},
			{"dev/pod2", "prod/client", "80", "INGRESS at WorkloadEndpoint prod/node1-k8s-client-eth0: Allow\n  rule 0 (Allow) of profile kns.prod (no policy applies)"},
		}
		for _, tc := range cases {
			out := c.ok("policy", "trace", "--from", tc.from, "--to", tc.to, "--port", tc.port)
			if !strings.Contains(out, tc.want) {
				t.Errorf("trace %s -> %s:%s:\n%s\nwant it to contain:\n%s", tc.from, tc.to, tc.port, out, tc.want)
			}
		}
		out := c.ok("policy", "explain", "-n", "dev", "pod1")
		if !strings.Contains(out, "NetworkPolicy dev/knp.default.allow-myapp-ingress (tier default, order 1000, from networking.k8s.io/v1 NetworkPolicy dev/allow-myapp-ingress)") {
			t.Errorf("explain dev/pod1:\n%s", out)
		}
		if r := c.run("", "policy", "lint", "--all"); r.code != 0 {
			t.Errorf("lint --all of the Kubernetes seed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}

		// A staged removal of the allow policy (a StagedKubernetesNetworkPolicy custom resource):
		// not enforced, shown apart by trace, and a warning of lint that --fail-on warning fails on.
		staged := writeFile(t, "staged.yaml", "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata: {name: allow-myapp-ingress, namespace: dev}\nspec:\n  stagedAction: Delete\n")
		c.ok("apply", "-f", staged)
		out = c.ok("policy", "trace", "--from", "prod/client", "--to", "dev/pod1", "--port", "80", "--expect", "Allow")
		if !strings.Contains(out, "WITH STAGED POLICIES (not enforced): Deny") {
			t.Errorf("trace with a staged delete:\n%s", out)
		}
		r := c.run("", "policy", "lint", "--all", "--fail-on", "warning")
		if r.code != 1 || !strings.Contains(r.stdout, "staged-change") || !strings.Contains(r.stdout, "StagedKubernetesNetworkPolicy dev/allow-myapp-ingress") {
			t.Errorf("lint --all --fail-on warning with a staged delete: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		c.ok("delete", "-f", staged)
	})
}

func ptr[T any](v T) *T { return &v }
