package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/version"

	"github.com/calicoctl-go/calicoctl/pkg/ipam/handoff/early"
)

// A runtime starts the plugin once per container, so every package it links costs each ADD its
// initialisation. These packages are big and the plugin has no use for them.
func TestPluginDoesNotLinkHeavyPackages(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["github.com/calicoctl-go/calicoctl/pkg/ipam/cniplugin"] {
		t.Fatalf("go list -deps does not list the plugin's own package: %s", out)
	}
	for _, heavy := range []string{
		"k8s.io/client-go/kubernetes",                   // the typed clientset: every API group's scheme at start-up
		"k8s.io/client-go/kubernetes/scheme",            // the same registration, reached another way
		"github.com/spf13/cobra",                        // calicoctl's command line
		"github.com/calicoctl-go/calicoctl/pkg/printer", // calicoctl's output formats
		"k8s.io/client-go/util/jsonpath",                // the printer's -o jsonpath and custom-columns
	} {
		if deps[heavy] {
			t.Errorf("calico-ipam links %s", heavy)
		}
	}
}

// The early hand-over to the daemon checks the configuration's version against the list skel is
// given.
func TestEarlyHandoffKnowsSkelsVersions(t *testing.T) {
	if got, want := early.SupportedVersions, version.All.SupportedVersions(); !slices.Equal(got, want) {
		t.Errorf("early.SupportedVersions = %v, the plugin gives skel %v", got, want)
	}
}
