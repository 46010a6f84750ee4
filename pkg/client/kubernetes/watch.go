package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// watchEvent is one line of a Kubernetes watch stream.
type watchEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// Watch streams changes to the custom resources of a kind, or to the Nodes or Pods behind Calico
// Nodes and WorkloadEndpoints, after opts.Revision (or from now). Profiles cannot be watched: they
// come from two collections that have no common revision.
func (s *Store) Watch(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (<-chan datastore.Event, error) {
	lo := metav1.ListOptions{Watch: true, ResourceVersion: opts.Revision}
	if opts.Name != "" && !opts.Prefix && kind.Kind != "WorkloadEndpoint" {
		lo.FieldSelector = "metadata.name=" + opts.Name
	}
	if lo.ResourceVersion == "" {
		// From now, as etcd watches: without a revision the API server would first replay
		// every existing object as ADDED.
		rv, err := s.revisionNow(ctx, kind, opts.Namespace)
		if err != nil {
			return nil, err
		}
		lo.ResourceVersion = rv
	}
	var convert func(raw []byte) (resources.Resource, error)
	var stream io.ReadCloser
	var err error
	switch kind.Kind {
	case "Node":
		convert = func(raw []byte) (resources.Resource, error) {
			var n corev1.Node
			if err := json.Unmarshal(raw, &n); err != nil {
				return nil, err
			}
			return nodeToCalico(&n, s.usePodCIDR), nil
		}
		stream, err = s.core.rest.Get().Resource("nodes").VersionedParams(&lo, metav1.ParameterCodec).Stream(ctx)
	case "WorkloadEndpoint":
		convert = func(raw []byte) (resources.Resource, error) {
			var p corev1.Pod
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, err
			}
			if w := podToWorkloadEndpoint(&p); w != nil {
				return w, nil
			}
			return nil, nil
		}
		stream, err = s.core.rest.Get().Namespace(opts.Namespace).Resource("pods").VersionedParams(&lo, metav1.ParameterCodec).Stream(ctx)
	case "Profile":
		return nil, &datastore.NotSupportedError{Operation: "watch", ID: kind.Kind, Reason: readOnlyReason[kind.Kind]}
	default:
		crd, _ := CRDFor(kind)
		convert = func(raw []byte) (resources.Resource, error) { return s.decode(kind, crd, raw) }
		ns := ""
		if crd.Namespaced {
			ns = opts.Namespace
		}
		stream, err = s.request("GET", crd, ns).VersionedParams(&lo, metav1.ParameterCodec).Stream(ctx)
		if err != nil {
			return nil, s.translate(ctx, err, kind.Kind, crd.Name())
		}
	}
	if err != nil {
		return nil, s.translate(ctx, err, kind.Kind, "")
	}
	out := make(chan datastore.Event)
	go func() {
		defer close(out)
		defer stream.Close()
		dec := json.NewDecoder(stream)
		for {
			var ev watchEvent
			if err := dec.Decode(&ev); err != nil {
				if ctx.Err() == nil && err != io.EOF {
					send(ctx, out, datastore.Event{Type: datastore.Error, Err: fmt.Errorf("watching %s: %w", kind.Kind, err)})
				}
				return
			}
			e := datastore.Event{}
			switch ev.Type {
			case "ADDED":
				e.Type = datastore.Added
			case "MODIFIED":
				e.Type = datastore.Modified
			case "DELETED":
				e.Type = datastore.Deleted
			case "BOOKMARK":
				continue
			default:
				var st metav1.Status
				_ = json.Unmarshal(ev.Object, &st)
				send(ctx, out, datastore.Event{Type: datastore.Error, Err: fmt.Errorf("watching %s: %s", kind.Kind, st.Message)})
				return
			}
			obj, err := convert(ev.Object)
			if err == nil && obj == nil {
				continue // a pod Calico does not network
			}
			if err == nil && opts.Name != "" && (obj.GetName() != opts.Name && !(opts.Prefix && len(obj.GetName()) >= len(opts.Name) && obj.GetName()[:len(opts.Name)] == opts.Name)) {
				continue
			}
			e.Object, e.Err = obj, err
			if !send(ctx, out, e) {
				return
			}
		}
	}()
	return out, nil
}

func send(ctx context.Context, out chan<- datastore.Event, e datastore.Event) bool {
	select {
	case out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// revisionNow is the current revision of a kind's collection: that of a one-object list.
func (s *Store) revisionNow(ctx context.Context, kind *resources.Kind, namespace string) (string, error) {
	one := metav1.ListOptions{Limit: 1}
	var rv string
	err := s.do(ctx, retryLostAnswer, kind.Kind, "", func(ctx context.Context) error {
		switch kind.Kind {
		case "Node":
			l := &corev1.NodeList{}
			if err := s.core.list(ctx, "nodes", "", one, l); err != nil {
				return err
			}
			rv = l.ResourceVersion
		case "WorkloadEndpoint":
			l := &corev1.PodList{}
			if err := s.core.list(ctx, "pods", namespace, one, l); err != nil {
				return err
			}
			rv = l.ResourceVersion
		default:
			crd, _ := CRDFor(kind)
			if !crd.Namespaced {
				namespace = ""
			}
			out, err := doRaw(ctx, s.request("GET", crd, namespace).VersionedParams(&one, metav1.ParameterCodec))
			if err != nil {
				if resourceMissing(err) {
					return &CRDsNotInstalledError{Resource: crd.Name()}
				}
				return err
			}
			var page rawList
			if err := json.Unmarshal(out, &page); err != nil {
				return err
			}
			rv = page.Metadata.ResourceVersion
		}
		return nil
	})
	return rv, err
}
