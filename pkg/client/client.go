// Package client gives commands Calico's resource semantics on top of any datastore backend:
// defaults and validation before anything is written, the metadata rules of create and update,
// apply as create-or-update with conflict retries, read-only kinds, and the objects a new
// datastore needs (ClusterInformation default, the default tiers).
package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/calicoctl-go/calicoctl/internal/parallel"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/etcdv3"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
	"github.com/calicoctl-go/calicoctl/pkg/resources/validation"
)

// Client applies Calico's semantics to one datastore.
type Client struct {
	store datastore.Store
	// updateRetries and retryDelay bound the get-merge-update loop of an update without a
	// resourceVersion.
	updateRetries int
	retryDelay    time.Duration

	tiersMu sync.Mutex
	tiers   map[string]bool

	// bgpFilters holds the names of BGPFilters known to exist or being written by this client,
	// so that BGPPeers later in the same batch (or dry run) that use them need not read them.
	bgpFilters sync.Map

	prefetchMu sync.Mutex
	prefetched map[*resources.Kind]map[string]resources.Resource
	// nodeObjects holds, by node, the objects of the nodes a batch deletes (PrepareDeletes).
	nodeObjects map[string][]resources.Resource

	// prepared holds objects PrepareAll already defaulted and validated.
	prepared sync.Map
}

// Backends maps a datastoreType to the constructor of its Store. The kubernetes backend
// registers itself here.
var Backends = map[string]func(cfg *config.CalicoAPIConfig, timeout time.Duration) (datastore.Store, error){
	"etcdv3":     newEtcd,
	"kubernetes": kubernetes.Backend,
}

func newEtcd(cfg *config.CalicoAPIConfig, timeout time.Duration) (datastore.Store, error) {
	tlsCfg, err := cfg.Spec.EtcdTLS()
	if err != nil {
		return nil, err
	}
	endpoints := cfg.Spec.EtcdEndpointList()
	if cfg.Spec.EtcdDiscoverySrv != "" {
		if endpoints, err = discoverEtcd(cfg.Spec.EtcdDiscoverySrv, timeout); err != nil {
			return nil, err
		}
	}
	md, err := config.ParseGRPCMetadata(cfg.Spec.EtcdCustomGRPCMetadata)
	if err != nil {
		return nil, err
	}
	return etcdv3.New(etcdv3.Config{
		Metadata:  md,
		Endpoints: endpoints,
		Username:  cfg.Spec.EtcdUsername,
		Password:  cfg.Spec.EtcdPassword,
		TLS:       tlsCfg,
		Timeout:   timeout,
	})
}

// discoverEtcd finds the etcd client endpoints of a domain from its DNS SRV records, as etcd's
// own discovery does: _etcd-client-ssl._tcp (https) first, then _etcd-client._tcp (http).
func discoverEtcd(domain string, timeout time.Duration) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var lastErr error
	for _, svc := range []struct{ service, scheme string }{{"etcd-client-ssl", "https"}, {"etcd-client", "http"}} {
		_, addrs, err := net.DefaultResolver.LookupSRV(ctx, svc.service, "tcp", domain)
		if err != nil {
			lastErr = err
			continue
		}
		var endpoints []string
		for _, a := range addrs {
			endpoints = append(endpoints, fmt.Sprintf("%s://%s", svc.scheme, net.JoinHostPort(strings.TrimSuffix(a.Target, "."), strconv.Itoa(int(a.Port)))))
		}
		if len(endpoints) > 0 {
			return endpoints, nil
		}
	}
	return nil, fmt.Errorf("discovering etcd from the SRV records of %s (etcdDiscoverySrv): no _etcd-client-ssl._tcp or _etcd-client._tcp record found: %v", domain, lastErr)
}

// New connects to the datastore a configuration names.
func New(cfg *config.CalicoAPIConfig) (*Client, error) {
	timeout, err := config.Timeout()
	if err != nil {
		return nil, err
	}
	newStore, ok := Backends[cfg.Spec.DatastoreType]
	if !ok {
		return nil, fmt.Errorf("unknown datastore type: %s", cfg.Spec.DatastoreType)
	}
	store, err := newStore(cfg, timeout)
	if err != nil {
		return nil, err
	}
	return NewFromStore(store), nil
}

