// Command gencrds writes the Calico CRD manifests (group crd.projectcalico.org, version v1) from
// this project's API types, one file per CRD: structural openAPIV3 schemas reflected from the
// spec and status structs of every kind in the registry, plus Calico's IPAM resources. Run it
// with `go generate ./manifests` (or `go run ./hack/gencrds -out manifests/crds`); a test fails
// when the committed manifests differ from what it writes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", "manifests/crds", "directory to write the CRD manifests to")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gencrds:", err)
		os.Exit(1)
	}
}

// write replaces the generated manifests in dir: stale ones (a kind that is gone) are removed.
func write(dir string) error {
	files, err := Generate()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if _, keep := files[filepath.Base(f)]; !keep && strings.HasPrefix(filepath.Base(f), "crd.projectcalico.org_") {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for _, name := range sortedNames(files) {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("gencrds: wrote %d CRD manifests to %s\n", len(files), dir)
	return nil
}
