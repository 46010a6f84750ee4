package cmd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every piece of bad input is refused with an error that names the problem, the resource or
// file, and nothing of the input is written.
func TestBadInputIsRefusedAndNothingWritten(t *testing.T) {
	big := pool1 + "  nodeSelector: \"" + strings.Repeat("x", 11<<20) + "\"\n"
	cases := []struct {
		name    string
		content string
		extra   []string
		stderr  []string // substrings, in order
	}{
		{"unknown kind", "apiVersion: projectcalico.org/v3\nkind: Nope\nmetadata:\n  name: x\n", nil,
			[]string{"failed to execute command: unknown resource type (Nope) and/or version (projectcalico.org/v3)", "document 1 (line 1)", "IPPool"}},
		{"v1 manifest", "apiVersion: v1\nkind: ipPool\nmetadata:\n  cidr: 10.1.0.0/16\n", nil,
			[]string{"unknown resource type (ipPool) and/or version (v1)", "calicoctl v1 manifest"}},
		{"unknown field", pool1 + "  foo: 1\n", nil,
			[]string{"field in document is not recognized or is in the wrong location: foo", "IPPool(pool1)"}},
		{"yaml syntax error counts lines from the top of the file", pool1 + "---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: [x\n", nil,
			[]string{"error converting YAML to JSON: yaml: line 11", ".yaml"}},
		{"invalid CIDR", strings.Replace(pool1, "10.1.0.0/16", "10.5.0.0/99", 1), nil,
			[]string{"failed to create 'IPPool' resource: [error with field IPPool.Spec.CIDR = '10.5.0.0/99' (IPPool CIDR must be a valid subnet) at IPPool(pool1).spec.cidr"}},
		{"CIDR not a network address", strings.Replace(pool1, "10.1.0.0/16", "10.1.0.1/16", 1), nil,
			[]string{"IPPool(pool1).spec.cidr", "10.1.0.0/16"}},
		{"invalid selector names its position", "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p\nspec:\n  selector: app = 'x'\n", nil,
			[]string{"error with field Selector = 'app = 'x''", "position 4", "at GlobalNetworkPolicy(p).spec.selector"}},
		{"invalid name", strings.Replace(pool1, "name: pool1", "name: Bad_Name", 1), nil,
			[]string{"error with field Metadata.Name = 'Bad_Name' (name must consist of lower case alphanumeric characters, '-' or '.' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)) at IPPool(Bad_Name).metadata.name"}},
		{"one invalid document stops the whole file", twoPools + "---\n" + strings.Replace(strings.Replace(pool1, "pool1", "pool3", 1), "10.1.0.0/16", "300.0.0.0/8", 1), nil,
			[]string{"failed to create 'IPPool' resource: [error with field IPPool.Spec.CIDR = '300.0.0.0/8' (IPPool CIDR must be a valid subnet) at IPPool(pool3).spec.cidr"}},
		{"empty file", "# nothing here\n", nil, []string{"failed to execute command: no resources specified in file"}},
		{"document over 10 MB", big, nil, []string{"a document may be at most 10 MB"}},
		{"binary garbage", "\x00\x01\x02\xff\xfe garbage", nil, []string{"is not a YAML or JSON text file"}},
		{"scalar document", "just a string\n", nil, []string{"is not a resource"}},
	}
	forEachDatastore(t, func(t *testing.T, c cli) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c.ds.Reset(t)
				c.t = t
				f := writeFile(t, "input.yaml", tc.content)
				for _, verb := range []string{"create", "apply"} {
					r := c.run("", append([]string{verb, "-f", f}, tc.extra...)...)
					if r.code != 1 {
						t.Fatalf("%s: exit %d, want 1; stdout %q stderr %q", verb, r.code, r.stdout, r.stderr)
					}
					rest := r.stderr
					for _, want := range tc.stderr {
						i := strings.Index(rest, strings.ReplaceAll(want, "create", verb))
						if i < 0 && verb == "apply" {
							i = strings.Index(rest, want)
						}
						if i < 0 {
							t.Fatalf("%s: stderr %q lacks %q", verb, r.stderr, want)
						}
						rest = rest[i:]
					}
					if strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n") > 0 {
						t.Errorf("%s: error should be one line: %q", verb, r.stderr)
					}
				}
				if got := c.ok("get", "ippools", "-o", "name"); got != "" {
					t.Errorf("nothing should have been written, found: %q", got)
				}
				if got := c.ok("get", "gnp", "-o", "name"); got != "" {
					t.Errorf("nothing should have been written, found: %q", got)
				}
			})
		}
	})
}

func TestOverlappingPoolsAreRefused(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("create", "-f", writeFile(t, "p.yaml", pool1))
		overlap := strings.Replace(strings.Replace(pool1, "pool1", "pool9", 1), "10.1.0.0/16", "10.1.128.0/17", 1)
		r := c.run("", "create", "-f", writeFile(t, "o.yaml", overlap))
		if r.code != 1 || !strings.Contains(r.stderr, "error with field IPPool.Spec.CIDR = '10.1.128.0/17' (IPPool(pool9) CIDR overlaps with IPPool(pool1) CIDR 10.1.0.0/16) at IPPool(pool9).spec.cidr") {
			t.Fatalf("overlap: code %d stderr %q", r.code, r.stderr)
		}
		if got := c.ok("get", "ippools", "-o", "name"); got != "ippool/pool1\n" {
			t.Fatalf("the overlapping pool was written: %q", got)
		}
	})
}

