package manifest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/manifest"
)

const pool = "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: %s\nspec:\n  cidr: 10.1.0.0/16\n"

func pools(names ...string) string {
	docs := make([]string, len(names))
	for i, n := range names {
		docs[i] = strings.Replace(pool, "%s", n, 1)
	}
	return strings.Join(docs, "---\n")
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name  string
		input string
		names []string // expected resource names, in order
		err   string   // substring of the error, if any
	}{
		{"one document", pools("a"), []string{"a"}, ""},
		{"several documents", pools("a", "b", "c"), []string{"a", "b", "c"}, ""},
		{"leading separator and comments", "# header\n---\n" + pools("a") + "--- # next\n" + pools("b"), []string{"a", "b"}, ""},
		{"separator with CRLF", strings.ReplaceAll(pools("a", "b"), "\n", "\r\n"), []string{"a", "b"}, ""},
		{"a dash run inside a value is not a separator", "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: a\n  annotations:\n    note: \"---x\"\nspec:\n  cidr: 10.1.0.0/16\n", []string{"a"}, ""},
		{"list kind", `{"apiVersion":"projectcalico.org/v3","kind":"IPPoolList","items":[{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"a"},"spec":{"cidr":"10.1.0.0/16"}},{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"b"},"spec":{"cidr":"10.2.0.0/16"}}]}`, []string{"a", "b"}, ""},
		{"sequence", "- " + strings.ReplaceAll(strings.TrimSuffix(pools("a"), "\n"), "\n", "\n  ") + "\n", []string{"a"}, ""},
		{"JSON document", `{"apiVersion":"projectcalico.org/v3","kind":"Tier","metadata":{"name":"t1"},"spec":{"order":10}}`, []string{"t1"}, ""},
		{"comment-only file", "# nothing\n", nil, ""},
		{"a Kubernetes List holds Calico resources (what convert prints)", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"projectcalico.org/v3","kind":"Tier","metadata":{"name":"t1"}}]}`, []string{"t1"}, ""},
		{"a Kubernetes List of v1 manifests points to convert", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"policy","metadata":{"name":"p"}}]}`, nil, "this is a calicoctl v1 manifest; convert it to projectcalico.org/v3 with 'calicoctl convert -f test.yaml'"},
		{"wrong version", strings.Replace(pools("a"), "projectcalico.org/v3", "projectcalico.org/v2", 1), nil, "apiVersion must be projectcalico.org/v3"},
		{"unknown field names the resource", strings.Replace(pools("a"), "  cidr:", "  cidrs:", 1), nil, "field in document is not recognized or is in the wrong location: cidrs (IPPool(a) in test.yaml, document 1 (line 1))"},
		{"wrong type", strings.Replace(pools("a"), "cidr: 10.1.0.0/16", "blockSize: big", 1), nil, "json: cannot unmarshal string into Go struct field IPPoolSpec.spec.blockSize of type int: spec.blockSize must be a whole number, not a string"},
		{"a Calico enum type is named as Calico names it", strings.Replace(pools("a"), "cidr: 10.1.0.0/16", "ipipMode: 5", 1), nil, "json: cannot unmarshal number into Go struct field IPPoolSpec.spec.ipipMode of type v3.IPIPMode: spec.ipipMode must be a string (quote it), not a number"},
		{"duplicate key", pools("a") + "spec:\n  cidr: 10.2.0.0/16\n", nil, "error converting YAML to JSON: yaml: unmarshal errors: line 8: key \"spec\" already set in map (in test.yaml)"},
		{"several duplicate keys in one line", "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: a\n  name: b\nspec:\n  cidr: 10.0.0.0/8\n  cidr: 10.1.0.0/16\n", nil,
			"error converting YAML to JSON: yaml: unmarshal errors: line 5: key \"name\" already set in map; line 8: key \"cidr\" already set in map (in test.yaml)"},
		{"YAML error line is counted from the file's top", pools("a") + "---\nkind: [\n", nil, "yaml: line 8"},
		{"hidden kinds are not accepted", strings.Replace(pools("a"), "kind: IPPool", "kind: Nope", 1), nil, "unknown resource type (Nope)"},
		{"binary", "\x00\x00", nil, "not a YAML or JSON text file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := manifest.Decode([]byte(tc.input), "test.yaml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range objs {
				names = append(names, o.GetName())
			}
			if strings.Join(names, ",") != strings.Join(tc.names, ",") {
				t.Fatalf("names %v, want %v", names, tc.names)
			}
		})
	}
}

func TestLoadReportsEmptyInput(t *testing.T) {
	_, err := manifest.Load("-", false, strings.NewReader("   \n# only a comment\n"))
	var empty *manifest.EmptyError
	if !errors.As(err, &empty) || err.Error() != "no resources specified in file stdin" {
		t.Fatalf("got %v", err)
	}
}

func TestLargeFilesDecodeInOrder(t *testing.T) {
	names := make([]string, 500)
	for i := range names {
		names[i] = "p" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "-" + strings.TrimSpace(strings.Repeat(" ", 1)) + itoa(i)
	}
	objs, err := manifest.Decode([]byte(pools(names...)), "big.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range objs {
		if o.GetName() != names[i] {
			t.Fatalf("object %d is %s, want %s", i, o.GetName(), names[i])
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

// FuzzDecode: whatever the input, decoding never panics and either returns resources, which
// encode to JSON that decodes to equal resources, or no resources and an error of one line that
// names the input.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(pools("a", "b")))
	f.Add([]byte(`{"apiVersion":"projectcalico.org/v3","kind":"IPPoolList","items":[{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"a"}}]}`))
	f.Add([]byte("- apiVersion: projectcalico.org/v3\n  kind: Tier\n  metadata:\n    name: t\n"))
	f.Add([]byte("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p\nspec:\n  ingress:\n  - action: Allow\n    destination:\n      ports: [80, \"1:2\", http]\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("kind: [\n"))
	f.Add([]byte("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: a\n  name: b\nspec:\n  cidr: 10.0.0.0/8\n  cidr: 10.1.0.0/16\n"))
	f.Add([]byte("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: n\n  labels: {a: b}\nspec:\n  order: 1.5\n  selector: a == 'b'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := manifest.Decode(data, "fuzz.yaml")
		if err != nil {
			if objs != nil {
				t.Fatalf("objects returned with an error")
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error of more than one line: %q", msg)
			}
			if !strings.Contains(msg, "fuzz.yaml") {
				t.Fatalf("error does not name the input: %q", msg)
			}
			return
		}
		for i, o := range objs {
			if o == nil {
				t.Fatalf("object %d is nil", i)
			}
			first, err := json.Marshal(o)
			if err != nil {
				t.Fatalf("object %d does not encode: %v", i, err)
			}
			again, err := manifest.Decode(first, "again.json")
			if err != nil || len(again) != 1 {
				t.Fatalf("object %d encodes to %s, which does not decode to one object: %v", i, first, err)
			}
			second, _ := json.Marshal(again[0])
			if !bytes.Equal(first, second) {
				t.Fatalf("object %d changes when encoded and decoded again:\n%s\n%s", i, first, second)
			}
		}
	})
}
