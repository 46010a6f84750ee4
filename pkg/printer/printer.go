// Package printer prints the results of `calicoctl get` in every -o format, once, for every kind.
// Tables come from the kind registry's columns; yaml, json, name, jsonpath and go-template work on
// the objects themselves, so a new kind needs nothing here.
package printer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// Result is one result object of a get: either a single object (get KIND NAME, one per name) or a
// list (get KIND).
type Result struct {
	Kind            *resources.Kind
	Items           []resources.Resource
	List            bool   // true for a list result
	ResourceVersion string // list revision, for yaml/json list output
}

// Options are the facts a printer needs beyond the results themselves.
type Options struct {
	// ShowNamespace is set when -n or -A was given: tables of namespaced kinds get a leading
	// NAMESPACE column.
	ShowNamespace bool
	// Context serves the Node ASN "(64512)" cell and the `config "asnumber"` template function.
	Context *resources.PrintContext
}

// Printer writes a get's results to w.
type Printer interface {
	Print(w io.Writer, results []Result) error
}

const (
	calicoGroup      = "projectcalico.org"
	calicoVersion    = "v3"
	calicoAPIVersion = calicoGroup + "/" + calicoVersion
	defaultASNumber  = "64512"
	namespaceHeading = "NAMESPACE"
	validFormats     = "ps, wide, yaml, json, name, jsonpath=..., custom-columns=..., go-template=..., go-template-file=..."
)

// New parses the -o value: "" or "ps", "wide", "yaml"/"yml", "json", "name", "jsonpath=TPL",
// "custom-columns=A,B", "go-template=TPL", "go-template-file=PATH". Templates and column lists are
// parsed here, once, so that a bad one fails before anything is fetched or printed.
func New(output string, opts Options) (Printer, error) {
	ctx := printContext(opts.Context)
	format, arg, hasArg := strings.Cut(output, "=")
	switch {
	case !hasArg && (format == "" || format == "ps"):
		return &tablePrinter{headings: defaultHeadings, showNamespace: opts.ShowNamespace, ctx: ctx}, nil
	case !hasArg && format == "wide":
		return &tablePrinter{headings: wideHeadings, showNamespace: opts.ShowNamespace, ctx: ctx}, nil
	case !hasArg && (format == "yaml" || format == "yml"):
		return yamlPrinter{}, nil
	case !hasArg && format == "json":
		return jsonPrinter{}, nil
	case !hasArg && format == "name":
		return namePrinter{}, nil
	case format == "jsonpath":
		return newJSONPathPrinter(arg)
	case format == "custom-columns":
		return newCustomColumnsPrinter(arg, ctx)
	case format == "go-template":
		if arg == "" {
			return nil, errors.New("need to specify a template")
		}
		return newTemplatePrinter(arg, "template "+arg, ctx)
	case format == "go-template-file":
		if arg == "" {
			return nil, errors.New("need to specify a template file")
		}
		text, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("cannot read go-template file: %w", err)
		}
		return newTemplatePrinter(string(text), "template file "+arg, ctx)
	}
	return nil, fmt.Errorf("unrecognized output format '%s', valid formats are: %s", output, validFormats)
}

// printContext fills in a missing context and remembers the global AS number after its first
// use: it may cost a datastore read, and a table of 5,000 nodes asks once per row.
func printContext(in *resources.PrintContext) *resources.PrintContext {
	asNumber := func() string { return defaultASNumber }
	if in != nil && in.GlobalASNumber != nil {
		asNumber = in.GlobalASNumber
	}
	return &resources.PrintContext{GlobalASNumber: sync.OnceValue(asNumber)}
}

// list is the YAML/JSON form of a list result, e.g. an IPPoolList, and what a go-template sees
// for one: .Kind, .APIVersion, .ListMeta.ResourceVersion, .Items.
type list struct {
	Kind       string               `json:"kind,omitempty"`
	APIVersion string               `json:"apiVersion,omitempty"`
	ListMeta   metav1.ListMeta      `json:"metadata"`
	Items      []resources.Resource `json:"items"`
}

// genericList is kubectl's form for several results given to a jsonpath template.
type genericList struct {
	Kind       string        `json:"kind"`
	APIVersion string        `json:"apiVersion"`
	Items      []interface{} `json:"items"`
}

// kindOf returns the kind of a result, falling back to the kind named by its first object.
func kindOf(r Result) (*resources.Kind, error) {
	if r.Kind != nil {
		return r.Kind, nil
	}
	if len(r.Items) > 0 {
		return resources.KindOf(r.Items[0])
	}
	return nil, errors.New("printer: result has neither a kind nor objects")
}

// prepare checks every result has a kind and gives every object its apiVersion and kind: objects
// listed from a datastore often lack their TypeMeta, and every format shows it. The objects are
// updated in place.
func prepare(results []Result) ([]*resources.Kind, error) {
	kinds := make([]*resources.Kind, len(results))
	for i, r := range results {
		k, err := kindOf(r)
		if err != nil {
			return nil, err
		}
		kinds[i] = k
		for _, obj := range r.Items {
			ok := obj.GetObjectKind()
			gvk := ok.GroupVersionKind()
			if gvk.Kind != "" && gvk.Version != "" {
				continue
			}
			if gvk.Kind == "" {
				gvk.Kind = k.Kind
			}
			if gvk.Version == "" {
				gvk.Group, gvk.Version = calicoGroup, calicoVersion
			}
			ok.SetGroupVersionKind(schema.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind})
		}
	}
	return kinds, nil
}

// elements are the values the yaml, json and go-template formats print: a list result is one
// list, a single-object result is the object itself.
func elements(results []Result, kinds []*resources.Kind) []interface{} {
	var out []interface{}
	for i, r := range results {
		if r.List {
			items := r.Items
			if items == nil {
				items = []resources.Resource{}
			}
			out = append(out, &list{
				Kind:       kinds[i].ListKind(),
				APIVersion: calicoAPIVersion,
				ListMeta:   metav1.ListMeta{ResourceVersion: r.ResourceVersion},
				Items:      items,
			})
			continue
		}
		for _, obj := range r.Items {
			out = append(out, obj)
		}
	}
	return out
}

// single returns the one element printed bare, or the whole slice: calicoctl prints one result
// object on its own and several as a sequence.
func single(els []interface{}) interface{} {
	if len(els) == 1 {
		return els[0]
	}
	return els
}

// buffered runs print against a buffered w, flushing what was written even when print fails.
func buffered(w io.Writer, print func(*bufio.Writer) error) error {
	bw := bufio.NewWriterSize(w, 64*1024)
	err := print(bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
