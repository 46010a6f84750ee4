package kubernetes_test

import (
	"testing"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func TestLegacyPolicyNamesCanBeUpdatedAndDeleted(t *testing.T) {
	ctx := ctxFor(t)
	createRaw(t, "globalnetworkpolicies", "", `{"apiVersion":"crd.projectcalico.org/v1","kind":"GlobalNetworkPolicy",
	  "metadata":{"name":"default.legacy-upd"},"spec":{"tier":"default","selector":"all()"}}`)
	k := kind(t, "GlobalNetworkPolicy")
	obj, err := admin.Get(ctx, k, "", "legacy-upd")
	if err != nil {
		t.Fatalf("get by v3 name: %v", err)
	}
	obj.(*api.GlobalNetworkPolicy).Spec.Selector = "role == 'x'"
	if _, err := admin.Update(ctx, obj); err != nil {
		t.Fatalf("update: %v", err)
	}
	if sel := getRaw(t, "globalnetworkpolicies", "", "default.legacy-upd").Object["spec"].(map[string]interface{})["selector"]; sel != "role == 'x'" {
		t.Errorf("stored selector %v", sel)
	}
	if _, err := admin.Delete(ctx, k, "", "legacy-upd", ""); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := admin.Get(ctx, k, "", "legacy-upd"); !datastore.IsDoesNotExist(err) {
		t.Errorf("after delete: %v", err)
	}
}

func TestWatchReportsChangesAfterNow(t *testing.T) {
	ctx := ctxFor(t)
	k := kind(t, "GlobalNetworkSet")
	if _, err := admin.Create(ctx, decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkSet","metadata":{"name":"watch-before"},"spec":{"nets":["10.0.0.0/8"]}}`)); err != nil {
		t.Fatal(err)
	}
	events, err := admin.Watch(ctx, k, datastore.ListOptions{Name: "watch-", Prefix: true})
	if err != nil {
		t.Fatal(err)
	}
	created, err := admin.Create(ctx, decode(t, `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkSet","metadata":{"name":"watch-after"},"spec":{"nets":["10.1.0.0/16"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	created.(*api.GlobalNetworkSet).Spec.Nets = []string{"10.2.0.0/16"}
	if _, err := admin.Update(ctx, created); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Delete(ctx, k, "", "watch-after", ""); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 3 {
		select {
		case e := <-events:
			if e.Err != nil {
				t.Fatal(e.Err)
			}
			got = append(got, string(e.Type)+" "+e.Object.GetName())
		case <-time.After(10 * time.Second):
			t.Fatalf("events so far: %v", got)
		}
	}
	if want := "[ADDED watch-after MODIFIED watch-after DELETED watch-after]"; fmtList(got) != want {
		t.Errorf("events %v, want %s", got, want)
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}
