package cmd_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/calicoctl-go/calicoctl/pkg/client/etcdv3"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
)

// manyNetworkSets is a manifest of n GlobalNetworkSets, enough for a progress bar.
func manyNetworkSets(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: set-%d\nspec:\n  nets: [10.%d.%d.0/24]\n", i, i/256, i%256)
	}
	return b.String()
}

// Large applies and deletes draw a progress bar on a terminal's stderr and never in a pipe;
// stdout carries the same result either way.
func TestProgressBar(t *testing.T) {
	dir := pluginBinary(t, "calicoctl")
	bin := filepath.Join(dir, "calicoctl")
	ds := testDatastores[0]
	useDatastore(t, ds)
	env := []string{"HOME=" + t.TempDir(), "TERM=xterm"}
	for k, v := range ds.Env {
		env = append(env, k+"="+v)
	}
	file := writeFile(t, "sets.yaml", manyNetworkSets(300))

	// In a pipe (as in CI): no bar at all.
	r := runProgram(t, env, "", bin, "apply", "-f", file)
	if r.code != 0 || r.stdout != "Successfully applied 300 'GlobalNetworkSet' resource(s)\n" || r.stderr != "" {
		t.Fatalf("apply in a pipe: exit %d %q %q", r.code, r.stdout, r.stderr)
	}

	// Under a pseudo-terminal: the bar is drawn on stderr, then cleared.
	for _, tc := range []struct {
		args []string
		what string
		out  string
	}{
		{[]string{"apply", "-f", file}, "applying", "Successfully applied 300 'GlobalNetworkSet' resource(s)\n"},
		{[]string{"delete", "-f", file}, "deleting", "Successfully deleted 300 'GlobalNetworkSet' resource(s)\n"},
	} {
		stdout, tty, code := runWithTTYStderr(t, env, bin, tc.args...)
		if code != 0 || stdout != tc.out {
			t.Errorf("%v under a terminal: exit %d, stdout %q, terminal %q", tc.args, code, stdout, tty)
		}
		if !strings.Contains(tty, tc.what) || !strings.Contains(tty, "/300") {
			t.Errorf("%v: no progress bar on the terminal: %q", tc.args, tty)
		}
	}

	// ipam check over many blocks: a bar on a terminal, none in a pipe.
	var nodes strings.Builder
	nodes.WriteString(strings.Replace(pool1, "10.1.0.0/16", "10.60.0.0/16", 1))
	for i := 0; i < 120; i++ {
		fmt.Fprintf(&nodes, "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: n%d\n", i)
	}
	if r := runProgram(t, env, "", bin, "apply", "-f", writeFile(t, "nodes.yaml", nodes.String())); r.code != 0 {
		t.Fatalf("apply nodes: %d %q", r.code, r.stderr)
	}
	store, err := etcdv3.New(etcdv3.Config{Endpoints: []string{ds.Env["ETCD_ENDPOINTS"]}})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ic := ipam.New(store)
	for i := 0; i < 120; i++ { // one block each
		host := fmt.Sprintf("n%d", i)
		if _, _, err := ic.AutoAssign(context.Background(), ipam.AutoAssignArgs{Num4: 1, HandleID: "h-" + host, Hostname: host}); err != nil {
			t.Fatal(err)
		}
	}
	if r := runProgram(t, env, "", bin, "ipam", "check"); r.code != 0 || r.stderr != "" {
		t.Errorf("ipam check in a pipe: exit %d, stderr %q", r.code, r.stderr)
	}
	if stdout, tty, code := runWithTTYStderr(t, env, bin, "ipam", "check"); code != 0 || !strings.Contains(stdout, "Checking IPAM for inconsistencies") ||
		!strings.Contains(tty, "checking blocks") || !strings.Contains(tty, "/120") {
		t.Errorf("ipam check under a terminal: exit %d, stdout %q, terminal %q", code, stdout, tty)
	}

	// Small batches stay quiet even on a terminal.
	small := writeFile(t, "small.yaml", manyNetworkSets(5))
	if stdout, tty, code := runWithTTYStderr(t, env, bin, "apply", "-f", small); code != 0 || tty != "" || !strings.HasPrefix(stdout, "Successfully applied 5 ") {
		t.Errorf("small apply under a terminal: exit %d, stdout %q, terminal %q", code, stdout, tty)
	}
}

// runWithTTYStderr runs a program with stderr on a pseudo-terminal and stdout in a pipe.
func runWithTTYStderr(t *testing.T, env []string, prog string, args ...string) (stdout, tty string, code int) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	defer master.Close()
	c := exec.Command(prog, args...)
	c.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, slave
	if err := c.Start(); err != nil {
		slave.Close()
		t.Fatal(err)
	}
	slave.Close()
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, master) // ends with EIO when the program closes the terminal
		done <- b.String()
	}()
	err = c.Wait()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	master.Close()
	return out.String(), <-done, code
}
