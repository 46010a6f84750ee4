// Package manifest reads Calico resources from what an operator passes to -f: a file, a
// directory, or standard input, each holding YAML or JSON documents separated by "---". A document
// is one resource, a <Kind>List with items, or a sequence of resources. Decoding is strict: an
// unknown field is an error naming the field and the resource.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"github.com/calicoctl-go/calicoctl/internal/parallel"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// MaxDocumentSize is the largest single document accepted, as in calicoctl.
const MaxDocumentSize = 10 << 20

// EmptyError says a file or directory held no resources (--skip-empty makes it a success).
type EmptyError struct {
	Path string
	Dir  bool
}

func (e *EmptyError) Error() string {
	if e.Dir {
		return "no resources specified in directory " + e.Path
	}
	return "no resources specified in file " + e.Path
}

// Load reads every resource named by a -f argument. path "-" reads stdin.
func Load(path string, recursive bool, stdin io.Reader) ([]resources.Resource, error) {
	return LoadWith(path, recursive, stdin, nil)
}

// Extra decodes a document of a kind that is not Calico's (a Kubernetes NetworkPolicy for
// policy trace, say); ok false leaves it an unknown kind.
type Extra func(apiVersion, kind string, js []byte) (obj resources.Resource, ok bool, err error)

// LoadWith is Load accepting, besides Calico's kinds, what extra decodes.
func LoadWith(path string, recursive bool, stdin io.Reader, extra Extra) ([]resources.Resource, error) {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return decodeSource(data, "-", extra)
	}
	info, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open"
		}
		return nil, err
	}
	if !info.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return decodeSource(data, path, extra)
	}
	var out []resources.Resource
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rs, err := decode(data, p, extra)
		if err != nil {
			return err
		}
		out = append(out, rs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &EmptyError{Path: path, Dir: true}
	}
	return out, nil
}

func decodeSource(data []byte, source string, extra Extra) ([]resources.Resource, error) {
	rs, err := decode(data, source, extra)
	if err == nil && len(rs) == 0 {
		name := source
		if source == "-" {
			name = "stdin"
		}
		return nil, &EmptyError{Path: name}
	}
	return rs, err
}

// document is one "---"-separated part of a source and the line it starts on.
type document struct {
	data  []byte
	line  int
	index int
}

// split cuts data at lines that are a YAML document separator.
func split(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 1, 1
	for i := 0; i <= len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += i
		}
		l := data[i:end]
		if isSeparator(l) {
			docs = append(docs, document{data: data[start:i], line: startLine})
			start, startLine = end+1, line+1
			if start > len(data) {
				start = len(data)
			}
		}
		i = end + 1
		line++
	}
	if start < len(data) {
		docs = append(docs, document{data: data[start:], line: startLine})
	}
	for i := range docs {
		docs[i].index = i + 1
	}
	return docs
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimRight(line[3:], " \t\r")
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '#'
}

// blank reports a document with nothing but blank lines and comments.
func blank(doc []byte) bool {
	for _, l := range bytes.Split(doc, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) != 0 && l[0] != '#' {
			return false
		}
	}
	return true
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// Decode parses every document of one source. source names it in errors.
func Decode(data []byte, source string) ([]resources.Resource, error) {
	return decode(data, source, nil)
}

func decode(data []byte, source string, extra Extra) ([]resources.Resource, error) {
	where := source
	if source == "-" {
		where = "stdin"
	}
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, fmt.Errorf("%s is not a YAML or JSON text file (it contains binary data)", where)
	}
	docs := split(data)
	results := make([][]resources.Resource, len(docs))
	errs := make([]error, len(docs))
	decodeOne := func(i int) {
		doc := docs[i]
		if blank(doc.data) {
			return
		}
		at := fmt.Sprintf("%s, document %d (line %d)", where, doc.index, doc.line)
		js, err := toJSON(doc, where, at)
		if err != nil {
			errs[i] = err
			return
		}
		results[i], errs[i] = decodeJSON(js, at, extra)
	}
	// Many documents are decoded on all cores; the result keeps file order.
	parallel.For(len(docs), 64, decodeOne)
	var out []resources.Resource
	for i := range docs {
		if errs[i] != nil {
			var v1 *OldFormatError
			if errors.As(errs[i], &v1) {
				v1.Source = where
			}
			return nil, singleLine(errs[i])
		}
		out = append(out, results[i]...)
	}
	return out, nil
}

