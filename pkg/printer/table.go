package printer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"

	"k8s.io/client-go/util/jsonpath"

	"github.com/calicoctl-go/calicoctl/internal/lazyregexp"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// tablePrinter prints ps, wide and custom-columns: one table per result, each followed by an empty
// line, every cell (the last included) followed by a tab as calicoctl's templates did, so lines
// carry trailing padding.
type tablePrinter struct {
	// headings picks the kind's headings for ps and wide; nil for custom-columns.
	headings func(*resources.Kind) []string
	// custom are the custom-columns entries, in order.
	custom        []customColumn
	showNamespace bool
	ctx           *resources.PrintContext
}

// customColumn is one custom-columns entry: a heading of the kind, or HEADING:JSONPATH.
type customColumn struct {
	heading string
	path    *jsonpath.JSONPath // nil for a heading of the kind
	expr    string
}

// column is one table column bound to a kind.
type column struct {
	heading string
	cell    func(*row) (string, error)
}

// row is the object of one table row, with its JSON form computed at most once.
type row struct {
	obj     resources.Resource
	generic interface{}
	err     error
	done    bool
}

func (r *row) jsonForm() (interface{}, error) {
	if !r.done {
		r.generic, r.err = toGeneric(r.obj)
		r.done = true
	}
	return r.generic, r.err
}

func defaultHeadings(k *resources.Kind) []string { return k.Default }

func wideHeadings(k *resources.Kind) []string {
	if len(k.Wide) == 0 {
		return k.Default
	}
	return k.Wide
}

// relaxedPath is kubectl's custom-columns path syntax: name1.name2, .name1.name2, {name1.name2}
// or {.name1.name2}.
var relaxedPath = lazyregexp.New(`^\{\.?([^{}]+)\}$|^\.?([^{}]+)$`)

func newCustomColumnsPrinter(spec string, ctx *resources.PrintContext) (Printer, error) {
	if spec == "" {
		return nil, errors.New("need to specify at least one column")
	}
	p := &tablePrinter{ctx: ctx}
	for _, entry := range strings.Split(spec, ",") {
		heading, expr, isPath := strings.Cut(entry, ":")
		if heading == "" || (isPath && expr == "") {
			return nil, fmt.Errorf("unexpected custom-columns entry %q in %q, expected HEADING or HEADING:JSONPATH", entry, spec)
		}
		if !isPath {
			p.custom = append(p.custom, customColumn{heading: heading})
			continue
		}
		m := relaxedPath.FindStringSubmatch(expr)
		if m == nil {
			return nil, fmt.Errorf("error parsing jsonpath %s: expected a path such as .spec.cidr or {.spec.cidr}", expr)
		}
		field := m[1]
		if field == "" {
			field = m[2]
		}
		jp := jsonpath.New(heading).AllowMissingKeys(true)
		if err := jp.Parse("{." + field + "}"); err != nil {
			return nil, fmt.Errorf("error parsing jsonpath %s: %v", expr, err)
		}
		p.custom = append(p.custom, customColumn{heading: heading, path: jp, expr: expr})
	}
	return p, nil
}

// columns binds the printer's headings to a kind.
func (p *tablePrinter) columns(k *resources.Kind) ([]column, error) {
	var cols []column
	if p.custom == nil {
		headings := p.headings(k)
		if p.showNamespace && k.Namespaced {
			headings = append([]string{namespaceHeading}, headings...)
		}
		for _, h := range headings {
			c, ok := p.kindColumn(k, h)
			if !ok {
				return nil, fmt.Errorf("kind %s has no column %s", k.Kind, h)
			}
			cols = append(cols, c)
		}
		return cols, nil
	}
	for _, cc := range p.custom {
		if cc.path != nil {
			cols = append(cols, jsonPathColumn(cc))
			continue
		}
		c, ok := p.kindColumn(k, cc.heading)
		if !ok {
			return nil, fmt.Errorf("unknown heading %s, valid values are: %s", cc.heading, strings.Join(validHeadings(k), ", "))
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// kindColumn returns the kind's column for a heading; NAMESPACE exists for every namespaced kind.
func (p *tablePrinter) kindColumn(k *resources.Kind, heading string) (column, bool) {
	if c, ok := k.Column(heading); ok && c.Value != nil {
		value, ctx := c.Value, p.ctx
		return column{heading: heading, cell: func(r *row) (string, error) { return value(r.obj, ctx), nil }}, true
	}
	if heading == namespaceHeading && k.Namespaced {
		return column{heading: heading, cell: func(r *row) (string, error) { return r.obj.GetNamespace(), nil }}, true
	}
	return column{}, false
}

// validHeadings lists what custom-columns accepts for a kind, sorted (calicoctl's order was
// random).
func validHeadings(k *resources.Kind) []string {
	hs := k.Headings()
	if _, ok := k.Column(namespaceHeading); k.Namespaced && !ok {
		hs = append(hs, namespaceHeading)
	}
	sort.Strings(hs)
	return hs
}

// jsonPathColumn prints every value the path finds, comma-separated, or <none>, as kubectl's
// custom-columns does.
func jsonPathColumn(cc customColumn) column {
	return column{heading: cc.heading, cell: func(r *row) (string, error) {
		data, err := r.jsonForm()
		if err != nil {
			return "", err
		}
		found, err := cc.path.FindResults(data)
		if err != nil {
			return "", fmt.Errorf("error executing jsonpath %s: %v", cc.expr, err)
		}
		var vals []string
		for _, set := range found {
			for _, v := range set {
				vals = append(vals, valueString(v))
			}
		}
		if len(vals) == 0 {
			return "<none>", nil
		}
		return strings.Join(vals, ","), nil
	}}
}

func valueString(v reflect.Value) string {
	if !v.IsValid() {
		return "<none>"
	}
	if v.Kind() == reflect.Interface && v.IsNil() {
		return "<nil>"
	}
	return fmt.Sprintf("%v", v.Interface())
}

func (p *tablePrinter) Print(w io.Writer, results []Result) error {
	kinds, err := prepare(results)
	if err != nil {
		return err
	}
	// Bind every table's columns first, so an unknown heading prints nothing.
	tables := make([][]column, len(results))
	for i := range results {
		if tables[i], err = p.columns(kinds[i]); err != nil {
			return err
		}
	}
	return buffered(w, func(bw *bufio.Writer) error {
		for i, r := range results {
			if !r.List && len(r.Items) == 0 {
				continue
			}
			if err := p.table(bw, kinds[i], tables[i], r.Items); err != nil {
				return err
			}
		}
		return nil
	})
}

func (p *tablePrinter) table(bw *bufio.Writer, k *resources.Kind, cols []column, items []resources.Resource) error {
	tw := tabwriter.NewWriter(bw, 5, 1, 3, ' ', 0)
	line := make([]byte, 0, 256)
	for _, c := range cols {
		line = append(line, c.heading...)
		line = append(line, '\t')
	}
	line = append(line, '\n')
	if _, err := tw.Write(line); err != nil {
		return err
	}
	for _, obj := range items {
		r := row{obj: obj}
		line = line[:0]
		for _, c := range cols {
			cell, err := c.cell(&r)
			if err != nil {
				return err
			}
			line = append(line, cell...)
			line = append(line, '\t')
		}
		line = append(line, '\n')
		if _, err := tw.Write(line); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return bw.WriteByte('\n')
}
