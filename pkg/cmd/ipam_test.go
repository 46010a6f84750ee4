package cmd_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
)

// ipamSetup makes, on the test's datastore, a pool of two /26 blocks and two nodes: node1 holds
// 70 addresses (both blocks), node2 borrows 2 from node1's second block.
func ipamSetup(t *testing.T, c cli) (*ipam.Client, []netip.Prefix, []netip.Prefix) {
	t.Helper()
	c.ok("create", "-f", writeFile(t, "pool.yaml", `apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool1}
spec: {cidr: 10.50.0.0/25, blockSize: 26}
`))
	for _, n := range []string{"node1", "node2"} {
		if c.ds.Name == "kubernetes" {
			createNode(t, n, nil)
		} else {
			c.ok("create", "-f", writeFile(t, n+".yaml", "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: "+n+"}\n"))
		}
	}
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	ic := ipam.New(cl.Store())
	alloc := func(node, handle string, n int) []netip.Prefix {
		v4, _, err := ic.AutoAssign(context.Background(), ipam.AutoAssignArgs{Num4: n, HandleID: handle, Hostname: node,
			Attrs: map[string]string{"node": node, "pod": handle, "namespace": "default", "timestamp": "2026-01-01 00:00:00 +0000 UTC"}})
		if err != nil {
			t.Fatal(err)
		}
		return v4
	}
	return ic, alloc("node1", "pod-a", 70), alloc("node2", "pod-b", 2)
}

func TestIPAMShow(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		_, a, b := ipamSetup(t, c)
		golden(t, "ipam_show", c.ok("ipam", "show"))
		golden(t, "ipam_show_blocks", c.ok("ipam", "show", "--show-blocks"))
		golden(t, "ipam_show_borrowed", c.ok("ipam", "show", "--show-borrowed"))
		golden(t, "ipam_show_configuration", c.ok("ipam", "show", "--show-configuration"))
		golden(t, "ipam_show_ip", c.ok("ipam", "show", "--ip="+b[0].Addr().String()))
		if got := c.ok("ipam", "show", "--ip=10.50.0.200", "--show-blocks"); got != "10.50.0.200 is not assigned\n" {
			t.Errorf("--ip wins over --show-blocks; got %q", got)
		}
		if r := c.run("", "ipam", "show", "--ip=bad"); r.code != 1 || !strings.Contains(r.stderr, "invalid IP address specified: bad") {
			t.Errorf("bad --ip: %+v", r)
		}
		_ = a
	})
}

func TestIPAMReleaseAndConfigure(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		_, a, _ := ipamSetup(t, c)
		ip := a[0].Addr().String()
		if got := c.ok("ipam", "release", "--ip="+ip); got != "Successfully released IP address "+ip+"\n" {
			t.Errorf("release: %q", got)
		}
		r := c.run("", "ipam", "release", "--ip="+ip)
		if r.code != 1 || r.stderr != "IP address "+ip+" is not assigned\n" {
			t.Errorf("second release: %+v", r)
		}
		if r := c.run("", "ipam", "release", "--ip=bad"); r.code != 1 || r.stderr != "invalid IP address specified: bad\n" {
			t.Errorf("bad address: %+v", r)
		}
		if r := c.run("", "ipam", "release", "--ip=192.168.77.1"); r.code != 1 || r.stderr != "IP address 192.168.77.1 is not assigned\n" {
			t.Errorf("address outside every pool: %+v", r)
		}

		if r := c.run("", "ipam", "configure"); r.code != 1 || r.stderr != "at least one configuration option must be specified\n" {
			t.Errorf("configure without options: %+v", r)
		}
		if r := c.run("", "ipam", "configure", "--strictaffinity=maybe"); r.code != 1 || r.stderr != "invalid value. Use true or false to set strictaffinity\n" {
			t.Errorf("configure bad value: %+v", r)
		}
		if r := c.run("", "ipam", "configure", "--max-blocks-per-host=4"); r.code != 1 || !strings.Contains(r.stderr, "needs StrictAffinity") {
			t.Errorf("max blocks without strict affinity: %+v", r)
		}
		got := c.ok("ipam", "configure", "--strictaffinity=true", "--max-blocks-per-host=4", "--ip-cooldown-seconds=30")
		want := "Successfully set StrictAffinity to: true\nSuccessfully set MaxBlocksPerHost to: 4\nSuccessfully set IPCooldownSeconds to: 30\n"
		if got != want {
			t.Errorf("configure: %q", got)
		}
		golden(t, "ipam_show_configuration_set", c.ok("ipam", "show", "--show-configuration"))
	})
}

