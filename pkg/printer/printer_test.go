package printer_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/printer"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// widget is a test-only namespaced kind.
type widget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              widgetSpec `json:"spec,omitempty"`
}

type widgetSpec struct {
	Size   int               `json:"size"`
	Tags   []string          `json:"tags,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// gadget is a test-only cluster-wide kind whose ASN cell uses the print context, like Node's.
type gadget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              gadgetSpec `json:"spec,omitempty"`
}

type gadgetSpec struct {
	ASNumber *uint32 `json:"asNumber,omitempty"`
	CIDR     string  `json:"cidr,omitempty"`
}

var widgetKind = resources.Register(&resources.Kind{
	Kind:       "PrinterTestWidget",
	Plural:     "printertestwidgets",
	Namespaced: true,
	New:        func() resources.Resource { return &widget{} },
	Columns: []resources.Column{
		{Heading: "NAME", Value: func(r resources.Resource, _ *resources.PrintContext) string { return r.GetName() }},
		{Heading: "SIZE", Value: func(r resources.Resource, _ *resources.PrintContext) string {
			return fmt.Sprint(r.(*widget).Spec.Size)
		}},
		{Heading: "TAGS", Value: func(r resources.Resource, _ *resources.PrintContext) string {
			return printer.Join(r.(*widget).Spec.Tags, ",")
		}},
	},
	Default: []string{"NAME", "SIZE"},
	Wide:    []string{"NAME", "SIZE", "TAGS"},
})

var gadgetKind = resources.Register(&resources.Kind{
	Kind:   "PrinterTestGadget",
	Plural: "printertestgadgets",
	New:    func() resources.Resource { return &gadget{} },
	Columns: []resources.Column{
		{Heading: "NAME", Value: func(r resources.Resource, _ *resources.PrintContext) string { return r.GetName() }},
		{Heading: "ASN", Value: func(r resources.Resource, ctx *resources.PrintContext) string {
			if as := r.(*gadget).Spec.ASNumber; as != nil {
				return fmt.Sprint(*as)
			}
			return "(" + ctx.GlobalASNumber() + ")"
		}},
		{Heading: "CIDR", Value: func(r resources.Resource, _ *resources.PrintContext) string { return r.(*gadget).Spec.CIDR }},
	},
	Default: []string{"NAME", "ASN"},
	Wide:    []string{"NAME", "ASN", "CIDR"},
})

// newWidget returns a widget without TypeMeta, as a datastore list returns its items.
func newWidget(ns, name string, size int, tags ...string) *widget {
	return &widget{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: "7"},
		Spec:       widgetSpec{Size: size, Tags: tags},
	}
}

func widgets() []resources.Resource {
	long := newWidget("team-b", "long-name-widget", 1234, "x", "y")
	long.Spec.Labels = map[string]string{"zone": "eu", "app": "web", "tier": "frontend"}
	return []resources.Resource{
		newWidget("team-a", "small", 3, "red", "blue"),
		newWidget("team-a", "medium", 12),
		long,
	}
}

func newGadget(name string, as uint32, cidr string) *gadget {
	g := &gadget{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: gadgetSpec{CIDR: cidr}}
	if as != 0 {
		g.Spec.ASNumber = &as
	}
	return g
}

func widgetList() printer.Result {
	return printer.Result{Kind: widgetKind, List: true, ResourceVersion: "42", Items: widgets()}
}

func one(obj resources.Resource) printer.Result {
	k := widgetKind
	if _, ok := obj.(*gadget); ok {
		k = gadgetKind
	}
	return printer.Result{Kind: k, Items: []resources.Resource{obj}}
}

func gadgetList() printer.Result {
	return printer.Result{Kind: gadgetKind, List: true, ResourceVersion: "9", Items: []resources.Resource{
		newGadget("zeta", 0, "10.0.0.0/16"),
		newGadget("alpha", 65001, "192.168.0.0/24"),
	}}
}

func asContext(as string) *resources.PrintContext {
	return &resources.PrintContext{GlobalASNumber: func() string { return as }}
}

func TestFormatsMatchGoldenFiles(t *testing.T) {
	tplFile := filepath.Join(t.TempDir(), "names.tmpl")
	if err := os.WriteFile(tplFile, []byte(`{{range .}}{{range .Items}}{{.ObjectMeta.Namespace}}/{{.ObjectMeta.Name}}
{{end}}{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		golden  string
		output  string
		opts    printer.Options
		results func() []printer.Result
	}{
		{"ps_list", "", printer.Options{}, func() []printer.Result { return []printer.Result{widgetList()} }},
		{"ps_explicit", "ps", printer.Options{}, func() []printer.Result { return []printer.Result{widgetList()} }},
		{"ps_namespace", "ps", printer.Options{ShowNamespace: true}, func() []printer.Result { return []printer.Result{widgetList()} }},
		{"ps_namespace_ignored_for_cluster_kind", "ps", printer.Options{ShowNamespace: true}, func() []printer.Result { return []printer.Result{gadgetList()} }},
		{"ps_empty_list", "ps", printer.Options{}, func() []printer.Result {
			return []printer.Result{{Kind: widgetKind, List: true}}
		}},
		{"ps_two_results_two_tables", "ps", printer.Options{}, func() []printer.Result {
			return []printer.Result{one(newWidget("team-a", "first", 1)), one(newWidget("team-a", "second-widget", 22))}
		}},
		{"ps_zero_results", "ps", printer.Options{}, func() []printer.Result { return nil }},
		{"ps_sorted_global_asn", "ps", printer.Options{Context: asContext("65000")}, func() []printer.Result { return []printer.Result{gadgetList()} }},
		{"ps_default_asn", "ps", printer.Options{}, func() []printer.Result { return []printer.Result{gadgetList()} }},
		{"wide_list", "wide", printer.Options{}, func() []printer.Result { return []printer.Result{widgetList()} }},
		{"wide_namespace", "wide", printer.Options{ShowNamespace: true}, func() []printer.Result { return []printer.Result{widgetList()} }},
		{"wide_two_kinds", "wide", printer.Options{}, func() []printer.Result { return []printer.Result{gadgetList(), widgetList()} }},

		{"yaml_single", "yaml", printer.Options{}, func() []printer.Result { return []printer.Result{one(newWidget("team-a", "small", 3, "red"))} }},
		{"yaml_sequence", "yml", printer.Options{}, func() []printer.Result {
			return []printer.Result{one(newWidget("team-a", "first", 1)), one(newGadget("g", 65001, "10.0.0.0/8"))}
		}},
		{"yaml_list", "yaml", printer.Options{}, func() []printer.Result { return []printer.Result{widgetList()} }},
		{"yaml_empty_list", "yaml", printer.Options{}, func() []printer.Result {
			return []printer.Result{{Kind: gadgetKind, List: true, ResourceVersion: "5"}}
		}},
		{"yaml_null", "yaml", printer.Options{}, func() []printer.Result { return nil }},

		{"json_single", "json", printer.Options{}, func() []printer.Result { return []printer.Result{one(newWidget("team-a", "small", 3, "red"))} }},
		{"json_sequence", "json", printer.Options{}, func() []printer.Result {
			return []printer.Result{one(newWidget("team-a", "first", 1)), one(newWidget("team-b", "second", 2))}
		}},
		{"json_list", "json", printer.Options{}, func() []printer.Result { return []printer.Result{gadgetList()} }},
		{"json_empty_list", "json", printer.Options{}, func() []printer.Result {
			return []printer.Result{{Kind: gadgetKind, List: true, ResourceVersion: "5"}}
		}},
		{"json_null", "json", printer.Options{}, func() []printer.Result { return nil }},

		{"name", "name", printer.Options{}, func() []printer.Result {
			return []printer.Result{widgetList(), one(newGadget("g", 0, ""))}
		}},

		{"jsonpath_single", "jsonpath={.metadata.name} {.spec.size} {.kind}", printer.Options{}, func() []printer.Result {
			return []printer.Result{one(newWidget("team-a", "small", 3))}
		}},
		{"jsonpath_bare_path", "jsonpath=.spec.tags", printer.Options{}, func() []printer.Result {
			return []printer.Result{one(newWidget("team-a", "small", 3, "red", "blue"))}
		}},
		{"jsonpath_list", `jsonpath={.kind} {.metadata.resourceVersion}{"\n"}{range .items[*]}{.metadata.namespace}/{.metadata.name}={.spec.size}{"\n"}{end}`, printer.Options{}, func() []printer.Result {
			return []printer.Result{widgetList()}
		}},
		{"jsonpath_list_filter_integer", `jsonpath={.items[?(@.spec.size==1234)].metadata.name}`, printer.Options{}, func() []printer.Result {
			return []printer.Result{widgetList()}
		}},
		{"jsonpath_multi", `jsonpath={.kind} {.apiVersion}: {.items[*].metadata.name} {.items[*].kind}`, printer.Options{}, func() []printer.Result {
			return []printer.Result{one(newWidget("team-a", "first", 1)), gadgetList()}
		}},
		{"jsonpath_missing_key", `jsonpath=[{.spec.nothing}]`, printer.Options{}, func() []printer.Result {
			return []printer.Result{one(newWidget("team-a", "small", 3))}
		}},

		{"custom_columns_headings", "custom-columns=SIZE,NAME", printer.Options{}, func() []printer.Result { return []printer.Result{widgetList()} }},
		{"custom_columns_namespace", "custom-columns=NAMESPACE,NAME,TAGS", printer.Options{ShowNamespace: true}, func() []printer.Result {
			return []printer.Result{widgetList()}
		}},
		{"custom_columns_jsonpath", "custom-columns=NAME:.metadata.name,SIZE:{.spec.size},FIRST:spec.tags[0],ALL:.spec.tags[*],MISSING:.spec.nothing", printer.Options{}, func() []printer.Result {
			return []printer.Result{widgetList()}
		}},
		{"custom_columns_mixed", "custom-columns=NAME,CIDR:.spec.cidr,ASN", printer.Options{Context: asContext("65000")}, func() []printer.Result {
			return []printer.Result{gadgetList()}
		}},

		{"go_template_list", `go-template={{range .}}{{range .Items}}{{.ObjectMeta.Name}} [{{join .Spec.Tags ","}}] [{{joinAndTruncate .Spec.Labels ";" 16}}] {{config "asnumber"}}
{{end}}{{end}}`, printer.Options{Context: asContext("65123")}, func() []printer.Result { return []printer.Result{widgetList()} }},
		{"go_template_list_meta", `go-template={{range .}}{{.Kind}} {{.APIVersion}} rv={{.ListMeta.ResourceVersion}} n={{len .Items}}
{{end}}`, printer.Options{}, func() []printer.Result { return []printer.Result{widgetList(), {Kind: gadgetKind, List: true}} }},
		{"go_template_singles", `go-template={{range .}}{{.Kind}} {{.ObjectMeta.Name}} {{.Spec.Size}} {{config "asnumber"}}
{{end}}`, printer.Options{}, func() []printer.Result {
			return []printer.Result{one(newWidget("team-a", "first", 1)), one(newWidget("team-a", "second", 2))}
		}},
		{"go_template_file", "go-template-file=" + tplFile, printer.Options{}, func() []printer.Result { return []printer.Result{widgetList()} }},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			p, err := printer.New(tc.output, tc.opts)
			if err != nil {
				t.Fatalf("New(%q): %v", tc.output, err)
			}
			var out bytes.Buffer
			if err := p.Print(&out, tc.results()); err != nil {
				t.Fatalf("Print: %v", err)
			}
			checkGolden(t, tc.golden, out.Bytes())
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/printer -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// The table layout quirks calicoctl users' scripts rely on, asserted directly rather than only
// through golden files.
func TestTableLayoutQuirks(t *testing.T) {
	p, err := printer.New("ps", printer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := p.Print(&out, []printer.Result{one(newWidget("ns", "a", 1)), one(newWidget("ns", "bb", 2))}); err != nil {
		t.Fatal(err)
	}
	want := "NAME   SIZE   \na      1      \n\nNAME   SIZE   \nbb     2      \n\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestJSONHasNoTrailingNewlineAndYAMLHasOne(t *testing.T) {
	for format, wantNewline := range map[string]bool{"json": false, "yaml": true} {
		p, err := printer.New(format, printer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := p.Print(&out, []printer.Result{widgetList()}); err != nil {
			t.Fatal(err)
		}
		if got := strings.HasSuffix(out.String(), "\n"); got != wantNewline {
			t.Errorf("%s: ends in newline = %v, want %v", format, got, wantNewline)
		}
	}
}

func TestObjectsWithoutTypeMetaGetTheirKind(t *testing.T) {
	w := newWidget("ns", "a", 1)
	p, _ := printer.New("json", printer.Options{})
	if err := p.Print(io.Discard, []printer.Result{{Kind: widgetKind, Items: []resources.Resource{w}}}); err != nil {
		t.Fatal(err)
	}
	if w.APIVersion != "projectcalico.org/v3" || w.Kind != "PrinterTestWidget" {
		t.Errorf("TypeMeta = %+v, want projectcalico.org/v3 PrinterTestWidget", w.TypeMeta)
	}
}

func TestGlobalASNumberIsFetchedOncePerPrinter(t *testing.T) {
	calls := 0
	ctx := &resources.PrintContext{GlobalASNumber: func() string { calls++; return "65000" }}
	p, err := printer.New("ps", printer.Options{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	var items []resources.Resource
	for i := 0; i < 50; i++ {
		items = append(items, newGadget(fmt.Sprint("g", i), 0, ""))
	}
	if err := p.Print(io.Discard, []printer.Result{{Kind: gadgetKind, List: true, Items: items}}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("GlobalASNumber called %d times, want 1", calls)
	}
}

func TestNewRejectsBadOutputFormats(t *testing.T) {
	cases := []struct {
		output string
		want   string // the whole message, or its prefix when it ends in "..."
	}{
		{"bogus", "unrecognized output format 'bogus', valid formats are: ps, wide, yaml, json, name, jsonpath=..., custom-columns=..., go-template=..., go-template-file=..."},
		{"ps=x", "unrecognized output format 'ps=x', valid formats are: ps, wide, yaml, json, name, jsonpath=..., custom-columns=..., go-template=..., go-template-file=..."},
		{"YAML", "unrecognized output format 'YAML', valid formats are: ps, wide, yaml, json, name, jsonpath=..., custom-columns=..., go-template=..., go-template-file=..."},
		{"custom-columns=", "need to specify at least one column"},
		{"custom-columns", "need to specify at least one column"},
		{"custom-columns=NAME,,SIZE", `unexpected custom-columns entry "" in "NAME,,SIZE", expected HEADING or HEADING:JSONPATH`},
		{"custom-columns=NAME:", `unexpected custom-columns entry "NAME:" in "NAME:", expected HEADING or HEADING:JSONPATH`},
		{"custom-columns=X:{.a}{.b}", "error parsing jsonpath {.a}{.b}: expected a path such as .spec.cidr or {.spec.cidr}"},
		{"custom-columns=X:.a[", "error parsing jsonpath .a[: ..."},
		{"go-template=", "need to specify a template"},
		{"go-template", "need to specify a template"},
		{"go-template={{.Foo", "error parsing template {{.Foo: ..."},
		{"go-template-file=", "need to specify a template file"},
		{"go-template-file=/nonexistent/printer.tmpl", "cannot read go-template file: open /nonexistent/printer.tmpl: no such file or directory"},
		{"jsonpath=", "need to specify a jsonpath template"},
		{"jsonpath={.metadata.name", "error parsing jsonpath {.metadata.name: ..."},
	}
	for _, tc := range cases {
		t.Run(tc.output, func(t *testing.T) {
			_, err := printer.New(tc.output, printer.Options{})
			checkError(t, err, tc.want)
		})
	}
}

func TestPrintRejectsWhatOnlyTheKindCanCheck(t *testing.T) {
	cases := []struct {
		name, output string
		results      []printer.Result
		want         string
	}{
		{"unknown heading lists sorted headings with NAMESPACE", "custom-columns=NAME,FOO", []printer.Result{widgetList()},
			"unknown heading FOO, valid values are: NAME, NAMESPACE, SIZE, TAGS"},
		{"NAMESPACE is unknown on a cluster-wide kind", "custom-columns=NAMESPACE", []printer.Result{gadgetList()},
			"unknown heading NAMESPACE, valid values are: ASN, CIDR, NAME"},
		{"unknown config option", `go-template={{config "bogus"}}`, []printer.Result{widgetList()},
			`error executing template: ... unknown config option "bogus", valid options are: asnumber`},
		{"kubectl-style field names are not Calico's", `go-template={{range .}}{{.metadata.name}}{{end}}`, []printer.Result{one(newWidget("ns", "a", 1))},
			"error executing template: ..."},
		{"result without kind", "ps", []printer.Result{{List: true}}, "printer: result has neither a kind nor objects"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := printer.New(tc.output, printer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			checkError(t, p.Print(&out, tc.results), tc.want)
			if strings.HasPrefix(tc.output, "custom-columns") && out.Len() != 0 {
				t.Errorf("printed %q before failing", out.String())
			}
		})
	}
}

// checkError compares a message exactly, or, when want ends in "...", its prefix; a "..." in the
// middle also requires what follows it.
func checkError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	got := err.Error()
	head, tail, cut := strings.Cut(want, " ...")
	if !cut {
		if got != want {
			t.Errorf("error %q, want %q", got, want)
		}
		return
	}
	if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, tail) {
		t.Errorf("error %q, want %q", got, want)
	}
}

type stringer int

func (s stringer) String() string { return fmt.Sprintf("s%d", int(s)) }

func TestJoin(t *testing.T) {
	cases := []struct {
		name string
		in   interface{}
		sep  string
		max  int
		want string
	}{
		{"strings", []string{"a", "b"}, ",", 0, "a,b"},
		{"nil", nil, ",", 0, ""},
		{"nil slice", []string(nil), ",", 0, ""},
		{"stringers", []stringer{1, 2}, ";", 0, "s1;s2"},
		{"ints", []int{1, 2, 3}, " ", 0, "1 2 3"},
		{"map sorted", map[string]string{"b": "2", "a": "1"}, ",", 0, "a=1,b=2"},
		{"other map sorted", map[string]int{"y": 2, "x": 1}, ",", 0, "x=1,y=2"},
		{"scalar", 5, ",", 0, "5"},
		{"fits exactly", []string{"abc", "def"}, ",", 7, "abc,def"},
		{"truncated to max", []string{"10.0.0.0/8", "192.168.0.0/16"}, ",", 12, "10.0.0.0/..."},
		{"max below ellipsis", []string{"abcdef"}, ",", 2, ".."},
		{"never splits a character", []string{"aééé"}, ",", 5, "a..."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if tc.max == 0 {
				got = printer.Join(tc.in, tc.sep)
			} else {
				got = printer.JoinAndTruncate(tc.in, tc.sep, tc.max)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if tc.max > 0 && len(got) > tc.max {
				t.Errorf("%q is longer than %d", got, tc.max)
			}
		})
	}
}

func bigWorkloadList(n int) []printer.Result {
	items := make([]resources.Resource, n)
	for i := range items {
		items[i] = newWidget(fmt.Sprintf("namespace-%d", i%40), fmt.Sprintf("node%d-k8s-pod--%d-eth0", i%100, i), i, "kns.default", "ksa.default.default")
	}
	return []printer.Result{{Kind: widgetKind, List: true, Items: items}}
}

func BenchmarkTable5000(b *testing.B) {
	results := bigWorkloadList(5000)
	p, err := printer.New("wide", printer.Options{ShowNamespace: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Print(io.Discard, results); err != nil {
			b.Fatal(err)
		}
	}
}
