package cmd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const convertInputs = "../convert/testdata"

// Every v1 kind (and the seeds' examples) converts to the v3 objects in its golden file; notes
// about guesses the converter made go to stderr.
func TestConvertGolden(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	inputs, err := filepath.Glob(filepath.Join(convertInputs, "*.yaml"))
	if err != nil || len(inputs) < 9 {
		t.Fatalf("convert inputs: %v %v", inputs, err)
	}
	c := cli{t: t}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			c.t = t
			r := c.run("", "convert", "-f", in)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			golden(t, "convert/"+name, r.stdout+notes(r.stderr))
		})
	}
	t.Run("json", func(t *testing.T) {
		c.t = t
		r := c.run("", "convert", "-f", filepath.Join(convertInputs, "policy.yaml"), "-o", "json")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		golden(t, "convert/policy-json", r.stdout)
	})
	t.Run("stdin", func(t *testing.T) {
		c.t = t
		data, _ := os.ReadFile(filepath.Join(convertInputs, "ippool.yaml"))
		r := c.run(string(data), "convert", "-f", "-")
		want, _ := os.ReadFile(filepath.Join("testdata", "convert", "ippool.golden"))
		if r.code != 0 || r.stdout != string(want) {
			t.Errorf("convert -f - gave exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

func notes(stderr string) string {
	if stderr == "" {
		return ""
	}
	return "# stderr:\n" + stderr
}

// Bad input to the command: one clear line and exit 1, nothing on stdout.
func TestConvertErrors(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	c := cli{t: t}
	wide := writeFile(t, "wep.yaml", `apiVersion: v1
kind: workloadEndpoint
metadata: {name: eth0, workload: default.frontend-5gs43, orchestrator: k8s, node: rack1-host1}
spec: {ipNetworks: [192.168.0.0/16]}
`)
	if err := os.WriteFile(filepath.Join(filepath.Dir(wide), "k.yaml"), []byte("apiVersion: v1\nkind: calicoApiConfig\nmetadata: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"convert", "-f", wide}, "converted manifest resource(s) failed validation: [error with field IPNetworks = '192.168.0.0/16' (IP network contains multiple addresses: use a single address, /32 for IPv4 or /128 for IPv6) at WorkloadEndpoint(default/rack1--host1-k8s-frontend--5gs43-eth0).spec.ipNetworks[0]]\nfix the input, or print the result anyway with --ignore-validation\n"},
		{[]string{"convert", "-f", wide, "-o", "table"}, "unrecognized output format 'table': convert prints yaml or json\n"},
		{[]string{"convert"}, "required flag(s) \"filename\" not set\n"},
		{[]string{"convert", "-f", "/nonexistent.yaml"}, "failed to execute command: open /nonexistent.yaml: no such file or directory\n"},
		{[]string{"convert", "-f", filepath.Join(filepath.Dir(wide), "k.yaml")}, "failed to convert: " + "k.yaml, document 1 (line 1): conversion for the resource type 'calicoApiConfig' is not supported: the v1 kinds are node, hostEndpoint, workloadEndpoint, profile, policy, tier, ipPool, bgpPeer\n"},
	} {
		r := c.run("", tc.args...)
		got := strings.ReplaceAll(r.stderr, filepath.Dir(wide)+"/", "")
		if r.code != 1 || r.stdout != "" || got != tc.stderr {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q\nwant   %q", tc.args, r.code, r.stdout, got, tc.stderr)
		}
	}
	r := c.run("", "convert", "-f", wide, "--ignore-validation")
	if r.code != 0 || !strings.Contains(r.stdout, "192.168.0.0/16") {
		t.Errorf("--ignore-validation: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// create, apply and validate name the command that converts a v1 manifest or a Kubernetes
// NetworkPolicy.
func TestV1ManifestPointsToConvert(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	c := cli{t: t}
	pool := filepath.Join(convertInputs, "ippool.yaml")
	netpol := filepath.Join(convertInputs, "kubernetes-networkpolicy.yaml")
	for _, verb := range []string{"create", "apply", "validate", "replace", "delete"} {
		r := c.run("", verb, "-f", pool)
		want := "failed to execute command: unknown resource type (ipPool) and/or version (v1) in " + pool +
			", document 1 (line 1): this is a calicoctl v1 manifest; convert it to projectcalico.org/v3 with 'calicoctl convert -f " + pool + "', review the result, and create or apply that\n"
		if r.code != 1 || r.stderr != want {
			t.Errorf("%s: exit %d\n%q\nwant\n%q", verb, r.code, r.stderr, want)
		}
	}
	r := c.run("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n", "validate", "-f", "-")
	if want := "failed to execute command: unknown resource type (NetworkPolicy) and/or version (networking.k8s.io/v1) in stdin, document 1 (line 1): this is a Kubernetes NetworkPolicy (apply it with kubectl, or make it a Calico policy); convert it to projectcalico.org/v3 with 'calicoctl convert -f -', review the result, and create or apply that\n"; r.stderr != want {
		t.Errorf("Kubernetes policy on stdin:\n%q\nwant\n%q", r.stderr, want)
	}
	// The list form names the file too.
	if r := c.run("", "validate", "-f", netpol); !strings.Contains(r.stderr, "'calicoctl convert -f "+netpol+"'") {
		t.Errorf("list of Kubernetes policies: %s", r.stderr)
	}
}

// The seeds' examples, converted, create cleanly on each datastore, and what is stored is what
// convert printed: the same names, selectors and rules in the same order.
func TestConvertedSeedsCreate(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		for _, name := range []string{"tenant", "policy", "profile", "kubernetes-networkpolicy", "dcos-bookstore", "ippool", "bgppeer", "hostendpoint", "tier", "workloadendpoint", "node"} {
			if c.ds.Name != "etcdv3" && strings.Contains(" tenant workloadendpoint node profile dcos-bookstore ", " "+name+" ") {
				continue // Kubernetes derives endpoints, nodes and profiles from pods, nodes and namespaces
			}
			out := c.ok("convert", "-f", filepath.Join(convertInputs, name+".yaml"), "-o", "json")
			objs := convertedObjects(t, out)
			path := writeFile(t, name+".json", out)
			c.ok("create", "-f", path)
			for _, want := range objs {
				kind := want["kind"].(string)
				meta := want["metadata"].(map[string]any)
				args := []string{"get", kind, meta["name"].(string), "-o", "json"}
				if ns, ok := meta["namespace"].(string); ok {
					args = append(args, "-n", ns)
				}
				var got map[string]any
				if err := json.Unmarshal([]byte(c.ok(args...)), &got); err != nil {
					t.Fatalf("%v: %v", args, err)
				}
				if !reflect.DeepEqual(got["spec"], want["spec"]) {
					t.Errorf("%s %v: stored spec\n%v\nconverted spec\n%v", name, args[1:3], got["spec"], want["spec"])
				}
				gotMeta := got["metadata"].(map[string]any)
				if !reflect.DeepEqual(gotMeta["labels"], meta["labels"]) {
					t.Errorf("%s %v: stored labels %v, converted %v", name, args[1:3], gotMeta["labels"], meta["labels"])
				}
			}
		}
		if c.ds.Name != "etcdv3" {
			return
		}
		// The seed's point survives: the database profile denies first, so its allow is shadowed.
		var prof struct {
			Spec struct {
				Ingress []struct {
					Action   string
					Protocol string
					Source   struct{ Selector string }
				}
			}
		}
		if err := json.Unmarshal([]byte(c.ok("get", "profile", "profile-database", "-o", "json")), &prof); err != nil {
			t.Fatal(err)
		}
		in := prof.Spec.Ingress
		if len(in) != 2 || in[0].Action != "Deny" || in[1].Action != "Allow" || in[1].Protocol != "TCP" ||
			in[1].Source.Selector != "namespace == 'default' && service == 'frontend'" {
			t.Errorf("profile-database ingress: %+v", in)
		}
		if got := c.ok("get", "gnp", "namespace-default", "-o", "jsonpath={.spec.selector}"); got != "namespace == 'default'" {
			t.Errorf("namespace-default selector: %q", got)
		}
		if got := c.ok("get", "wep", "-n", "default", "-o", "name"); got != "workloadendpoint/rack1--host1-k8s-frontend--5gs43-eth0\nworkloadendpoint/slave1-k8s-frontend-slave1--frontend1\nworkloadendpoint/slave1-k8s-frontend-slave1--frontend2\nworkloadendpoint/slave2-k8s-database-slave2--database\n" {
			t.Errorf("tenant endpoints: %q", got)
		}
	})
}

// convertedObjects reads convert's output: one object, or a v1 List of them.
func convertedObjects(t *testing.T, out string) []map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("convert output: %v\n%s", err, out)
	}
	if doc["kind"] != "List" {
		return []map[string]any{doc}
	}
	var objs []map[string]any
	for _, item := range doc["items"].([]any) {
		objs = append(objs, item.(map[string]any))
	}
	return objs
}
