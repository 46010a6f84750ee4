package policy_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/manifest"
	"github.com/calicoctl-go/calicoctl/pkg/policy"
)

// base is the cluster every rule-feature case adds its policies to: a server and a client in
// namespace app (team a), another client in namespace other (team b), a host endpoint and an
// external network set.
const base = `
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: n1-k8s-server-eth0, namespace: app, labels: {role: server}}
spec:
  orchestrator: k8s
  pod: server
  node: n1
  endpoint: eth0
  interfaceName: cali1
  serviceAccountName: api
  ipNetworks: [10.0.0.10/32, "fd00::10/128"]
  profiles: [kns.app]
  ports: [{name: http, protocol: TCP, port: 8080}]
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: n1-k8s-client-eth0, namespace: app, labels: {role: client}}
spec: {orchestrator: k8s, pod: client, node: n1, endpoint: eth0, interfaceName: cali2, serviceAccountName: web, ipNetworks: [10.0.0.20/32], profiles: [kns.app]}
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: n2-k8s-client2-eth0, namespace: other, labels: {role: client}}
spec: {orchestrator: k8s, pod: client2, node: n2, endpoint: eth0, interfaceName: cali3, ipNetworks: [10.1.0.20/32], profiles: [kns.other]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: host1, labels: {host: "true"}}
spec: {node: n1, interfaceName: eth0, expectedIPs: [192.168.0.1], profiles: [projectcalico-default-allow]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: ext, labels: {zone: external}}
spec: {nets: [203.0.113.0/24]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: kns.app}
spec: {labelsToApply: {pcns.team: a}, ingress: [{action: Allow}], egress: [{action: Allow}]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: kns.other}
spec: {labelsToApply: {pcns.team: b}, ingress: [{action: Allow}], egress: [{action: Allow}]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: ksa.app.web}
spec: {labelsToApply: {pcsa.tier: frontend}}
`

func gnp(name, spec string) string {
	return "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: " + name + "}\nspec:\n" + spec
}

