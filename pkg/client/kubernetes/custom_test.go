package kubernetes_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func TestConvertUIDReversesBitsAndIsItsOwnInverse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000080"},
		{"01020304-0506-4708-890a-0b0c0d0e0f10", "8040c020-a060-4710-8950-d030b070f008"},
	} {
		got, err := kubernetes.ConvertUID(types.UID(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("ConvertUID(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
		back, _ := kubernetes.ConvertUID(got)
		if string(back) != tc.in {
			t.Errorf("ConvertUID(ConvertUID(%s)) = %s", tc.in, back)
		}
	}
	if _, err := kubernetes.ConvertUID("not-a-uuid"); err == nil {
		t.Error("ConvertUID accepted a non-UUID")
	}
}

func TestCRUDConflictNotExistAndAlreadyExists(t *testing.T) {
	ctx := ctxFor(t)
	gnp := kind(t, "GlobalNetworkPolicy")
	obj := decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"crud-1"},"spec":{"tier":"default","selector":"all()","types":["Ingress"]}}`)
	created, err := admin.Create(ctx, obj)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.GetResourceVersion() == "" || created.GetName() != "crud-1" {
		t.Fatalf("created object has name %q resourceVersion %q", created.GetName(), created.GetResourceVersion())
	}

	_, err = admin.Create(ctx, decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"crud-1"},"spec":{}}`))
	if !datastore.IsAlreadyExists(err) || err.Error() != "resource already exists: GlobalNetworkPolicy(crud-1) with error: <nil>" {
		t.Fatalf("second create: %v", err)
	}

	got, err := admin.Get(ctx, gnp, "", "crud-1")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.GetResourceVersion() != created.GetResourceVersion() || got.(*api.GlobalNetworkPolicy).Spec.Selector != "all()" {
		t.Fatalf("get returned %+v", got)
	}

	// Update with the current resourceVersion succeeds and moves it on.
	got.(*api.GlobalNetworkPolicy).Spec.Selector = "role == 'db'"
	updated, err := admin.Update(ctx, got)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.GetResourceVersion() == created.GetResourceVersion() || updated.(*api.GlobalNetworkPolicy).Spec.Selector != "role == 'db'" {
		t.Fatalf("update returned rv %s spec %+v", updated.GetResourceVersion(), updated.(*api.GlobalNetworkPolicy).Spec)
	}

	// The old resourceVersion is now stale: update and delete are conflicts.
	stale := decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"crud-1"},"spec":{"selector":"all()"}}`)
	stale.SetResourceVersion(created.GetResourceVersion())
	stale.SetUID(updated.GetUID())
	if _, err := admin.Update(ctx, stale); !datastore.IsConflict(err) || err.Error() != "update conflict: GlobalNetworkPolicy(crud-1)" {
		t.Fatalf("stale update: %v", err)
	}
	if _, err := admin.Delete(ctx, gnp, "", "crud-1", created.GetResourceVersion()); !datastore.IsConflict(err) {
		t.Fatalf("stale delete: %v", err)
	}

	deleted, err := admin.Delete(ctx, gnp, "", "crud-1", updated.GetResourceVersion())
	if err != nil || deleted.GetName() != "crud-1" || deleted.(*api.GlobalNetworkPolicy).Spec.Selector != "role == 'db'" {
		t.Fatalf("delete: %v, returned %+v", err, deleted)
	}
	for what, err := range map[string]error{
		"get":    second(admin.Get(ctx, gnp, "", "crud-1")),
		"delete": second(admin.Delete(ctx, gnp, "", "crud-1", "")),
		"update": second(admin.Update(ctx, updated)),
	} {
		if !datastore.IsDoesNotExist(err) || err.Error() != "resource does not exist: GlobalNetworkPolicy(crud-1) with error: <nil>" {
			t.Errorf("%s after delete: %v", what, err)
		}
	}
}

var gvrCRD = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

func second(_ resources.Resource, err error) error { return err }

func TestUpdateOfARecreatedObjectIsDoesNotExist(t *testing.T) {
	ctx := ctxFor(t)
	pool := `{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"recreated"},"spec":{"cidr":"10.77.0.0/16"}}`
	first, err := admin.Create(ctx, decode(t, pool))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Delete(ctx, kind(t, "IPPool"), "", "recreated", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Create(ctx, decode(t, pool)); err != nil {
		t.Fatal(err)
	}
	// first carries the uid of the object that is gone: the API server's UID precondition
	// refuses it.
	first.SetResourceVersion("")
	latest, _ := admin.Get(ctx, kind(t, "IPPool"), "", "recreated")
	first.SetResourceVersion(latest.GetResourceVersion())
	if _, err := admin.Update(ctx, first); !datastore.IsDoesNotExist(err) {
		t.Fatalf("update with the old uid: %v", err)
	}
}

func TestNamespacedKindsAreScopedAndListAcrossNamespaces(t *testing.T) {
	ctx := ctxFor(t)
	for _, ns := range []string{"scope-a", "scope-b"} {
		ensureNamespace(t, ns, nil)
		np := decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"NetworkPolicy","metadata":{"name":"np","namespace":"`+ns+`"},"spec":{"selector":"all()"}}`)
		if _, err := admin.Create(ctx, np); err != nil {
			t.Fatal(err)
		}
	}
	k := kind(t, "NetworkPolicy")
	one, err := admin.List(ctx, k, datastore.ListOptions{Namespace: "scope-a"})
	if err != nil || len(one.Items) != 1 || one.Items[0].GetNamespace() != "scope-a" {
		t.Fatalf("list in scope-a: %v %v", err, names(one))
	}
	all, err := admin.List(ctx, k, datastore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, it := range all.Items {
		if strings.HasPrefix(it.GetNamespace(), "scope-") {
			ours = append(ours, it.GetNamespace()+"/"+it.GetName())
		}
	}
	if strings.Join(ours, ",") != "scope-a/np,scope-b/np" {
		t.Fatalf("list across namespaces: %v", ours)
	}
	byName, err := admin.List(ctx, k, datastore.ListOptions{Namespace: "scope-b", Name: "np"})
	if err != nil || len(byName.Items) != 1 {
		t.Fatalf("list by name: %v %v", err, names(byName))
	}
	raw := getRaw(t, "networkpolicies", "scope-b", "np")
	if raw.GetNamespace() != "scope-b" {
		t.Fatalf("custom resource namespace %q", raw.GetNamespace())
	}
}

