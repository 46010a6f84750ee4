package kinds_test

import (
	"encoding/json"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// The defaults Calico 3.32 stores when a field is absent, and only then.
func TestDefaultsCalicoStores(t *testing.T) {
	for _, tc := range []struct {
		name, kind, spec string
		// want is the spec after defaulting, as JSON.
		want string
	}{
		{
			name: "empty FelixConfiguration",
			kind: "FelixConfiguration", spec: `{}`,
			want: `{"nftablesMode":"Auto","nftablesFlowTableOffload":"Disabled","bpfLogLevel":"",` +
				`"bpfConnectTimeLoadBalancing":"TCP","bpfHostNetworkedNATWithoutCTLB":"Enabled","floatingIPs":"Disabled"}`,
		},
		{
			name: "FelixConfiguration values given are kept",
			kind: "FelixConfiguration",
			spec: `{"nftablesMode":"Enabled","nftablesFlowTableOffload":"All","bpfConnectTimeLoadBalancing":"Disabled",` +
				`"bpfHostNetworkedNATWithoutCTLB":"Disabled","floatingIPs":"Enabled"}`,
			want: `{"nftablesMode":"Enabled","nftablesFlowTableOffload":"All","bpfLogLevel":"",` +
				`"bpfConnectTimeLoadBalancing":"Disabled","bpfHostNetworkedNATWithoutCTLB":"Disabled","floatingIPs":"Enabled"}`,
		},
		{
			name: "deprecated bpfConnectTimeLoadBalancingEnabled true",
			kind: "FelixConfiguration",
			spec: `{"bpfConnectTimeLoadBalancingEnabled":true}`,
			want: `{"nftablesMode":"Auto","nftablesFlowTableOffload":"Disabled","bpfLogLevel":"",` +
				`"bpfConnectTimeLoadBalancingEnabled":true,"bpfConnectTimeLoadBalancing":"Enabled","bpfHostNetworkedNATWithoutCTLB":"Disabled","floatingIPs":"Disabled"}`,
		},
		{
			name: "deprecated bpfConnectTimeLoadBalancingEnabled false overrides the new fields",
			kind: "FelixConfiguration",
			spec: `{"bpfConnectTimeLoadBalancingEnabled":false,"bpfConnectTimeLoadBalancing":"TCP","bpfHostNetworkedNATWithoutCTLB":"Enabled"}`,
			want: `{"nftablesMode":"Auto","nftablesFlowTableOffload":"Disabled","bpfLogLevel":"",` +
				`"bpfConnectTimeLoadBalancingEnabled":false,"bpfConnectTimeLoadBalancing":"Disabled","bpfHostNetworkedNATWithoutCTLB":"Disabled","floatingIPs":"Disabled"}`,
		},
		{
			name: "empty BGPConfiguration",
			kind: "BGPConfiguration", spec: `{}`,
			want: `{"logSeverityScreen":"Info","serviceLoadBalancerAggregation":"Enabled"}`,
		},
		{
			name: "BGPConfiguration aggregation given is kept",
			kind: "BGPConfiguration", spec: `{"serviceLoadBalancerAggregation":"Disabled"}`,
			want: `{"logSeverityScreen":"Info","serviceLoadBalancerAggregation":"Disabled"}`,
		},
		{
			name: "KubeControllersConfiguration without controllers",
			kind: "KubeControllersConfiguration", spec: `{}`,
			want: `{"prometheusMetricsPort":9094,"controllers":{}}`,
		},
		{
			name: "KubeControllersConfiguration with node and loadBalancer controllers",
			kind: "KubeControllersConfiguration", spec: `{"controllers":{"node":{},"loadBalancer":{}}}`,
			want: `{"prometheusMetricsPort":9094,"controllers":{"node":{"leakGracePeriod":"15m0s"},"loadBalancer":{"assignIPs":"AllServices"}}}`,
		},
		{
			name: "KubeControllersConfiguration values given are kept",
			kind: "KubeControllersConfiguration",
			spec: `{"prometheusMetricsPort":0,"controllers":{"node":{"leakGracePeriod":"1h"},"loadBalancer":{"assignIPs":"RequestedServicesOnly"}}}`,
			want: `{"prometheusMetricsPort":0,"controllers":{"node":{"leakGracePeriod":"1h0m0s"},"loadBalancer":{"assignIPs":"RequestedServicesOnly"}}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, _ := resources.ByKind(tc.kind)
			obj, err := k.DecodeStrict([]byte(`{"apiVersion":"projectcalico.org/v3","kind":"` + tc.kind + `","metadata":{"name":"default"},"spec":` + tc.spec + `}`))
			if err != nil {
				t.Fatal(err)
			}
			k.SetDefaults(obj)
			var out struct {
				Spec json.RawMessage `json:"spec"`
			}
			b, _ := json.Marshal(obj)
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatal(err)
			}
			if string(out.Spec) != tc.want {
				t.Errorf("spec after defaulting\n got %s\nwant %s", out.Spec, tc.want)
			}
		})
	}
}
