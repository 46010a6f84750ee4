package kinds_test

import (
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// The registry holds every projectcalico.org/v3 kind of the reference, each complete.
func TestEveryKindIsRegisteredAndComplete(t *testing.T) {
	want := []string{"BGPConfiguration", "BGPFilter", "BGPPeer", "CalicoNodeStatus", "ClusterInformation",
		"FelixConfiguration", "GlobalNetworkPolicy", "GlobalNetworkSet", "HostEndpoint", "IPAMConfiguration",
		"IPPool", "IPReservation", "KubeControllersConfiguration", "NetworkPolicy", "NetworkSet", "Node",
		"Profile", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy", "StagedNetworkPolicy", "Tier",
		"WorkloadEndpoint"}
	var got []string
	for _, k := range resources.All() {
		got = append(got, k.Kind)
		if k.Plural != strings.ToLower(k.Plural) || k.Plural == "" {
			t.Errorf("%s: plural %q must be lower case", k.Kind, k.Plural)
		}
		if k.Validate == nil {
			t.Errorf("%s has no validator", k.Kind)
		}
		obj := k.NewObject()
		if obj.GetObjectKind().GroupVersionKind().Kind != k.Kind {
			t.Errorf("%s: NewObject has kind %q", k.Kind, obj.GetObjectKind().GroupVersionKind().Kind)
		}
		for _, list := range [][]string{k.Default, k.Wide} {
			if len(list) == 0 {
				t.Errorf("%s has no table columns", k.Kind)
			}
			for _, h := range list {
				if _, ok := k.Column(h); !ok {
					t.Errorf("%s: heading %s has no column", k.Kind, h)
				}
			}
		}
		// Every column can render an empty object without panicking.
		for _, c := range k.Columns {
			_ = c.Value(obj, &resources.PrintContext{GlobalASNumber: func() string { return "64512" }})
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("kinds:\n got %v\nwant %v", got, want)
	}
}

func TestAliasesResolveCaseInsensitively(t *testing.T) {
	for typed, kind := range map[string]string{
		"ippool": "IPPool", "IPPools": "IPPool", "ipp": "IPPool", "pool": "IPPool",
		"gnp": "GlobalNetworkPolicy", "policy": "NetworkPolicy", "pol": "NetworkPolicy",
		"wep": "WorkloadEndpoint", "hep": "HostEndpoint", "bgpconfig": "BGPConfiguration",
		"bgpp": "BGPPeer", "bf": "BGPFilter", "nodestatus": "CalicoNodeStatus", "clusterinfo": "ClusterInformation",
		"felixconfig": "FelixConfiguration", "gnetsets": "GlobalNetworkSet", "netsets": "NetworkSet",
		"ipamconfig": "IPAMConfiguration", "reservation": "IPReservation", "kubecontrollersconfig": "KubeControllersConfiguration",
		"no": "Node", "pro": "Profile", "sgnp": "StagedGlobalNetworkPolicy", "sknp": "StagedKubernetesNetworkPolicy",
		"snp": "StagedNetworkPolicy", "tiers": "Tier",
	} {
		k, err := resources.Lookup(typed)
		if err != nil || k.Kind != kind {
			t.Errorf("%q resolved to %v, %v; want %s", typed, k, err, kind)
		}
	}
	if _, err := resources.Lookup("somekind"); err == nil || err.Error() != "resource type 'somekind' is not supported" {
		t.Errorf("unknown kind: %v", err)
	}
}