func names(l *datastore.List) []string {
	if l == nil {
		return nil
	}
	var out []string
	for _, it := range l.Items {
		out = append(out, it.GetName())
	}
	return out
}

func TestListPagesThroughMoreThan500Objects(t *testing.T) {
	const n = 1100
	ctx := ctxFor(t)
	fast := fastStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				obj := decode(t, fmt.Sprintf(`{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkSet","metadata":{"name":"page-%04d","labels":{"paging":"yes"}},"spec":{"nets":["10.%d.%d.0/24"]}}`, i, i/256, i%256))
				if _, err := fast.Create(ctx, obj); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("creating: %v", err)
	}
	t.Cleanup(func() {
		raw.Resource(gvr("globalnetworksets")).DeleteCollection(ctxFor(t), metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "paging=yes"})
	})

	var log requestLog
	s, err := kubernetes.NewFromREST(loggingConfig(&log), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.List(ctx, kind(t, "GlobalNetworkSet"), datastore.ListOptions{Name: "page-", Prefix: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != n {
		t.Fatalf("listed %d objects, want %d", len(l.Items), n)
	}
	for i, it := range l.Items {
		if want := fmt.Sprintf("page-%04d", i); it.GetName() != want {
			t.Fatalf("item %d is %s, want %s (key order)", i, it.GetName(), want)
		}
	}
	reqs := log.all()
	if len(reqs) != 3 {
		t.Fatalf("a list of %d objects took %d requests, want 3 pages of 500: %v", n, len(reqs), reqs)
	}
	for i, r := range reqs {
		if !strings.Contains(r, "limit=500") || (i > 0) != strings.Contains(r, "continue=") {
			t.Errorf("request %d: %s", i, r)
		}
	}
	if l.ResourceVersion == "" {
		t.Error("list has no resourceVersion")
	}
}

func TestMetadataRoundTripsThroughTheAnnotation(t *testing.T) {
	ctx := ctxFor(t)
	uid := types.UID(uuid.NewString())
	created := metav1.NewTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	obj := decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"meta-pool",
		"labels":{"team":"net","projectcalico.org/managed":"yes"},
		"annotations":{"note":"keep me","operator.tigera.io/owned":"true"}},
		"spec":{"cidr":"10.88.0.0/16","blockSize":26,"nodeSelector":"all()","ipipMode":"Never","vxlanMode":"Always"}}`)
	obj.SetUID(uid)
	obj.SetCreationTimestamp(created)
	out, err := admin.Create(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	got, err := admin.Get(ctx, kind(t, "IPPool"), "", "meta-pool")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []resources.Resource{out, got} {
		if fmt.Sprint(r.GetLabels()) != "map[projectcalico.org/managed:yes team:net]" ||
			fmt.Sprint(r.GetAnnotations()) != "map[note:keep me operator.tigera.io/owned:true]" {
			t.Errorf("labels %v annotations %v", r.GetLabels(), r.GetAnnotations())
		}
		if ts := r.GetCreationTimestamp(); !ts.Equal(&created) {
			t.Errorf("creationTimestamp %v, want %v", r.GetCreationTimestamp(), created)
		}
	}

	// The custom resource as Calico would find it.
	cr := getRaw(t, "ippools", "", "meta-pool")
	if cr.GetAPIVersion() != "crd.projectcalico.org/v1" || cr.GetKind() != "IPPool" {
		t.Errorf("custom resource is %s %s", cr.GetAPIVersion(), cr.GetKind())
	}
	if fmt.Sprint(cr.GetLabels()) != "map[projectcalico.org/managed:yes]" {
		t.Errorf("custom resource labels %v: only Calico's own belong there", cr.GetLabels())
	}
	ann := cr.GetAnnotations()
	if len(ann) != 2 || ann["operator.tigera.io/owned"] != "true" {
		t.Errorf("custom resource annotations %v", ann)
	}
	var stashed map[string]interface{}
	if err := json.Unmarshal([]byte(ann[kubernetes.MetadataAnnotation]), &stashed); err != nil {
		t.Fatalf("metadata annotation %q: %v", ann[kubernetes.MetadataAnnotation], err)
	}
	if stashed["creationTimestamp"] != "2025-01-02T03:04:05Z" || stashed["name"] != nil || stashed["uid"] != nil ||
		fmt.Sprint(stashed["labels"]) != "map[projectcalico.org/managed:yes team:net]" ||
		fmt.Sprint(stashed["annotations"]) != "map[note:keep me operator.tigera.io/owned:true]" {
		t.Errorf("metadata annotation holds %v", stashed)
	}
	spec, _ := json.Marshal(cr.Object["spec"])
	if string(spec) != `{"blockSize":26,"cidr":"10.88.0.0/16","ipipMode":"Never","nodeSelector":"all()","vxlanMode":"Always"}` {
		t.Errorf("custom resource spec %s: it must be the v3 spec unchanged", spec)
	}

	// The v3 uid is the custom resource's, bit-reversed (the API server assigns its own).
	want, _ := kubernetes.ConvertUID(cr.GetUID())
	if got.GetUID() != want || out.GetUID() != want {
		t.Errorf("uid %s / %s, want ConvertUID(%s) = %s", out.GetUID(), got.GetUID(), cr.GetUID(), want)
	}
	if got.GetResourceVersion() != cr.GetResourceVersion() {
		t.Errorf("resourceVersion %s, custom resource's %s", got.GetResourceVersion(), cr.GetResourceVersion())
	}
}

// Objects exactly as Calico (v3.30+, crd.projectcalico.org/v1 mode) writes them.
const (
	calicoGNP = `{"apiVersion":"crd.projectcalico.org/v1","kind":"GlobalNetworkPolicy",
	  "metadata":{"name":"allow-dns","labels":{"projectcalico.org/tier":"default"},
	    "annotations":{"projectcalico.org/metadata":"{\"name\":\"allow-dns\",\"uid\":\"\",\"creationTimestamp\":\"2025-01-01T00:00:00Z\",\"labels\":{\"projectcalico.org/tier\":\"default\",\"team\":\"net\"},\"annotations\":{\"owner\":\"platform\"}}"}},
	  "spec":{"tier":"default","order":100,"selector":"all()","types":["Egress"],
	    "egress":[{"action":"Allow","protocol":"UDP","destination":{"selector":"k8s-app == 'kube-dns'","ports":[53,"5353:5354","dns"]}}]}}`
	calicoPool = `{"apiVersion":"crd.projectcalico.org/v1","kind":"IPPool",
	  "metadata":{"name":"default-ipv4-ippool","annotations":{"projectcalico.org/metadata":"{\"creationTimestamp\":\"2025-01-01T00:00:00Z\"}"}},
	  "spec":{"cidr":"10.48.0.0/16","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":26,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic",
	    "fieldOfANewerCalico":{"x":1}}}`
	// Calico up to 3.28 named default-tier policies default.<name>, with no metadata annotation.
	legacyGNP = `{"apiVersion":"crd.projectcalico.org/v1","kind":"GlobalNetworkPolicy",
	  "metadata":{"name":"default.legacy-deny"},"spec":{"tier":"default","selector":"all()","types":["Ingress"]}}`
	tieredLegacyGNP = `{"apiVersion":"crd.projectcalico.org/v1","kind":"GlobalNetworkPolicy",
	  "metadata":{"name":"default.in-tier-security"},"spec":{"tier":"security","selector":"all()"}}`
)

func TestReadsCustomResourcesWrittenByCalico(t *testing.T) {
	ctx := ctxFor(t)
	gnpCR := createRaw(t, "globalnetworkpolicies", "", calicoGNP)
	createRaw(t, "ippools", "", calicoPool)
	createRaw(t, "globalnetworkpolicies", "", legacyGNP)
	createRaw(t, "globalnetworkpolicies", "", tieredLegacyGNP)

	obj, err := admin.Get(ctx, kind(t, "GlobalNetworkPolicy"), "", "allow-dns")
	if err != nil {
		t.Fatal(err)
	}
	gnp := obj.(*api.GlobalNetworkPolicy)
	wantUID, _ := kubernetes.ConvertUID(gnpCR.GetUID())
	if gnp.Name != "allow-dns" || gnp.UID != wantUID || gnp.CreationTimestamp.UTC().Format(time.RFC3339) != "2025-01-01T00:00:00Z" ||
		fmt.Sprint(gnp.Labels) != "map[projectcalico.org/tier:default team:net]" || fmt.Sprint(gnp.Annotations) != "map[owner:platform]" ||
		gnp.ResourceVersion != gnpCR.GetResourceVersion() {
		t.Errorf("metadata read back as %+v", gnp.ObjectMeta)
	}
	if *gnp.Spec.Order != 100 || gnp.Spec.Types[0] != api.PolicyTypeEgress || len(gnp.Spec.Egress) != 1 {
		t.Fatalf("spec read back as %+v", gnp.Spec)
	}
	ports := gnp.Spec.Egress[0].Destination.Ports
	if len(ports) != 3 || ports[0].String() != "53" || ports[1].String() != "5353:5354" || ports[2].String() != "dns" ||
		gnp.Spec.Egress[0].Protocol.String() != "UDP" {
		t.Errorf("rule read back as %+v", gnp.Spec.Egress[0])
	}

	// The CRDs of this project keep what a newer Calico writes that its types do not know.
	if _, ok := getRaw(t, "ippools", "", "default-ipv4-ippool").Object["spec"].(map[string]interface{})["fieldOfANewerCalico"]; !ok {
		t.Error("a field unknown to these CRDs was pruned")
	}
	pool, err := admin.Get(ctx, kind(t, "IPPool"), "", "default-ipv4-ippool")
	if err != nil {
		t.Fatal(err)
	}
	p := pool.(*api.IPPool)
	if p.Spec.CIDR != "10.48.0.0/16" || p.Spec.IPIPMode != api.IPIPModeAlways || !p.Spec.NATOutgoing || p.Spec.BlockSize != 26 ||
		len(p.Spec.AllowedUses) != 2 || *p.Spec.AssignmentMode != api.AssignmentModeAutomatic || p.Labels != nil || p.Annotations != nil {
		t.Errorf("pool read back as %+v", p)
	}

	l, err := admin.List(ctx, kind(t, "GlobalNetworkPolicy"), datastore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, it := range l.Items {
		got[it.GetName()] = true
	}
	for _, want := range []string{"allow-dns", "legacy-deny", "default.in-tier-security"} {
		if !got[want] {
			t.Errorf("policy %q missing from the list %v", want, names(l))
		}
	}
	if got["default.legacy-deny"] {
		t.Error("legacy default-tier policy listed under its stored name")
	}
}

func TestWritesCustomResourcesAsCalicoDoes(t *testing.T) {
	ctx := ctxFor(t)
	ensureNamespace(t, "writes", nil)
	obj := decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"NetworkPolicy","metadata":{"name":"tier1.allow-web","namespace":"writes",
	  "labels":{"projectcalico.org/tier":"tier1","app":"web"}},
	  "spec":{"tier":"tier1","order":10,"selector":"app == 'web'","types":["Ingress"],"ingress":[{"action":"Allow","protocol":"TCP","destination":{"ports":[80,"8080:8090"]}}]}}`)
	obj.SetCreationTimestamp(metav1.NewTime(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)))
	if _, err := admin.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	cr := getRaw(t, "networkpolicies", "writes", "tier1.allow-web")
	// The custom resource is named as the v3 policy, and its metadata annotation names it too,
	// as Calico 3.30+ writes policies.
	var stashed map[string]interface{}
	json.Unmarshal([]byte(cr.GetAnnotations()[kubernetes.MetadataAnnotation]), &stashed)
	if stashed["name"] != "tier1.allow-web" || stashed["namespace"] != nil {
		t.Errorf("metadata annotation %v", stashed)
	}
	if fmt.Sprint(cr.GetLabels()) != "map[projectcalico.org/tier:tier1]" {
		t.Errorf("labels on the custom resource %v", cr.GetLabels())
	}
	spec, _ := json.Marshal(cr.Object["spec"])
	if string(spec) != `{"ingress":[{"action":"Allow","destination":{"ports":[80,"8080:8090"]},"protocol":"TCP"}],"order":10,"selector":"app == 'web'","tier":"tier1","types":["Ingress"]}` {
		t.Errorf("spec %s", spec)
	}
	// A policy whose name differs from its custom resource's (renamed by Calico's name
	// migration) is known by the annotation.
	createRaw(t, "networkpolicies", "writes", `{"apiVersion":"crd.projectcalico.org/v1","kind":"NetworkPolicy",
	  "metadata":{"name":"knp.old-name","namespace":"writes","annotations":{"projectcalico.org/metadata":"{\"name\":\"renamed\"}"}},"spec":{"selector":"all()"}}`)
	l, err := admin.List(ctx, kind(t, "NetworkPolicy"), datastore.ListOptions{Namespace: "writes", Name: "renamed"})
	if err != nil || len(l.Items) != 1 || l.Items[0].GetName() != "renamed" {
		t.Errorf("policy by annotation name: %v %v", err, names(l))
	}
}

