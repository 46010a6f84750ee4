// Package connerr turns a failure to talk to a datastore into one sentence for the operator:
// which server, what went wrong in plain words (with the library's own words in brackets), and
// which setting controls it. Both backends use it, so a wrong CA reads the same on etcd and on
// Kubernetes, apart from the setting named.
package connerr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
)

// Problem is what went wrong, independently of the backend.
type Problem int

const (
	Unknown Problem = iota
	UnknownCA
	NameMismatch
	CertExpired
	ClientCertRequired
	ClientCertRefused
	NotTLS
	WantsTLS
	Refused
	Timeout
	AuthRequired
	BadCredentials
	Forbidden
)

// TLSProblem classifies a TLS handshake failure, seen from the client: the server's certificate
// failed verification, or the server sent an alert about ours. detail is the library's words.
func TLSProblem(err error) (p Problem, detail string) {
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &unknownAuth):
		return UnknownCA, unknownAuth.Error()
	case errors.As(err, &hostErr):
		return NameMismatch, hostErr.Error()
	case errors.As(err, &invalid) && (invalid.Reason == x509.Expired):
		return CertExpired, invalid.Error()
	case errors.As(err, &verify):
		return UnknownCA, verify.Err.Error()
	case errors.As(err, &record):
		return NotTLS, "tls: first record does not look like a TLS handshake"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		alert := op.Err.Error()
		switch {
		case strings.Contains(alert, "certificate required"):
			return ClientCertRequired, "remote error: " + alert
		case strings.Contains(alert, "certificate"), strings.Contains(alert, "unknown"), strings.Contains(alert, "handshake failure"):
			return ClientCertRefused, "remote error: " + alert
		}
	}
	return Unknown, ""
}

// NetProblem classifies a failure to open a connection or to get an answer in time.
func NetProblem(err error) (p Problem, detail string) {
	var op *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		if errors.As(err, &op) {
			return Refused, op.Error()
		}
		return Refused, "connection refused"
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout, ""
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return Timeout, ""
	}
	if errors.As(err, &op) && op.Op == "dial" {
		return Refused, op.Error()
	}
	return Unknown, ""
}

// Etcd names the etcd settings of a connection, for the fix part of a message.
type Etcd struct {
	Endpoints string
	Username  string
	// ClientCert says a client certificate is configured; ClientCertCN is its common name, the
	// user etcd takes a request to come from when no user name is given.
	ClientCert   bool
	ClientCertCN string
	// ClientCertValid is when the client certificate is valid, to tell an expired one.
	ClientCertValid [2]time.Time
	Timeout         time.Duration
}

// clientCertExpired says why the configured client certificate is not valid now, if it is not.
func (e Etcd) clientCertExpired() string {
	nb, na := e.ClientCertValid[0], e.ClientCertValid[1]
	switch now := time.Now(); {
	case na.IsZero():
	case now.After(na):
		return "it expired on " + na.UTC().Format(time.RFC3339)
	case now.Before(nb):
		return "it is not valid before " + nb.UTC().Format(time.RFC3339)
	}
	return ""
}

