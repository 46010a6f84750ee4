package printer

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// templatePrinter runs a Go text/template, as calicoctl does, against the slice of result
// objects: a list result is a list with .Kind, .APIVersion, .ListMeta.ResourceVersion and .Items,
// a single-object result is the object. Objects are Calico's Go structs, so fields are named as in
// Go, not as in JSON: {{range .}}{{range .Items}}{{.ObjectMeta.Name}} {{.Spec.CIDR}}{{end}}{{end}}.
type templatePrinter struct {
	tpl *template.Template
}

func newTemplatePrinter(text, what string, ctx *resources.PrintContext) (Printer, error) {
	tpl, err := template.New("get").Funcs(templateFuncs(ctx)).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("error parsing %s: %v", what, err)
	}
	return &templatePrinter{tpl: tpl}, nil
}

// templateFuncs are calicoctl's template functions.
func templateFuncs(ctx *resources.PrintContext) template.FuncMap {
	return template.FuncMap{
		"join":            Join,
		"joinAndTruncate": JoinAndTruncate,
		"config": func(name string) (string, error) {
			if strings.EqualFold(name, "asnumber") {
				return ctx.GlobalASNumber(), nil
			}
			return "", fmt.Errorf("unknown config option %q, valid options are: asnumber", name)
		},
	}
}

func (p *templatePrinter) Print(w io.Writer, results []Result) error {
	kinds, err := prepare(results)
	if err != nil {
		return err
	}
	data := elements(results, kinds)
	if data == nil {
		data = []interface{}{}
	}
	return buffered(w, func(bw *bufio.Writer) error {
		if err := p.tpl.Execute(bw, data); err != nil {
			return fmt.Errorf("error executing template: %v", err)
		}
		return nil
	})
}
