package cmd_test

import (
	"fmt"
	"strings"
	"testing"
)

const gnpDefaultTier = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-dns
spec:
  selector: all()
  egress:
  - action: Allow
    protocol: UDP
    destination:
      ports: [53]
`

// overlappingPools is n pools in one file that all overlap 10.9.0.0/16.
func overlappingPools(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: overlap-%02d\nspec:\n  cidr: 10.9.%d.0/24\n", i, i)
	}
	// The first covers all the others.
	return strings.Replace(b.String(), "cidr: 10.9.0.0/24", "cidr: 10.9.0.0/16", 1)
}

// --dry-run answers what the real run would, on a fresh datastore and with objects of the same
// input that depend on each other, and writes nothing.
func TestDryRunAnswersAsTheRealRun(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		policy := writeFile(t, "gnp.yaml", gnpDefaultTier)
		for _, verb := range []string{"create", "apply"} {
			r := c.run("", verb, "-f", policy, "--dry-run")
			want := fmt.Sprintf("Successfully %s 1 'GlobalNetworkPolicy' resource(s)\n(dry run: nothing was written)\n", map[string]string{"create": "created", "apply": "applied"}[verb])
			if r.code != 0 || r.stdout != want {
				t.Errorf("%s --dry-run of a policy on a fresh datastore: exit %d stdout %q stderr %q", verb, r.code, r.stdout, r.stderr)
			}
		}
		if got := c.ok("get", "tiers", "-o", "name"); got != "" {
			t.Errorf("the dry run wrote the bootstrap tiers: %q", got)
		}

		// Two pools in one file that overlap: the second is refused, as in a real run.
		pools := writeFile(t, "pools.yaml", overlappingPools(2))
		r := c.run("", "create", "-f", pools, "--dry-run")
		if r.code != 1 || !strings.Contains(r.stderr, "error with field IPPool.Spec.CIDR = '10.9.1.0/24' (IPPool(overlap-01) CIDR overlaps with IPPool(overlap-00) CIDR 10.9.0.0/16) at IPPool(overlap-01).spec.cidr") {
			t.Errorf("dry run of overlapping pools: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
		// A tier and a policy in it, in one file.
		tiered := writeFile(t, "tiered.yaml", "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\nspec:\n  order: 100\n---\n"+
			strings.Replace(strings.Replace(gnpDefaultTier, "name: allow-dns", "name: security.allow-dns", 1), "spec:\n", "spec:\n  tier: security\n", 1))
		if out := c.ok("create", "-f", tiered, "--dry-run"); out != "Successfully created 2 resource(s)\n(dry run: nothing was written)\n" {
			t.Errorf("dry run of a tier and its policy: %q", out)
		}

		// Against existing objects: create conflicts, a stale resourceVersion conflicts, a
		// missing object is missing.
		c.ok("create", "-f", writeFile(t, "pool1.yaml", pool1))
		r = c.run("", "create", "-f", writeFile(t, "pool1.yaml", pool1), "--dry-run")
		if r.code != 1 || !strings.Contains(r.stderr, "resource already exists: IPPool(pool1)") {
			t.Errorf("dry-run create of an existing pool: exit %d stderr %q", r.code, r.stderr)
		}
		stale := strings.Replace(pool1, "name: pool1", "name: pool1\n  resourceVersion: \"1\"", 1)
		r = c.run("", "replace", "-f", writeFile(t, "stale.yaml", stale), "--dry-run")
		if r.code != 1 || !strings.Contains(r.stderr, "update conflict: IPPool(pool1)") {
			t.Errorf("dry-run replace with a stale resourceVersion: exit %d stderr %q", r.code, r.stderr)
		}
		r = c.run("", "delete", "ippool", "nope", "--dry-run")
		if r.code != 1 || !strings.Contains(r.stderr, "resource does not exist: IPPool(nope)") {
			t.Errorf("dry-run delete of a missing pool: exit %d stderr %q", r.code, r.stderr)
		}
		if got := c.ok("get", "ippools", "-o", "name"); got != "ippool/pool1\n" {
			t.Errorf("pools after the dry runs: %q", got)
		}
	})
}

// IP pools of one file are written one at a time: of ten pools that overlap, exactly the first
// is written and the nine others are refused, each naming the pool it overlaps.
func TestOverlappingPoolsInOneFile(t *testing.T) {
	forEachDatastore(t, func(t *testing.T, c cli) {
		r := c.run("", "create", "-f", writeFile(t, "pools.yaml", overlappingPools(10)))
		if r.code != 1 || !strings.HasPrefix(r.stdout, "Partial success: created 1 out of 10 'IPPool' resources:") {
			t.Errorf("create: exit %d stdout %q", r.code, r.stdout)
		}
		if n := strings.Count(r.stderr, "overlaps with IPPool(overlap-00) CIDR 10.9.0.0/16"); n != 9 {
			t.Errorf("%d pools refused for overlapping overlap-00, want 9: %s", n, r.stderr)
		}
		if got := c.ok("get", "ippools", "-o", "name"); got != "ippool/overlap-00\n" {
			t.Errorf("pools written: %q", got)
		}
	})
}