func TestCRDsMissingSaysSoAndInstallIsIdempotent(t *testing.T) {
	ctx := ctxFor(t)
	ipr := kind(t, "IPReservation")
	crds := raw.Resource(gvrCRD)
	if err := crds.Delete(ctx, "ipreservations.crd.projectcalico.org", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := crds.Get(ctx, "ipreservations.crd.projectcalico.org", metav1.GetOptions{}); err != nil {
			break
		}
	}
	_, err := admin.List(ctx, ipr, datastore.ListOptions{})
	if err == nil || err.Error() != "the Calico CRDs are not installed in this cluster: run calicoctl datastore install-crds" {
		t.Fatalf("list without the CRD: %v", err)
	}
	if _, err := admin.Get(ctx, ipr, "", "x"); !datastore.IsDoesNotExist(err) || !strings.Contains(err.Error(), "run calicoctl datastore install-crds") {
		t.Errorf("get without the CRD: %v", err)
	}
	if _, err := admin.Create(ctx, decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"IPReservation","metadata":{"name":"x"},"spec":{"reservedCIDRs":["10.0.0.0/24"]}}`)); !kubernetes.IsCRDsNotInstalled(err) {
		t.Errorf("create without the CRD: %v", err)
	}

	outcomes := map[kubernetes.CRDOutcome][]string{}
	if err := admin.InstallCRDs(ctx, func(name string, o kubernetes.CRDOutcome) { outcomes[o] = append(outcomes[o], name) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(outcomes[kubernetes.CRDCreated]) != "[ipreservations.crd.projectcalico.org]" || len(outcomes[kubernetes.CRDUpdated]) != 0 || len(outcomes[kubernetes.CRDUnchanged]) != 21 {
		t.Fatalf("second install: %v", outcomes)
	}
	if _, err := admin.List(ctx, ipr, datastore.ListOptions{}); err != nil {
		t.Fatalf("list after install: %v", err)
	}
}

func TestForbiddenNamesVerbResourceAndUser(t *testing.T) {
	alice, err := newStore(kube.UserKubeconfig, 10*time.Second, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t)
	_, err = alice.Get(ctx, kind(t, "IPPool"), "", "default-ipv4-ippool")
	var unauthorized *datastore.UnauthorizedError
	if !errors.As(err, &unauthorized) {
		t.Fatalf("get as alice: %T %v", err, err)
	}
	want := `connection is unauthorized: ippools.crd.projectcalico.org "default-ipv4-ippool" is forbidden: User "alice" cannot get resource "ippools" in API group "crd.projectcalico.org" at the cluster scope`
	if !strings.HasPrefix(err.Error(), want+"; grant that user RBAC rights") {
		t.Errorf("get as alice:\n got %s\nwant %s; grant that user RBAC rights...", err, want)
	}
	_, err = alice.List(ctx, kind(t, "NetworkPolicy"), datastore.ListOptions{Namespace: "default"})
	if !errors.As(err, &unauthorized) || !strings.Contains(err.Error(), `User "alice" cannot list resource "networkpolicies" in API group "crd.projectcalico.org" in the namespace "default"`) {
		t.Errorf("list as alice: %v", err)
	}
	_, err = alice.Create(ctx, decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"Tier","metadata":{"name":"t"},"spec":{"order":5}}`))
	if !errors.As(err, &unauthorized) || !strings.Contains(err.Error(), `User "alice" cannot create resource "tiers"`) {
		t.Errorf("create as alice: %v", err)
	}
	if err := alice.InstallCRDs(ctx, nil); !errors.As(err, &unauthorized) || !strings.Contains(err.Error(), `User "alice" cannot get resource "customresourcedefinitions"`) {
		t.Errorf("install-crds as alice: %v", err)
	}
}
