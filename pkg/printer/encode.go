package printer

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"

	"sigs.k8s.io/yaml"
)

// yamlPrinter prints one result object bare, several as a sequence, none as null.
type yamlPrinter struct{}

func (yamlPrinter) Print(w io.Writer, results []Result) error {
	kinds, err := prepare(results)
	if err != nil {
		return err
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
