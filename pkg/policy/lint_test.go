package policy_test

import (
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/policy"
)

func TestLintChecks(t *testing.T) {
	cases := []struct {
		name string
		docs []string
		// want are "severity check kind name direction rule" of the findings expected (rule -1:
		// none); findings of other checks than those named are ignored.
		want []string
	}{
		{"a bare deny shadows a later allow", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Deny}, {action: Allow, protocol: TCP}]\n")},
			[]string{"error shadowed-rule GlobalNetworkPolicy p Ingress 1"}},
		{"the same action is redundant, a warning", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: TCP}, {action: Allow, protocol: TCP, destination: {ports: [80]}}]\n")},
			[]string{"warning shadowed-rule GlobalNetworkPolicy p Ingress 1"}},
		{"a port range covers a port in it", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Deny, protocol: TCP, destination: {ports: ['1:1024']}}, {action: Allow, protocol: TCP, destination: {ports: [443]}}]\n")},
			[]string{"error shadowed-rule GlobalNetworkPolicy p Ingress 1"}},
		{"a wider net covers a narrower one", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Deny, source: {nets: [10.0.0.0/8]}}, {action: Allow, source: {nets: [10.1.0.0/16]}}]\n")},
			[]string{"error shadowed-rule GlobalNetworkPolicy p Ingress 1"}},
		{"a narrower rule first shadows nothing", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Deny, protocol: TCP, destination: {ports: [443]}}, {action: Allow, protocol: TCP}, {action: Allow, source: {nets: [10.1.0.0/16]}}]\n")},
			nil},
		{"different selectors do not shadow", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Deny, source: {selector: role == 'client'}}, {action: Allow, source: {selector: role == 'server'}}]\n")},
			nil},
		{"Log rules do not shadow", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Log}, {action: Allow}]\n")},
			nil},
		{"a notNets rule covers a rule outside those nets", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Deny, source: {notNets: [10.0.0.0/8]}}, {action: Allow, source: {nets: [192.168.0.0/16]}}]\n")},
			[]string{"error shadowed-rule GlobalNetworkPolicy p Ingress 1"}},
		{"profiles are checked too", []string{"---\napiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: db}\nspec:\n  egress: [{action: Allow}, {action: Deny, protocol: UDP}]\n"},
			[]string{"error shadowed-rule Profile db Egress 1"}},
		{"numeric ports need a protocol that has them", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, protocol: ICMP, destination: {ports: [http]}}]\n")},
			[]string{"error port-protocol GlobalNetworkPolicy p Ingress 0"}},
		{"a policy selecting nothing", []string{gnp("p", "  selector: role == 'nothing'\n  ingress: [{action: Allow}]\n")},
			[]string{"warning selector-matches-nothing GlobalNetworkPolicy p - -1"}},
		{"a rule selector matching nothing", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {selector: role == 'ghost'}}]\n")},
			[]string{"warning selector-matches-nothing GlobalNetworkPolicy p Ingress 0"}},
		{"a rule selector matching a network set is fine", []string{gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow, source: {selector: zone == 'external'}}]\n")},
			nil},
		{"a policy in a tier that does not exist", []string{gnp("sec.p", "  tier: sec\n  selector: role == 'server'\n  ingress: [{action: Allow}]\n")},
			[]string{"error missing-tier GlobalNetworkPolicy sec.p - -1"}},
		{"a tier that falls through before a later tier", []string{tier("sec", 100, ""),
			gnp("sec.p", "  tier: sec\n  selector: role == 'server'\n  ingress: [{action: Allow, protocol: TCP}]\n"),
			gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow}]\n")},
			[]string{"warning tier-fall-through Tier sec Ingress -1"}},
		{"a tier ending with a catch-all Pass does not fall through", []string{tier("sec", 100, ""),
			gnp("sec.p", "  tier: sec\n  selector: role == 'server'\n  ingress: [{action: Deny, protocol: UDP}, {action: Pass}]\n"),
			gnp("p", "  selector: role == 'server'\n  ingress: [{action: Allow}]\n")},
			nil},
		{"a tier with Pass rules but no catch-all falls through", []string{tier("sec", 100, ""),
			gnp("sec.p", "  tier: sec\n  selector: role == 'server'\n  ingress: [{action: Pass, protocol: TCP}]\n")},
			[]string{"warning tier-fall-through Tier sec Ingress -1"}},
		{"a staged policy that would deny what is allowed", []string{
			"---\napiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: s}\nspec:\n  selector: role == 'server'\n  ingress: [{action: Deny, protocol: TCP, destination: {ports: [80]}}]\n"},
			[]string{"warning staged-change StagedGlobalNetworkPolicy s - -1"}},
		{"a staged policy equal to its enforced counterpart changes nothing", []string{
			gnp("s", "  selector: role == 'server'\n  ingress: [{action: Allow}]\n"),
			"---\napiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: s}\nspec:\n  selector: role == 'server'\n  ingress: [{action: Allow}]\n"},
			nil},
		{"a staged delete of a denying policy", []string{
			gnp("s", "  selector: role == 'server'\n  ingress: [{action: Deny}]\n"),
			"---\napiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: s}\nspec:\n  stagedAction: Delete\n"},
			[]string{"warning staged-change StagedGlobalNetworkPolicy s - -1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := modelOf(t, c.docs...)
			checks := map[string]bool{}
			for _, w := range c.want {
				checks[strings.Fields(w)[1]] = true
			}
			if len(c.want) == 0 {
				checks = map[string]bool{policy.CheckShadowedRule: true, policy.CheckUnmatched: true, policy.CheckFallThrough: true, policy.CheckStagedChange: true}
			}
			var got []string
			for _, f := range m.Lint(policy.LintOptions{}) {
				if !checks[f.Check] {
					continue
				}
				dir, rule := string(f.Direction), -1
				if dir == "" {
					dir = "-"
				}
				if f.Rule != nil {
					rule = *f.Rule
				}
				got = append(got, strings.Join([]string{f.Severity, f.Check, f.Kind, f.Name, dir, itoa(rule)}, " ")+" | "+f.Message)
			}
			if len(got) != len(c.want) {
				t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]+" | ") {
					t.Errorf("finding %q, want %q", got[i], c.want[i])
				}
			}
		})
	}
}

