package printer

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// yamlPrinter prints one result object bare, several as a sequence, none as null.
type yamlPrinter struct{}

func (yamlPrinter) Print(w io.Writer, results []Result) error {
	kinds, err := prepare(results)
	if err != nil {
		return err
	}
	if len(results) == 1 && results[0].List && len(results[0].Items) > 0 {
		return streamYAMLList(w, results[0], kinds[0].ListKind())
	}
	out, err := yaml.Marshal(single(elements(results, kinds)))
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// jsonPrinter is yamlPrinter's JSON twin. Like calicoctl it ends without a newline.
type jsonPrinter struct{}

func (jsonPrinter) Print(w io.Writer, results []Result) error {
	kinds, err := prepare(results)
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(single(elements(results, kinds)), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// namePrinter prints kind/name, one object a line, as kubectl's -o name does.
type namePrinter struct{}

func (namePrinter) Print(w io.Writer, results []Result) error {
	kinds, err := prepare(results)
	if err != nil {
		return err
	}
	return buffered(w, func(bw *bufio.Writer) error {
		for i, r := range results {
			prefix := strings.ToLower(kinds[i].Kind) + "/"
			for _, obj := range r.Items {
				bw.WriteString(prefix)
				bw.WriteString(obj.GetName())
				bw.WriteByte('\n')
			}
		}
		return nil
	})
}

// streamYAMLList writes a list item by item, producing the bytes yaml.Marshal would for the whole
// list (keys in order, sequences not indented under their key) without holding the YAML tree of
// thousands of objects in memory at once.
func streamYAMLList(w io.Writer, r Result, listKind string) error {
	return buffered(w, func(bw *bufio.Writer) error {
		bw.WriteString("apiVersion: " + calicoAPIVersion + "\nitems:\n")
		for _, obj := range r.Items {
			out, err := yaml.Marshal(obj)
			if err != nil {
				return err
			}
			for i, line := range strings.SplitAfter(strings.TrimSuffix(string(out), "\n"), "\n") {
				switch {
				case i == 0:
					bw.WriteString("- ")
				case line != "\n": // an empty line in a block scalar stays empty
					bw.WriteString("  ")
				}
				bw.WriteString(line)
			}
			bw.WriteByte('\n')
		}
		meta, err := yaml.Marshal(map[string]interface{}{"kind": listKind, "metadata": metav1.ListMeta{ResourceVersion: r.ResourceVersion}})
		if err != nil {
			return err
		}
		bw.Write(meta)
		return nil
	})
}
