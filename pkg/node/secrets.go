package node

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// DefaultSecretNamespace is where BGP password secrets are read when NAMESPACE is not set:
// the namespace of calico-node's manifests (the operator's is calico-system).
const DefaultSecretNamespace = "kube-system"

// SecretNamespace is the namespace calico-node runs in, whose secrets hold BGP passwords: the
// NAMESPACE environment variable (the pod's namespace), else kube-system.
func SecretNamespace() string {
	if ns := strings.TrimSpace(os.Getenv("NAMESPACE")); ns != "" {
		return ns
	}
	return DefaultSecretNamespace
}

// SecretPasswords reads BGP passwords (BGPPeer and BGPConfiguration nodeMeshPassword
// secretKeyRef) from Kubernetes secrets of one namespace.
//
// Secrets are read through the dynamic client the datastore already links, not client-go's
// typed clientset: that one links every built-in API group and builds their scheme at start-up
// (25 MB of the agent's binary, most of it resident) for one resource.
type SecretPasswords struct {
	Client    dynamic.Interface
	Namespace string
}

var secretsResource = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// NewSecretPasswords reads the secrets of namespace through the API server of cfg.
func NewSecretPasswords(cfg *rest.Config, namespace string) (*SecretPasswords, error) {
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating a Kubernetes client for BGP password secrets: %w", err)
	}
	return &SecretPasswords{Client: dc, Namespace: namespace}, nil
}

// watch reports changes of the namespace's secrets.
func (s *SecretPasswords) watch(ctx context.Context) (watch.Interface, error) {
	return s.Client.Resource(secretsResource).Namespace(s.Namespace).Watch(ctx, metav1.ListOptions{})
}

// Password resolves the peer's secretKeyRef.
func (s *SecretPasswords) Password(p *Peer) (string, error) {
	ref := p.Password
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sec, err := s.Client.Resource(secretsResource).Namespace(s.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", fmt.Errorf("its password secret %s/%s does not exist: create it in the namespace calico-node runs in (NAMESPACE)", s.Namespace, ref.Name)
	case err != nil:
		return "", fmt.Errorf("reading its password secret %s/%s: %w", s.Namespace, ref.Name, err)
	}
	data, _ := sec.Object["data"].(map[string]any)
	v, ok := data[ref.Key].(string)
	if !ok {
		return "", fmt.Errorf("its password secret %s/%s has no key %q", s.Namespace, ref.Name, ref.Key)
	}
	pw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", fmt.Errorf("its password secret %s/%s: key %q is not base64: %w", s.Namespace, ref.Name, ref.Key, err)
	}
	return string(pw), nil
}
