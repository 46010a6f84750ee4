package printer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/client-go/util/jsonpath"
)

// jsonPathPrinter runs a kubectl JSONPath template over the JSON form of the results. Missing
// keys print nothing, as with kubectl's default --allow-missing-template-keys=true.
type jsonPathPrinter struct {
	text string
	jp   *jsonpath.JSONPath
}

func newJSONPathPrinter(text string) (Printer, error) {
	if text == "" {
		return nil, errors.New("need to specify a jsonpath template")
	}
	tpl := text
	// kubectl wants braces; a bare path such as .metadata.name is taken to mean {.metadata.name}.
	if trimmed := strings.TrimSpace(text); !strings.Contains(text, "{") && strings.HasPrefix(trimmed, ".") {
		tpl = "{" + trimmed + "}"
	}
	jp := jsonpath.New("out").AllowMissingKeys(true)
	if err := jp.Parse(tpl); err != nil {
		return nil, fmt.Errorf("error parsing jsonpath %s: %v", text, err)
	}
	return &jsonPathPrinter{text: text, jp: jp}, nil
}

func (p *jsonPathPrinter) Print(w io.Writer, results []Result) error {
	kinds, err := prepare(results)
	if err != nil {
		return err
	}
	// One result object is the object or list itself; several become kubectl's v1 List of every
	// object.
	var data interface{}
	if len(results) == 1 && (results[0].List || len(results[0].Items) == 1) {
		data = single(elements(results, kinds))
	} else {
		all := genericList{Kind: "List", APIVersion: "v1", Items: []interface{}{}}
		for _, r := range results {
			for _, obj := range r.Items {
				all.Items = append(all.Items, obj)
			}
		}
		data = all
	}
	generic, err := toGeneric(data)
	if err != nil {
		return err
	}
	return buffered(w, func(bw *bufio.Writer) error {
		if err := p.jp.Execute(bw, generic); err != nil {
			return fmt.Errorf("error executing jsonpath %s: %v", p.text, err)
		}
		return nil
	})
}

// toGeneric returns the JSON form of v as maps, slices and scalars. Whole numbers become int64,
// as in Kubernetes' unstructured objects, so that they print as 26 and not 2.6e+01 and compare
// equal to integers in filters.
func toGeneric(v interface{}) (interface{}, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out interface{}
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return convertNumbers(out), nil
}

func convertNumbers(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, e := range t {
			t[k] = convertNumbers(e)
		}
	case []interface{}:
		for i, e := range t {
			t[i] = convertNumbers(e)
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	}
	return v
}