// NewFromStore wraps a Store.
func NewFromStore(store datastore.Store) *Client {
	return &Client{store: store, updateRetries: 5, retryDelay: time.Second, tiers: map[string]bool{}}
}

// Store returns the backend.
func (c *Client) Store() datastore.Store { return c.store }

// DryRun returns a client on the same datastore whose writes are checked against it (existence,
// resourceVersions) but never made.
func (c *Client) DryRun() *Client {
	return NewFromStore(datastore.DryRun(c.store))
}

// Close releases the connection.
func (c *Client) Close() error { return c.store.Close() }

// Prepare applies defaults and validates an object offline. It is the whole of `validate` and
// the first step of every write.
func Prepare(obj resources.Resource) error {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return err
	}
	// Every invalid field is reported at once: a bad name does not hide the spec's errors.
	// Defaults come first: some kinds derive their name (WorkloadEndpoint).
	if kind.SetDefaults != nil {
		kind.SetDefaults(obj)
	}
	all := &validation.Collector{}
	all.Merge(validation.Metadata(kind.Kind, kind.Namespaced, obj))
	if kind.Validate != nil {
		if err := kind.Validate(obj); err != nil {
			if _, ok := err.(validation.Errors); !ok {
				return err
			}
			all.Merge(err)
		}
	}
	return all.Err()
}

// PrepareAll runs Prepare on every object, on all cores, and returns the invalid objects with
// their errors. Commands call it on a whole input before writing anything.
func PrepareAll(objs []resources.Resource) (invalid []resources.Resource, errs []error) {
	results := make([]error, len(objs))
	parallel.For(len(objs), 64, func(i int) { results[i] = Prepare(objs[i]) })
	for i, err := range results {
		if err != nil {
			invalid = append(invalid, objs[i])
			errs = append(errs, err)
		}
	}
	return invalid, errs
}

// MarkPrepared records objects that PrepareAll found valid, so that writing them does not
// default and validate them a second time.
func (c *Client) MarkPrepared(objs []resources.Resource) {
	for _, obj := range objs {
		c.prepared.Store(obj, struct{}{})
	}
}

// prepare is Prepare, once per object.
func (c *Client) prepare(obj resources.Resource) error {
	if _, done := c.prepared.Load(obj); done {
		return nil
	}
	return Prepare(obj)
}

func refuse(kind *resources.Kind, op, name string, readOnly bool) error {
	if static(kind, name) != nil {
		return &datastore.NotSupportedError{Operation: op, ID: kind.ID("", name), Reason: "it is built in"}
	}
	if !readOnly {
		return nil
	}
	return &datastore.NotSupportedError{Operation: op, ID: kind.Kind, Reason: kind.ReadOnly.Reason}
}

// Create writes a new object with calicoctl's create semantics: only name, namespace, labels and
// annotations are taken from the input; uid and creationTimestamp are assigned here.
func (c *Client) Create(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	if err := refuse(kind, "create", obj.GetName(), kind.ReadOnly.NoCreate); err != nil {
		return nil, err
	}
	if obj.GetResourceVersion() != "" {
		return nil, validation.FieldError(kind.ID(obj.GetNamespace(), obj.GetName()), "metadata.resourceVersion", obj.GetResourceVersion(), "leave it out, or use apply or replace to update").
			Calico("Metadata.ResourceVersion", "field must not be set for a Create request")
	}
	if err := c.prepare(obj); err != nil {
		return nil, err
	}
	if err := c.check(ctx, kind, obj, nil); err != nil {
		return nil, err
	}
	prepareForCreate(obj)
	return c.store.Create(ctx, obj)
}

func prepareForCreate(obj resources.Resource) {
	keep := metav1.ObjectMeta{
		Name:        obj.GetName(),
		Namespace:   obj.GetNamespace(),
		Labels:      obj.GetLabels(),
		Annotations: obj.GetAnnotations(),
	}
	setMeta(obj, keep)
	obj.SetUID(newUID())
	obj.SetCreationTimestamp(metav1.NewTime(time.Now().UTC().Truncate(time.Second)))
}

