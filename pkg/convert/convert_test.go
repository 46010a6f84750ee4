package convert

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		name, got, want string
	}{
		{"node name is normalised without a hash", nodeName("Rack1_Host1.Example.COM"), "rack1-host1.example.com"},
		{"unchanged name is kept", convertName("profile1"), "profile1"},
		{"changed name gets a hash of the original", convertName("Security"), "security-f25ce1b8"},
		{"dots become dashes where names may not hold dots", convertNameNoDots("allow.web"), "allow-web-" + qualified("allow.web", "x")[2:]},
		{"slashes become dots, runs of dots and dashes one dot", normalizeName("-a/b-.-c-"), "a.b.c"},
		{"Kubernetes namespace profiles are renamed", profileName("k8s_ns.prod"), "kns.prod"},
		{"IPv4 address in a name", ipName(net.ParseIP("192.168.1.1")), "192-168-1-1"},
		{"IPv6 address in a name, every group in full", ipName(net.ParseIP("aa:bb::ff")), "00aa-00bb-0000-0000-0000-0000-0000-00ff"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	_, pool, _ := net.ParseCIDR("fd00:10:1::/48")
	if got := cidrName(pool); got != "fd00-10-1---48" {
		t.Errorf("IPv6 pool name: got %q", got)
	}
}

// Endpoint names follow the orchestrator: Kubernetes by pod, CNI by container, libnetwork by
// itself, others by workload; dashes inside parts are doubled.
func TestWorkloadEndpointNames(t *testing.T) {
	for _, tc := range []struct{ meta, want string }{
		{"{name: eth0, node: rack1-host1, orchestrator: k8s, workload: prod.web-0}", "prod/rack1--host1-k8s-web--0-eth0"},
		{"{name: eth0, node: n1, orchestrator: cni, workload: abc123}", "default/n1-cni-abc123-eth0"},
		{"{name: ep1, node: n1, orchestrator: libnetwork, workload: x}", "default/n1-libnetwork-libnetwork-ep1"},
		{"{name: tap1, node: n1, orchestrator: openstack, workload: VM_1}", "default/n1-openstack-vm--1--" + qualified("VM_1", "x")[2:] + "-tap1"},
	} {
		res, err := Convert([]byte("apiVersion: v1\nkind: workloadEndpoint\nmetadata: "+tc.meta+"\n"), "w.yaml")
		if err != nil {
			t.Fatalf("%s: %v", tc.meta, err)
		}
		if got := res.Objects[0].GetNamespace() + "/" + res.Objects[0].GetName(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.meta, got, tc.want)
		}
	}
}

