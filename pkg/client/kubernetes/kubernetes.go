// Package kubernetes stores Calico resources in the Kubernetes API (Calico's "KDD" mode), in the
// same form as Calico itself, so that either tool reads what the other wrote:
//   - most kinds are custom resources of group crd.projectcalico.org, version v1, one CRD per
//     kind, with the v3 spec unchanged and the Calico metadata Kubernetes would not keep in the
//     projectcalico.org/metadata annotation (see cr.go);
//   - Node, WorkloadEndpoint and Profile are views of core objects: Nodes, Pods, Namespaces and
//     ServiceAccounts (see node.go, workloadendpoint.go, profile.go).
//
// The resourceVersion of every object is the Kubernetes one, and compare-and-swap is the API
// server's: an update or a delete carrying a resourceVersion fails with a conflict when the
// object changed since.
package kubernetes

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
)

// Group and Version of the custom resources Calico stores its kinds as.
const (
	Group      = "crd.projectcalico.org"
	Version    = "v1"
	APIVersion = Group + "/" + Version
)

// Store is the Kubernetes datastore.
type Store struct {
	restConfig *rest.Config
	crd        *rest.RESTClient // crd.projectcalico.org/v1
	core       *coreClient      // core/v1: Nodes, Pods, Namespaces, ServiceAccounts
	dynamic    dynamic.Interface
	host       string
	timeout    time.Duration
	usePodCIDR bool
	// aliases maps the v3 objects whose custom resource has another name to that name.
	aliases sync.Map
}

var _ datastore.Store = (*Store)(nil)

// Backend is the constructor registered for datastoreType "kubernetes".
func Backend(cfg *config.CalicoAPIConfig, timeout time.Duration) (datastore.Store, error) {
	return New(cfg, timeout)
}

// New connects to the API server a calicoctl configuration names. It does not contact the
// server: an unreachable one surfaces as an UnreachableError from the first request.
func New(cfg *config.CalicoAPIConfig, timeout time.Duration) (*Store, error) {
	switch g := cfg.Spec.CalicoAPIGroup; g {
	case "", APIVersion, Group:
	default:
		return nil, fmt.Errorf("calicoAPIGroup %q is not supported: calicoctl stores Calico resources as %s custom resources (leave CALICO_API_GROUP unset)", g, APIVersion)
	}
	rc, err := RESTConfig(&cfg.Spec.KubeConfig, timeout)
	if err != nil {
		return nil, err
	}
	s, err := NewFromREST(rc, timeout)
	if err != nil {
		return nil, err
	}
	s.usePodCIDR = cfg.Spec.UsePodCIDR
	return s, nil
}

// NewFromREST builds a Store on a client-go configuration; every request is bounded by timeout
// (10s when 0).
func NewFromREST(rc *rest.Config, timeout time.Duration) (*Store, error) {
	if timeout <= 0 {
		timeout = config.DefaultTimeout
	}
	rc = rest.CopyConfig(rc)
	if rc.WarningHandler == nil {
		rc.WarningHandler = rest.NoWarnings{}
	}
	crdConfig := rest.CopyConfig(rc)
	crdConfig.GroupVersion = &schema.GroupVersion{Group: Group, Version: Version}
	crdConfig.APIPath = "/apis"
	crdConfig.ContentType = "application/json"
	crdConfig.AcceptContentTypes = "application/json"
	crdConfig.NegotiatedSerializer = coreCodecs()
	crd, err := rest.RESTClientFor(crdConfig)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes client for %s: %w", APIVersion, err)
	}
	core, err := newCoreClient(rc)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes client: %w", err)
	}
	host := rc.Host
	if u, err := url.Parse(rc.Host); err == nil && u.Host != "" {
		host = u.Scheme + "://" + u.Host
	}
	return &Store{restConfig: rc, crd: crd, core: core, dynamic: dyn, host: host, timeout: timeout}, nil
}

func (s *Store) Type() string { return config.Kubernetes }

// Close releases idle connections.
func (s *Store) Close() error {
	if t, ok := s.crd.Client.Transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
	return nil
}

// RESTConfig returns the client-go configuration the store uses.
func (s *Store) RESTConfig() *rest.Config { return rest.CopyConfig(s.restConfig) }

// Host is the API server the store talks to.
func (s *Store) Host() string { return s.host }

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, has := ctx.Deadline(); has {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.timeout)
}

// retry says which failures an operation may be sent again after.
type retry int

const (
	// retryTransient retries only when the request did not reach the API server or the server
	// refused to act on it (429, 503, 504): safe for every operation.
	retryTransient retry = iota
	// retryLostAnswer also retries when the connection broke after the request was sent: for
	// reads, and for writes that recognise their own earlier attempt.
	retryLostAnswer
)

const maxAttempts = 5

// do runs op with the store's timeout, retrying per policy with a short backoff, and translates
// the final error for the object id (crd names the custom resource type, "" for core objects).
func (s *Store) do(ctx context.Context, policy retry, id, crd string, op func(context.Context) error) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		again := transient(err) || refused(err) || (policy == retryLostAnswer && lostAnswer(err))
		if !again || attempt == maxAttempts || ctx.Err() != nil {
			return s.translate(ctx, err, id, crd)
		}
		select {
		case <-ctx.Done():
			return s.translate(ctx, err, id, crd)
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}