func TestIPAMCheckAndReleaseFromReport(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		ic, a, b := ipamSetup(t, c)
		report := filepath.Join(t.TempDir(), "report.json")
		out := c.ok("ipam", "check", "-o", report)
		golden(t, "ipam_check", out)
		var rep map[string]json.RawMessage
		data, err := os.ReadFile(report)
		if err != nil || json.Unmarshal(data, &rep) != nil {
			t.Fatalf("report: %v %s", err, data)
		}
		for _, k := range []string{"version", "clusterGUID", "datastoreLocked", "clusterInformationRevision", "clusterType", "allocations", "leakedHandles"} {
			if _, ok := rep[k]; !ok {
				t.Errorf("report has no %q", k)
			}
		}
		if !strings.Contains(c.ok("ipam", "check", "--show-problem-ips"), "  "+b[0].Addr().String()+": allocated, not in use (leaked?); handle=pod-b node=node2 pod=default/pod-b\n") {
			t.Error("--show-problem-ips does not list a leaked address")
		}
		// A report from an unlocked datastore: refused, nothing released.
		r := c.run("", "ipam", "release", "--from-report="+report)
		if r.code != 1 || !strings.Contains(r.stderr, "data store is not locked. Either lock the data store, or re-run with --force") {
			t.Fatalf("release from report, unlocked: %+v", r)
		}
		c.ok("datastore", "migrate", "lock")
		c.ok("ipam", "check", "-o", report) // a report of the locked state
		got := c.ok("ipam", "release", "--from-report="+report)
		want := "Releasing 72 old IPs...\nReleased 72 IPs successfully\nReleased 0 handles; 0 skipped; 0 errors.\nYou may now unlock the data store.\n"
		if got != want {
			t.Errorf("release from report:\n%s\nwant\n%s", got, want)
		}
		c.ok("datastore", "migrate", "unlock")
		if out := c.ok("ipam", "check"); !strings.HasSuffix(out, "Check complete; found 0 problems.\n") {
			t.Errorf("check after release:\n%s", out)
		}
		if _, err := ic.GetAssignment(context.Background(), a[5].Addr()); err == nil {
			t.Error("an address of the report is still allocated")
		}
	})
}

func TestIPAMSplitNeedsALockedDatastore(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		c.ok("create", "-f", writeFile(t, "pool.yaml", "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool2}\nspec: {cidr: 10.2.0.0/16}\n"))
		r := c.run("", "ipam", "split", "4", "--name=pool2")
		if r.code != 1 || r.stderr != "datastore is not locked. Run the `calicoctl datastore migrate lock` command in order split the IP pools\n" {
			t.Fatalf("split unlocked: %+v", r)
		}
		if r := c.run("", "ipam", "split", "4"); r.code != 1 || !strings.Contains(r.stderr, "no name or CIDR provided") {
			t.Errorf("split without pool: %+v", r)
		}
		c.ok("datastore", "migrate", "lock")
		if r := c.run("", "ipam", "split", "3", "--name=pool2"); r.code != 1 || r.stderr != "number to split CIDR into is not a valid power of 2: 3\n" {
			t.Errorf("split 3: %+v", r)
		}
		if r := c.run("", "ipam", "split", "2048", "--name=pool2"); r.code != 1 || !strings.Contains(r.stderr, "is not large enough to be split into 2048 parts") {
			t.Errorf("split too far: %+v", r)
		}
		golden(t, "ipam_split", c.ok("ipam", "split", "4", "--cidr=10.2.0.0/16"))
		golden(t, "ipam_split_pools", c.ok("get", "ippools"))
	})
}