// Document is the JSON form of one non-blank document of a source, and where it is.
type Document struct {
	JSON []byte
	At   string // "FILE, document N (line L)"
}

// JSONDocuments splits a source into its documents and converts each to JSON, without decoding
// them as resources (calicoctl convert reads other formats than v3).
func JSONDocuments(data []byte, source string) ([]Document, error) {
	where := source
	if source == "-" {
		where = "stdin"
	}
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, fmt.Errorf("%s is not a YAML or JSON text file (it contains binary data)", where)
	}
	var out []Document
	for _, doc := range split(data) {
		if blank(doc.data) {
			continue
		}
		at := fmt.Sprintf("%s, document %d (line %d)", where, doc.index, doc.line)
		js, err := toJSON(doc, where, at)
		if err != nil {
			return nil, err
		}
		out = append(out, Document{JSON: js, At: at})
	}
	return out, nil
}

// toJSON converts one document, with YAML errors located from the top of the file.
func toJSON(doc document, where, at string) ([]byte, error) {
	if len(doc.data) > MaxDocumentSize {
		return nil, fmt.Errorf("%s is %.1f MB; a document may be at most 10 MB: split it into several documents", at, float64(len(doc.data))/(1<<20))
	}
	js, err := yaml.YAMLToJSONStrict(doc.data)
	if err != nil {
		msg := yamlLine.ReplaceAllStringFunc(err.Error(), func(m string) string {
			n, _ := strconv.Atoi(m[5:])
			return "line " + strconv.Itoa(n+doc.line-1)
		})
		return nil, fmt.Errorf("error converting YAML to JSON: %s (in %s)", oneLine(msg), where)
	}
	return js, nil
}

// DecodeJSON decodes the JSON of one document (a resource, a list or a sequence); at names it in
// errors.
func DecodeJSON(js []byte, at string) ([]resources.Resource, error) { return decodeJSON(js, at, nil) }

type header struct {
	APIVersion string                `json:"apiVersion"`
	Kind       string                `json:"kind"`
	Metadata   struct{ Name string } `json:"metadata"`
	Items      []json.RawMessage     `json:"items"`
}

