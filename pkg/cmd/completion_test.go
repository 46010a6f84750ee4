package cmd_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// completions runs the hidden __complete command as the shell scripts do and returns the
// candidates (without descriptions) and the directive line.
func completions(t *testing.T, c cli, args ...string) (names []string, directive string) {
	t.Helper()
	r := c.run("", append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %v: exit %d %s", args, r.code, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		if strings.HasPrefix(line, ":") {
			directive = line
			continue
		}
		name, _, _ := strings.Cut(line, "\t")
		names = append(names, name)
	}
	return names, directive
}

// Kinds, flags and formats complete offline; names and namespaces come from the datastore.
func TestCompletion(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("create", "-f", writeFile(t, "objs.yaml", `apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool-a}
spec: {cidr: 10.10.0.0/16}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool-b}
spec: {cidr: 10.11.0.0/16}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: other}
spec: {cidr: 10.12.0.0/16}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: ns1}
spec: {selector: all()}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: db, namespace: ns2}
spec: {selector: all()}
`))
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"ge"}, "get"},
			{[]string{"get", "ipp"}, "ippool"},
			{[]string{"get", "ippool", ""}, "other pool-a pool-b"},
			{[]string{"get", "ipp", "pool"}, "pool-a pool-b"},
			{[]string{"delete", "ippool", "pool-a", ""}, "other pool-b"},
			{[]string{"label", "ippool", "pool-a", ""}, ""},
			{[]string{"get", "networkpolicy", "-n", "ns2", ""}, "db"},
			{[]string{"get", "networkpolicy", "-A", ""}, "db web"},
			{[]string{"get", "networkpolicy", ""}, ""},
			{[]string{"get", "nope", ""}, ""},
			{[]string{"get", "-o", "js"}, "ps wide yaml json name jsonpath= custom-columns= go-template= go-template-file="},
			{[]string{"get", "--skip"}, "--skip-empty"},
			{[]string{"create", "--skip"}, "--skip-empty --skip-exists"},
		} {
			names, _ := completions(t, c, tc.args...)
			if got := strings.Join(names, " "); got != tc.want {
				t.Errorf("__complete %v: %q, want %q", tc.args, got, tc.want)
			}
		}
		for _, args := range [][]string{{"get", "networkpolicy", "-n", ""}, {"policy", "explain", "-n", ""}} {
			names, _ := completions(t, c, args...)
			if got := strings.Join(names, " "); !strings.Contains(" "+got+" ", " ns1 ") || !strings.Contains(" "+got+" ", " ns2 ") {
				t.Errorf("namespaces of %v: %q", args, got)
			}
		}
	})
}

// A datastore that accepts connections and never answers costs the shell at most the
// completion timeout, and offers nothing.
func TestCompletionUnresponsiveDatastore(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, never answered
		}
	}()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DATASTORE_TYPE", "etcdv3")
	t.Setenv("ETCD_ENDPOINTS", "http://"+ln.Addr().String())
	start := time.Now()
	names, directive := completions(t, cli{t: t}, "get", "ippool", "")
	if len(names) != 0 || directive != ":4" {
		t.Errorf("got %v %s", names, directive)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("completion waited %s for a datastore that does not answer", d)
	}
}

// The scripts load in their shells; bash completes commands, kinds and stored names through
// the real script, as a shell with bash-completion does.
func TestCompletionScripts(t *testing.T) {
	dir := pluginBinary(t, "calicoctl")
	ds := testDatastores[0]
	c := useDatastore(t, ds)
	c.ok("create", "-f", writeFile(t, "p.yaml", "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool-z}\nspec: {cidr: 10.20.0.0/16}\n"))
	env := []string{"PATH=" + dir + ":" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range ds.Env {
		env = append(env, k+"="+v)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := runProgram(t, env, "", filepath.Join(dir, "calicoctl"), "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s: exit %d %s", shell, r.code, r.stderr)
		}
	}
	if _, err := os.Stat("/usr/share/bash-completion/bash_completion"); err != nil {
		t.Fatal("bash-completion is not installed: run hack/install-test-tools.sh (make test does)")
	}
	script := `source /usr/share/bash-completion/bash_completion
source <(calicoctl completion bash)
compopt() { :; }
complete -p calicoctl
try() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=(); __start_calicoctl; echo "${COMPREPLY[*]}"; }
try calicoctl ver
try calicoctl get ippo
try calicoctl get ippool ""
try calicoctl delete ippool pool-
`
	r := runProgram(t, env, "", "bash", "-c", script)
	want := "complete -o default -F __start_calicoctl calicoctl\nversion\nippool\npool-z\npool-z\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("bash completion: exit %d\n%s\nwant\n%s\nstderr: %s", r.code, r.stdout, want, r.stderr)
	}
}
