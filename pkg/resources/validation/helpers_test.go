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
		if e.Field == field && strings.Contains(e.Reason, msg) {
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

func TestErrorsNameTheResourceAndField(t *testing.T) {
	err := IPPool(&api.IPPool{ObjectMeta: meta("pool1"), Spec: api.IPPoolSpec{CIDR: "10.5.0.0/99"}})
	want := "error with field IPPool(pool1).spec.cidr = '10.5.0.0/99' (IPPool CIDR must be a valid subnet"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want prefix %q", err, want)
	}
	err = NetworkPolicy(&api.NetworkPolicy{ObjectMeta: nsMeta("p"), Spec: api.NetworkPolicySpec{
		Ingress: []api.Rule{{Action: "Drop"}}}})
	want = "error with field NetworkPolicy(default/p).spec.ingress[0].action = 'Drop' (must be Allow, Deny, Log or Pass)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
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