func decodeJSON(js []byte, at string, extra Extra) ([]resources.Resource, error) {
	js = bytes.TrimSpace(js)
	if len(js) > 0 && js[0] == '[' {
		var seq []json.RawMessage
		if err := json.Unmarshal(js, &seq); err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		var out []resources.Resource
		for _, item := range seq {
			rs, err := decodeJSON(item, at, extra)
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
		return out, nil
	}
	if len(js) == 0 || js[0] != '{' {
		return nil, fmt.Errorf("%s is not a resource: expected a mapping with apiVersion, kind, metadata and spec", at)
	}
	var h header
	if err := json.Unmarshal(js, &h); err != nil {
		return nil, fmt.Errorf("%s: %s", at, resources.DecodeError(err))
	}
	// A Kubernetes List (what calicoctl convert prints for several resources) holds any documents.
	isV1List := h.APIVersion == "v1" && h.Kind == "List"
	if isV1List || h.APIVersion == api.GroupVersion && strings.HasSuffix(h.Kind, "List") {
		if isV1List {
			var out []resources.Resource
			for _, item := range h.Items {
				rs, err := decodeJSON(item, at, extra)
				if err != nil {
					return nil, err
				}
				out = append(out, rs...)
			}
			return out, nil
		}
		if k, ok := resources.ByKind(strings.TrimSuffix(h.Kind, "List")); ok && !k.Hidden {
			out := make([]resources.Resource, 0, len(h.Items))
			for _, item := range h.Items {
				rs, err := decodeJSON(item, at, extra)
				if err != nil {
					return nil, err
				}
				out = append(out, rs...)
			}
			return out, nil
		}
	}
	if extra != nil && h.APIVersion != api.GroupVersion {
		if obj, ok, err := extra(h.APIVersion, h.Kind, js); ok || err != nil {
			if err != nil {
				return nil, fmt.Errorf("%v (%s %s in %s)", err, h.Kind, h.Metadata.Name, at)
			}
			return []resources.Resource{obj}, nil
		}
	}
	if oldFormat(h.APIVersion, h.Kind) {
		return nil, &OldFormatError{Kind: h.Kind, APIVersion: h.APIVersion, At: at, Command: "calicoctl"}
	}
	k, ok := resources.ByKind(h.Kind)
	if !ok || k.Hidden || h.APIVersion != api.GroupVersion {
		return nil, fmt.Errorf("unknown resource type (%s) and/or version (%s)%s", h.Kind, h.APIVersion, hint(h.APIVersion, h.Kind, at))
	}
	obj, err := k.DecodeStrict(js)
	if err != nil {
		return nil, fmt.Errorf("%v (%s in %s)", err, k.ID(objNamespace(js), h.Metadata.Name), at)
	}
	return []resources.Resource{obj}, nil
}

func objNamespace(js []byte) string {
	var m struct {
		Metadata struct{ Namespace string } `json:"metadata"`
	}
	_ = json.Unmarshal(js, &m)
	return m.Metadata.Namespace
}

// hint explains the two usual causes of an unknown type: v1 manifests and a wrong apiVersion.
func hint(apiVersion, kind, at string) string {
	switch {
	case apiVersion == "v1" && kind != "" && kind != "List":
		return fmt.Sprintf(" in %s: this looks like a calicoctl v1 manifest; write it with apiVersion: %s and the v3 kind name", at, api.GroupVersion)
	case kind == "" && apiVersion == "":
		return fmt.Sprintf(" in %s: every document needs apiVersion: %s and a kind", at, api.GroupVersion)
	case apiVersion != api.GroupVersion:
		return fmt.Sprintf(" in %s: apiVersion must be %s", at, api.GroupVersion)
	default:
		names := make([]string, 0, 24)
		for _, k := range resources.All() {
			names = append(names, k.Kind)
		}
		return fmt.Sprintf(" in %s: the supported kinds are %s", at, strings.Join(names, ", "))
	}
}

// V1Kinds are the kinds of calicoctl v1 manifests (apiVersion v1), as the v1 API spelled them;
// `calicoctl convert` reads them.
var V1Kinds = []string{"node", "hostEndpoint", "workloadEndpoint", "profile", "policy", "tier", "ipPool", "bgpPeer"}

// IsV1Kind reports whether kind (any case) is a calicoctl v1 kind.
func IsV1Kind(kind string) bool {
	for _, k := range V1Kinds {
		if strings.EqualFold(k, kind) {
			return true
		}
	}
	return false
}

func oldFormat(apiVersion, kind string) bool {
	return apiVersion == "networking.k8s.io/v1" && kind == "NetworkPolicy" || apiVersion == "v1" && IsV1Kind(kind)
}

// OldFormatError is a document that `calicoctl convert` turns into v3: a calicoctl v1 manifest
// or a Kubernetes NetworkPolicy.
type OldFormatError struct {
	Kind, APIVersion string
	At               string // where the document is
	Source           string // the file, as given to -f ("stdin" for -)
	Command          string // how the operator runs calicoctl ("calicoctl", "kubectl calico")
}

func (e *OldFormatError) Error() string {
	src := e.Source
	if src == "stdin" || src == "" {
		src = "-"
	}
	what := "a calicoctl v1 manifest"
	if e.APIVersion != "v1" {
		what = "a Kubernetes NetworkPolicy (apply it with kubectl, or make it a Calico policy)"
	}
	return fmt.Sprintf("unknown resource type (%s) and/or version (%s) in %s: this is %s; convert it to %s with '%s convert -f %s', review the result, and create or apply that",
		e.Kind, e.APIVersion, e.At, what, api.GroupVersion, e.Command, src)
}

// oneLine joins the causes of a multi-line YAML error ("yaml: unmarshal errors:\n  line 5: ...\n
// line 8: ...") into one line, separated by semicolons.
func oneLine(msg string) string {
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return lines[0] + " " + strings.Join(lines[1:], "; ")
}

// singleLine keeps an error on one line when it quotes a value of the input that holds a line
// break (an apiVersion or kind written over two lines): the break is shown as \n.
func singleLine(err error) error {
	if !strings.ContainsAny(err.Error(), "\r\n") {
		return err
	}
	return &escapedError{err}
}

type escapedError struct{ err error }

func (e *escapedError) Error() string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(e.err.Error())
}

func (e *escapedError) Unwrap() error { return e.err }