func modelOf(t *testing.T, docs ...string) *policy.Model {
	t.Helper()
	objs, err := manifest.Decode([]byte(base+strings.Join(docs, "\n")), "test")
	if err != nil {
		t.Fatal(err)
	}
	m := policy.NewModel(policy.Input{Resources: objs})
	if err := m.CheckValid(); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTraceRuleFeatures(t *testing.T) {
	icmp := func(n int) *int { return &n }
	cases := []struct {
		name     string
		docs     []string
		from, to string
		pkt      policy.Packet
		ingress  string // describe() of the ingress verdict
	}{
		{"a matching allow decides", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {selector: role == 'client'}}]\n")},
			"app/client", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"rules are in order: a deny first wins", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Deny}, {action: Allow}]\n")},
			"app/client", "app/server", tcp(80), "Deny by GlobalNetworkPolicy p 0"},
		{"Log is not terminal", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Log}, {action: Allow}]\n")},
			"app/client", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 1"},
		{"policies in a tier go by order", []string{
			gnp("b-first", "  order: 10\n  selector: role == 'server'\n  ingress: [{action: Deny}]\n"),
			gnp("a-second", "  order: 20\n  selector: role == 'server'\n  ingress: [{action: Allow}]\n")},
			"app/client", "app/server", tcp(80), "Deny by GlobalNetworkPolicy b-first 0"},
		{"without order, by name, after ordered ones", []string{
			gnp("a", "  selector: role == 'server'\n  ingress: [{action: Deny}]\n"),
			gnp("z", "  order: 5000\n  selector: role == 'server'\n  ingress: [{action: Allow}]\n")},
			"app/client", "app/server", tcp(80), "Allow by GlobalNetworkPolicy z 0"},
		{"Pass goes to the next tier", []string{tier("security", 100, ""),
			gnp("security.pass", "  tier: security\n  selector: role == 'server'\n  ingress: [{action: Pass}]\n"),
			gnp("deny", "  selector: role == 'server'\n  ingress: [{action: Deny, protocol: TCP}]\n")},
			"app/client", "app/server", tcp(80), "Deny by GlobalNetworkPolicy deny 0"},
		{"tiers go by order", []string{tier("security", 100, ""),
			gnp("security.deny", "  tier: security\n  selector: role == 'server'\n  ingress: [{action: Deny}]\n"),
			gnp("allow", "  selector: role == 'server'\n  ingress: [{action: Allow}]\n")},
			"app/client", "app/server", tcp(80), "Deny by GlobalNetworkPolicy security.deny 0"},
		{"Pass in the last tier reaches the profiles", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Pass}]\n")},
			"app/client", "app/server", tcp(80), "Allow by Profile kns.app 0"},
		{"a selecting tier with no decision ends in the implicit deny", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: UDP}]\n")},
			"app/client", "app/server", tcp(80), "Deny by tier default"},
		{"a tier with defaultAction Pass passes at its end", []string{tier("security", 100, "Pass"),
			gnp("security.p", "  tier: security\n  selector: role == 'server'\n  ingress: [{action: Allow, protocol: UDP}]\n")},
			"app/client", "app/server", tcp(80), "Allow by Profile kns.app 0"},
		{"an Egress-only policy leaves ingress to the profiles", []string{gnp("p", "  selector: role == 'server'\n  types: [Egress]\n  egress: [{action: Deny}]\n")},
			"app/client", "app/server", tcp(80), "Allow by Profile kns.app 0"},
		{"types default to Egress when there are only egress rules", []string{gnp("p", "  selector: role == 'server'\n  egress: [{action: Deny}]\n")},
			"app/client", "app/server", tcp(80), "Allow by Profile kns.app 0"},
		{"types default to Ingress for a policy without rules", []string{gnp("p", "  selector: role == 'server'\n")},
			"app/client", "app/server", tcp(80), "Deny by tier default"},
		{"namespaceSelector picks the namespace's endpoints", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {namespaceSelector: team == 'a'}}]\n")},
			"app/client", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"namespaceSelector leaves other namespaces out", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {namespaceSelector: team == 'a'}}]\n")},
			"other/client2", "app/server", tcp(80), "Deny by tier default"},
		{"namespaceSelector matches the namespace name", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {namespaceSelector: projectcalico.org/name == 'other'}}]\n")},
			"other/client2", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"a NetworkPolicy's selectors stay in its namespace", []string{np("app", "p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {selector: role == 'client'}}]\n")},
			"other/client2", "app/server", tcp(80), "Deny by tier default"},
		{"a NetworkPolicy's selectors match in its namespace", []string{np("app", "p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {selector: role == 'client'}}]\n")},
			"app/client", "app/server", tcp(80), "Allow by NetworkPolicy app/p 0"},
		{"a NetworkPolicy applies to its namespace only", []string{np("other", "p", "  selector: role == 'server'\n  ingress: [{action: Deny}]\n")},
			"app/client", "app/server", tcp(80), "Allow by Profile kns.app 0"},
		{"serviceAccounts by name", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {serviceAccounts: {names: [web]}}}]\n")},
			"app/client", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"serviceAccounts by name, another account", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {serviceAccounts: {names: [admin]}}}]\n")},
			"app/client", "app/server", tcp(80), "Deny by tier default"},
		{"serviceAccounts by selector on the account's labels", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {serviceAccounts: {selector: tier == 'frontend'}}}]\n")},
			"app/client", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"policy serviceAccountSelector selects by the endpoint's account", []string{gnp("p", "  serviceAccountSelector: projectcalico.org/name == 'api'\n  ingress: [{action: Deny}]\n")},
			"app/client", "app/server", tcp(80), "Deny by GlobalNetworkPolicy p 0"},
		{"policy namespaceSelector selects by the endpoint's namespace", []string{gnp("p", "  namespaceSelector: team == 'b'\n  ingress: [{action: Deny}]\n")},
			"app/client", "app/server", tcp(80), "Allow by Profile kns.app 0"},
		{"ports", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: TCP, destination: {ports: [80, '1000:2000']}}]\n")},
			"app/client", "app/server", tcp(1500), "Allow by GlobalNetworkPolicy p 0"},
		{"ports, outside", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: TCP, destination: {ports: [80, '1000:2000']}}]\n")},
			"app/client", "app/server", tcp(2001), "Deny by tier default"},
		{"notPorts", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: TCP, destination: {notPorts: [22]}}]\n")},
			"app/client", "app/server", tcp(22), "Deny by tier default"},
		{"notPorts, another port", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: TCP, destination: {notPorts: [22]}}]\n")},
			"app/client", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"named port", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: TCP, destination: {ports: [http]}}]\n")},
			"app/client", "app/server", tcp(8080), "Allow by GlobalNetworkPolicy p 0"},
		{"named port, another number", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: TCP, destination: {ports: [http]}}]\n")},
			"app/client", "app/server", tcp(80), "Deny by tier default"},
		{"named port without a protocol takes the port's", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, destination: {ports: [http]}}]\n")},
			"app/client", "app/server", udp(8080), "Deny by tier default"},
		{"nets", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {nets: [10.1.0.0/16]}}]\n")},
			"other/client2", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"notNets", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {notNets: [10.1.0.0/16]}}]\n")},
			"other/client2", "app/server", tcp(80), "Deny by tier default"},
		{"notSelector", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {notSelector: role == 'client'}}]\n")},
			"app/client", "app/server", tcp(80), "Deny by tier default"},
		{"notSelector, other labels", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {notSelector: role == 'admin'}}]\n")},
			"app/client", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"a network set lends its labels to an address", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {selector: zone == 'external'}}]\n")},
			"203.0.113.7", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"global() picks non-namespaced peers", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {namespaceSelector: global()}}]\n")},
			"host1", "app/server", tcp(80), "Allow by GlobalNetworkPolicy p 0"},
		{"global() leaves namespaced peers out", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {namespaceSelector: global()}}]\n")},
			"app/client", "app/server", tcp(80), "Deny by tier default"},
		{"protocol", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: UDP}]\n")},
			"app/client", "app/server", udp(53), "Allow by GlobalNetworkPolicy p 0"},
		{"notProtocol", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, notProtocol: UDP}]\n")},
			"app/client", "app/server", udp(53), "Deny by tier default"},
		{"ICMP type", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: ICMP, icmp: {type: 8}}]\n")},
			"app/client", "app/server", policy.Packet{Protocol: 1, ICMPType: icmp(8)}, "Allow by GlobalNetworkPolicy p 0"},
		{"ICMP type, another type", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: ICMP, icmp: {type: 8}}]\n")},
			"app/client", "app/server", policy.Packet{Protocol: 1, ICMPType: icmp(0)}, "Deny by tier default"},
		{"notICMP", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: ICMP, notICMP: {type: 8, code: 0}}]\n")},
			"app/client", "app/server", policy.Packet{Protocol: 1, ICMPType: icmp(8), ICMPCode: icmp(0)}, "Deny by tier default"},
		{"ipVersion", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, ipVersion: 6}]\n")},
			"app/client", "app/server", tcp(80), "Deny by tier default"},
		{"host endpoints get global policies", []string{gnp("p", "  selector: host == 'true'\n  ingress: [{action: Deny}]\n")},
			"app/client", "host1", tcp(22), "Deny by GlobalNetworkPolicy p 0"},
		{"preDNAT policies apply to host endpoints only", []string{gnp("p", "  selector: all()\n  preDNAT: true\n  applyOnForward: true\n  ingress: [{action: Deny}]\n")},
			"app/client", "app/server", tcp(80), "Allow by Profile kns.app 0"},
		{"staged policies are not enforced", []string{"---\napiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: s}\nspec:\n  selector: role == 'server'\n  ingress: [{action: Deny}]\n"},
			"app/client", "app/server", tcp(80), "Allow by Profile kns.app 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := modelOf(t, c.docs...)
			res := m.Trace(peer(t, m, c.from), peer(t, m, c.to), c.pkt)
			if got := describe(res.Ingress); got != c.ingress {
				t.Errorf("ingress %q, want %q (%s; steps %+v)", got, c.ingress, res.Ingress.Reason, res.Ingress.Steps)
			}
		})
	}
}