func newUID() types.UID { return types.UID(uuid.NewString()) }

// setMeta replaces all of an object's metadata.
func setMeta(obj resources.Resource, m metav1.ObjectMeta) {
	obj.SetName(m.Name)
	obj.SetNamespace(m.Namespace)
	obj.SetLabels(m.Labels)
	obj.SetAnnotations(m.Annotations)
	obj.SetUID(m.UID)
	obj.SetResourceVersion(m.ResourceVersion)
	obj.SetCreationTimestamp(m.CreationTimestamp)
	obj.SetGeneration(m.Generation)
	obj.SetDeletionTimestamp(m.DeletionTimestamp)
	obj.SetDeletionGracePeriodSeconds(m.DeletionGracePeriodSeconds)
	obj.SetOwnerReferences(m.OwnerReferences)
	obj.SetFinalizers(m.Finalizers)
	obj.SetGenerateName(m.GenerateName)
	obj.SetSelfLink(m.SelfLink)
	obj.SetManagedFields(m.ManagedFields)
}

// mergeForUpdate takes everything from the stored object except labels and annotations, which
// come from the input.
func mergeForUpdate(obj, stored resources.Resource) {
	labels, annotations := obj.GetLabels(), obj.GetAnnotations()
	setMeta(obj, metav1.ObjectMeta{
		Name:                       stored.GetName(),
		Namespace:                  stored.GetNamespace(),
		UID:                        stored.GetUID(),
		ResourceVersion:            stored.GetResourceVersion(),
		CreationTimestamp:          stored.GetCreationTimestamp(),
		Generation:                 stored.GetGeneration(),
		DeletionTimestamp:          stored.GetDeletionTimestamp(),
		DeletionGracePeriodSeconds: stored.GetDeletionGracePeriodSeconds(),
		OwnerReferences:            stored.GetOwnerReferences(),
		Finalizers:                 stored.GetFinalizers(),
		Labels:                     labels,
		Annotations:                annotations,
	})
}

// Update replaces an existing object (calicoctl replace). With a resourceVersion in the input it
// is a single compare-and-swap against it; without one the latest object is read and the update
// retried on conflict.
func (c *Client) Update(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	if err := refuse(kind, "update", obj.GetName(), kind.ReadOnly.NoUpdate); err != nil {
		return nil, err
	}
	if err := c.prepare(obj); err != nil {
		return nil, err
	}
	return c.update(ctx, kind, obj, nil)
}

// update runs the get-merge-CAS loop. stored, when not nil, is a current copy already read.
func (c *Client) update(ctx context.Context, kind *resources.Kind, obj resources.Resource, stored resources.Resource) (resources.Resource, error) {
	wantRV := obj.GetResourceVersion()
	for attempt := 0; ; attempt++ {
		if stored == nil {
			var err error
			stored, err = c.store.Get(ctx, kind, obj.GetNamespace(), obj.GetName())
			if err != nil {
				return nil, err
			}
		}
		if wantRV != "" && stored.GetResourceVersion() != wantRV {
			return nil, &datastore.ConflictError{ID: kind.ID(obj.GetNamespace(), obj.GetName())}
		}
		if err := c.check(ctx, kind, obj, stored); err != nil {
			return nil, err
		}
		mergeForUpdate(obj, stored)
		out, err := c.store.Update(ctx, obj)
		if err == nil || !datastore.IsConflict(err) || wantRV != "" {
			return out, err
		}
		if attempt+1 >= c.updateRetries {
			return nil, fmt.Errorf("failed to update the resource: %w", err)
		}
		stored = nil
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(c.retryDelay):
		}
	}
}

