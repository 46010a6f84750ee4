package policy_test

import (
	"encoding/json"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/calicoctl-go/calicoctl/pkg/policy"
)

// FromKubernetes against Calico's conversion of Kubernetes NetworkPolicies: names, order,
// selectors, peers, ports and types.
func TestFromKubernetes(t *testing.T) {
	cases := []struct {
		name, spec string
		want       string // the converted spec, as JSON
	}{
		{"empty pod selector, default types",
			`{podSelector: {}}`,
			`{"tier":"default","order":1000,"selector":"projectcalico.org/orchestrator == \"k8s\"","types":["Ingress"]}`},
		{"egress rules add Egress",
			`{podSelector: {matchLabels: {app: db}}, egress: [{}]}`,
			`{"tier":"default","order":1000,"egress":[{"action":"Allow"}],"selector":"projectcalico.org/orchestrator == \"k8s\" \u0026\u0026 app == \"db\"","types":["Ingress","Egress"]}`},
		{"match expressions",
			`{podSelector: {matchExpressions: [{key: a, operator: In, values: [x, "y"]}, {key: b, operator: NotIn, values: [z]}, {key: c, operator: Exists}, {key: d, operator: DoesNotExist}]}, policyTypes: [Ingress]}`,
			`{"tier":"default","order":1000,"selector":"projectcalico.org/orchestrator == \"k8s\" \u0026\u0026 a in {\"x\", \"y\"} \u0026\u0026 b not in {\"z\"} \u0026\u0026 has(c) \u0026\u0026 !has(d)","types":["Ingress"]}`},
		{"peers and ports",
			`{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {role: fe}}}, {namespaceSelector: {}}, {namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {role: fe}}}], ports: [{port: 80}, {protocol: UDP, port: dns}, {port: 8000, endPort: 8100}]}]}`,
			`{"tier":"default","order":1000,"ingress":[` +
				`{"action":"Allow","protocol":"TCP","source":{"selector":"projectcalico.org/orchestrator == \"k8s\" \u0026\u0026 role == \"fe\""},"destination":{"ports":[80,"8000:8100"]}},` +
				`{"action":"Allow","protocol":"UDP","source":{"selector":"projectcalico.org/orchestrator == \"k8s\" \u0026\u0026 role == \"fe\""},"destination":{"ports":["dns"]}},` +
				`{"action":"Allow","protocol":"TCP","source":{"selector":"projectcalico.org/orchestrator == \"k8s\"","namespaceSelector":"all()"},"destination":{"ports":[80,"8000:8100"]}},` +
				`{"action":"Allow","protocol":"UDP","source":{"selector":"projectcalico.org/orchestrator == \"k8s\"","namespaceSelector":"all()"},"destination":{"ports":["dns"]}},` +
				`{"action":"Allow","protocol":"TCP","source":{"selector":"projectcalico.org/orchestrator == \"k8s\" \u0026\u0026 role == \"fe\"","namespaceSelector":"team == \"a\""},"destination":{"ports":[80,"8000:8100"]}},` +
				`{"action":"Allow","protocol":"UDP","source":{"selector":"projectcalico.org/orchestrator == \"k8s\" \u0026\u0026 role == \"fe\"","namespaceSelector":"team == \"a\""},"destination":{"ports":["dns"]}}` +
				`],"selector":"projectcalico.org/orchestrator == \"k8s\"","types":["Ingress"]}`},
		{"ipBlock egress, protocol without port",
			`{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{protocol: SCTP}]}]}`,
			`{"tier":"default","order":1000,"egress":[{"action":"Allow","protocol":"SCTP","destination":{"nets":["10.0.0.0/8"],"notNets":["10.1.0.0/16"]}}],"selector":"projectcalico.org/orchestrator == \"k8s\"","types":["Egress"]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			np := &networkingv1.NetworkPolicy{}
			np.Name, np.Namespace = "web", "shop"
			if err := yaml.UnmarshalStrict([]byte(c.spec), &np.Spec); err != nil {
				t.Fatal(err)
			}
			got := policy.FromKubernetes(np)
			if got.Name != "knp.default.web" || got.Namespace != "shop" {
				t.Errorf("name %s/%s", got.Namespace, got.Name)
			}
			js, err := json.Marshal(got.Spec)
			if err != nil {
				t.Fatal(err)
			}
			if string(js) != c.want {
				t.Errorf("spec\n got %s\nwant %s", js, c.want)
			}
		})
	}
}

// A staged Kubernetes policy is evaluated apart, against its enforced counterpart.
func TestStagedKubernetesPolicy(t *testing.T) {
	objs := "---\napiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata: {name: allow-myapp-ingress, namespace: dev}\nspec:\n  stagedAction: Delete\n"
	m2 := modelFrom(t, "k8s-default-deny.yaml", objs)
	res := m2.Trace(peer(t, m2, "prod/client"), peer(t, m2, "dev/pod1"), tcp(80))
	if res.Verdict != "Allow" || res.Staged == nil || res.Staged.Verdict != "Deny" || res.Staged.Ingress.DecidedBy != policy.ByTierDefault {
		t.Fatalf("enforced %s, staged %+v", res.Verdict, res.Staged)
	}
	e, err := m2.FindEndpoint("", "dev", "pod1")
	if err != nil {
		t.Fatal(err)
	}
	if x := m2.Explain(e); len(x.Ingress.Staged) != 1 || x.Ingress.Staged[0].StagedAction != "Delete" {
		t.Errorf("explain lists the staged delete: %+v", x.Ingress.Staged)
	}
	e, _ = m2.FindEndpoint("", "prod", "client")
	if x := m2.Explain(e); len(x.Ingress.Staged) != 0 {
		t.Errorf("the staged delete concerns dev's pods only: %+v", x.Ingress.Staged)
	}
}
