package node

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kclient "k8s.io/client-go/kubernetes"
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
type SecretPasswords struct {
	Client    kclient.Interface
	Namespace string
}

// NewSecretPasswords reads the secrets of namespace through the API server of cfg.
func NewSecretPasswords(cfg *rest.Config, namespace string) (*SecretPasswords, error) {
	cs, err := kclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating a Kubernetes client for BGP password secrets: %w", err)
	}
	return &SecretPasswords{Client: cs, Namespace: namespace}, nil
}

// Password resolves the peer's secretKeyRef.
func (s *SecretPasswords) Password(p *Peer) (string, error) {
	ref := p.Password
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sec, err := s.Client.CoreV1().Secrets(s.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", fmt.Errorf("its password secret %s/%s does not exist: create it in the namespace calico-node runs in (NAMESPACE)", s.Namespace, ref.Name)
	case err != nil:
		return "", fmt.Errorf("reading its password secret %s/%s: %w", s.Namespace, ref.Name, err)
	}
	v, ok := sec.Data[ref.Key]
	if !ok {
		return "", fmt.Errorf("its password secret %s/%s has no key %q", s.Namespace, ref.Name, ref.Key)
	}
	return string(v), nil
}
