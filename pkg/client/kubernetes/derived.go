package kubernetes

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// Why each derived kind refuses writes: in the Kubernetes datastore these objects are views of
// core Kubernetes objects, which are managed through the Kubernetes API.
var readOnlyReason = map[string]string{
	"Node":             "in the Kubernetes datastore a Calico Node is the Kubernetes Node of the same name: add and remove nodes through the Kubernetes API",
	"WorkloadEndpoint": "in the Kubernetes datastore workload endpoints are derived from pods: change the pod instead",
	"Profile":          "in the Kubernetes datastore profiles are derived from namespaces (kns.<namespace>) and service accounts (ksa.<namespace>.<name>): change those instead",
}

func notSupported(op string, kind *resources.Kind, namespace, name string) error {
	return &datastore.NotSupportedError{Operation: op, ID: kind.ID(namespace, name), Reason: readOnlyReason[kind.Kind]}
}

// Refuses says whether an operation on a kind is refused by this datastore whatever the object:
// the kinds derived from core Kubernetes objects cannot be created or deleted through Calico.
func (s *Store) Refuses(op string, kind *resources.Kind, namespace, name string) error {
	if _, custom := CRDFor(kind); custom || (op != "create" && op != "delete") {
		return nil
	}
	return notSupported(op, kind, namespace, name)
}

func (s *Store) createDerived(ctx context.Context, kind *resources.Kind, obj resources.Resource) (resources.Resource, error) {
	return nil, notSupported("create", kind, obj.GetNamespace(), obj.GetName())
}

func (s *Store) updateDerived(ctx context.Context, kind *resources.Kind, obj resources.Resource) (resources.Resource, error) {
	if kind.Kind == "Node" {
		return s.updateNode(ctx, kind, obj)
	}
	return nil, notSupported("update", kind, obj.GetNamespace(), obj.GetName())
}

func (s *Store) deleteDerived(kind *resources.Kind, namespace, name string) error {
	return notSupported("delete", kind, namespace, name)
}

func (s *Store) getDerived(ctx context.Context, kind *resources.Kind, namespace, name string) (resources.Resource, error) {
	switch kind.Kind {
	case "Node":
		return s.getNode(ctx, kind, name)
	case "WorkloadEndpoint":
		return s.getWorkloadEndpoint(ctx, kind, namespace, name)
	case "Profile":
		return s.getProfile(ctx, kind, name)
	}
	return nil, fmt.Errorf("kind %s has no Kubernetes mapping", kind.Kind)
}

func (s *Store) listDerived(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (*datastore.List, error) {
	var l *datastore.List
	var err error
	switch kind.Kind {
	case "Node":
		l, err = s.listNodes(ctx, kind, opts)
	case "WorkloadEndpoint":
		l, err = s.listWorkloadEndpoints(ctx, kind, opts)
	case "Profile":
		l, err = s.listProfiles(ctx, kind, opts)
	default:
		return nil, fmt.Errorf("kind %s has no Kubernetes mapping", kind.Kind)
	}
	if err != nil {
		return nil, err
	}
	l.Items = filterNames(l.Items, opts)
	// The order etcd lists in: by namespace, then name.
	sort.SliceStable(l.Items, func(i, j int) bool {
		a, b := l.Items[i], l.Items[j]
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}
		return strings.Compare(a.GetName(), b.GetName()) < 0
	})
	return l, nil
}