// Apply creates the object, or updates it if it exists (or the backend cannot create it).
func (c *Client) Apply(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	if err := refuse(kind, "apply", obj.GetName(), false); err != nil {
		return nil, err
	}
	if kind.ReadOnly.NoCreate && kind.ReadOnly.NoUpdate {
		return nil, &datastore.NotSupportedError{Operation: "create or apply", ID: kind.Kind, Reason: "resource is readonly"}
	}
	if err := c.prepare(obj); err != nil {
		return nil, err
	}
	rv := obj.GetResourceVersion()
	obj.SetResourceVersion("")
	// Create changes metadata; keep the operator's copy for the update path.
	input := metav1.ObjectMeta{Name: obj.GetName(), Namespace: obj.GetNamespace(), Labels: obj.GetLabels(), Annotations: obj.GetAnnotations()}
	stored, _ := c.prefetchedObject(kind, obj.GetNamespace(), obj.GetName())
	if !kind.ReadOnly.NoCreate && stored == nil {
		if err := c.check(ctx, kind, obj, nil); err != nil {
			return nil, err
		}
		prepareForCreate(obj)
		out, err := c.store.Create(ctx, obj)
		if err == nil {
			return out, nil
		}
		var exists *datastore.AlreadyExistsError
		if !errors.As(err, &exists) && !datastore.IsNotSupported(err) {
			return nil, err
		}
		if datastore.IsNotSupported(err) {
			// The backend cannot create this kind (a Kubernetes Node, say): update it if it
			// exists, otherwise the refusal is the answer.
			createErr := err
			setMeta(obj, input)
			obj.SetResourceVersion(rv)
			out, err := c.update(ctx, kind, obj, nil)
			if datastore.IsDoesNotExist(err) {
				return nil, createErr
			}
			return out, err
		}
		if exists != nil {
			if r, ok := exists.Existing.(resources.Resource); ok {
				stored = r
			}
		}
	}
	setMeta(obj, input)
	obj.SetResourceVersion(rv)
	return c.update(ctx, kind, obj, stored)
}

// Delete removes one object; resourceVersion, when set, must match the stored one.
func (c *Client) Delete(ctx context.Context, kind *resources.Kind, namespace, name, resourceVersion string) (resources.Resource, error) {
	if err := refuse(kind, "delete", name, kind.ReadOnly.NoDelete); err != nil {
		return nil, err
	}
	if err := c.checkDelete(ctx, kind, namespace, name); err != nil {
		return nil, err
	}
	if r, ok := c.store.(datastore.Refuser); ok {
		if err := r.Refuses("delete", kind, namespace, name); err != nil {
			return nil, err
		}
	}
	if cascade, ok := cascades[kind.Kind]; ok {
		return cascade(ctx, c, kind, name, resourceVersion)
	}
	if kd, ok := c.store.(datastore.KnownDeleter); ok {
		if known, _ := c.prefetchedObject(kind, namespace, name); known != nil && (resourceVersion == "" || resourceVersion == known.GetResourceVersion()) {
			out, err := kd.DeleteKnown(ctx, known)
			if err == nil || !(datastore.IsConflict(err) || datastore.IsDoesNotExist(err)) || resourceVersion != "" {
				return out, err
			}
			// Changed since the list: delete it the long way.
		}
	}
	return c.store.Delete(ctx, kind, namespace, name, resourceVersion)
}

// Get reads one object.
func (c *Client) Get(ctx context.Context, kind *resources.Kind, namespace, name string) (resources.Resource, error) {
	if s := static(kind, name); s != nil {
		return s, nil
	}
	return c.store.Get(ctx, kind, namespace, name)
}

// List reads the objects of a kind.
func (c *Client) List(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (*datastore.List, error) {
	l, err := c.store.List(ctx, kind, opts)
	if err != nil {
		return nil, err
	}
	if opts.Name == "" || opts.Prefix {
		for _, s := range statics(kind) {
			if !strings.HasPrefix(s.GetName(), opts.Name) {
				continue
			}
			// A stored copy (written by an older tool) is shadowed by the built-in object.
			items := l.Items[:0]
			for _, item := range l.Items {
				if item.GetName() != s.GetName() {
					items = append(items, item)
				}
			}
			l.Items = append(items, s)
		}
	}
	return l, nil
}
