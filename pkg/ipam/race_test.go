package ipam_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client/etcdv3"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
)

// checkConsistent verifies, from the stored blocks and handles, that every address is allocated
// once and that blocks and handles agree: what `ipam check` verifies.
func checkConsistent(t *testing.T, c *ipam.Client, want int) {
	t.Helper()
	blocks := blocksByCIDR(t, c)
	perHandle := map[string]int{}
	total := 0
	for cidr, bl := range blocks {
		free := map[int]bool{}
		for _, o := range bl.Spec.Unallocated {
			if free[o] {
				t.Fatalf("block %s: ordinal %d twice in unallocated", cidr, o)
			}
			free[o] = true
		}
		for ord, a := range bl.Spec.Allocations {
			if a == nil {
				if !free[ord] {
					t.Fatalf("block %s: ordinal %d neither allocated nor free", cidr, ord)
				}
				continue
			}
			if free[ord] {
				t.Fatalf("block %s: ordinal %d both allocated and free", cidr, ord)
			}
			total++
			perHandle[*bl.Spec.Attributes[*a].HandleID+" "+cidr]++
		}
	}
	if total != want {
		t.Fatalf("%d addresses allocated in the blocks, want %d", total, want)
	}
	handles, err := c.ListHandles(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	counted := 0
	for _, h := range handles {
		for cidr, n := range h.Spec.Block {
			if perHandle[h.Name+" "+cidr] != n {
				t.Errorf("handle %s counts %d in %s, the block holds %d", h.Name, n, cidr, perHandle[h.Name+" "+cidr])
			}
			counted += n
		}
	}
	if counted != want {
		t.Errorf("handles count %d addresses, want %d", counted, want)
	}
}

// TestConcurrentAllocatorsNeverHandOutAnAddressTwice runs allocators on their own connections
// for several hosts at once, each host's blocks contended by two workers, and some borrowing
// from a small pool.
func TestConcurrentAllocatorsNeverHandOutAnAddressTwice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		workers, each := 8, 250
		if b.name == "kubernetes" {
			each = 40
		}
		addPool(t, b, "race", "10.20.0.0/20", 26, "")
		hosts := []string{"h0", "h1", "h2", "h3"}
		for _, h := range hosts {
			b.addNode(t, h, nil)
		}
		var wg sync.WaitGroup
		results := make([][]netip.Prefix, workers)
		errs := make([]error, workers)
		for w := 0; w < workers; w++ {
			store, err := b.newStore()
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				c := ipam.New(store)
				host := hosts[w%len(hosts)]
				for i := 0; i < each; i++ {
					v4, _, err := c.AutoAssign(context.Background(), ipam.AutoAssignArgs{Num4: 1, HandleID: fmt.Sprintf("w%d-%d", w, i), Hostname: host,
						Attrs: map[string]string{ipam.AttrNode: host}})
					if err != nil {
						errs[w] = err
						return
					}
					results[w] = append(results[w], v4...)
				}
			}(w)
		}
		wg.Wait()
		var all []netip.Prefix
		for w := range results {
			if errs[w] != nil {
				t.Fatalf("worker %d: %v", w, errs[w])
			}
			all = append(all, results[w]...)
		}
		if len(all) != workers*each {
			t.Fatalf("%d addresses, want %d", len(all), workers*each)
		}
		unique(t, all)
		checkConsistent(t, ipam.New(b.store), workers*each)
	})
}

const raceWorkerEnv = "IPAM_RACE_WORKER"

// raceWorker is the body of a child process: IPAM_RACE_WORKER=<endpoint>,<host>,<count>,<tag>.
// It prints one allocated address per line.
func raceWorker() int {
	parts := strings.Split(os.Getenv(raceWorkerEnv), ",")
	n, _ := strconv.Atoi(parts[2])
	store, err := etcdv3.New(etcdv3.Config{Endpoints: []string{parts[0]}, Timeout: 20 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c := ipam.New(store)
	for i := 0; i < n; i++ {
		v4, _, err := c.AutoAssign(context.Background(), ipam.AutoAssignArgs{Num4: 1, HandleID: fmt.Sprintf("%s-%d", parts[3], i), Hostname: parts[1],
			Attrs: map[string]string{ipam.AttrNode: parts[1]}})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(v4[0].Addr())
	}
	return 0
}

// TestConcurrentProcessesNeverHandOutAnAddressTwice: separate processes (this test binary
// re-run as a worker), three hosts, a pool just large enough that the last blocks are contended
// and addresses are borrowed.
func TestConcurrentProcessesNeverHandOutAnAddressTwice(t *testing.T) {
	b := backends[0]
	b.reset(t)
	addPool(t, b, "race", "10.30.0.0/21", 26, "") // 2048 addresses
	hosts := []string{"p0", "p1", "p2"}
	for _, h := range hosts {
		b.addNode(t, h, nil)
	}
	procs, each := 6, 330 // 1980 addresses
	outs := make([]strings.Builder, procs)
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%s,%d,proc%d", raceWorkerEnv, b.etcdEndpoint, hosts[i%len(hosts)], each, i))
		cmd.Stdout = &outs[i]
		var stderr strings.Builder
		cmd.Stderr = &stderr
		cmds[i] = cmd
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
			}
		}()
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("worker process %d: %v", i, err)
		}
	}
	var all []netip.Prefix
	for i := range outs {
		for _, line := range strings.Fields(outs[i].String()) {
			all = append(all, netip.PrefixFrom(netip.MustParseAddr(line), 32))
		}
	}
	if len(all) != procs*each {
		t.Fatalf("%d addresses from the processes, want %d", len(all), procs*each)
	}
	unique(t, all)
	c := ipam.New(b.store)
	checkConsistent(t, c, procs*each)
	// Borrowing happened or not, every block is some host's or none.
	for _, bl := range blocksByCIDR(t, c) {
		if bl.Spec.Affinity != nil && !strings.HasPrefix(*bl.Spec.Affinity, "host:p") {
			t.Errorf("block %s affine to %s", bl.Spec.CIDR, *bl.Spec.Affinity)
		}
	}
}
