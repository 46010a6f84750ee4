package cmd_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
	"github.com/calicoctl-go/calicoctl/pkg/cmd"
)

// `datastore serve` runs a real etcd that calicoctl then uses, keeps its data across restarts,
// and stops cleanly when interrupted.
func TestDatastoreServe(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "calicoctl-etcd")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/calicoctl-go/calicoctl/cmd/calicoctl-etcd").CombinedOutput(); err != nil {
		t.Fatalf("building calicoctl-etcd: %v\n%s", err, out)
	}
	t.Setenv("CALICOCTL_ETCD", bin)
	t.Setenv("HOME", t.TempDir())
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	data := t.TempDir()
	t.Setenv("DATASTORE_TYPE", "etcdv3")
	t.Setenv("ETCD_ENDPOINTS", "http://"+listen)
	c := cli{t: t}

	serve := func() (stop func() (string, int)) {
		ctx, cancel := context.WithCancel(context.Background())
		out := &testenv.SyncBuffer{}
		done := make(chan int)
		go func() {
			f := &cmd.Factory{IOStreams: cmd.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: out}}
			done <- cmd.Run(ctx, f, "calicoctl", []string{"datastore", "serve", "--listen", listen, "--data-dir", data})
		}()
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(out.String(), "Datastore ready") {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("not ready: %q", out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		return func() (string, int) {
			cancel()
			code := <-done
			return out.String(), code
		}
	}

	stop := serve()
	c.ok("apply", "-f", writeFile(t, "pool.yaml", pool1))
	out, code := stop()
	if code != 0 || !strings.HasPrefix(out, "Datastore ready: etcd serving on http://"+listen+" (data in "+data+")") || !strings.Contains(out, "Stopping the datastore.") {
		t.Fatalf("serve: exit %d, output %q", code, out)
	}
	stop = serve()
	defer stop()
	if got := c.ok("get", "ippools", "-o", "name"); got != "ippool/pool1\n" {
		t.Fatalf("data did not survive a restart: %q", got)
	}
}