// TestMigrationKeepsEveryAllocation exports an etcd datastore with allocations (owned, borrowed,
// a configured cooldown) and imports it into Kubernetes: every address keeps its handle and
// owner, node names follow the Nodes' Kubernetes names, and allocating afterwards hands out no
// address twice.
func TestMigrationKeepsEveryAllocation(t *testing.T) {
	var etcd, kube testDatastore
	for _, ds := range testDatastores {
		switch ds.Name {
		case "etcdv3":
			etcd = ds
		case "kubernetes":
			kube = ds
		}
	}
	c := useDatastore(t, etcd)
	c.ok("create", "-f", writeFile(t, "objs.yaml", `apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool1}
spec: {cidr: 10.50.0.0/25, blockSize: 26}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: etcd-a}
spec:
  orchRefs: [{nodeName: node1, orchestrator: k8s}]
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: etcd-b}
spec:
  orchRefs: [{nodeName: node2, orchestrator: k8s}]
`))
	cfg, _ := config.Load("")
	cl, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ic := ipam.New(cl.Store())
	ctx := context.Background()
	if err := ic.SetConfig(ctx, ipam.Config{AutoAllocateBlocks: true, IPCooldownSeconds: 5}); err != nil {
		t.Fatal(err)
	}
	before := map[netip.Addr]string{}
	// In this order: etcd-a claims the pool's first blocks, which the export is checked for.
	for _, a := range []struct {
		node string
		n    int
	}{{"etcd-a", 70}, {"etcd-b", 3}} {
		node := a.node
		v4, _, err := ic.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: a.n, HandleID: "h-" + node, Hostname: node, Attrs: map[string]string{"node": node}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range v4 {
			before[p.Addr()] = "h-" + node
		}
	}
	tunnel, _, err := ic.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 1, HandleID: "ipip-tunnel-addr-etcd-a", Hostname: "etcd-a", IntendedUse: ipam.UseTunnel, Attrs: map[string]string{"node": "etcd-a", "type": "ipipTunnelAddress"}})
	if err != nil {
		t.Fatal(err)
	}
	showBefore := c.ok("ipam", "show", "--show-blocks")
	c.ok("datastore", "migrate", "lock")
	exported := c.ok("datastore", "migrate", "export")
	// The IPAM section is in Calico's shape (what its own import reads): key, value, TTL.
	for _, want := range []string{"\n===\n{\n  \"block_affinities\": [\n    {\n      \"Key\": \"/calico/ipam/v2/host/node1/ipv4/block/10.50.0.0-26\",\n      \"Value\": {\n        \"state\": \"confirmed\",\n        \"deleted\": false\n      },\n      \"TTL\": 0\n    },",
		`"blocks": [`, `"Key": "/calico/ipam/v2/assignment/ipv4/block/10.50.0.0-26"`, `"affinity": "host:node1"`,
		`"handles": [`, `"Key": "/calico/ipam/v2/handle/h-etcd-a"`, `"Key": "/calico/ipam/v2/handle/ipip-tunnel-addr-node1"`, `"handle_id": "ipip-tunnel-addr-node1"`, `"config": {`, `"Key": "/calico/ipam/v2/config"`} {
		if !strings.Contains(exported, want) {
			t.Fatalf("the export has no %q:\n%s", want, exported[strings.Index(exported, "\n===\n{\n  \"block_affinities"):])
		}
	}
	export := writeFile(t, "export", exported)

	k := useDatastore(t, kube)
	createNode(t, "node1", nil)
	createNode(t, "node2", nil)
	out := k.ok("datastore", "migrate", "import", "-f", export)
	if !strings.Contains(out, "Imported 2 IPAM blocks, 2 block affinities and 3 handles\n") {
		t.Fatalf("import output:\n%s", out)
	}
	if got := k.ok("ipam", "show", "--show-blocks"); got != showBefore {
		t.Errorf("ipam show after the migration:\n%s\nbefore:\n%s", got, showBefore)
	}
	kcfg, _ := config.Load("")
	kcl, err := client.New(kcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer kcl.Close()
	kic := ipam.New(kcl.Store())
	for addr, handle := range before {
		a, err := kic.GetAssignment(ctx, addr)
		if err != nil || a.HandleID != handle {
			t.Fatalf("%s after the migration: %+v, %v (was %s)", addr, a, err, handle)
		}
		if want := map[string]string{"h-etcd-a": "node1", "h-etcd-b": "node2"}[handle]; a.Attrs["node"] != want {
			t.Errorf("%s: owner node %q, want %q", addr, a.Attrs["node"], want)
		}
	}
	// A tunnel address's handle carries the node's Kubernetes name, as in Calico's export.
	if a, err := kic.GetAssignment(ctx, tunnel[0].Addr()); err != nil || a.HandleID != "ipip-tunnel-addr-node1" {
		t.Errorf("tunnel address %s after the migration: %+v, %v", tunnel[0].Addr(), a, err)
	}
	if cfg, err := kic.GetConfig(ctx); err != nil || cfg.IPCooldownSeconds != 5 {
		t.Errorf("configuration after the migration: %+v, %v", cfg, err)
	}
	// node1 goes on allocating from its own (migrated) block: no address twice.
	v4, _, err := kic.AutoAssign(ctx, ipam.AutoAssignArgs{Num4: 40, HandleID: "after", Hostname: "node1", Attrs: map[string]string{"node": "node1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range v4 {
		if _, dup := before[p.Addr()]; dup {
			t.Fatalf("%s handed out again after the migration", p.Addr())
		}
	}
	if len(v4) != 40 {
		t.Fatalf("%d addresses", len(v4))
	}
}

// The IPAM section of an export made by Calico's own calicoctl (its shape: etcd keys, model
// values, TTLs) imports: the allocation, the host's affinity and the load balancer's.
func TestImportReadsCalicosIPAMExport(t *testing.T) {
	const calicoIPAM = `{
  "block_affinities": [
    {
      "Key": "/calico/ipam/v2/host/knode1/ipv4/block/10.60.0.0-26",
      "Value": {
        "state": "confirmed",
        "deleted": false
      },
      "TTL": 0
    },
    {
      "Key": "/calico/ipam/v2/virtual/load-balancer/ipv4/block/10.61.0.0-26",
      "Value": {
        "state": "confirmed",
        "deleted": false
      },
      "TTL": 0
    }
  ],
  "blocks": [
    {
      "Key": "/calico/ipam/v2/assignment/ipv4/block/10.60.0.0-26",
      "Value": {
        "cidr": "10.60.0.0/26",
        "affinity": "host:knode1",
        "strictAffinity": false,
        "allocations": [0` + `,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null],
        "unallocated": [` + "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63" + `],
        "attributes": [
          {
            "handle_id": "k8s-pod-network.abc",
            "secondary": {
              "namespace": "default",
              "node": "knode1",
              "pod": "web-0",
              "timestamp": "2026-11-30 10:00:00 +0000 UTC"
            }
          }
        ],
        "deleted": false,
        "sequenceNumber": 1,
        "sequenceNumberForAllocation": {
          "0": 0
        }
      },
      "TTL": 0
    }
  ],
  "handles": [
    {
      "Key": "/calico/ipam/v2/handle/k8s-pod-network.abc",
      "Value": {
        "block": {
          "10.60.0.0/26": 1
        },
        "deleted": false
      },
      "TTL": 0
    }
  ],
  "config": {
    "Key": "/calico/ipam/v2/config",
    "Value": {
      "strict_affinity": true,
      "auto_allocate_blocks": true
    },
    "TTL": 0
  }
}
`
	const ci = `{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},"spec":{"clusterGUID":"0123456789abcdef","calicoVersion":"v3.32.0"}}`
	onKDD(t, func(t *testing.T, c cli) {
		createNode(t, "knode1", nil)
		out := c.ok("datastore", "migrate", "import", "-f", writeFile(t, "export", "===\n"+ci+"\n===\n"+calicoIPAM))
		if !strings.Contains(out, "Imported 1 IPAM blocks, 2 block affinities and 1 handles\n") {
			t.Fatalf("import output:\n%s", out)
		}
		c.ok("datastore", "migrate", "unlock")
		if got := c.ok("ipam", "show", "--ip=10.60.0.0"); !strings.Contains(got, "IP 10.60.0.0 is in use") || !strings.Contains(got, "pod: web-0") {
			t.Errorf("ipam show --ip after importing Calico's export:\n%s", got)
		}
		if got := c.ok("ipam", "show", "--show-configuration"); !strings.Contains(got, "StrictAffinity") || !strings.Contains(got, "true") {
			t.Errorf("configuration after importing Calico's export:\n%s", got)
		}
		if spec, _ := rawObject(t, c, "blockaffinities", "load-balancer-10-61-0-0-26"); spec.(map[string]interface{})["type"] != "virtual" {
			t.Errorf("the load balancer's affinity: %v", spec)
		}
	})
}