// Connection explains a failure to connect (TLS handshake, refused, no answer) to etcd at
// endpoint. It returns nil when err is none of those.
func (e Etcd) Connection(endpoint string, err error) error {
	p, detail := TLSProblem(err)
	if p == Unknown {
		p, detail = NetProblem(err)
	}
	var cause, fix string
	switch p {
	case UnknownCA:
		cause = "the server's certificate is not signed by the CA this client trusts"
		fix = "set ETCD_CA_CERT_FILE (etcdCACertFile) to the CA that signed the etcd server's certificate"
	case NameMismatch:
		cause = "the server's certificate is not valid for the name in the endpoint"
		fix = "use a host name or address the certificate names in ETCD_ENDPOINTS (etcdEndpoints), or reissue the server's certificate"
	case CertExpired:
		cause = "the server's certificate has expired or is not yet valid"
		fix = "renew the etcd server's certificate, or check this machine's clock"
	case ClientCertRequired:
		cause = "the server requires a client certificate"
		fix = "set ETCD_CERT_FILE and ETCD_KEY_FILE (etcdCertFile, etcdKeyFile) to a certificate and key signed by a CA etcd trusts"
		if e.ClientCert {
			cause, fix = "the server refused the client certificate", "set ETCD_CERT_FILE and ETCD_KEY_FILE (etcdCertFile, etcdKeyFile) to a certificate and key signed by a CA etcd trusts (its --trusted-ca-file)"
		}
	case ClientCertRefused:
		cause = "the server refused the client certificate"
		fix = "set ETCD_CERT_FILE and ETCD_KEY_FILE (etcdCertFile, etcdKeyFile) to a valid certificate and key signed by a CA etcd trusts (its --trusted-ca-file)"
		if why := e.clientCertExpired(); why != "" {
			cause += ": " + why
			fix = "renew the client certificate in ETCD_CERT_FILE (etcdCertFile), or check this machine's clock"
		}
		if !e.ClientCert {
			cause = "the server requires a client certificate"
			fix = "set ETCD_CERT_FILE and ETCD_KEY_FILE (etcdCertFile, etcdKeyFile) to a certificate and key signed by a CA etcd trusts"
		}
	case NotTLS:
		cause = "the server does not speak TLS"
		fix = "use http:// instead of https:// in ETCD_ENDPOINTS (etcdEndpoints)"
	case WantsTLS:
		cause = "the server wants TLS"
		fix = "use https:// instead of http:// in ETCD_ENDPOINTS (etcdEndpoints), with ETCD_CA_CERT_FILE (etcdCACertFile)"
	case Refused:
		cause = "nothing accepts connections there"
		fix = "check that etcd is running and that ETCD_ENDPOINTS (etcdEndpoints) is right"
	case Timeout:
		cause = fmt.Sprintf("no answer within %s", e.Timeout)
		fix = "check that etcd is running and reachable, and ETCD_ENDPOINTS (etcdEndpoints)"
	default:
		return nil
	}
	return &datastore.UnreachableError{Datastore: "etcd", Endpoints: endpoint, Err: explained(cause, detail, err), Fix: fix}
}

// Unauthorized explains etcd's refusal of a request: no user given, a wrong password, or a user
// without the permission. key is what the request was about.
func (e Etcd) Unauthorized(key string, err error) error {
	msg := err.Error()
	var cause, fix string
	switch {
	case strings.Contains(msg, "user name is empty"):
		cause = fmt.Sprintf("etcd at %s has authentication enabled and no user name is configured", e.Endpoints)
		fix = "set ETCD_USERNAME and ETCD_PASSWORD (etcdUsername, etcdPassword)"
	case strings.Contains(msg, "authentication failed"), strings.Contains(msg, "invalid auth token"):
		cause = fmt.Sprintf("etcd at %s rejected the user name or password of user %q", e.Endpoints, e.Username)
		fix = "check ETCD_USERNAME and ETCD_PASSWORD (etcdUsername, etcdPassword)"
	case strings.Contains(msg, "permission denied"):
		user, from := e.Username, "ETCD_USERNAME"
		if user == "" && e.ClientCertCN != "" {
			user, from = e.ClientCertCN, "the common name of the client certificate in ETCD_CERT_FILE"
		}
		if user == "" {
			cause = fmt.Sprintf("etcd at %s has authentication enabled and no user name is configured", e.Endpoints)
			fix = "set ETCD_USERNAME and ETCD_PASSWORD (etcdUsername, etcdPassword)"
			break
		}
		cause = fmt.Sprintf("etcd at %s does not allow user %q (%s) to access %s", e.Endpoints, user, from, key)
		fix = "grant the user's role readwrite on the /calico/ prefix (etcdctl role grant-permission ROLE --prefix=true readwrite /calico/), or configure a user that has it"
	default:
		cause = fmt.Sprintf("etcd at %s refused the request", e.Endpoints)
		fix = "check ETCD_USERNAME and ETCD_PASSWORD (etcdUsername, etcdPassword) and the client certificate (ETCD_CERT_FILE)"
	}
	return &datastore.UnauthorizedError{Err: explained(cause, msg, err), Fix: fix}
}

