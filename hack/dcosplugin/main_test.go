package main

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/cmd"
)

// The package has the layout `dcos plugin add` unpacks into env/: plugin.toml naming the calico
// command, the executable binary, and the bash completion.
func TestPluginZip(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "calicoctl")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "dcos-calico.zip")
	if err := build(bin, out); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := map[string]struct {
		mode    os.FileMode
		content string
	}{
		"env/plugin.toml":               {0o644, cmd.DCOSPluginTOML()},
		"env/bin/dcos-calico":           {0o755, "binary"},
		"env/completion/bash/calico.sh": {0o644, cmd.DCOSBashCompletion()},
	}
	if len(zr.File) != len(want) {
		t.Errorf("%d entries, want %d", len(zr.File), len(want))
	}
	for _, f := range zr.File {
		w, ok := want[f.Name]
		if !ok {
			t.Errorf("unexpected entry %s", f.Name)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Mode().Perm() != w.mode || string(b) != w.content {
			t.Errorf("%s: mode %v, content %q", f.Name, f.Mode(), b)
		}
	}
	if err := build(filepath.Join(dir, "missing"), filepath.Join(dir, "other.zip")); err == nil {
		t.Error("no error for a missing binary")
	}
	if _, err := os.Stat(filepath.Join(dir, "other.zip")); !os.IsNotExist(err) {
		t.Errorf("a failed build left a file: %v", err)
	}
}