func TestLintReportsMissingProfiles(t *testing.T) {
	m := modelOf(t, "---\napiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: n1-k8s-lost-eth0, namespace: app}\nspec: {orchestrator: k8s, pod: lost, node: n1, endpoint: eth0, interfaceName: cali9, ipNetworks: [10.0.0.99/32], profiles: [gone]}\n")
	var found []policy.Finding
	for _, f := range m.Lint(policy.LintOptions{}) {
		if f.Check == policy.CheckMissingProfile {
			found = append(found, f)
		}
	}
	if len(found) != 1 || found[0].Name != "gone" || found[0].Severity != policy.SeverityError || !strings.Contains(found[0].Message, "WorkloadEndpoint app/n1-k8s-lost-eth0") {
		t.Fatalf("missing-profile findings: %+v", found)
	}
}

func TestLintSubjectLimitsFindings(t *testing.T) {
	m := modelOf(t, gnp("a", "  selector: role == 'server'\n  ingress: [{action: Deny}, {action: Allow}]\n"),
		gnp("b", "  selector: role == 'server'\n  egress: [{action: Deny}, {action: Allow}]\n"))
	fs := m.Lint(policy.LintOptions{Subject: func(kind, ns, name string) bool { return name == "b" }})
	if len(fs) != 1 || fs[0].Name != "b" {
		t.Fatalf("findings about b only: %+v", fs)
	}
}

// Endpoint checks run on all cores from 64 endpoints on; every endpoint is counted once.
func TestLintCountsEveryEndpoint(t *testing.T) {
	var docs []string
	for i := 0; i < 100; i++ {
		docs = append(docs, "---\napiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: n1-k8s-w"+itoa(i)+"-eth0, namespace: app, labels: {role: worker}}\nspec: {orchestrator: k8s, pod: w"+itoa(i)+", node: n1, endpoint: eth0, interfaceName: caliw"+itoa(i)+", ipNetworks: [10.9.0."+itoa(i)+"/32], profiles: [kns.app]}\n")
	}
	docs = append(docs, tier("sec", 100, ""),
		gnp("sec.p", "  tier: sec\n  selector: role == 'worker'\n  ingress: [{action: Pass, protocol: TCP}]\n"))
	m := modelOf(t, docs...)
	var falls []policy.Finding
	for _, f := range m.Lint(policy.LintOptions{}) {
		if f.Check == policy.CheckFallThrough {
			falls = append(falls, f)
		}
	}
	if len(falls) != 1 || !strings.HasPrefix(falls[0].Message, "for 100 endpoint(s), e.g. WorkloadEndpoint app/n1-k8s-w0-eth0,") {
		t.Fatalf("fall-through findings: %+v", falls)
	}
}
