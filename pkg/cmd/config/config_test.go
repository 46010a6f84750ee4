package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestConfigFlagParsing(t *testing.T) {
	cases := []struct {
		args []string
		want Options
		err  string
	}{
		{args: []string{"get", "asNumber"}, want: Options{Action: "get", Name: "asNumber"}},
		{args: []string{"set", "logLevel", "debug", "--node", "node1"}, want: Options{Action: "set", Name: "logLevel", Value: "debug", Node: "node1"}},
		{args: []string{"unset", "logLevel", "-n", "node1"}, want: Options{Action: "unset", Name: "logLevel", Node: "node1"}},
		{args: []string{"set", "asNumber"}, err: "accepts 2 arg(s), received 1"},
		{args: []string{"get"}, err: "accepts 1 arg(s), received 0"},
	}
	for _, tc := range cases {
		var got *Options
		cmd := NewCmdConfig(Env{}, func(o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		err := cmd.Execute()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got == nil || *got != tc.want {
			t.Errorf("%v: got %+v (%v), want %+v", tc.args, got, err, tc.want)
		}
	}
}
