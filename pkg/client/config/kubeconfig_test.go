package config

import (
	"path/filepath"
	"testing"
)

func TestKubeconfigFlagOverridesFileAndEnvironment(t *testing.T) {
	dir := isolate(t)
	t.Cleanup(func() { SetKubeconfigFlag("") })
	path := writeFile(t, filepath.Join(dir, "c.cfg"),
		"apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: kubernetes\n  kubeconfigInline: \"apiVersion: v1\"\n")
	t.Setenv("KUBECONFIG", "/from/env")

	SetKubeconfigFlag("/from/flag")
	for name, load := range map[string]func() (*CalicoAPIConfig, error){
		"file": func() (*CalicoAPIConfig, error) { return Load(path) },
		"env":  LoadEnv,
	} {
		c, err := load()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Spec.Kubeconfig != "/from/flag" || c.Spec.KubeconfigInline != "" || c.Spec.DatastoreType != Kubernetes {
			t.Errorf("%s: kubeconfig %q inline %q type %q, want the flag's file only", name, c.Spec.Kubeconfig, c.Spec.KubeconfigInline, c.Spec.DatastoreType)
		}
	}

	// Given alone, --kubeconfig selects the Kubernetes datastore.
	t.Setenv("KUBECONFIG", "")
	c, err := LoadEnv()
	if err != nil || c.Spec.DatastoreType != Kubernetes {
		t.Errorf("--kubeconfig alone: %v %+v", err, c)
	}

	SetKubeconfigFlag("")
	c, err = LoadEnv()
	if err != nil || c.Spec.DatastoreType != EtcdV3 {
		t.Errorf("after the flag is cleared: %v %+v", err, c)
	}
}
