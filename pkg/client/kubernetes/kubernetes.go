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
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/connerr"
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
	// explain names the kubeconfig's context, user and cluster in connection errors.
	explain connerr.Kube
	// answered is set once the API server has answered: from then on a refused connection is
	// a restart, worth waiting for within the timeout, not a wrong server address.
	answered atomic.Bool
	// served holds the custom resources the API server has served to this client.
	served sync.Map
	// first lets the store's first request go alone: the requests a command starts at once then
	// share the connection (HTTP/2) it opened, instead of each opening and TLS-handshaking its
	// own. connected is set once that first attempt is over, whatever its outcome.
	first     sync.Mutex
	connected atomic.Bool
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
	s.explain = kubeconfigNames(&cfg.Spec.KubeConfig, rc, s.timeout)
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
	// One HTTP client for the three, as client-go's clientsets share theirs: every request of the
	// store goes over one connection (HTTP/2), so a process that makes a few requests (the CNI
	// plugin: one per ADD) pays one TLS handshake, not one per client.
	httpClient, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes client: %w", err)
	}
	crd, err := rest.RESTClientForConfigAndClient(crdConfig, httpClient)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes client for %s: %w", APIVersion, err)
	}
	core, err := newCoreClient(rc, httpClient)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfigAndClient(rc, httpClient)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes client: %w", err)
	}
	host := rc.Host
	if u, err := url.Parse(rc.Host); err == nil && u.Host != "" {
		host = u.Scheme + "://" + u.Host
	}
	return &Store{restConfig: rc, crd: crd, core: core, dynamic: dyn, host: host, timeout: timeout,
		explain: connerr.Kube{Server: host, Timeout: timeout}}, nil
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

// Backoff between retries: doubling from backoffMin, at most backoffMax (or what the API server
// asks for with Retry-After), until the request's deadline.
const (
	backoffMin = 50 * time.Millisecond
	backoffMax = time.Second
)

// refusedAttempts bounds the retries of refused connections to an API server that has not
// answered this client yet: that is a wrong address or a server that is down, reported at
// once; one that answered before and now refuses is restarting, and is waited for.
const refusedAttempts = 4

// do runs op with the store's timeout, retrying per policy with backoff until the deadline, and
// translates the final error for the object id (crd names the custom resource type, "" for core
// objects). what names the operation in the log line of each retry.
// attempt runs op once; the store's very first attempt runs alone (see first). Requests that
// op itself makes (its context is marked) are not held back.
func (s *Store) attempt(ctx context.Context, op func(context.Context) error) error {
	if !s.connected.Load() && ctx.Value(firstAttempt{}) == nil {
		s.first.Lock()
		if !s.connected.Load() {
			defer s.first.Unlock()
			defer s.connected.Store(true)
			ctx = context.WithValue(ctx, firstAttempt{}, true)
		} else {
			s.first.Unlock()
		}
	}
	return op(ctx)
}

// firstAttempt marks the context of the store's first attempt.
type firstAttempt struct{}

func (s *Store) do(ctx context.Context, policy retry, id, crd string, op func(context.Context) error) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	backoff := backoffMin
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, op)
		if err == nil {
			s.answered.Store(true)
			if crd != "" {
				s.served.Store(crd, true)
			}
			return nil
		}
		var why string
		_, wasServed := s.served.Load(crd)
		switch {
		case transient(err):
			why = "the API server asked to retry (" + statusText(err) + ")"
		case refused(err) && (s.answered.Load() || attempt < refusedAttempts):
			why = "connection refused before the request was sent"
		case policy == retryLostAnswer && lostAnswer(err):
			why = "the connection broke before the answer came"
		case crd != "" && wasServed && resourceMissing(err):
			// Served earlier in this command: the API server is starting again and has not
			// loaded its custom resources yet.
			why = "the API server does not serve " + crd + " yet (restarting)"
		}
		if why == "" || ctx.Err() != nil {
			return s.translate(ctx, err, id, crd)
		}
		wait := backoff
		if d, ok := apierrors.SuggestsClientDelay(err); ok && d > 0 {
			wait = time.Duration(d) * time.Second
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return s.translate(ctx, err, id, crd)
		}
		slog.Info("retrying a Kubernetes API request", "object", id, "attempt", attempt+1, "reason", why, "wait", wait)
		select {
		case <-ctx.Done():
			return s.translate(ctx, err, id, crd)
		case <-time.After(wait):
		}
		backoff = min(2*backoff, backoffMax)
	}
}

// statusText is the status code and reason of an API server error, e.g. "429 TooManyRequests".
func statusText(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return fmt.Sprintf("%d %s", se.Status().Code, se.Status().Reason)
	}
	return err.Error()
}