func TestSelector(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"role == 'db'", "role == 'db'"},
		{"calico/k8s_ns == 'prod'", "projectcalico.org/namespace == 'prod'"},
		{"has(calico/k8s_ns) && a == 'calico/k8s_ns'", "has(projectcalico.org/namespace) && a == 'calico/k8s_ns'"},
		{"x/calico/k8s_ns == 'a'", "x/calico/k8s_ns == 'a'"},
	} {
		if got := selector(tc.in); got != tc.want {
			t.Errorf("selector(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := mergeTag("a == 'b'", "web"); got != "(a == 'b') && web == ''" {
		t.Errorf("mergeTag: %q", got)
	}
}

// The order of rules is their meaning: a deny before an allow shadows it.
func TestRuleOrderKept(t *testing.T) {
	res, err := Convert([]byte(`apiVersion: v1
kind: profile
metadata: {name: p}
spec:
  ingress:
  - action: deny
  - action: allow
    protocol: udp
    source: {nets: [10.0.0.1/24], tag: t}
  - action: log
  - action: next-tier
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := res.Objects[0].(*api.Profile)
	var actions []string
	for _, r := range p.Spec.Ingress {
		actions = append(actions, string(r.Action))
	}
	if got := strings.Join(actions, ","); got != "Deny,Allow,Log,Pass" {
		t.Errorf("actions in order: %s", got)
	}
	r := p.Spec.Ingress[1]
	if r.Protocol.String() != "UDP" || r.Source.Nets[0] != "10.0.0.0/24" || r.Source.Selector != "t == ''" {
		t.Errorf("rule 1: protocol %s, nets %v, selector %q", r.Protocol, r.Source.Nets, r.Source.Selector)
	}
}

func TestPolicyTypesFromRules(t *testing.T) {
	for _, tc := range []struct{ rules, want string }{
		{"", "[Ingress]"},
		{"ingress: [{action: allow}]", "[Ingress]"},
		{"egress: [{action: allow}]", "[Egress]"},
		{"ingress: [{action: allow}]\n  egress: [{action: allow}]", "[Ingress Egress]"},
		{"types: [egress]\n  ingress: [{action: allow}]", "[Egress]"},
	} {
		res, err := Convert([]byte("apiVersion: v1\nkind: policy\nmetadata: {name: p}\nspec:\n  selector: all()\n  "+tc.rules+"\n"), "p.yaml")
		if err != nil {
			t.Fatalf("%s: %v", tc.rules, err)
		}
		if got := fmtTypes(res.Objects[0].(*api.GlobalNetworkPolicy).Spec.Types); got != tc.want {
			t.Errorf("rules %q: types %s, want %s", tc.rules, got, tc.want)
		}
	}
}

func fmtTypes(ts []api.PolicyType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown v1 kind", "apiVersion: v1\nkind: bgpConfig\nmetadata: {}\n",
			"in.yaml, document 1 (line 1): conversion for the resource type 'bgpConfig' is not supported: the v1 kinds are node, hostEndpoint, workloadEndpoint, profile, policy, tier, ipPool, bgpPeer"},
		{"unknown apiVersion", "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\n",
			"in.yaml, document 1 (line 1): conversion for the resource type 'NetworkPolicy' (apiVersion \"extensions/v1beta1\") is not supported: give calicoctl v1 manifests (apiVersion v1) or Kubernetes NetworkPolicies (apiVersion networking.k8s.io/v1)"},
		{"v1 field with no v3 meaning", "apiVersion: v1\nkind: ipPool\nmetadata: {cidr: 10.0.0.0/8}\nspec: {ipam: false}\n",
			"in.yaml, document 1 (line 1): v1 ipPool: field ipam is not a v1 field and has no v3 meaning: remove it, or check its spelling and place"},
		{"activeInstanceID outside Kubernetes", "apiVersion: v1\nkind: workloadEndpoint\nmetadata: {name: e, node: node1, orchestrator: cni, workload: w, activeInstanceID: x}\n",
			"in.yaml, document 1 (line 1): v1 workloadEndpoint 'e': metadata.activeInstanceID has no v3 meaning for orchestrator 'cni' (only Kubernetes endpoints keep it, as spec.containerID): remove it"},
		{"bad ipip mode", "apiVersion: v1\nkind: ipPool\nmetadata: {cidr: 10.0.0.0/8}\nspec: {ipip: {enabled: true, mode: sometimes}}\n",
			"in.yaml, document 1 (line 1): v1 ipPool '10.0.0.0/8': spec.ipip.mode 'sometimes' must be always or cross-subnet"},
		{"global peer with a node", "apiVersion: v1\nkind: bgpPeer\nmetadata: {scope: global, node: n1, peerIP: 10.0.0.1}\nspec: {asNumber: 1}\n",
			"in.yaml, document 1 (line 1): v1 bgpPeer '10.0.0.1': metadata.node 'n1' is set on a global peer: use scope: node, or remove the node"},
		{"bad rule action", "---\n# second\napiVersion: v1\nkind: policy\nmetadata: {name: p}\nspec: {ingress: [{action: accept}]}\n",
			"in.yaml, document 2 (line 2): v1 policy 'p': spec.ingress[0]: action 'accept' is not a v1 rule action: use allow, deny, log or next-tier"},
		{"tag clashing with a label", "apiVersion: v1\nkind: profile\nmetadata: {name: p, labels: {web: x}, tags: [web]}\n",
			"in.yaml, document 1 (line 1): v1 profile 'p': tag 'web' and label 'web == x' would both become label 'web': rename the label"},
		{"unknown Kubernetes field", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\nspec: {podSelector: {}, ingres: []}\n",
			"in.yaml, document 1 (line 1): Kubernetes NetworkPolicy 'np': field ingres is not a NetworkPolicy field: check its spelling and place"},
		{"unknown selector operator", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {matchExpressions: [{key: app, operator: Like, values: [a]}]}\n",
			"in.yaml, document 1 (line 1): Kubernetes NetworkPolicy 'np': spec.ingress[0].peers[0].podSelector: matchExpressions operator 'Like' (key app) must be In, NotIn, Exists or DoesNotExist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Convert([]byte(tc.in), "in.yaml")
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error\n  %v\nwant\n  %s", err, tc.want)
			}
		})
	}
}

// Convert never panics, whatever the input; it returns objects or an error.
func FuzzConvert(f *testing.F) {
	for _, name := range []string{"tenant", "kubernetes-networkpolicy", "bgppeer", "node", "tier", "ippool", "hostendpoint", "dcos-bookstore"} {
		data, err := os.ReadFile("testdata/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Convert(data, "fuzz.yaml")
		if err == nil && res == nil {
			t.Fatal("no result and no error")
		}
	})
}
