package cmd_test

import (
	"strings"
	"testing"
)

// The v1 config commands read and write the v3 resources Calico keeps the settings in, on both
// datastores, creating them when absent.
func TestConfigGetSetUnsetMapOntoV3Resources(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		if c.ds.Name == "kubernetes" {
			createNode(t, "node1", nil)
		} else {
			c.ok("apply", "-f", writeFile(t, "node.yaml", "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: node1}\n"))
		}
		steps := []struct {
			args []string
			want string // stdout of the command
		}{
			{[]string{"config", "get", "asNumber"}, "64512\n"},
			{[]string{"config", "get", "nodeToNodeMesh"}, "on\n"},
			{[]string{"config", "get", "logLevel"}, "info\n"},
			{[]string{"config", "get", "ipip"}, "off\n"},
			{[]string{"config", "get", "logLevel", "--node", "node1"}, "info (inherited from global)\n"},
			{[]string{"config", "set", "asNumber", "12345"}, ""},
			{[]string{"config", "get", "asNumber"}, "12345\n"},
			{[]string{"config", "set", "asnumber", "1.10"}, ""},
			{[]string{"config", "get", "asNumber"}, "65546\n"},
			{[]string{"config", "set", "nodeToNodeMesh", "off"}, ""},
			{[]string{"config", "get", "nodeToNodeMesh"}, "off\n"},
			{[]string{"config", "set", "logLevel", "warning"}, ""},
			{[]string{"config", "get", "logLevel", "--node", "node1"}, "warning (inherited from global)\n"},
			{[]string{"config", "set", "logLevel", "debug", "--node", "node1"}, ""},
			{[]string{"config", "get", "logLevel", "--node", "node1"}, "debug\n"},
			{[]string{"config", "set", "ipip", "on"}, ""},
			{[]string{"config", "get", "ipip"}, "on\n"},
			{[]string{"get", "bgpconfig", "default", "-o", "jsonpath={.spec.asNumber} {.spec.nodeToNodeMeshEnabled} {.spec.logSeverityScreen}"}, "65546 false Warning"},
			{[]string{"get", "bgpconfig", "node.node1", "-o", "jsonpath={.spec.logSeverityScreen}"}, "Debug"},
			{[]string{"get", "felixconfig", "default", "-o", "jsonpath={.spec.ipipEnabled} {.spec.logSeverityScreen}"}, "true Warning"},
			{[]string{"get", "felixconfig", "node.node1", "-o", "jsonpath={.spec.logSeverityScreen}"}, "Debug"},
			{[]string{"config", "unset", "asNumber"}, ""},
			{[]string{"config", "get", "asNumber"}, "64512\n"},
			{[]string{"config", "unset", "nodeToNodeMesh"}, ""},
			{[]string{"config", "get", "nodeToNodeMesh"}, "on\n"},
			{[]string{"config", "unset", "logLevel", "--node", "node1"}, ""},
			{[]string{"config", "get", "logLevel", "--node", "node1"}, "warning (inherited from global)\n"},
			{[]string{"config", "unset", "ipip"}, ""},
			{[]string{"config", "get", "ipip"}, "off\n"},
		}
		for _, s := range steps {
			if got := c.ok(s.args...); got != s.want {
				t.Errorf("calicoctl %s: got %q, want %q", strings.Join(s.args, " "), got, s.want)
			}
		}
	})
}

// ipip follows the pools when FelixConfiguration does not say: Felix enables IPIP when a pool
// uses it.
func TestConfigGetIPIPFollowsThePools(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("apply", "-f", writeFile(t, "pool.yaml", "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.5.0.0/16, ipipMode: CrossSubnet}\n"))
		if got := c.ok("config", "get", "ipip"); got != "on\n" {
			t.Errorf("got %q, want on", got)
		}
	})
}

// Every bad value is refused with the accepted values, and nothing is written.
func TestConfigRefusesBadInput(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		cases := []struct {
			args []string
			msg  string
		}{
			{[]string{"config", "set", "asNumber", "99999999999999999999999"}, "invalid value '99999999999999999999999' for asNumber: expected 0 to 4294967295, or the dotted form a.b"},
			{[]string{"config", "set", "asNumber", "abcde"}, "invalid value 'abcde' for asNumber"},
			{[]string{"config", "set", "nodeToNodeMesh", "maybe"}, "invalid value 'maybe' for nodeToNodeMesh: expected on, off"},
			{[]string{"config", "set", "ipip", "yes"}, "invalid value 'yes' for ipip: expected on, off"},
			{[]string{"config", "set", "logLevel", "verbose"}, "invalid value 'verbose' for logLevel: expected critical, debug, error, fatal, info, none, trace, warning"},
			{[]string{"config", "get", "foo"}, "unrecognised config name 'foo': expected one of asNumber, nodeToNodeMesh, logLevel, ipip"},
			{[]string{"config", "set", "asNumber", "1", "--node", "node1"}, "--node should not be specified: asNumber is a cluster-wide setting"},
			{[]string{"config", "set", "logLevel", "info", "--node", "nosuch"}, "node 'nosuch' does not exist"},
		}
		for _, tc := range cases {
			r := c.run("", tc.args...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("calicoctl %s: exit %d, stderr %q; want an error containing %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.msg)
			}
		}
		for _, kind := range []string{"bgpconfig", "felixconfig"} {
			if out := c.ok("get", kind, "-o", "name"); strings.TrimSpace(out) != "" {
				t.Errorf("a refused config set wrote %s: %q", kind, out)
			}
		}
	})
}
