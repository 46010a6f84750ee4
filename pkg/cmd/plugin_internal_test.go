package cmd

import (
	"reflect"
	"testing"
)

func TestKubectlArgs(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"get", "ippools"}, []string{"get", "ippools"}},
		{[]string{"-n", "dev", "get", "networkpolicies"}, []string{"get", "networkpolicies", "-n", "dev"}},
		{[]string{"--namespace=dev", "--context", "prod", "get", "np"}, []string{"--context", "prod", "get", "np", "--namespace=dev"}},
		{[]string{"-ndev", "delete", "np", "web"}, []string{"delete", "np", "web", "-ndev"}},
		{[]string{"-n", "dev", "get", "np", "--", "-x"}, []string{"get", "np", "-n", "dev", "--", "-x"}},
		{[]string{"--kubeconfig", "-n", "get"}, []string{"--kubeconfig", "-n", "get"}},
		{[]string{"get", "np", "-n", "dev"}, []string{"get", "np", "-n", "dev"}},
	} {
		if got := kubectlArgs(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("kubectlArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPluginMode(t *testing.T) {
	for argv0, want := range map[string]string{
		"/usr/local/bin/calicoctl":                      "calicoctl",
		"/usr/local/bin/kubectl-calico":                 "kubectl calico",
		"kubectl_complete-calico":                       "kubectl calico",
		"/home/u/.dcos/subcommands/env/bin/dcos-calico": "dcos calico",
	} {
		if got := CommandName(argv0); got != want {
			t.Errorf("CommandName(%q) = %q, want %q", argv0, got, want)
		}
	}
}