func TestTraceEgressAtTheSource(t *testing.T) {
	m := modelOf(t, gnp("p", "  selector: role == 'client'\n  egress: [{action: Deny, destination: {nets: [10.0.0.10/32]}}, {action: Allow}]\n"))
	res := m.Trace(peer(t, m, "app/client"), peer(t, m, "app/server"), tcp(80))
	if got := describe(res.Egress); got != "Deny by GlobalNetworkPolicy p 0" || res.Verdict != "Deny" {
		t.Errorf("egress %q, verdict %s", got, res.Verdict)
	}
	res = m.Trace(peer(t, m, "app/client"), m.NewPeer(nil, netip.MustParseAddr("198.51.100.1")), tcp(443))
	if got := describe(res.Egress); got != "Allow by GlobalNetworkPolicy p 1" || res.Ingress.Action != policy.NoPolicy || res.Verdict != "Allow" {
		t.Errorf("to an outside address: egress %q, ingress %s, verdict %s", got, res.Ingress.Action, res.Verdict)
	}
}

func TestTraceReportsStagedChangesApart(t *testing.T) {
	m := modelOf(t, np("app", "p", "  selector: role == 'server'\n  ingress: [{action: Allow}]\n"),
		"---\napiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: p, namespace: app}\nspec:\n  selector: role == 'server'\n  ingress: [{action: Deny}]\n",
		"---\napiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: unrelated}\nspec:\n  stagedAction: Delete\n")
	res := m.Trace(peer(t, m, "app/client"), peer(t, m, "app/server"), tcp(80))
	if res.Verdict != "Allow" || describe(res.Ingress) != "Allow by NetworkPolicy app/p 0" {
		t.Fatalf("enforced: %s %q", res.Verdict, describe(res.Ingress))
	}
	if res.Staged == nil || res.Staged.Verdict != "Deny" || describe(res.Staged.Ingress) != "Deny by StagedNetworkPolicy app/p 0" {
		t.Fatalf("staged: %+v", res.Staged)
	}
}

