package validation

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// tc is one case of a validator table: msg "" means the object is valid; otherwise some error must
// be reported on field with a reason containing msg.
type tc[T any] struct {
	name  string
	obj   T
	msg   string
	field string
}

func run[T any](t *testing.T, validate func(T) error, cases []tc[T]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, validate(c.obj), c.msg, c.field)
		})
	}
}

func expectError(t *testing.T, err error, msg, field string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Fatalf("want valid, got: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("want an error on %s containing %q, got none", field, msg)
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want validation.Errors, got %T: %v", err, err)
	}
	for _, e := range errs {
		if e.Field == field && strings.Contains(e.Error(), msg) {
			return
		}
	}
	t.Fatalf("want an error on %s containing %q, got: %v", field, msg, err)
}

func ptr[T any](v T) *T { return &v }

func proto(s string) *api.Protocol { return ptr(api.ProtocolFromString(s)) }

func protoNum(n uint8) *api.Protocol { return ptr(api.ProtocolFromInt(n)) }

func ports(ps ...interface{}) []api.Port {
	out := make([]api.Port, len(ps))
	for i, p := range ps {
		switch v := p.(type) {
		case int:
			out[i] = api.SinglePort(uint16(v))
		case string:
			out[i] = api.Port{PortName: v}
		case api.Port:
			out[i] = v
		}
	}
	return out
}

func meta(name string) api.ObjectMeta { return api.ObjectMeta{Name: name} }

func nsMeta(name string) api.ObjectMeta { return api.ObjectMeta{Name: name, Namespace: "default"} }

func dur(d time.Duration) *api.Duration { return &metav1.Duration{Duration: d} }

// Errors print Calico's text first (scripts search for it), then where the field is in the
// operator's YAML and our advice.
func TestErrorsPrintCalicoTextThenLocation(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"Calico's specific reason, then ours",
			IPPool(&api.IPPool{ObjectMeta: meta("pool1"), Spec: api.IPPoolSpec{CIDR: "10.5.0.0/99"}}),
			"error with field IPPool.Spec.CIDR = '10.5.0.0/99' (IPPool CIDR must be a valid subnet) at IPPool(pool1).spec.cidr: write a network such as 10.244.0.0/16 or fd00:10:244::/64"},
		{"enum in the CRD schema's form",
			NetworkPolicy(&api.NetworkPolicy{ObjectMeta: nsMeta("p"), Spec: api.NetworkPolicySpec{Ingress: []api.Rule{{Action: "Drop"}}}}),
			`error with field spec.ingress[0].action (supported values: "Allow", "Deny", "Log", "Pass") at NetworkPolicy(default/p).spec.ingress[0].action: got 'Drop'; must be Allow, Deny, Log or Pass`},
		{"several fields on one line",
			BGPPeer(&api.BGPPeer{ObjectMeta: meta("p1"), Spec: api.BGPPeerSpec{Node: "node 2", PeerIP: "badpeerIP"}}),
			"error with the following fields: -  Node = 'node 2' (must be a resource name: lower case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters) at BGPPeer(p1).spec.node; " +
				"-  PeerIP = 'badpeerIP' (peerIP must be an IP address, IPv4:port or [IPv6]:port with a port from 1 to 65535 (e.g. 10.0.0.1, 10.0.0.1:179 or [fd00::1]:179)) at BGPPeer(p1).spec.peerIP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil || c.err.Error() != c.want {
				t.Fatalf("got  %v\nwant %s", c.err, c.want)
			}
		})
	}
}

func TestGoFieldName(t *testing.T) {
	for in, want := range map[string]string{
		"spec.peerIP": "PeerIP", "spec.asNumber": "ASNumber", "spec.interfaceName": "InterfaceName",
		"spec.ingress[0].source.ports[2]": "Port", "spec.egress[1].icmp.type": "Type", "spec.ipipMode": "IPIPMode",
		"spec.bgp.ipv4Address": "IPv4Address", "spec.natOutgoing": "NATOutgoing", "metadata.name": "Metadata.Name",
		"spec.cidr": "CIDR", "spec.serviceClusterIPs[0].cidr": "CIDR", "Metadata.ResourceVersion": "Metadata.ResourceVersion", "metadata.namespace": "Namespace",
	} {
		if got := GoFieldName(in); got != want {
			t.Errorf("GoFieldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOneOf(t *testing.T) {
	for in, want := range map[string]string{"": "", "A": "A", "A,B": "A or B", "A,B,C": "A, B or C"} {
		var words []string
		if in != "" {
			words = strings.Split(in, ",")
		}
		if got := oneOf(words); got != want {
			t.Errorf("oneOf(%q) = %q, want %q", in, got, want)
		}
	}
}
