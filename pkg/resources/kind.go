// Package resources is the kind registry: for every Calico resource kind, one descriptor saying
// what it is called, where it lives, how it is defaulted, validated and shown in a table. Commands,
// printers and datastore backends work from these descriptors and never name a kind themselves.
package resources

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Resource is any Calico object: Kubernetes type and object metadata plus a kind-specific spec.
// Every API type satisfies it by embedding api.TypeMeta and api.ObjectMeta.
type Resource interface {
	metav1.Object
	GetObjectKind() schema.ObjectKind
}

// Column is one table heading of a kind and how its cell is computed.
type Column struct {
	Heading string
	Value   func(r Resource, ctx *PrintContext) string
}

// PrintContext lends table cells the few facts that are not in the object itself.
type PrintContext struct {
	// GlobalASNumber returns the cluster-wide AS number (BGPConfiguration default, 64512 when
	// unset); a Node without its own AS shows it in brackets.
	GlobalASNumber func() string
}

// Ops are the operations a kind refuses. A refused operation fails with
// "operation <op> is not supported on <Kind>[: reason]".
type Ops struct {
	NoCreate, NoUpdate, NoDelete bool
	Reason                       string
}

// Kind describes one resource kind.
type Kind struct {
	// Kind is the API kind, e.g. "IPPool".
	Kind string
	// Plural is the lower-case plural used in etcd keys and CRD names, e.g. "ippools".
	Plural string
	// Aliases are the lower-case names an operator may type; matching is case-insensitive.
	Aliases []string
	// Namespaced kinds live in a namespace.
	Namespaced bool
	// New returns an empty object of this kind.
	New func() Resource
	// Columns are every heading this kind can show; Default and Wide name the ones shown by
	// -o ps and -o wide, in order.
	Columns []Column
	Default []string
	Wide    []string
	// Default fills in the values Calico assigns when the operator leaves a field out.
	SetDefaults func(Resource)
	// Validate checks an object before it is written. It returns nil or a *validation.Error list.
	Validate func(Resource) error
	// ReadOnly lists the operations this kind refuses on every backend.
	ReadOnly Ops
	// Hidden kinds (IPAM internals) are stored through the same mechanism but are not offered to
	// operators on the command line.
	Hidden bool
	// Sort orders the items of a list in every output format (tiers by order); nil keeps the
	// datastore order.
	Sort func([]Resource)
	// Storage, when set, places a kind that is not a v3 resource (Calico's IPAM records) in the
	// backends; nil means the v3 layout.
	Storage *Storage
}

// Storage says where a kind that is not a v3 resource lives and how its content is stored, so
// that the backends hold Calico's own keys, values and custom resources for it.
type Storage struct {
	// EtcdKey is the key of the object named name. EtcdPrefix is the key prefix under which the
	// objects whose names start with namePrefix live ("" for all). EtcdName is the object name
	// of a key, false for keys under the prefix that hold no object of the kind.
	EtcdKey    func(name string) string
	EtcdPrefix func(namePrefix string) string
	EtcdName   func(key string) (string, bool)
	// EtcdListEnd, when set, is the end of the key range a list or watch of namePrefix reads,
	// for kinds stored under more than one prefix (it starts at EtcdPrefix); nil means the
	// keys under EtcdPrefix.
	EtcdListEnd func(namePrefix string) string
	// EtcdEncode and EtcdDecode convert between an object and the stored value.
	EtcdEncode func(Resource) ([]byte, error)
	EtcdDecode func(value []byte, into Resource) error
	// CRName is the name of the object's custom resource (crd.projectcalico.org/v1, spec as
	// is, no metadata annotation); NameFromCR recovers the object name from what was read.
	CRName     func(name string) string
	NameFromCR func(Resource) string
}

// ListKind is the name of the list type of a kind, e.g. "IPPoolList".
func (k *Kind) ListKind() string { return k.Kind + "List" }

// Column returns the column with the given heading.
func (k *Kind) Column(heading string) (Column, bool) {
	for _, c := range k.Columns {
		if c.Heading == heading {
			return c, true
		}
	}
	return Column{}, false
}

// Headings lists every heading the kind knows, for error messages.
func (k *Kind) Headings() []string {
	out := make([]string, 0, len(k.Columns))
	for _, c := range k.Columns {
		out = append(out, c.Heading)
	}
	return out
}

// NewObject returns an empty object of the kind with its TypeMeta set.
func (k *Kind) NewObject() Resource {
	r := k.New()
	r.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{Group: api.Group, Version: api.Version, Kind: k.Kind})
	return r
}

// ID is how errors name one object: Kind(name) or Kind(namespace/name).
func (k *Kind) ID(namespace, name string) string {
	if k.Namespaced && namespace != "" {
		return fmt.Sprintf("%s(%s/%s)", k.Kind, namespace, name)
	}
	return fmt.Sprintf("%s(%s)", k.Kind, name)
}

// The registry, sized for Calico's kinds (26, about 100 names) so that registering them at
// start-up does not grow the maps step by step.
var (
	byKind  = make(map[string]*Kind, 32)
	byAlias = make(map[string]*Kind, 128)
	ordered = make([]*Kind, 0, 32)
)

// Register adds a kind to the registry. It panics on a duplicate name, which is a programming
// error caught by every test run.
func Register(k *Kind) *Kind {
	if _, dup := byKind[k.Kind]; dup {
		panic("resources: kind registered twice: " + k.Kind)
	}
	byKind[k.Kind] = k
	ordered = append(ordered, k)
	if k.Hidden {
		return k
	}
	addAlias(k, k.Kind)
	for _, a := range k.Aliases {
		addAlias(k, a)
	}
	return k
}

func addAlias(k *Kind, a string) {
	a = strings.ToLower(a)
	if other, dup := byAlias[a]; dup && other != k {
		panic("resources: alias " + a + " names both " + other.Kind + " and " + k.Kind)
	}
	byAlias[a] = k
}

// ByKind returns the kind with exactly this API kind name ("IPPool"), hidden kinds included.
func ByKind(kind string) (*Kind, bool) {
	k, ok := byKind[kind]
	return k, ok
}

// Lookup resolves what an operator typed on the command line ("ippools", "GNP", "pool").
func Lookup(typed string) (*Kind, error) {
	if k, ok := byAlias[strings.ToLower(typed)]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("resource type '%s' is not supported", typed)
}

// All returns the operator-visible kinds, sorted by name.
func All() []*Kind {
	out := make([]*Kind, 0, len(ordered))
	for _, k := range ordered {
		if !k.Hidden {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// KindOf returns the descriptor of an object's kind.
func KindOf(r Resource) (*Kind, error) {
	name := r.GetObjectKind().GroupVersionKind().Kind
	k, ok := byKind[name]
	if !ok {
		return nil, fmt.Errorf("resource type '%s' is not supported", name)
	}
	return k, nil
}
