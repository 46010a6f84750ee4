// Package config loads the calicoctl client configuration: which datastore to talk to and how.
//
// It follows calicoctl (libcalico-go lib/apiconfig and calicoctl's clientmgr): a config file,
// YAML or JSON, is used exclusively when it exists; otherwise the configuration comes from
// environment variables. Deliberate differences from calicoctl:
//   - with nothing configured at all the datastore is etcdv3 at http://127.0.0.1:2379 rather
//     than an in-cluster Kubernetes client that cannot work;
//   - a calicoctl v1 config file, or datastoreType etcdv2, gets an error saying what to change;
//   - etcd endpoints must be http:// or https:// URLs, checked when the config is loaded;
//   - every datastore request has a timeout (see Timeout) instead of hanging.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// DefaultPath is where calicoctl looks for its config file when -c/--config is not given.
const DefaultPath = "/etc/calico/calicoctl.cfg"

// defaultPath is DefaultPath, replaceable by tests so that they do not depend on /etc/calico.
var defaultPath = DefaultPath

// Values of the config file's apiVersion and kind, and of spec.datastoreType.
const (
	APIVersion = "projectcalico.org/v3"
	Kind       = "CalicoAPIConfig"

	EtcdV3     = "etcdv3"
	Kubernetes = "kubernetes"
)

// CalicoAPIConfig is the content of a calicoctl config file.
type CalicoAPIConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              CalicoAPIConfigSpec `json:"spec,omitempty"`
}

// CalicoAPIConfigSpec says which datastore to use and how to reach it.
type CalicoAPIConfigSpec struct {
	// DatastoreType is EtcdV3 or Kubernetes.
	DatastoreType string `json:"datastoreType,omitempty"`
	EtcdConfig    `json:",inline"`
	KubeConfig    `json:",inline"`
}

// EtcdConfig holds the etcdv3 connection settings. The inline PEM fields (EtcdKey, EtcdCert,
// EtcdCACert) can only be given in a file and cannot be mixed with the *File forms.
type EtcdConfig struct {
	EtcdEndpoints    string `json:"etcdEndpoints,omitempty"`
	EtcdDiscoverySrv string `json:"etcdDiscoverySrv,omitempty"`
	EtcdUsername     string `json:"etcdUsername,omitempty"`
	EtcdPassword     string `json:"etcdPassword,omitempty"`
	EtcdKeyFile      string `json:"etcdKeyFile,omitempty"`
	EtcdCertFile     string `json:"etcdCertFile,omitempty"`
	EtcdCACertFile   string `json:"etcdCACertFile,omitempty"`
	EtcdKey          string `json:"etcdKey,omitempty"`
	EtcdCert         string `json:"etcdCert,omitempty"`
	EtcdCACert       string `json:"etcdCACert,omitempty"`
	// EtcdCustomGRPCMetadata is sent with every etcd request (ETCD_CUSTOM_GRPC_METADATA,
	// "KEY:VALUE,..."): how the DC/OS plugin passes its token to the cluster's etcd proxy.
	EtcdCustomGRPCMetadata string `json:"-"`
}

// KubeConfig holds the Kubernetes connection settings, applied on top of the kubeconfig.
type KubeConfig struct {
	// Kubeconfig may be a ':'-separated list of files, as for kubectl; it is kept as given.
	Kubeconfig               string  `json:"kubeconfig,omitempty"`
	K8sAPIEndpoint           string  `json:"k8sAPIEndpoint,omitempty"`
	K8sKeyFile               string  `json:"k8sKeyFile,omitempty"`
	K8sCertFile              string  `json:"k8sCertFile,omitempty"`
	K8sCAFile                string  `json:"k8sCAFile,omitempty"`
	K8sAPIToken              string  `json:"k8sAPIToken,omitempty"`
	K8sInsecureSkipTLSVerify bool    `json:"k8sInsecureSkipTLSVerify,omitempty"`
	K8sDisableNodePoll       bool    `json:"k8sDisableNodePoll,omitempty"`
	UsePodCIDR               bool    `json:"usePodCIDR,omitempty"`
	KubeconfigInline         string  `json:"kubeconfigInline,omitempty"`
	K8sClientQPS             float32 `json:"k8sClientQPS,omitempty"`
	K8sClientBurst           int     `json:"k8sClientBurst,omitempty"`
	K8sCurrentContext        string  `json:"k8sCurrentContext,omitempty"`
	CalicoAPIGroup           string  `json:"calicoAPIGroup,omitempty"`
}

// FileNotFoundError reports a config file given with -c/--config that does not exist.
type FileNotFoundError struct{ Path string }

// Error is the exact line calicoctl prints in this case.
func (e *FileNotFoundError) Error() string { return "Error reading config file: " + e.Path }

// Load returns the configuration calicoctl would use. path is the -c/--config value; "" means
// the default path, not given explicitly.
//
// If the file exists it is used exclusively and the environment is ignored (except
// K8S_CURRENT_CONTEXT, which is how --context works). If the default path does not exist the
// configuration comes from environment variables. If another path does not exist the result
// is a *FileNotFoundError.
func Load(path string) (*CalicoAPIConfig, error) {
	isDefault := path == "" || path == defaultPath
	if path == "" {
		path = defaultPath
	}
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return LoadFile(path)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading config file %s: %w", path, err)
	case isDefault:
		return LoadEnv()
	default:
		return nil, &FileNotFoundError{Path: path}
	}
}

// LoadFile reads, defaults and validates the config file at path. K8S_CURRENT_CONTEXT (set by
// --context) overrides the file's k8sCurrentContext.
func LoadFile(path string) (*CalicoAPIConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config file %s: %w", path, err)
	}
	c, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("syntax error in %s: %v", path, err)
	}
	if ctx, _ := lookupEnv("K8S_CURRENT_CONTEXT"); ctx != "" {
		c.Spec.K8sCurrentContext = ctx
	}
	applyKubeconfigFlag(&c.Spec)
	applyDefaults(&c.Spec)
	if err := c.Spec.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// parse decodes a config file strictly and checks its apiVersion, kind and that it does not
// ask for etcdv2. A calicoctl v1 file gets, in addition, a hint of what to change.
func parse(b []byte) (*CalicoAPIConfig, error) {
	var c CalicoAPIConfig
	err := yaml.UnmarshalStrict(b, &c)
	switch {
	case err != nil:
		err = fmt.Errorf("failed to parse config as YAML/JSON: %w", err)
	case c.APIVersion != APIVersion:
		err = fmt.Errorf("invalid config file: unknown APIVersion '%s'", c.APIVersion)
	case c.Kind != Kind:
		err = fmt.Errorf("invalid config file: expected kind '%s', got '%s'", Kind, c.Kind)
	case c.Spec.DatastoreType == etcdV2:
		err = errors.New(etcdV2Unsupported)
	}
	if err != nil {
		if hint := v1Hint(b); hint != "" {
			return nil, fmt.Errorf("%v; %s", err, hint)
		}
		return nil, err
	}
	return &c, nil
}