func TestExplainListsPoliciesInEvaluationOrder(t *testing.T) {
	m := modelOf(t, tier("security", 100, "Pass"),
		gnp("security.first", "  tier: security\n  selector: all()\n  ingress: [{action: Pass}]\n"),
		gnp("b", "  order: 10\n  selector: role == 'server'\n  types: [Ingress, Egress]\n  ingress: [{action: Allow}]\n"),
		np("app", "a", "  order: 10\n  selector: all()\n  egress: [{action: Allow}]\n"),
		np("other", "x", "  selector: all()\n"),
		"---\napiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: s}\nspec:\n  selector: all()\n  ingress: [{action: Deny}]\n")
	e, err := m.FindEndpoint("", "app", "server")
	if err != nil {
		t.Fatal(err)
	}
	x := m.Explain(e)
	names := func(as []policy.Applied) string {
		var s []string
		for _, a := range as {
			s = append(s, a.Tier+":"+a.Name)
		}
		return strings.Join(s, " ")
	}
	if got := names(x.Ingress.Policies); got != "security:security.first default:b" {
		t.Errorf("ingress policies %q", got)
	}
	if got := names(x.Egress.Policies); got != "default:a default:b" {
		t.Errorf("egress policies %q", got)
	}
	if got := names(x.Ingress.Staged); got != "default:s" {
		t.Errorf("staged %q", got)
	}
	if len(x.Ingress.Profiles) != 1 || x.Ingress.Profiles[0].Name != "kns.app" || x.Ingress.ProfilesApply != "only when every tier passes" {
		t.Errorf("profiles %+v (%s)", x.Ingress.Profiles, x.Ingress.ProfilesApply)
	}
}

func tcp(port uint16) policy.Packet { return policy.Packet{Protocol: 6, DstPort: port} }
func udp(port uint16) policy.Packet { return policy.Packet{Protocol: 17, DstPort: port} }

func tier(name string, order int, action string) string {
	s := "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: " + name + "}\nspec:\n  order: " + itoa(order) + "\n"
	if action != "" {
		s += "  defaultAction: " + action + "\n"
	}
	return s
}

func np(ns, name, spec string) string {
	return "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec:\n" + spec
}
