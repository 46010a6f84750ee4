package policy_test

import (
	"slices"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/cmd/policy"
)

func noClient(string, bool) (*client.Client, error) { panic("flag parsing must not connect") }

func TestTraceFlags(t *testing.T) {
	cases := []struct {
		args  []string
		check func(t *testing.T, o *policy.TraceOptions)
	}{
		{[]string{"--from", "a/b", "--to", "10.0.0.1"}, func(t *testing.T, o *policy.TraceOptions) {
			if o.From != "a/b" || o.To != "10.0.0.1" || o.Protocol != "TCP" || o.Port != 0 || o.ICMPType != -1 || o.ICMPCode != -1 || o.Namespace != "default" || o.Output != "text" {
				t.Errorf("defaults: %+v", o)
			}
		}},
		{[]string{"--from", "x", "--to", "y", "--protocol", "icmp", "--icmp-type", "0", "--icmp-code", "0", "-n", "shop", "-o", "json"}, func(t *testing.T, o *policy.TraceOptions) {
			if o.ICMPType != 0 || o.ICMPCode != 0 || o.Namespace != "shop" || o.Output != "json" {
				t.Errorf("icmp type 0 is a value, not unset: %+v", o)
			}
		}},
		{[]string{"--from", "x", "--to", "y", "-f", "a.yaml", "-f", "dir", "-R", "--overlay", "--expect", "deny"}, func(t *testing.T, o *policy.TraceOptions) {
			if !slices.Equal(o.Files, []string{"a.yaml", "dir"}) || !o.Recursive || !o.Overlay || o.Expect != "deny" {
				t.Errorf("input flags: %+v", o)
			}
		}},
	}
	for _, c := range cases {
		var got *policy.TraceOptions
		cmd := policy.NewCmdTrace(noClient, func(o *policy.TraceOptions) error { got = o; return nil })
		cmd.SetArgs(c.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		c.check(t, got)
	}
}

func TestLintAndExplainFlags(t *testing.T) {
	var lo *policy.LintOptions
	lint := policy.NewCmdLint(noClient, func(o *policy.LintOptions) error { lo = o; return nil })
	lint.SetArgs([]string{"--all", "--fail-on", "warning", "-o", "yaml"})
	if err := lint.Execute(); err != nil || !lo.All || lo.FailOn != "warning" || lo.Output != "yaml" {
		t.Errorf("lint: %v %+v", err, lo)
	}
	lint = policy.NewCmdLint(noClient, func(o *policy.LintOptions) error { lo = o; return nil })
	lint.SetArgs([]string{"-f", "x.yaml"})
	if err := lint.Execute(); err != nil || lo.FailOn != "error" || lo.All {
		t.Errorf("lint defaults: %v %+v", err, lo)
	}
	var eo *policy.ExplainOptions
	explain := policy.NewCmdExplain(noClient, func(o *policy.ExplainOptions) error { eo = o; return nil })
	explain.SetArgs([]string{"web-1", "-n", "shop"})
	if err := explain.Execute(); err != nil || eo.Endpoint != "web-1" || eo.Namespace != "shop" || eo.Labels != "" {
		t.Errorf("explain: %v %+v", err, eo)
	}
	explain = policy.NewCmdExplain(noClient, func(o *policy.ExplainOptions) error { eo = o; return nil })
	explain.SetArgs([]string{"a", "b"})
	if err := explain.Execute(); err == nil {
		t.Error("explain takes one endpoint")
	}
}
