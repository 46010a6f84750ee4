package cmd_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/cmd"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testDatastore is one backend every command case runs against.
type testDatastore struct {
	Name string
	// Env selects the datastore, as an operator would.
	Env map[string]string
	// Reset empties the datastore between cases.
	Reset func(t testing.TB)
}

var (
	testDatastores []testDatastore
	// setupHooks start further datastores (Kubernetes, in kdd_test.go) and return their stop
	// function.
	setupHooks []func() (stop func(), err error)
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	e, err := testenv.StartEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer e.Stop()
	raw, err := clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer raw.Close()
	etcdRaw = raw
	testDatastores = append([]testDatastore{{
		Name: "etcdv3",
		Env:  map[string]string{"DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": e.Endpoint},
		Reset: func(t testing.TB) {
			if _, err := raw.Delete(context.Background(), "/calico/", clientv3.WithPrefix()); err != nil {
				t.Fatalf("cleaning etcd: %v", err)
			}
		},
	}}, testDatastores...)
	for _, hook := range setupHooks {
		stop, err := hook()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer stop()
	}
	return m.Run()
}

// etcdRaw reads what the etcd backend really stored.
var etcdRaw *clientv3.Client

// cli runs calicoctl in-process with the datastore's environment.
type cli struct {
	t  *testing.T
	ds testDatastore
}

type result struct {
	stdout, stderr string
	code           int
}

func (c cli) run(stdin string, args ...string) result {
	c.t.Helper()
	var out, errOut bytes.Buffer
	f := &cmd.Factory{IOStreams: cmd.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}}
	code := cmd.Run(context.Background(), f, "calicoctl", args)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// ok runs a command that must succeed and returns its stdout.
func (c cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run("", args...)
	if r.code != 0 {
		c.t.Fatalf("calicoctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// forEachDatastore runs a test once per backend, on an empty datastore, with a clean
// environment (no config file, no kubeconfig in HOME).
func forEachDatastore(t *testing.T, test func(t *testing.T, c cli)) {
	for _, ds := range testDatastores {
		t.Run(ds.Name, func(t *testing.T) { test(t, useDatastore(t, ds)) })
	}
}

// useDatastore points the test's environment at one datastore, emptied.
func useDatastore(t *testing.T, ds testDatastore) cli {
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"KUBECONFIG", "ETCD_ENDPOINTS", "DATASTORE_TYPE", "K8S_API_ENDPOINT"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range ds.Env {
		t.Setenv(k, v)
	}
	ds.Reset(t)
	return cli{t: t, ds: ds}
}

// golden compares got with testdata/<name>.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s:\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// writeFile writes a manifest into the test's temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const quickstart = "../../testdata/quickstart"

func runAs(t *testing.T, argv0 string, out *bytes.Buffer, args ...string) int {
	t.Helper()
	f := &cmd.Factory{IOStreams: cmd.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: out}}
	return cmd.Run(context.Background(), f, argv0, args)
}