// Kube names the kubeconfig settings of a connection, for the fix part of a message.
type Kube struct {
	Server  string
	Context string
	User    string
	Cluster string
	Timeout time.Duration
}

func (k Kube) where() string {
	var parts []string
	if k.User != "" {
		parts = append(parts, fmt.Sprintf("user %q", k.User))
	}
	if k.Cluster != "" {
		parts = append(parts, fmt.Sprintf("cluster %q", k.Cluster))
	}
	if k.Context != "" {
		parts = append(parts, fmt.Sprintf("context %q", k.Context))
	}
	if len(parts) == 0 {
		return "the kubeconfig"
	}
	return "the kubeconfig's " + strings.Join(parts, ", ")
}

// Connection explains a failure to connect (TLS handshake, refused, no answer) to the API
// server. It returns nil when err is none of those.
func (k Kube) Connection(err error) error {
	p, detail := TLSProblem(err)
	if p == Unknown {
		p, detail = NetProblem(err)
	}
	cluster := "the cluster"
	if k.Cluster != "" {
		cluster = fmt.Sprintf("cluster %q", k.Cluster)
	}
	var cause, fix string
	switch p {
	case UnknownCA:
		cause = "the server's certificate is not signed by the CA this client trusts"
		fix = fmt.Sprintf("set certificate-authority of %s in the kubeconfig (or K8S_CA_FILE, k8sCAFile) to the CA that signed it", cluster)
	case NameMismatch:
		cause = "the server's certificate is not valid for the name in the server URL"
		fix = fmt.Sprintf("set server of %s in the kubeconfig to a name the certificate names (or tls-server-name)", cluster)
	case CertExpired:
		cause = "the server's certificate has expired or is not yet valid"
		fix = "renew the API server's certificate, or check this machine's clock"
	case ClientCertRequired, ClientCertRefused:
		cause = "the server refused the client certificate"
		fix = fmt.Sprintf("check client-certificate and client-key of %s", k.where())
	case NotTLS, WantsTLS:
		cause = "the server does not speak the protocol of the URL"
		if p == NotTLS {
			cause = "the server does not speak TLS"
		}
		fix = fmt.Sprintf("check server of %s in the kubeconfig (http:// or https://, and the port)", cluster)
	case Refused:
		cause = "nothing accepts connections there"
		fix = fmt.Sprintf("check that the API server is running and server of %s in the kubeconfig (or K8S_API_ENDPOINT)", cluster)
	case Timeout:
		cause = fmt.Sprintf("no answer within %s", k.Timeout)
		fix = fmt.Sprintf("check that the API server is reachable, and server of %s in the kubeconfig (or K8S_API_ENDPOINT)", cluster)
	default:
		return nil
	}
	return &datastore.UnreachableError{Datastore: "the Kubernetes API server", Endpoints: k.Server, Err: explained(cause, detail, err), Fix: fix}
}

// Unauthorized explains a 401 (credentials rejected) or 403 (forbidden) from the API server. The
// API server's own words of a 403 already name the verb, resource and user.
func (k Kube) Unauthorized(forbidden bool, err error) error {
	if forbidden {
		return &datastore.UnauthorizedError{Err: err, Fix: fmt.Sprintf("grant that user RBAC rights (a ClusterRole and ClusterRoleBinding), or use another user: %s at %s", k.where(), k.Server)}
	}
	cause := fmt.Sprintf("the Kubernetes API server at %s rejected the credentials of %s", k.Server, k.where())
	return &datastore.UnauthorizedError{Err: explained(cause, "401 Unauthorized", err), Fix: "check the token or client certificate of that user in the kubeconfig (or K8S_API_TOKEN), or choose another context with --context"}
}

// reason is a plain cause with the library's words, wrapping the original error.
type reason struct {
	msg string
	err error
}

func (r *reason) Error() string { return r.msg }
func (r *reason) Unwrap() error { return r.err }

func explained(cause, detail string, err error) error {
	if detail != "" {
		cause += " (" + oneLine(detail) + ")"
	}
	return &reason{msg: cause, err: err}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
