package ipam

import (
	"reflect"
	"testing"
)

// The commands' flags parse into their Options; behaviour is tested in pkg/cmd against real
// datastores.
func TestFlagsFillOptions(t *testing.T) {
	env := &Env{}
	var show *ShowOptions
	var rel *ReleaseOptions
	var chk *CheckOptions
	var conf *ConfigureOptions
	var split *SplitOptions
	cmds := map[string]func(args []string) error{
		"show": func(a []string) error {
			c := NewCmdShow(env, func(o *ShowOptions) error { show = o; return nil })
			c.SetArgs(a)
			return c.Execute()
		},
		"release": func(a []string) error {
			c := NewCmdRelease(env, func(o *ReleaseOptions) error { rel = o; return nil })
			c.SetArgs(a)
			return c.Execute()
		},
		"check": func(a []string) error {
			c := NewCmdCheck(env, func(o *CheckOptions) error { chk = o; return nil })
			c.SetArgs(a)
			return c.Execute()
		},
		"configure": func(a []string) error {
			c := NewCmdConfigure(env, func(o *ConfigureOptions) error { conf = o; return nil })
			c.SetArgs(a)
			return c.Execute()
		},
		"split": func(a []string) error {
			c := NewCmdSplit(env, func(o *SplitOptions) error { split = o; return nil })
			c.SetArgs(a)
			return c.Execute()
		},
	}
	for _, tc := range []struct {
		cmd  string
		args []string
		got  func() any
		want any
	}{
		{"show", []string{"--ip=10.0.0.1", "--show-blocks", "-c", "/x.cfg"}, func() any { return *show }, ShowOptions{Config: "/x.cfg", IP: "10.0.0.1", ShowBlocks: true}},
		{"show", []string{"--show-borrowed", "--show-configuration"}, func() any { return *show }, ShowOptions{ShowBorrowed: true, ShowConfiguration: true}},
		{"release", []string{"--from-report=a.json", "--from-report=b.json", "--force"}, func() any { return *rel }, ReleaseOptions{FromReports: []string{"a.json", "b.json"}, Force: true}},
		{"release", []string{"--ip=10.0.0.1"}, func() any { return *rel }, ReleaseOptions{IP: "10.0.0.1"}},
		{"check", []string{"--show-all-ips", "-o", "r.json"}, func() any { return *chk }, CheckOptions{ShowAllIPs: true, Output: "r.json"}},
		{"configure", []string{"--strictaffinity=true"}, func() any { return *conf }, ConfigureOptions{StrictAffinity: "true", MaxBlocksPerHost: -1, IPCooldownSeconds: -1}},
		{"configure", []string{"--max-blocks-per-host=0", "--ip-cooldown-seconds=0"}, func() any { return *conf }, ConfigureOptions{MaxBlocksPerHost: 0, IPCooldownSeconds: 0}},
		{"split", []string{"4", "--name=pool2"}, func() any { return *split }, SplitOptions{Number: "4", Name: "pool2"}},
	} {
		if err := cmds[tc.cmd](tc.args); err != nil {
			t.Errorf("%s %v: %v", tc.cmd, tc.args, err)
			continue
		}
		if got := tc.got(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %v:\n got %+v\nwant %+v", tc.cmd, tc.args, got, tc.want)
		}
	}
	if err := cmds["split"]([]string{}); err == nil {
		t.Error("split without NUMBER was accepted")
	}
}
