package config

import (
	"fmt"
	"os"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultTimeout is how long a single datastore request may take when
// CALICO_DATASTORE_TIMEOUT / DATASTORE_TIMEOUT is not set.
const DefaultTimeout = 10 * time.Second

// lookupEnv returns the value of CALICO_<name>, or else of <name>, and which variable it came
// from (calicoctl's envconfig prefix "calico"). An empty variable counts as unset.
func lookupEnv(name string) (value, from string) {
	for _, n := range []string{"CALICO_" + name, name} {
		if v := os.Getenv(n); v != "" {
			return v, n
		}
	}
	return "", ""
}

// LoadEnv builds the configuration from environment variables, then defaults and validates it.
// The inline PEM fields and kubeconfigInline cannot be set this way.
func LoadEnv() (*CalicoAPIConfig, error) {
	c := &CalicoAPIConfig{TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind}}
	s := &c.Spec
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"DATASTORE_TYPE", &s.DatastoreType},
		{"ETCD_ENDPOINTS", &s.EtcdEndpoints},
		{"ETCD_DISCOVERY_SRV", &s.EtcdDiscoverySrv},
		{"ETCD_USERNAME", &s.EtcdUsername},
		{"ETCD_PASSWORD", &s.EtcdPassword},
		{"ETCD_KEY_FILE", &s.EtcdKeyFile},
		{"ETCD_CERT_FILE", &s.EtcdCertFile},
		{"ETCD_CA_CERT_FILE", &s.EtcdCACertFile},
		{"ETCD_CUSTOM_GRPC_METADATA", &s.EtcdCustomGRPCMetadata},
		{"KUBECONFIG", &s.Kubeconfig},
		{"K8S_API_ENDPOINT", &s.K8sAPIEndpoint},
		{"K8S_KEY_FILE", &s.K8sKeyFile},
		{"K8S_CERT_FILE", &s.K8sCertFile},
		{"K8S_CA_FILE", &s.K8sCAFile},
		{"K8S_API_TOKEN", &s.K8sAPIToken},
		{"K8S_CURRENT_CONTEXT", &s.K8sCurrentContext},
		{"CALICO_API_GROUP", &s.CalicoAPIGroup},
	} {
		*f.dst, _ = lookupEnv(f.name)
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{
		{"K8S_INSECURE_SKIP_TLS_VERIFY", &s.K8sInsecureSkipTLSVerify},
		{"K8S_DISABLE_NODE_POLL", &s.K8sDisableNodePoll},
		{"USE_POD_CIDR", &s.UsePodCIDR},
	} {
		v, from := lookupEnv(f.name)
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("invalid value %q for %s: expected true or false", v, from)
		}
		*f.dst = b
	}
	if v, from := lookupEnv("K8S_CLIENT_QPS"); v != "" {
		q, err := strconv.ParseFloat(v, 32)
		if err != nil || q < 0 {
			return nil, fmt.Errorf("invalid value %q for %s: expected a non-negative number", v, from)
		}
		s.K8sClientQPS = float32(q)
	}
	if v, from := lookupEnv("K8S_CLIENT_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("invalid value %q for %s: expected a non-negative whole number", v, from)
		}
		s.K8sClientBurst = n
	}

	if s.DatastoreType == etcdV2 {
		_, from := lookupEnv("DATASTORE_TYPE")
		return nil, fmt.Errorf("%s=etcdv2: %s; set %s=etcdv3 and ETCD_ENDPOINTS=%s",
			from, etcdV2Unsupported, from, v1EnvEndpoints(s.EtcdEndpoints))
	}
	noEtcdLocation := s.EtcdEndpoints == "" && s.EtcdDiscoverySrv == ""
	applyKubeconfigFlag(s)
	applyDefaults(s)
	if s.DatastoreType == EtcdV3 && noEtcdLocation {
		// calicoctl v1's ETCD_AUTHORITY / ETCD_SCHEME would be silently ignored and the
		// default endpoint used instead: the wrong etcd, with no error.
		for _, name := range []string{"ETCD_AUTHORITY", "ETCD_SCHEME"} {
			if _, from := lookupEnv(name); from != "" {
				return nil, fmt.Errorf("%s is a calicoctl v1 setting and is no longer read; set ETCD_ENDPOINTS=%s instead",
					from, v1EnvEndpoints(""))
			}
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// v1EnvEndpoints suggests an ETCD_ENDPOINTS value from the environment: the endpoints already
// given, or calicoctl v1's ETCD_SCHEME and ETCD_AUTHORITY.
func v1EnvEndpoints(endpoints string) string {
	if endpoints != "" {
		return endpoints
	}
	scheme, _ := lookupEnv("ETCD_SCHEME")
	authority, _ := lookupEnv("ETCD_AUTHORITY")
	return suggestEndpoint(scheme, authority)
}

// Timeout is how long any single datastore request may take before the command fails:
// CALICO_DATASTORE_TIMEOUT or DATASTORE_TIMEOUT as a Go duration ("5s", "1m"), default 10s.
func Timeout() (time.Duration, error) {
	v, from := lookupEnv("DATASTORE_TIMEOUT")
	if v == "" {
		return DefaultTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid value %q for %s: expected a positive duration such as 5s or 1m", v, from)
	}
	return d, nil
}
