package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"

	"github.com/calicoctl-go/calicoctl/internal/parallel"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// PageSize is how many objects one list request asks for: the API server then never has to
// hold, or send in one response, the whole of a large collection.
const PageSize = 500

func (s *Store) request(verb string, crd CRD, namespace string) *rest.Request {
	// No retries inside client-go: Store.do retries, logs each retry and honours Retry-After.
	return s.crd.Verb(verb).MaxRetries(0).NamespaceIfScoped(namespace, crd.Namespaced).Resource(crd.Plural)
}

// doRaw sends a request and returns the response body, or the API server's error (a *StatusError
// decoded from its Status reply).
func doRaw(ctx context.Context, req *rest.Request) ([]byte, error) {
	res := req.Do(ctx)
	if err := res.Error(); err != nil {
		return nil, err
	}
	return res.Raw()
}

func (s *Store) Create(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	crd, ok := CRDFor(kind)
	if !ok {
		return s.createDerived(ctx, kind, obj)
	}
	id := kind.ID(obj.GetNamespace(), obj.GetName())
	cr, err := toCR(kind, crd, obj, obj.GetName())
	if err != nil {
		return nil, err
	}
	cr.Metadata.ResourceVersion = ""
	body, err := json.Marshal(cr)
	if err != nil {
		return nil, err
	}
	var out []byte
	attempt := 0
	err = s.do(ctx, retryLostAnswer, id, crd.Name(), func(ctx context.Context) error {
		attempt++
		var err error
		out, err = doRaw(ctx, s.request("POST", crd, obj.GetNamespace()).Body(body))
		if attempt > 1 && apierrors.IsAlreadyExists(err) {
			// An earlier attempt may have been applied before its answer was lost.
			if stored, gerr := s.getRaw(ctx, crd, obj.GetNamespace(), obj.GetName()); gerr == nil && sameContent(stored, cr) {
				out, err = stored, nil
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.decode(kind, crd, out)
}

// sameContent reports whether a stored custom resource holds what cr would write: the same
// spec and Calico metadata.
func sameContent(stored []byte, cr *customResource) bool {
	var got customResource
	if json.Unmarshal(stored, &got) != nil {
		return false
	}
	return jsonEqual(got.Spec, cr.Spec) && got.Metadata.Annotations[MetadataAnnotation] == cr.Metadata.Annotations[MetadataAnnotation]
}

func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y interface{}
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys)
}

func (s *Store) Update(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	crd, ok := CRDFor(kind)
	if !ok {
		return s.updateDerived(ctx, kind, obj)
	}
	id := kind.ID(obj.GetNamespace(), obj.GetName())
	if obj.GetResourceVersion() == "" {
		return nil, fmt.Errorf("error with field Metadata.ResourceVersion = '' (an update needs the resourceVersion of the stored %s)", id)
	}
	name := s.crName(crd, obj.GetNamespace(), obj.GetName())
	cr, err := toCR(kind, crd, obj, name)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(cr)
	if err != nil {
		return nil, err
	}
	var out []byte
	attempt := 0
	err = s.do(ctx, retryLostAnswer, id, crd.Name(), func(ctx context.Context) error {
		attempt++
		var err error
		out, err = doRaw(ctx, s.request("PUT", crd, obj.GetNamespace()).Name(name).Body(body))
		if attempt > 1 && apierrors.IsConflict(err) {
			if stored, gerr := s.getRaw(ctx, crd, obj.GetNamespace(), name); gerr == nil && sameContent(stored, cr) {
				out, err = stored, nil // our own earlier attempt was applied
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.decode(kind, crd, out)
}

// deleteAttempts bounds how often a delete without a resourceVersion reads the object again after
// losing a race with an update.
const deleteAttempts = 5

// Delete removes a custom resource and returns it as it was. The API server answers a delete of a
// custom resource with a Status, not the object, so the object is read first and deleted on
// the condition that it is still that object (its uid and resourceVersion).
func (s *Store) Delete(ctx context.Context, kind *resources.Kind, namespace, name, resourceVersion string) (resources.Resource, error) {
	crd, ok := CRDFor(kind)
	if !ok {
		return nil, s.deleteDerived(kind, namespace, name)
	}
	id := kind.ID(namespace, name)
	for attempt := 1; ; attempt++ {
		current, err := s.Get(ctx, kind, namespace, name)
		if err != nil {
			return nil, err
		}
		if resourceVersion != "" && current.GetResourceVersion() != resourceVersion {
			return nil, &datastore.ConflictError{ID: id}
		}
		err = s.deleteRead(ctx, crd, kind, current)
		// Without a resourceVersion of its own, a delete that lost a race with an update
		// deletes the newer object.
		if datastore.IsConflict(err) && resourceVersion == "" && attempt < deleteAttempts {
			continue
		}
		if err != nil {
			return nil, err
		}
		return current, nil
	}
}

// DeleteKnown deletes an object as it was read (a list earlier in the same command), with one
// request conditional on its uid and resourceVersion instead of a read and a delete. A conflict
// means it changed since; the caller then falls back to Delete.
func (s *Store) DeleteKnown(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	crd, ok := CRDFor(kind)
	if !ok {
		return s.Delete(ctx, kind, obj.GetNamespace(), obj.GetName(), obj.GetResourceVersion())
	}
	if err := s.deleteRead(ctx, crd, kind, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// deleteRead deletes the custom resource behind an object read from it, conditionally on the
// uid and resourceVersion it was read with.
func (s *Store) deleteRead(ctx context.Context, crd CRD, kind *resources.Kind, current resources.Resource) error {
	namespace, name := current.GetNamespace(), current.GetName()
	rv := current.GetResourceVersion()
	pre := &metav1.Preconditions{ResourceVersion: &rv}
	if uid, err := ConvertUID(current.GetUID()); err == nil {
		pre.UID = &uid
	}
	body, err := json.Marshal(metav1.DeleteOptions{Preconditions: pre})
	if err != nil {
		return err
	}
	crName := s.crName(crd, namespace, name)
	attempt := 0
	err = s.do(ctx, retryLostAnswer, kind.ID(namespace, name), crd.Name(), func(ctx context.Context) error {
		attempt++
		_, err := doRaw(ctx, s.request("DELETE", crd, namespace).Name(crName).Body(body))
		if attempt > 1 && apierrors.IsNotFound(err) && !resourceMissing(err) {
			// An earlier attempt deleted it before its answer was lost (the delete was
			// conditional on this very object, so nothing else was deleted).
			return nil
		}
		return err
	})
	if err == nil {
		s.aliases.Delete(aliasKey(crd, namespace, name))
	}
	return err
}

func (s *Store) getRaw(ctx context.Context, crd CRD, namespace, name string) ([]byte, error) {
	return doRaw(ctx, s.request("GET", crd, namespace).Name(name))
}

// aliasKey identifies a v3 object whose custom resource has another name (a policy written by
// Calico up to 3.28 as default.<name>).
func aliasKey(crd CRD, namespace, name string) string {
	return crd.Plural + "/" + namespace + "/" + name
}

// crName is the name of the custom resource holding the v3 object namespace/name.
func (s *Store) crName(crd CRD, namespace, name string) string {
	if crd.storage != nil {
		return crd.storage.CRName(name)
	}
	if n, ok := s.aliases.Load(aliasKey(crd, namespace, name)); ok {
		return n.(string)
	}
	return name
}

// decode converts a custom resource, remembering its name when it differs from the v3 name so
// that later writes address it.
func (s *Store) decode(kind *resources.Kind, crd CRD, raw []byte) (resources.Resource, error) {
	obj, stored, err := fromCR(kind, raw)
	if err != nil {
		return nil, err
	}
	if stored != obj.GetName() && crd.storage == nil {
		s.aliases.Store(aliasKey(crd, obj.GetNamespace(), obj.GetName()), stored)
	}
	return obj, nil
}

func (s *Store) Get(ctx context.Context, kind *resources.Kind, namespace, name string) (resources.Resource, error) {
	crd, ok := CRDFor(kind)
	if !ok {
		return s.getDerived(ctx, kind, namespace, name)
	}
	id := kind.ID(namespace, name)
	if name == "" {
		return nil, &datastore.DoesNotExistError{ID: id}
	}
	candidates := []string{s.crName(crd, namespace, name)}
	if isPolicy(kind.Kind) && !strings.HasPrefix(name, "default.") {
		candidates = append(candidates, "default."+name) // Calico <= 3.28's name for it
	}
	var err error
	for _, crName := range candidates {
		var out []byte
		err = s.do(ctx, retryLostAnswer, id, crd.Name(), func(ctx context.Context) error {
			var err error
			out, err = s.getRaw(ctx, crd, namespace, crName)
			return err
		})
		if err == nil {
			obj, err := s.decode(kind, crd, out)
			if err == nil && obj.GetName() != name {
				continue // default.<name> of another tier, or renamed
			}
			return obj, err
		}
		if !datastore.IsDoesNotExist(err) {
			break
		}
	}
	if IsCRDsNotInstalled(err) {
		// Nothing of this kind exists; say why.
		return nil, &datastore.DoesNotExistError{ID: id, Err: err}
	}
	if err == nil {
		err = &datastore.DoesNotExistError{ID: id}
	}
	return nil, err
}

// rawList is one page of a list response.
type rawList struct {
	Metadata metav1.ListMeta   `json:"metadata"`
	Items    []json.RawMessage `json:"items"`
}

// listPages reads a collection page by page (limit PageSize, following the continue token), at
// the revision of the first page. each is called with every page's items.
func (s *Store) listPages(ctx context.Context, what, crd string, req func(ctx context.Context, opts metav1.ListOptions) ([]byte, error), opts metav1.ListOptions, each func(items []json.RawMessage) error) (string, error) {
	opts.Limit = PageSize
	var rv string
	for {
		var out []byte
		err := s.do(ctx, retryLostAnswer, what, crd, func(ctx context.Context) error {
			var err error
			out, err = req(ctx, opts)
			return err
		})
		if err != nil {
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				return "", fmt.Errorf("listing %s: the list changed too much while it was being read (its continue token expired); try again", what)
			}
			return "", err
		}
		var page rawList
		if err := json.Unmarshal(out, &page); err != nil {
			return "", fmt.Errorf("listing %s: %w", what, err)
		}
		if rv == "" {
			rv = page.Metadata.ResourceVersion
		}
		if err := each(page.Items); err != nil {
			return "", err
		}
		if page.Metadata.Continue == "" {
			return rv, nil
		}
		opts.Continue = page.Metadata.Continue
		// A continued list is read at the revision of the first page.
		opts.ResourceVersion, opts.ResourceVersionMatch = "", ""
	}
}

func (s *Store) List(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (*datastore.List, error) {
	crd, ok := CRDFor(kind)
	if !ok {
		return s.listDerived(ctx, kind, opts)
	}
	lopts := listOptions(opts)
	if isPolicy(kind.Kind) {
		// A policy's v3 name may be in its metadata annotation rather than the object's name.
		lopts.FieldSelector = ""
	}
	if crd.storage != nil && opts.Name != "" && !opts.Prefix {
		lopts.FieldSelector = fields.OneTermEqualSelector("metadata.name", crd.storage.CRName(opts.Name)).String()
	}
	namespace := ""
	if crd.Namespaced {
		namespace = opts.Namespace
	}
	var raws []json.RawMessage
	rv, err := s.listPages(ctx, kind.Kind, crd.Name(), func(ctx context.Context, lo metav1.ListOptions) ([]byte, error) {
		return doRaw(ctx, s.request("GET", crd, namespace).VersionedParams(&lo, metav1.ParameterCodec))
	}, lopts, func(items []json.RawMessage) error {
		raws = append(raws, items...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, err := s.decodeAll(kind, crd, raws)
	if err != nil {
		return nil, err
	}
	return &datastore.List{Kind: kind, ResourceVersion: rv, Items: filterNames(items, opts)}, nil
}

// listOptions turns a datastore list into Kubernetes list options: an exact name becomes a field
// selector; a revision is read "not older than".
func listOptions(opts datastore.ListOptions) metav1.ListOptions {
	var lo metav1.ListOptions
	if opts.Name != "" && !opts.Prefix {
		lo.FieldSelector = fields.OneTermEqualSelector("metadata.name", opts.Name).String()
	}
	if opts.Revision != "" {
		lo.ResourceVersion = opts.Revision
		lo.ResourceVersionMatch = metav1.ResourceVersionMatchNotOlderThan
	}
	return lo
}

// filterNames applies a name or name-prefix filter (policies read from an annotation may carry a
// name the server-side selector does not see).
func filterNames(items []resources.Resource, opts datastore.ListOptions) []resources.Resource {
	if opts.Name == "" {
		return items
	}
	out := items[:0]
	for _, it := range items {
		if it.GetName() == opts.Name || (opts.Prefix && strings.HasPrefix(it.GetName(), opts.Name)) {
			out = append(out, it)
		}
	}
	return out
}

// decodeAll converts custom resources, on all cores when there are many.
func (s *Store) decodeAll(kind *resources.Kind, crd CRD, raws []json.RawMessage) ([]resources.Resource, error) {
	items := make([]resources.Resource, len(raws))
	errs := make([]error, len(raws))
	parallel.For(len(raws), 256, func(i int) { items[i], errs[i] = s.decode(kind, crd, raws[i]) })
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return items, nil
}
