package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
)

// CRDsNotInstalledError is returned when the API server does not serve the Calico custom
// resources at all.
type CRDsNotInstalledError struct {
	// Resource is the resource asked for, e.g. "ippools.crd.projectcalico.org".
	Resource string
}

func (e *CRDsNotInstalledError) Error() string {
	return "the Calico CRDs are not installed in this cluster: run calicoctl datastore install-crds"
}

// IsCRDsNotInstalled reports whether err is or wraps a CRDsNotInstalledError.
func IsCRDsNotInstalled(err error) bool {
	var e *CRDsNotInstalledError
	return errors.As(err, &e)
}

// notFoundKind is the resource a NotFound error is about ("namespaces" when the namespace of an
// object is missing).
func notFoundKind(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) && se.Status().Details != nil {
		return se.Status().Details.Kind
	}
	return ""
}

// resourceMissing reports whether a 404 says that the resource type itself is not served (the
// API server's "404 page not found"), rather than that one object does not exist.
func resourceMissing(err error) bool {
	var se apierrors.APIStatus
	if !errors.As(err, &se) || !apierrors.IsNotFound(err) {
		return false
	}
	d := se.Status().Details
	if d == nil || d.Name == "" {
		return true
	}
	// The API server's own NotFound names the object; client-go makes this one up from a
	// plain "404 page not found".
	for _, c := range d.Causes {
		if c.Type == metav1.CauseTypeUnexpectedServerResponse {
			return true
		}
	}
	return false
}

// translate maps an API server or transport error to the datastore's errors, naming the object
// id. A refused request keeps the API server's message: it names the verb, resource and user.
func (s *Store) translate(ctx context.Context, err error, id, crd string) error {
	if err == nil {
		return nil
	}
	switch {
	case crd != "" && resourceMissing(err):
		return &CRDsNotInstalledError{Resource: crd}
	// As on etcd, the object's id says it all: the API server's wording ("ippools.crd.projectcalico.org
	// \"p1\" not found") would only repeat it in Kubernetes terms.
	case crd != "" && apierrors.IsNotFound(err) && notFoundKind(err) == "namespaces":
		ns := "the namespace"
		if se, ok := err.(apierrors.APIStatus); ok && se.Status().Details != nil {
			ns = "namespace " + se.Status().Details.Name
		}
		return fmt.Errorf("%s does not exist in the Kubernetes cluster, so %s cannot be stored in it: create the namespace first (kubectl create namespace)", ns, id)
	case apierrors.IsAlreadyExists(err):
		return &datastore.AlreadyExistsError{ID: id}
	case apierrors.IsNotFound(err):
		return &datastore.DoesNotExistError{ID: id}
	case apierrors.IsConflict(err):
		// The object was deleted and created again since it was read: for this client it is
		// a different object, and the one asked for is gone.
		if strings.Contains(err.Error(), "UID in precondition") {
			return &datastore.DoesNotExistError{ID: id}
		}
		return &datastore.ConflictError{ID: id}
	case apierrors.IsForbidden(err):
		return s.explain.Unauthorized(true, err)
	case apierrors.IsUnauthorized(err):
		return s.explain.Unauthorized(false, err)
	}
	if e := s.explain.Connection(err); e != nil {
		return e
	}
	if unreachable(ctx, err) {
		return &datastore.UnreachableError{Datastore: "the Kubernetes API server", Endpoints: s.host, Err: s.unreachableReason(ctx, err),
			Fix: "check that the API server is running, and the server of the kubeconfig's cluster (or K8S_API_ENDPOINT)"}
	}
	return err
}

// unreachable reports whether err means the API server did not answer: no connection, or no
// answer within the deadline.
func unreachable(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	if apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) {
		return false // the API server answered: it is there, but busy
	}
	var nerr net.Error
	var operr *net.OpError
	return errors.As(err, &operr) || (errors.As(err, &nerr) && nerr.Timeout()) ||
		errors.Is(err, syscall.ECONNREFUSED) || lostAnswer(err)
}

func (s *Store) unreachableReason(ctx context.Context, err error) error {
	var operr *net.OpError
	if errors.As(err, &operr) {
		return fmt.Errorf("%v", operr)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", s.timeout)
	}
	return err
}

// transient reports errors after which the API server has not acted on the request and asks to
// be asked again: too many requests, unavailable, or a server-side timeout.
func transient(err error) bool {
	return apierrors.IsTooManyRequests(err) || apierrors.IsServiceUnavailable(err) ||
		apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err)
}

// refused reports that no connection could be made: the request was never sent.
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// lostAnswer reports errors after which the request may or may not have been applied: the
// connection broke after it was sent. The requests of a store share one HTTP/2 connection, so
// when a write on it fails, Go's HTTP/2 client closes it and fails every other request in
// flight on it with an error it gives no type ("client connection force closed"), or one lost
// to an unanswered ping ("client connection lost").
func lostAnswer(err error) bool {
	if utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "http2: client connection force closed") || strings.Contains(msg, "http2: client connection lost")
}
