package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"sigs.k8s.io/yaml"
)

const committed = "../../manifests/crds"

// TestCommittedManifestsAreUpToDate fails when a change to pkg/resources/api or the kind
// registry was not followed by `go generate ./manifests`.
func TestCommittedManifestsAreUpToDate(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := filepath.Glob(filepath.Join(committed, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, f := range onDisk {
		if _, ok := want[filepath.Base(f)]; !ok {
			extra = append(extra, filepath.Base(f))
		}
	}
	if len(extra) > 0 {
		t.Errorf("manifests/crds holds files the generator no longer writes: %v; run `go generate ./manifests`", extra)
	}
	for _, name := range sortedNames(want) {
		got, err := os.ReadFile(filepath.Join(committed, name))
		if err != nil {
			t.Errorf("%s is missing: run `go generate ./manifests`", name)
			continue
		}
		if !bytes.Equal(got, want[name]) {
			t.Errorf("manifests/crds/%s differs from what hack/gencrds generates: run `go generate ./manifests`", name)
		}
	}
}

// TestSchemasAreStructural checks the rules the API server enforces on a CRD schema that a
// reflection bug would break: every node has a type unless it is int-or-string or preserves
// unknown fields, and an int-or-string node has no type.
func TestSchemasAreStructural(t *testing.T) {
	files, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		var doc crdDoc
		if err := yaml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		root := doc.Spec.Versions[0].Schema["openAPIV3Schema"]
		walk(t, name, "", root)
	}
}

func walk(t *testing.T, file, path string, s *Schema) {
	t.Helper()
	switch {
	case s == nil:
		t.Errorf("%s: %s has no schema", file, path)
		return
	case s.IntOrString && s.Type != "":
		t.Errorf("%s: %s is int-or-string and has type %q", file, path, s.Type)
	case s.Type == "" && !s.IntOrString && !s.PreserveUnknown:
		t.Errorf("%s: %s has no type", file, path)
	}
	keys := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		walk(t, file, path+"."+k, s.Properties[k])
	}
	if s.Items != nil {
		walk(t, file, path+"[]", s.Items)
	}
	if s.AdditionalProperties != nil {
		walk(t, file, path+"{}", s.AdditionalProperties)
	}
}
