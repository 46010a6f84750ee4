// Command dcosplugin packages calicoctl as a DC/OS CLI plugin: a zip holding env/plugin.toml,
// env/bin/dcos-calico and env/completion/bash/calico.sh, which `dcos plugin add FILE` installs.
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/cmd"
)

func main() {
	bin := flag.String("bin", "bin/calicoctl", "the calicoctl binary to package")
	out := flag.String("out", "bin/dcos-calico.zip", "the plugin zip to write")
	flag.Parse()
	if err := build(*bin, *out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out, "(install it with: dcos plugin add", *out+")")
}

// build writes the plugin zip; it is written to a temporary file first so that a failure
// leaves no half-written package.
func build(binPath, out string) error {
	bin, err := os.Open(binPath)
	if err != nil {
		return fmt.Errorf("the plugin needs a calicoctl binary (make build): %w", err)
	}
	defer bin.Close()
	tmp, err := os.CreateTemp(dirOf(out), ".dcos-calico-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	zw := zip.NewWriter(tmp)
	add := func(name string, mode os.FileMode, r io.Reader) error {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		return err
	}
	for _, f := range []struct {
		name string
		mode os.FileMode
		r    io.Reader
	}{
		{"env/plugin.toml", 0o644, strings.NewReader(cmd.DCOSPluginTOML())},
		{"env/bin/dcos-calico", 0o755, bin},
		{"env/completion/bash/calico.sh", 0o644, strings.NewReader(cmd.DCOSBashCompletion())},
	} {
		if err := add(f.name, f.mode, f.r); err != nil {
			tmp.Close()
			return fmt.Errorf("writing %s into %s: %w", f.name, out, err)
		}
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

func dirOf(path string) string { return filepath.Dir(path) }
