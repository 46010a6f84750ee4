package cmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const pool1 = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool1
spec:
  cidr: 10.1.0.0/16
`

const twoPools = pool1 + `---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool2
spec:
  cidr: 10.2.0.0/16
  natOutgoing: true
`

func TestQuickstartAppliesAndShowsTables(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		if c.ds.Name == "kubernetes" {
			// The quickstart writes Nodes, WorkloadEndpoints and a Profile directly, which the
			// Kubernetes datastore derives from Nodes, Pods and Namespaces instead; kdd_test.go
			// covers those kinds there.
			t.Skip("the quickstart is an etcd scenario")
		}
		out := c.ok("apply", "-f", quickstart)
		if out != "Successfully applied 11 resource(s)\n" {
			t.Fatalf("apply output: %q", out)
		}
		var tables strings.Builder
		for _, args := range [][]string{
			{"get", "ippools", "-o", "wide"},
			{"get", "bgpconfig"},
			{"get", "bgppeers"},
			{"get", "nodes", "-o", "wide"},
			{"get", "gnp", "-o", "wide"},
			{"get", "networkpolicy", "-A"},
			{"get", "wep", "-n", "default"},
			{"get", "profiles", "-o", "wide"},
			{"get", "tiers"},
		} {
			tables.WriteString("$ calicoctl " + strings.Join(args, " ") + "\n")
			tables.WriteString(c.ok(args...))
		}
		golden(t, "quickstart-tables-"+c.ds.Name, tables.String())
	})
}

func TestCreateReportsEachOutcome(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		f := writeFile(t, "pools.yaml", twoPools)
		if out := c.ok("create", "-f", f); out != "Successfully created 2 'IPPool' resource(s)\n" {
			t.Fatalf("first create: %q", out)
		}
		r := c.run("", "create", "-f", f)
		want := "failed to create any 'IPPool' resources: [resource already exists: IPPool(pool1) with error: <nil> resource already exists: IPPool(pool2) with error: <nil>]\n"
		if r.code != 1 || r.stderr != want || r.stdout != "" {
			t.Fatalf("second create: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
		if out := c.ok("create", "-f", f, "--skip-exists"); out != "Successfully created 2 'IPPool' resource(s)\n" {
			t.Fatalf("create --skip-exists: %q", out)
		}
		// One new, one existing: partial success on stdout, the error on stderr.
		three := writeFile(t, "three.yaml", twoPools+"---\n"+strings.ReplaceAll(strings.ReplaceAll(pool1, "pool1", "pool3"), "10.1.", "10.3."))
		r = c.run("", "create", "-f", three)
		if r.code != 1 || r.stdout != "Partial success: created 1 out of 3 'IPPool' resources:\n" ||
			!strings.HasPrefix(r.stderr, "hit error: [resource already exists: IPPool(pool1)") {
			t.Fatalf("partial create: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	})
}

func TestApplyCreatesThenUpdatesKeepingIdentity(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		f := writeFile(t, "pool.yaml", pool1)
		c.ok("apply", "-f", f)
		var before map[string]map[string]interface{}
		json.Unmarshal([]byte(c.ok("get", "ippool", "pool1", "-o", "json")), &before)
		changed := writeFile(t, "pool2.yaml", pool1+"  natOutgoing: true\n")
		if out := c.ok("apply", "-f", changed); out != "Successfully applied 1 'IPPool' resource(s)\n" {
			t.Fatalf("apply: %q", out)
		}
		var after map[string]map[string]interface{}
		json.Unmarshal([]byte(c.ok("get", "ippool", "pool1", "-o", "json")), &after)
		if after["metadata"]["uid"] != before["metadata"]["uid"] || after["metadata"]["creationTimestamp"] != before["metadata"]["creationTimestamp"] {
			t.Errorf("apply changed identity: before %v after %v", before["metadata"], after["metadata"])
		}
		if after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"] {
			t.Errorf("resourceVersion did not change")
		}
		if after["spec"]["natOutgoing"] != true {
			t.Errorf("spec not updated: %v", after["spec"])
		}
		// A stale resourceVersion is a conflict, not a silent overwrite.
		stale := writeFile(t, "stale.yaml", strings.Replace(pool1, "  name: pool1\n", "  name: pool1\n  resourceVersion: \""+before["metadata"]["resourceVersion"].(string)+"\"\n", 1))
		r := c.run("", "apply", "-f", stale)
		if r.code != 1 || r.stderr != "failed to apply 'IPPool' resource: [update conflict: IPPool(pool1)]\n" {
			t.Fatalf("stale apply: code %d stderr %q", r.code, r.stderr)
		}
	})
}

func TestReplaceNeedsAnExistingResource(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		f := writeFile(t, "pool.yaml", pool1)
		r := c.run("", "replace", "-f", f)
		if r.code != 1 || r.stderr != "failed to replace 'IPPool' resource: [resource does not exist: IPPool(pool1) with error: <nil>]\n" {
			t.Fatalf("replace of missing: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
		c.ok("create", "-f", f)
		if out := c.ok("replace", "-f", f); out != "Successfully replaced 1 'IPPool' resource(s)\n" {
			t.Fatalf("replace: %q", out)
		}
	})
}

func TestDeleteByNameAndFile(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		f := writeFile(t, "pools.yaml", twoPools)
		c.ok("create", "-f", f)
		if out := c.ok("delete", "ippool", "pool1"); out != "Successfully deleted 1 'IPPool' resource(s)\n" {
			t.Fatalf("delete: %q", out)
		}
		r := c.run("", "delete", "-f", f)
		if r.code != 1 || r.stdout != "Successfully deleted 1 'IPPool' resource(s)\n" ||
			r.stderr != "Failed to delete 'IPPool' resource: resource does not exist: IPPool(pool1) with error: <nil>\n" {
			t.Fatalf("delete -f: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
		if out := c.ok("delete", "ippool", "pool1", "pool2", "--skip-not-exists"); out != "Successfully deleted 2 'IPPool' resource(s)\n" {
			t.Fatalf("delete -s: %q", out)
		}
		r = c.run("", "delete")
		if r.code != 1 || !strings.Contains(r.stderr, "nothing to delete") {
			t.Fatalf("delete without arguments: code %d stderr %q", r.code, r.stderr)
		}
	})
}

func TestDryRunWritesNothing(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		f := writeFile(t, "pools.yaml", twoPools)
		out := c.ok("create", "-f", f, "--dry-run")
		if out != "Successfully created 2 'IPPool' resource(s)\n(dry run: nothing was written)\n" {
			t.Fatalf("dry run: %q", out)
		}
		if got := c.ok("get", "ippools", "-o", "name"); got != "" {
			t.Fatalf("dry run wrote pools: %q", got)
		}
		c.ok("create", "-f", f)
		r := c.run("", "create", "-f", f, "--dry-run")
		if r.code != 1 || !strings.Contains(r.stderr, "resource already exists: IPPool(pool1)") {
			t.Fatalf("dry run against existing: code %d stderr %q", r.code, r.stderr)
		}
		c.ok("delete", "ippool", "pool1", "--dry-run")
		c.ok("patch", "ippool", "pool1", "-p", `{"spec":{"disabled":true}}`, "--dry-run")
		if got := c.ok("get", "ippool", "pool1", "-o", "jsonpath={.spec.disabled}"); got != "" {
			t.Fatalf("dry-run patch wrote: %q", got)
		}
	})
}

func TestGetOutputFormats(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("create", "-f", writeFile(t, "pools.yaml", twoPools))
		var out strings.Builder
		for _, args := range [][]string{
			{"get", "ippool"},
			{"get", "ippool", "pool1", "pool2"},
			{"get", "ippool", "pool1", "-o", "yaml", "--export"},
			{"get", "ippool", "-o", "name"},
			{"get", "ippool", "-o", "jsonpath={range .items[*]}{.metadata.name}={.spec.cidr}{\"\\n\"}{end}"},
			{"get", "ippool", "-o", "custom-columns=NAME,CIDR,NAT"},
			{"get", "ippool", "-o", "custom-columns=POOL:.metadata.name,BLOCK:.spec.blockSize"},
			{"get", "ippool", "-o", "go-template={{range .}}{{range .Items}}{{.ObjectMeta.Name}} {{.Spec.CIDR}}\n{{end}}{{end}}"},
			{"get", "ippool", "-l", "has(missing)"},
		} {
			out.WriteString("$ calicoctl " + strings.Join(args, " ") + "\n")
			out.WriteString(c.ok(args...))
		}
		golden(t, "get-formats", out.String())
		js := c.ok("get", "ippool", "pool1", "-o", "json")
		if strings.HasSuffix(js, "\n") || !json.Valid([]byte(js)) {
			t.Errorf("json output must be valid JSON with no trailing newline: %q", js)
		}
	})
}

func TestGetErrors(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("create", "-f", writeFile(t, "pool.yaml", pool1))
		for _, tc := range []struct {
			args   []string
			stdout string
			stderr string
		}{
			{[]string{"get", "ippool", "nope"}, "", "resource does not exist: IPPool(nope) with error: <nil>\n"},
			{[]string{"get", "ippool", "pool1", "nope"}, "NAME    CIDR          SELECTOR   \npool1   10.1.0.0/16   all()      \n\n", "resource does not exist: IPPool(nope) with error: <nil>\n"},
			{[]string{"get", "somekind"}, "", "failed to get resources: resource type 'somekind' is not supported\n"},
			{[]string{"get", "ippool", "-A"}, "", "IPPool is not namespaced\n"},
			{[]string{"get", "networkpolicy", "p1", "-A"}, "", "cannot use --all-namespace flag for getting a single resource\n"},
			{[]string{"get", "networkpolicy", "-A", "-n", "x"}, "", "cannot use both --namespace and --all-namespaces flags at the same time\n"},
			{[]string{"get", "ippool", "-o", "bogus"}, "", "unrecognized output format 'bogus', valid formats are: ps, wide, yaml, json, name, jsonpath=..., custom-columns=..., go-template=..., go-template-file=...\n"},
			{[]string{"get", "ippool", "-o", "custom-columns=FOO"}, "", "unknown heading FOO, valid values are: ASSIGNMENTMODE, CIDR, DISABLEBGPEXPORT, DISABLED, IPIPMODE, NAME, NAT, SELECTOR, VXLANMODE\n"},
			{[]string{"get", "ippool", "-l", "a == 1"}, "", "failed to get resources: invalid selector \"a == 1\": expected a quoted string at position 5 (a == >>>1)\n"},
			{[]string{"get"}, "", "nothing to get: give a KIND (e.g. calicoctl get ippools) or -f FILENAME\n"},
		} {
			r := c.run("", tc.args...)
			if r.code != 1 || r.stdout != tc.stdout || r.stderr != tc.stderr {
				t.Errorf("calicoctl %s:\n code %d\n stdout %q (want %q)\n stderr %q (want %q)", strings.Join(tc.args, " "), r.code, r.stdout, tc.stdout, r.stderr, tc.stderr)
			}
		}
	})
}

func TestPatchTypes(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("create", "-f", writeFile(t, "pool.yaml", pool1))
		if out := c.ok("patch", "ippool", "pool1", "-p", `{"spec":{"natOutgoing":true}}`); out != "Successfully patched 1 'IPPool' resource\n" {
			t.Fatalf("strategic patch: %q", out)
		}
		c.ok("patch", "ippool", "pool1", "--type", "merge", "-p", `{"metadata":{"labels":{"env":"prod"}}}`)
		c.ok("patch", "ippool", "pool1", "--type", "json", "-p", `[{"op":"add","path":"/spec/disabled","value":true}]`)
		got := c.ok("get", "ippool", "pool1", "-o", "jsonpath={.spec.natOutgoing} {.metadata.labels.env} {.spec.disabled}")
		if got != "true prod true" {
			t.Fatalf("after patches: %q", got)
		}
		for _, tc := range []struct {
			args   []string
			stderr string
		}{
			{[]string{"patch", "ippool", "nope", "-p", `{"spec":{}}`}, "hit error: resource does not exist: IPPool(nope) with error: <nil>\n"},
			{[]string{"patch", "ippool", "pool1", "-p", `{bad`}, "hit error: performing strategic merge patch: invalid JSON document\n"},
			{[]string{"patch", "ippool", "pool1", "-p", `{"spec":{"cidr":"10.9.0.0/16"}}`}, "hit error: updating existing resource: error with field IPPool.Spec.CIDR = '10.9.0.0/16' (the CIDR of an IP pool cannot be changed (it is 10.1.0.0/16); create a new pool and disable this one) at IPPool(pool1).spec.cidr\n"},
			{[]string{"patch", "ippool", "pool1", "--type", "yaml", "-p", `{}`}, "hit error: unknown patch type \"yaml\": use strategic, merge or json\n"},
			{[]string{"patch", "ippool", "pool1", "--type", "merge", "-p", `{"metadata":{"name":"other"}}`}, "hit error: patching IPPool(pool1): a patch cannot change metadata.name or metadata.namespace: create the resource under its new name and delete the old one\n"},
			{[]string{"patch", "ippool", "pool1", "-p", `{"spec":{"bogus":1}}`}, "hit error: the patched IPPool(pool1) is not valid: field in document is not recognized or is in the wrong location: bogus\n"},
		} {
			r := c.run("", tc.args...)
			if r.code != 1 || r.stderr != tc.stderr {
				t.Errorf("calicoctl %s: code %d stderr %q (want %q)", strings.Join(tc.args, " "), r.code, r.stderr, tc.stderr)
			}
		}
	})
}

func TestLabelMessages(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("create", "-f", writeFile(t, "pool.yaml", pool1))
		steps := []struct {
			args   []string
			code   int
			stdout string
			stderr string
		}{
			{[]string{"label", "ippool", "pool1", "env=prod"}, 0, "Successfully set label env on ippool pool1\n", ""},
			{[]string{"label", "ippool", "pool1", "env=dev"}, 1, "", "failed to update label of ippool pool1, key env is already present. please use '--overwrite' to set a new value\n"},
			{[]string{"label", "ippool", "pool1", "env=prod"}, 0, "Successfully updated label env on ippool pool1\n", ""},
			{[]string{"label", "ippool", "pool1", "env=dev", "--overwrite"}, 0, "Successfully updated label env on ippool pool1\n", ""},
			{[]string{"label", "ippool", "pool1", "env", "--remove"}, 0, "Successfully removed label env from ippool pool1\n", ""},
			{[]string{"label", "ippool", "pool1", "env", "--remove"}, 1, "", "cannot remove label of ippool pool1, key env does not exist\n"},
			{[]string{"label", "ippool", "nope", "env=x"}, 1, "", "ippool nope not found\n"},
			{[]string{"label", "ippool", "pool1", "badlabel"}, 1, "", "invalid label badlabel: write KEY=VALUE to set a label, or KEY --remove to remove one\n"},
			{[]string{"label", "ippool", "pool1", "bad key=x"}, 1, "", ""},
		}
		for _, s := range steps {
			r := c.run("", s.args...)
			if r.code != s.code || r.stdout != s.stdout || (s.stderr != "" && r.stderr != s.stderr) || (s.code != 0 && r.stderr == "") {
				t.Errorf("calicoctl %s: code %d stdout %q stderr %q", strings.Join(s.args, " "), r.code, r.stdout, r.stderr)
			}
		}
	})
}

func TestNamespaceRules(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		np := `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: p1
  namespace: ns2
spec:
  selector: all()
`
		f := writeFile(t, "np.yaml", np)
		r := c.run("", "create", "-f", f, "-n", "other")
		if r.code != 1 || r.stderr != "resource namespace does not match client namespace. ns2 != other\n" {
			t.Fatalf("namespace conflict: code %d stderr %q", r.code, r.stderr)
		}
		c.ok("create", "-f", f)
		if out := c.ok("get", "networkpolicy", "-n", "ns2", "-o", "name"); out != "networkpolicy/p1\n" {
			t.Fatalf("get -n ns2: %q", out)
		}
		if out := c.ok("get", "networkpolicy", "-o", "name"); out != "" {
			t.Fatalf("get in namespace default should be empty: %q", out)
		}
		noNs := writeFile(t, "nons.yaml", strings.Replace(np, "  namespace: ns2\n", "", 1))
		if out := c.ok("get", "-f", noNs, "-A", "-o", "name"); out != "networkpolicy/p1\n" {
			t.Fatalf("get -f -A finds the policy in any namespace: %q", out)
		}
		if out := c.ok("get", "networkpolicy", "-A", "--export", "-o", "jsonpath={.metadata.resourceVersion}/{.items[0].metadata.namespace}/{.items[0].metadata.uid}"); out != "/ns2/" {
			t.Fatalf("export of a list keeps namespaces and drops revisions and uids: %q", out)
		}
		nsPool := writeFile(t, "pool.yaml", strings.Replace(pool1, "  name: pool1\n", "  name: pool1\n  namespace: x\n", 1))
		r = c.run("", "create", "-f", nsPool)
		if r.code != 1 || r.stderr != "namespace should not be specified for a non-namespaced resource. IPPool is not a namespaced resource\n" {
			t.Fatalf("namespace on pool: code %d stderr %q", r.code, r.stderr)
		}
	})
}

func TestReadOnlyAndBuiltInResources(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		ci := writeFile(t, "ci.yaml", "apiVersion: projectcalico.org/v3\nkind: ClusterInformation\nmetadata:\n  name: default\nspec: {}\n")
		r := c.run("", "create", "-f", ci)
		if r.code != 1 || r.stderr != "failed to create 'ClusterInformation' resource: [operation create is not supported on ClusterInformation]\n" {
			t.Errorf("create clusterinformation: code %d stderr %q", r.code, r.stderr)
		}
		r = c.run("", "apply", "-f", ci)
		if r.code != 1 || r.stderr != "failed to apply 'ClusterInformation' resource: [operation create or apply is not supported on ClusterInformation: resource is readonly]\n" {
			t.Errorf("apply clusterinformation: code %d stderr %q", r.code, r.stderr)
		}
		if out := c.ok("get", "profile", "projectcalico-default-allow", "-o", "name"); out != "profile/projectcalico-default-allow\n" {
			t.Errorf("built-in profile: %q", out)
		}
		builtin := writeFile(t, "allow.yaml", "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata:\n  name: projectcalico-default-allow\nspec: {}\n")
		r = c.run("", "apply", "-f", builtin)
		if r.code != 1 || r.stderr != "failed to apply 'Profile' resource: [operation apply is not supported on Profile(projectcalico-default-allow): it is built in]\n" {
			t.Errorf("apply built-in profile: code %d stderr %q", r.code, r.stderr)
		}
		r = c.run("", "delete", "profile", "projectcalico-default-allow")
		if r.code != 1 || !strings.Contains(r.stderr, "operation delete is not supported on Profile(projectcalico-default-allow)") {
			t.Errorf("delete built-in profile: code %d stderr %q", r.code, r.stderr)
		}
	})
}

func TestPoliciesNeedTheirTier(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		gnp := "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p1\nspec:\n  tier: security\n  selector: all()\n"
		tier := "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\nspec:\n  order: 100\n"
		r := c.run("", "create", "-f", writeFile(t, "gnp.yaml", gnp))
		if r.code != 1 || r.stderr != ("failed to create 'GlobalNetworkPolicy' resource: [error with field Tier = 'security' (tier security does not exist: create the Tier first (calicoctl get tiers lists them)) at GlobalNetworkPolicy(p1).spec.tier]\n") {
			t.Fatalf("policy without tier: code %d stderr %q", r.code, r.stderr)
		}
		// A tier and its policies in one file: the tier is written first.
		c.ok("create", "-f", writeFile(t, "both.yaml", tier+"---\n"+gnp))
		r = c.run("", "delete", "tier", "security")
		if r.code != 1 || !strings.Contains(r.stderr, "the tier still holds GlobalNetworkPolicy(p1)") {
			t.Fatalf("delete non-empty tier: code %d stderr %q", r.code, r.stderr)
		}
		r = c.run("", "delete", "tier", "default")
		if r.code != 1 || !strings.Contains(r.stderr, "built in") {
			t.Fatalf("delete default tier: code %d stderr %q", r.code, r.stderr)
		}
		c.ok("delete", "gnp", "p1")
		c.ok("delete", "tier", "security")
	})
}

func TestVersionMismatchCheck(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		if c.ds.Name != "etcdv3" {
			t.Skip("sets ClusterInformation through raw etcd")
		}
		c.ok("apply", "-f", writeFile(t, "pool.yaml", pool1))
		key := "/calico/resources/v3/projectcalico.org/clusterinformations/default"
		for _, tc := range []struct {
			cluster string
			code    int
			stderr  string
		}{
			{"v3.32.7", 0, ""},
			{"3.32.1-5-gabc", 0, ""},
			{"v3.30.2-5-gabc", 1, "version mismatch.\nClient Version:   v3.32.0\nCluster Version:  3.30.2\nUse --allow-version-mismatch to override\n"},
		} {
			v := `{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},"spec":{"calicoVersion":"` + tc.cluster + `","clusterType":"k8s,bgp","datastoreReady":true}}`
			if _, err := etcdRaw.Put(context.Background(), key, v); err != nil {
				t.Fatal(err)
			}
			r := c.run("", "get", "ippools", "-o", "name")
			if r.code != tc.code || r.stderr != tc.stderr {
				t.Errorf("cluster %s: code %d stderr %q", tc.cluster, r.code, r.stderr)
			}
			if r := c.run("", "get", "ippools", "-o", "name", "--allow-version-mismatch"); r.code != 0 {
				t.Errorf("cluster %s with --allow-version-mismatch: code %d stderr %q", tc.cluster, r.code, r.stderr)
			}
		}
		out := c.ok("version")
		if !strings.Contains(out, "Cluster Version:   v3.30.2-5-gabc\nCluster Type:      k8s,bgp\n") {
			t.Errorf("version output: %q", out)
		}
	})
}

// Large batches take the prefetching paths (apply updates what one list read, and on Kubernetes a
// delete needs no read of its own); the outcome is the same as one object at a time.
func TestLargeBatches(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		var docs []string
		for i := 0; i < 40; i++ {
			docs = append(docs, fmt.Sprintf("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p%02d\nspec:\n  order: %d\n  selector: all()\n", i, i))
		}
		f := writeFile(t, "many.yaml", strings.Join(docs, "---\n"))
		if out := c.ok("create", "-f", f); out != "Successfully created 40 'GlobalNetworkPolicy' resource(s)\n" {
			t.Fatalf("create: %q", out)
		}
		if out := c.ok("apply", "-f", f); out != "Successfully applied 40 'GlobalNetworkPolicy' resource(s)\n" {
			t.Fatalf("apply: %q", out)
		}
		c.ok("delete", "gnp", "p07")
		r := c.run("", "delete", "-f", f)
		if r.code != 1 || r.stdout != "Successfully deleted 39 'GlobalNetworkPolicy' resource(s)\n" || !strings.Contains(r.stderr, "resource does not exist: GlobalNetworkPolicy(p07)") {
			t.Fatalf("delete: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
		if out := c.ok("get", "gnp", "-o", "name"); out != "" {
			t.Fatalf("left over: %q", out)
		}
	})
}
