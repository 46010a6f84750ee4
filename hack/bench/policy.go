package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// policyBench measures `policy trace` and `policy lint --all` against 2,000 policies (1,000
// GlobalNetworkPolicies, 1,000 NetworkPolicies over 50 namespaces) and 5,000 workload endpoints
// stored in etcd.
func policyBench(ctl func(args ...string) (time.Duration, int64, error), reset func() error, dir string) ([]measurement, error) {
	if err := reset(); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "policy-model.yaml")
	var b strings.Builder
	for ns := 0; ns < 50; ns++ {
		fmt.Fprintf(&b, "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata:\n  name: kns.ns-%d\nspec:\n  labelsToApply:\n    pcns.projectcalico.org/name: ns-%d\n  ingress: [{action: Allow}]\n  egress: [{action: Allow}]\n---\n", ns, ns)
	}
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: gnp-%d
spec:
  order: %d
  selector: app == 'app-%d'
  ingress:
  - action: Deny
    protocol: TCP
    destination:
      ports: [22]
  - action: Allow
    protocol: TCP
    source:
      selector: role == 'frontend'
    destination:
      ports: [80, 443]
  egress:
  - action: Allow
---
`, i, i, i%100)
		fmt.Fprintf(&b, `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: np-%d
  namespace: ns-%d
spec:
  order: %d
  selector: app == 'app-%d' && role == 'backend'
  ingress:
  - action: Allow
    protocol: TCP
    source:
      namespaceSelector: projectcalico.org/name == 'ns-%d'
      selector: role == 'frontend'
    destination:
      ports: [8080]
---
`, i, i%50, i, i%100, (i+1)%50)
	}
	for i := 0; i < 5000; i++ {
		role := "backend"
		if i%2 == 0 {
			role = "frontend"
		}
		fmt.Fprintf(&b, `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: node%d-k8s-pod%d-eth0
  namespace: ns-%d
  labels:
    app: app-%d
    role: %s
spec:
  orchestrator: k8s
  node: node%d
  pod: pod%d
  endpoint: eth0
  interfaceName: cali%011x
  ipNetworks: [10.%d.%d.%d/32]
  profiles: [kns.ns-%d]
`, i%20, i, i%50, i%100, role, i%20, i, i, (i>>16)&255, (i>>8)&255, i&255, i%50)
		if i < 4999 {
			b.WriteString("---\n")
		}
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	if _, _, err := ctl("create", "-f", file); err != nil {
		return nil, err
	}
	var rows []measurement
	for _, s := range []struct {
		what, target string
		args         []string
	}{
		{"policy trace (2,000 policies, 5,000 endpoints)", "< 0.3 s", []string{"policy", "trace", "--from", "ns-2/pod2", "--to", "ns-1/pod1", "--port", "8080"}},
		{"policy lint --all (2,000 policies, 5,000 endpoints)", "< 2 s", []string{"policy", "lint", "--all"}},
	} {
		var times []time.Duration
		var rss int64
		for i := 0; i < *runs; i++ {
			took, r, err := ctl(s.args...)
			if err != nil {
				return nil, err
			}
			times = append(times, took)
			rss = max(rss, r)
		}
		rows = append(rows, measurement{what: s.what, target: s.target, took: median(times), maxRSS: rss})
	}
	return rows, reset()
}