func TestSkipEmptyAndMissingFile(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		empty := writeFile(t, "empty.yaml", "")
		if out := c.ok("create", "-f", empty, "--skip-empty"); out != "No resources specified\n" {
			t.Fatalf("--skip-empty: %q", out)
		}
		dir := t.TempDir()
		r := c.run("", "apply", "-f", dir)
		if r.code != 1 || r.stderr != "failed to execute command: no resources specified in directory "+dir+"\n" {
			t.Fatalf("empty dir: code %d stderr %q", r.code, r.stderr)
		}
		r = c.run("", "apply", "-f", filepath.Join(dir, "missing.yaml"))
		if r.code != 1 || !strings.Contains(r.stderr, "failed to execute command: open ") || !strings.Contains(r.stderr, "no such file or directory") {
			t.Fatalf("missing file: code %d stderr %q", r.code, r.stderr)
		}
		for _, verb := range []string{"create", "apply", "replace", "validate"} {
			r = c.run("", verb)
			if r.code != 1 || r.stderr != "required flag(s) \"filename\" not set\n" {
				t.Errorf("%s without -f: code %d stderr %q", verb, r.code, r.stderr)
			}
		}
	})
}

func TestDirectoriesStdinAndLists(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
		os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(pool1), 0o644)
		os.WriteFile(filepath.Join(dir, "ignored.txt"), []byte("not yaml"), 0o644)
		os.WriteFile(filepath.Join(dir, "sub", "b.json"), []byte(`{"apiVersion":"projectcalico.org/v3","kind":"IPPoolList","items":[{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"pool2"},"spec":{"cidr":"10.2.0.0/16"}}]}`), 0o644)
		if out := c.ok("create", "-f", dir); out != "Successfully created 1 'IPPool' resource(s)\n" {
			t.Fatalf("dir without -R: %q", out)
		}
		if out := c.ok("apply", "-f", dir, "-R"); out != "Successfully applied 2 'IPPool' resource(s)\n" {
			t.Fatalf("dir with -R: %q", out)
		}
		seq := "- apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata:\n    name: pool3\n  spec:\n    cidr: 10.3.0.0/16\n"
		r := c.run(seq, "apply", "-f", "-")
		if r.code != 0 || r.stdout != "Successfully applied 1 'IPPool' resource(s)\n" {
			t.Fatalf("stdin sequence: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
		if got := c.ok("get", "ippools", "-o", "name"); got != "ippool/pool1\nippool/pool2\nippool/pool3\n" {
			t.Fatalf("pools: %q", got)
		}
	})
}

func TestConfigurationErrors(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		cfg := writeFile(t, "calicoctl.cfg", "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  etcdEndpoint: http://127.0.0.1:2379\n")
		r := c.run("", "get", "ippools", "-c", cfg)
		want := "Failed to create Calico API client: syntax error in " + cfg + ": failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: unknown field \"etcdEndpoint\"\n"
		if r.code != 1 || r.stderr != want {
			t.Errorf("unknown config field: code %d stderr %q", r.code, r.stderr)
		}
		r = c.run("", "get", "ippools", "-c", "/nonexistent/calicoctl.cfg")
		if r.code != 1 || r.stderr != "Error reading config file: /nonexistent/calicoctl.cfg\n" {
			t.Errorf("missing config: code %d stderr %q", r.code, r.stderr)
		}
	})
}

func TestUnreachableDatastoreFailsWithinTheTimeout(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DATASTORE_TYPE", "etcdv3")
	t.Setenv("ETCD_ENDPOINTS", "http://127.0.0.1:1")
	t.Setenv("CALICO_DATASTORE_TIMEOUT", "2s")
	c := cli{t: t}
	start := time.Now()
	r := c.run("", "get", "ippools")
	took := time.Since(start)
	if r.code != 1 || r.stderr != "cannot connect to etcd at http://127.0.0.1:1: nothing accepts connections there (dial tcp 127.0.0.1:1: connect: connection refused); check that etcd is running and that ETCD_ENDPOINTS (etcdEndpoints) is right\n" {
		t.Fatalf("unreachable: code %d stderr %q", r.code, r.stderr)
	}
	// Generous bound: the point is that it does not hang, not how fast it fails.
	if took > 30*time.Second {
		t.Fatalf("took %s to give up", took)
	}
}

func TestValidateNeedsNoDatastore(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("ETCD_ENDPOINTS", "http://127.0.0.1:1")
	c := cli{t: t}
	r := c.run("", "validate", "-f", quickstart)
	if r.code != 0 || r.stdout != "Successfully validated 11 resource(s)\n" {
		t.Fatalf("validate quickstart: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	bad := writeFile(t, "bad.yaml", strings.Replace(pool1, "10.1.0.0/16", "10.5.0.0/99", 1))
	r = c.run("", "validate", "-f", bad)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "hit error: [error with field IPPool.Spec.CIDR = '10.5.0.0/99' (IPPool CIDR must be a valid subnet) at IPPool(pool1).spec.cidr") {
		t.Fatalf("validate bad: code %d stderr %q", r.code, r.stderr)
	}
}

func TestKubectlPluginName(t *testing.T) {
	var out bytes.Buffer
	c := cli{t: t}
	_ = c
	r := runAs(t, "/usr/local/bin/kubectl-calico", &out, "--help")
	if r != 0 || !strings.Contains(out.String(), "kubectl calico [command]") {
		t.Fatalf("plugin help: code %d output %q", r, out.String())
	}
}
