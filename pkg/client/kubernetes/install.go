package kubernetes

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/calicoctl-go/calicoctl/manifests"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// CRDOutcome says what installing one CRD did.
type CRDOutcome string

const (
	CRDCreated   CRDOutcome = "created"
	CRDUpdated   CRDOutcome = "updated"
	CRDUnchanged CRDOutcome = "unchanged"
)

// establishTimeout bounds the wait for the API server to serve a new CRD.
const establishTimeout = 60 * time.Second

// CRDManifests returns the CRDs built into calicoctl, sorted by name.
func CRDManifests() ([]*unstructured.Unstructured, error) {
	files, err := fs.Glob(manifests.CRDs, "crds/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := fs.ReadFile(manifests.CRDs, f)
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &u.Object); err != nil {
			return nil, fmt.Errorf("built-in manifest %s: %w", path.Base(f), err)
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out, nil
}

// InstallCRDs creates each built-in CRD, or updates it to the built-in definition, then waits
// until the API server serves it (Established). report is called once per CRD, in name order.
// Running it again changes nothing.
func (s *Store) InstallCRDs(ctx context.Context, report func(name string, outcome CRDOutcome)) error {
	crds, err := CRDManifests()
	if err != nil {
		return err
	}
	client := s.dynamic.Resource(crdResource)
	for _, crd := range crds {
		name := crd.GetName()
		id := "CustomResourceDefinition(" + name + ")"
		var outcome CRDOutcome
		err := s.do(ctx, retryTransient, id, "", func(ctx context.Context) error {
			current, err := s.getCRDNotTerminating(ctx, name)
			if apierrors.IsNotFound(err) {
				outcome = CRDCreated
				_, err = client.Create(ctx, crd.DeepCopy(), metav1.CreateOptions{})
				return err
			}
			if err != nil {
				return err
			}
			desired := crd.DeepCopy()
			desired.SetResourceVersion(current.GetResourceVersion())
			updated, err := client.Update(ctx, desired, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
			outcome = CRDUpdated
			if updated.GetResourceVersion() == current.GetResourceVersion() {
				outcome = CRDUnchanged
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("installing CRD %s: %w", name, err)
		}
		if err := s.waitEstablished(ctx, name); err != nil {
			return err
		}
		if report != nil {
			report(name, outcome)
		}
	}
	return s.waitServed(ctx, crds)
}

// waitServed lists each new resource once, all at the same time: the API server answers the
// first list of a resource only when its cache of that resource is ready (about a second), and
// an operator's first command should not pay that, one resource after the other.
func (s *Store) waitServed(ctx context.Context, crds []*unstructured.Unstructured) error {
	errs := make(chan error, len(crds))
	for _, crd := range crds {
		go func() {
			plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
			gvr := schema.GroupVersionResource{Group: Group, Version: Version, Resource: plural}
			errs <- s.do(ctx, retryLostAnswer, "CustomResourceDefinition("+crd.GetName()+")", "", func(ctx context.Context) error {
				_, err := s.dynamic.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
				return err
			})
		}()
	}
	var first error
	for range crds {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// waitEstablished polls a CRD until its Established condition is True.
func (s *Store) waitEstablished(ctx context.Context, name string) error {
	client := s.dynamic.Resource(crdResource)
	deadline := time.Now().Add(establishTimeout)
	for {
		var crd *unstructured.Unstructured
		err := s.do(ctx, retryLostAnswer, "CustomResourceDefinition("+name+")", "", func(ctx context.Context) error {
			var err error
			crd, err = client.Get(ctx, name, metav1.GetOptions{})
			return err
		})
		if err != nil {
			return fmt.Errorf("waiting for CRD %s: %w", name, err)
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]interface{})
			if m["type"] == "Established" && m["status"] == "True" {
				return nil
			}
			if m["type"] == "NamesAccepted" && m["status"] == "False" {
				return fmt.Errorf("the API server refused CRD %s: %v", name, m["message"])
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CRD %s was not established within %s", name, establishTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// getCRDNotTerminating reads a CRD; one being deleted is waited for, so that it can be created
// again once it is gone.
func (s *Store) getCRDNotTerminating(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	client := s.dynamic.Resource(crdResource)
	deadline := time.Now().Add(establishTimeout)
	for {
		current, err := client.Get(ctx, name, metav1.GetOptions{})
		if err != nil || current.GetDeletionTimestamp() == nil {
			return current, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("CRD %s is still being deleted after %s", name, establishTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
