package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const committed = "../../docs/commands"

// The committed reference pages are exactly what the command tree generates: a command, flag
// or help text changed without `make docs` fails here.
func TestDocsUpToDate(t *testing.T) {
	pages := Generate()
	for name, want := range pages {
		got, err := os.ReadFile(filepath.Join(committed, name))
		if err != nil {
			t.Errorf("docs/commands/%s is missing: run make docs", name)
			continue
		}
		if string(got) != want {
			t.Errorf("docs/commands/%s is stale: run make docs", name)
		}
	}
	files, err := filepath.Glob(filepath.Join(committed, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := pages[filepath.Base(f)]; !ok {
			t.Errorf("docs/commands/%s documents no command: run make docs", filepath.Base(f))
		}
	}
}

// Every command has a page, linked from the index and from its parent.
func TestEveryCommandHasAPage(t *testing.T) {
	pages := Generate()
	for _, name := range []string{"calicoctl.md", "calicoctl_get.md", "calicoctl_convert.md", "calicoctl_datastore_serve.md", "calicoctl_completion_bash.md"} {
		if _, ok := pages[name]; !ok {
			t.Errorf("no page %s", name)
		}
		if !strings.Contains(pages["README.md"], "("+name+")") {
			t.Errorf("index does not link %s", name)
		}
	}
	if !strings.Contains(pages["calicoctl_get.md"], "## Options") || !strings.Contains(pages["calicoctl_get.md"], "--output") {
		t.Errorf("get page lacks its flags:\n%s", pages["calicoctl_get.md"])
	}
}

// The generator writes into a directory and removes pages of commands that no longer exist.
func TestWriteRemovesStalePages(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "calicoctl_gone.md"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "calicoctl_gone.md")); !os.IsNotExist(err) {
		t.Errorf("stale page kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "calicoctl_version.md")); err != nil {
		t.Error(err)
	}
}
