package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

const (
	// defaultEtcdEndpoints is used when nothing at all is configured, so that a new user of a
	// local (for example embedded) etcd needs no config.
	defaultEtcdEndpoints = "http://127.0.0.1:2379"
	defaultQPS           = 100
	defaultBurst         = 300

	etcdV2            = "etcdv2"
	etcdV2Unsupported = "datastoreType etcdv2 is no longer supported, use etcdv3"
)

// applyDefaults fills in the datastore type and connection defaults (calicoctl's
// applyConfigDefaults, plus the etcd fallback when nothing is configured).
func applyDefaults(s *CalicoAPIConfigSpec) {
	if s.DatastoreType == "" {
		switch {
		case s.EtcdEndpoints != "" || s.EtcdDiscoverySrv != "":
			s.DatastoreType = EtcdV3
		case s.hasKubeSettings() || homeKubeconfig() != "" || inCluster():
			s.DatastoreType = Kubernetes
		default:
			s.DatastoreType = EtcdV3
			s.EtcdEndpoints = defaultEtcdEndpoints
		}
	}
	if s.DatastoreType == Kubernetes && s.Kubeconfig == "" && s.K8sAPIEndpoint == "" && s.KubeconfigInline == "" {
		// Left empty when there is no ~/.kube/config, so that the in-cluster config can apply.
		s.Kubeconfig = homeKubeconfig()
	}
	if s.K8sClientQPS == 0 {
		s.K8sClientQPS = defaultQPS
	}
	if s.K8sClientBurst == 0 {
		s.K8sClientBurst = defaultBurst
	}
}

// hasKubeSettings reports whether any setting that locates or authenticates to a Kubernetes API
// server is given: a user who gave one (even only --context) means Kubernetes, not etcd.
func (s *CalicoAPIConfigSpec) hasKubeSettings() bool {
	k := s.KubeConfig
	for _, v := range []string{k.Kubeconfig, k.K8sAPIEndpoint, k.KubeconfigInline, k.K8sCurrentContext,
		k.K8sAPIToken, k.K8sCAFile, k.K8sCertFile, k.K8sKeyFile} {
		if v != "" {
			return true
		}
	}
	return false
}

// homeKubeconfig returns $HOME/.kube/config if that file exists, else "".
func homeKubeconfig() string {
	home := os.Getenv("HOME")
	if home == "" {
		return ""
	}
	p := filepath.Join(home, ".kube", "config")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// inCluster reports whether we run in a Kubernetes pod, where client-go's in-cluster config
// applies (calicoctl run as a pod without DATASTORE_TYPE).
func inCluster() bool {
	return os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != ""
}

// Validate checks the datastore type and, for etcdv3, the endpoint and certificate settings.
// Load, LoadFile and LoadEnv call it after applying defaults.
func (s *CalicoAPIConfigSpec) Validate() error {
	switch s.DatastoreType {
	case Kubernetes:
		return nil
	case EtcdV3:
		return s.validateEtcd()
	case etcdV2:
		return errors.New(etcdV2Unsupported)
	default:
		return fmt.Errorf("unknown datastore type: %s", s.DatastoreType)
	}
}

func (s *CalicoAPIConfigSpec) validateEtcd() error {
	if s.EtcdEndpoints != "" && s.EtcdDiscoverySrv != "" {
		return errors.New(`multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv"`)
	}
	if s.EtcdDiscoverySrv == "" {
		eps := s.EtcdEndpointList()
		if len(eps) == 0 {
			return errors.New("no etcd endpoints specified")
		}
		for _, ep := range eps {
			if err := checkEndpoint(ep); err != nil {
				return err
			}
		}
	}
	if _, err := ParseGRPCMetadata(s.EtcdCustomGRPCMetadata); err != nil {
		return err
	}
	if s.mixesInlineAndFiles() {
		return errMixedCerts
	}
	return nil
}

// errMixedCerts is calicoctl's exact text, capital letter included.
var errMixedCerts = errors.New("Cannot mix inline certificate-key and certificate / key files")

func (s *CalicoAPIConfigSpec) mixesInlineAndFiles() bool {
	inline := s.EtcdCert != "" || s.EtcdKey != "" || s.EtcdCACert != ""
	files := s.EtcdCertFile != "" || s.EtcdKeyFile != "" || s.EtcdCACertFile != ""
	return inline && files
}

// checkEndpoint rejects an etcd endpoint that is not an http or https URL; the etcd client
// would otherwise fail later with a message that does not name the setting.
func checkEndpoint(ep string) error {
	if !strings.Contains(ep, "://") {
		return fmt.Errorf("etcd endpoint %q has no scheme; write it as http://%s or https://%s", ep, ep, ep)
	}
	u, err := url.Parse(ep)
	if err != nil {
		return fmt.Errorf("etcd endpoint %q is not a valid URL: %v", ep, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("etcd endpoint %q has scheme %q; only http:// and https:// are supported", ep, u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("etcd endpoint %q has no host; write it as %s://<host>:2379", ep, u.Scheme)
	}
	return nil
}

// EtcdEndpointList splits etcdEndpoints on commas, trimming spaces and dropping empty entries.
func (s *CalicoAPIConfigSpec) EtcdEndpointList() []string {
	var eps []string
	for _, ep := range strings.Split(s.EtcdEndpoints, ",") {
		if ep = strings.TrimSpace(ep); ep != "" {
			eps = append(eps, ep)
		}
	}
	return eps
}
