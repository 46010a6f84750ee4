package policy_test

import (
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/manifest"
	"github.com/calicoctl-go/calicoctl/pkg/policy"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// load builds a model from testdata files, as `calicoctl policy ... -f` does.
func load(t *testing.T, files ...string) *policy.Model {
	t.Helper()
	var objs []resources.Resource
	for _, f := range files {
		rs, err := manifest.LoadWith(filepath.Join("testdata", f), false, nil, policy.DecodeKubernetes)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, rs...)
	}
	m := policy.NewModel(policy.Input{Resources: objs})
	if err := m.CheckValid(); err != nil {
		t.Fatal(err)
	}
	return m
}

// modelFrom builds a model from a testdata file plus extra YAML documents.
func modelFrom(t *testing.T, file, extra string) *policy.Model {
	t.Helper()
	objs, err := manifest.LoadWith(filepath.Join("testdata", file), false, nil, policy.DecodeKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	more, err := manifest.Decode([]byte(extra), "extra")
	if err != nil {
		t.Fatal(err)
	}
	m := policy.NewModel(policy.Input{Resources: append(objs, more...)})
	if err := m.CheckValid(); err != nil {
		t.Fatal(err)
	}
	return m
}

// peer resolves "namespace/name" (a workload endpoint), "name" (a host endpoint) or an address.
func peer(t *testing.T, m *policy.Model, spec string) *policy.Peer {
	t.Helper()
	if a, err := netip.ParseAddr(spec); err == nil {
		return m.NewPeer(m.EndpointByAddr(a), a)
	}
	ns, name, ok := strings.Cut(spec, "/")
	if !ok {
		ns, name = "", spec
	}
	e, err := m.FindEndpoint("", ns, name)
	if err != nil {
		t.Fatal(err)
	}
	return m.NewPeer(e, netip.Addr{})
}

type traceCase struct {
	name     string
	from, to string
	proto    uint8
	port     uint16
	verdict  string
	// egress and ingress are "action by kind name rule", e.g. "Allow by Profile calico 0",
	// "Deny by tier default" or "NoPolicy".
	egress, ingress string
}

func runTraces(t *testing.T, m *policy.Model, cases []traceCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			proto := c.proto
			if proto == 0 {
				proto = 6
			}
			res := m.Trace(peer(t, m, c.from), peer(t, m, c.to), policy.Packet{Protocol: proto, DstPort: c.port})
			if res.Verdict != c.verdict {
				t.Errorf("verdict %s, want %s", res.Verdict, c.verdict)
			}
			if got := describe(res.Egress); got != c.egress {
				t.Errorf("egress: %q, want %q (%s)", got, c.egress, res.Egress.Reason)
			}
			if got := describe(res.Ingress); got != c.ingress {
				t.Errorf("ingress: %q, want %q (%s)", got, c.ingress, res.Ingress.Reason)
			}
		})
	}
}

func describe(v policy.Verdict) string {
	switch v.DecidedBy {
	case policy.ByNoEndpoint:
		return v.Action
	case policy.ByTierDefault:
		return v.Action + " by tier " + v.Tier
	case policy.ByNoProfile:
		return v.Action + " by no profile"
	}
	name := v.Name
	if v.Namespace != "" {
		name = v.Namespace + "/" + name
	}
	return strings.Join([]string{v.Action, "by", v.Kind, name, itoa(*v.Rule)}, " ")
}

func itoa(i int) string { return strconv.Itoa(i) }

func setEgressOnly(t *testing.T, o resources.Resource) {
	g, ok := o.(*api.GlobalNetworkPolicy)
	if !ok {
		t.Fatalf("namespace-default is a %T", o)
	}
	g.Spec.Ingress = nil
	g.Spec.Types = []api.PolicyType{api.PolicyTypeEgress}
}

// The third seed document: bookstore-frontend reaches bookstore-server on 80, fruitstore-frontend
// does not.
func TestSeedBookstoreIsolation(t *testing.T) {
	m := load(t, "bookstore.yaml")
	runTraces(t, m, []traceCase{
		{name: "bookstore frontend to server 80 is allowed by the policy's first rule",
			from: "default/bookstore-frontend", to: "default/bookstore-server", port: 80, verdict: "Allow",
			egress: "Allow by Profile calico 0", ingress: "Allow by NetworkPolicy default/allow-bookstore-cliient-to-server 0"},
		{name: "fruitstore frontend to server 80 is denied by the policy's second rule",
			from: "default/fruitstore-frontend", to: "default/bookstore-server", port: 80, verdict: "Deny",
			egress: "Allow by Profile calico 0", ingress: "Deny by NetworkPolicy default/allow-bookstore-cliient-to-server 1"},
		{name: "bookstore frontend to server 8080 meets the end of the default tier",
			from: "default/bookstore-frontend", to: "default/bookstore-server", port: 8080, verdict: "Deny",
			egress: "Allow by Profile calico 0", ingress: "Deny by tier default"},
		{name: "fruitstore to bookstore frontend: no policy, the profile allows calico endpoints",
			from: "default/fruitstore-frontend", to: "default/bookstore-frontend", port: 80, verdict: "Allow",
			egress: "Allow by Profile calico 0", ingress: "Allow by Profile calico 0"},
		{name: "an outside address is not a calico endpoint for the profile's has(calico)",
			from: "203.0.113.9", to: "default/bookstore-frontend", port: 80, verdict: "Deny",
			egress: "NoPolicy", ingress: "Deny by no profile"},
	})
}

// The first seed document: frontend to database:3306 is decided by the leading Deny.
func TestSeedTenantLeadingDeny(t *testing.T) {
	m := load(t, "tenant.yaml")
	runTraces(t, m, []traceCase{
		{name: "frontend to database 3306 is denied by the policy's leading deny",
			from: "default/slave1-k8s-frontend1-eth0", to: "default/slave2-k8s-database-eth0", port: 3306, verdict: "Deny",
			egress: "Allow by GlobalNetworkPolicy namespace-default 0", ingress: "Deny by GlobalNetworkPolicy namespace-default 0"},
	})
	findings := m.Lint(policy.LintOptions{})
	want := map[string]bool{"GlobalNetworkPolicy namespace-default Ingress 1": false, "Profile profile-database Ingress 1": false}
	for _, f := range findings {
		if f.Check == policy.CheckShadowedRule {
			key := f.Kind + " " + f.Name + " " + string(f.Direction) + " " + itoa(*f.Rule)
			if _, ok := want[key]; !ok {
				t.Errorf("unexpected shadowed rule %s: %s", key, f.Message)
			}
			want[key] = true
			if f.Severity != policy.SeverityError {
				t.Errorf("%s: severity %s, want error (a Deny shadows an Allow)", key, f.Severity)
			}
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("lint did not report the shadowed %s; findings: %+v", k, findings)
		}
	}
}

// With the namespace policy governing egress only, the database profile decides ingress, and its
// own leading deny refuses 3306.
func TestSeedTenantProfileDecides(t *testing.T) {
	objs, err := manifest.LoadWith("testdata/tenant.yaml", false, nil, policy.DecodeKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if g, ok := o.(interface{ GetName() string }); ok && g.GetName() == "namespace-default" {
			setEgressOnly(t, o)
		}
	}
	m := policy.NewModel(policy.Input{Resources: objs})
	runTraces(t, m, []traceCase{
		{name: "frontend to database 3306 is denied by the profile's leading deny",
			from: "default/slave1-k8s-frontend1-eth0", to: "default/slave2-k8s-database-eth0", port: 3306, verdict: "Deny",
			egress: "Allow by GlobalNetworkPolicy namespace-default 0", ingress: "Deny by Profile profile-database 0"},
		{name: "database to frontend: the frontend has no profile, so no policy means deny",
			from: "default/slave2-k8s-database-eth0", to: "default/slave1-k8s-frontend1-eth0", port: 80, verdict: "Deny",
			egress: "Allow by GlobalNetworkPolicy namespace-default 0", ingress: "Deny by no profile"},
	})
}

// The second seed document: a default-deny namespace with an allow for one pod label, as Calico
// enforces Kubernetes NetworkPolicies (knp.default.* in the default tier).
func TestSeedKubernetesDefaultDeny(t *testing.T) {
	m := load(t, "k8s-default-deny.yaml")
	runTraces(t, m, []traceCase{
		{name: "prod client to dev app=myapp on 80 is allowed by the allow policy",
			from: "prod/client", to: "dev/pod1", port: 80, verdict: "Allow",
			egress: "Allow by Profile kns.prod 0", ingress: "Allow by NetworkPolicy dev/knp.default.allow-myapp-ingress 0"},
		{name: "443 too",
			from: "prod/client", to: "dev/pod1", port: 443, verdict: "Allow",
			egress: "Allow by Profile kns.prod 0", ingress: "Allow by NetworkPolicy dev/knp.default.allow-myapp-ingress 0"},
		{name: "8080 meets the end of the default tier",
			from: "prod/client", to: "dev/pod1", port: 8080, verdict: "Deny",
			egress: "Allow by Profile kns.prod 0", ingress: "Deny by tier default"},
		{name: "a pod without the label is denied by the default deny",
			from: "prod/client", to: "dev/pod2", port: 80, verdict: "Deny",
			egress: "Allow by Profile kns.prod 0", ingress: "Deny by tier default"},
		{name: "the excepted address is denied",
			from: "10.244.1.2", to: "dev/pod1", port: 80, verdict: "Deny",
			egress: "NoPolicy", ingress: "Deny by tier default"},
		{name: "an address outside the block is denied",
			from: "10.245.0.1", to: "dev/pod1", port: 80, verdict: "Deny",
			egress: "NoPolicy", ingress: "Deny by tier default"},
		{name: "prod has no policy: its profile allows",
			from: "dev/pod2", to: "prod/pod1", port: 80, verdict: "Allow",
			egress: "Allow by Profile kns.dev 0", ingress: "Allow by Profile kns.prod 0"},
	})
}
