package kubernetes

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/klog/v2"

	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/connerr"
)

func init() {
	// client-go logs through klog, by default to stderr: warnings about throttling, retries and
	// deprecated APIs would land on the operator's terminal. Every failure reaches the operator
	// as an error instead.
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
}

// kubeconfigNames returns the names an operator knows the connection by: the context, its user
// and cluster, and the server, for error messages.
func kubeconfigNames(spec *config.KubeConfig, cfg *rest.Config, timeout time.Duration) connerr.Kube {
	names := connerr.Kube{Server: cfg.Host, Timeout: timeout}
	if u, err := url.Parse(cfg.Host); err == nil && u.Host != "" {
		names.Server = u.Scheme + "://" + u.Host
	}
	var raw clientcmdapi.Config
	if spec.KubeconfigInline != "" {
		r, err := clientcmd.Load([]byte(spec.KubeconfigInline))
		if err != nil {
			return names
		}
		raw = *r
	} else {
		rules := &clientcmd.ClientConfigLoadingRules{}
		if spec.Kubeconfig == "" {
			return names
		}
		rules.Precedence = filepath.SplitList(spec.Kubeconfig)
		r, err := rules.Load()
		if err != nil {
			return names
		}
		raw = *r
	}
	names.Context = raw.CurrentContext
	if spec.K8sCurrentContext != "" {
		names.Context = spec.K8sCurrentContext
	}
	if c, ok := raw.Contexts[names.Context]; ok {
		names.User, names.Cluster = c.AuthInfo, c.Cluster
	}
	return names
}

// Defaults of the client-side rate limit, as in Calico's client.
const (
	DefaultQPS   = 50
	DefaultBurst = 100
)

// RESTConfig turns the Kubernetes settings of a calicoctl configuration into a client-go config,
// the way Calico does:
//   - kubeconfigInline, when given, is the whole configuration (the other settings are not
//     applied, only the context);
//   - otherwise the kubeconfig files (a ':'-separated list, merged as kubectl merges $KUBECONFIG)
//     are loaded and k8sAPIEndpoint, the CA, client certificate and key, token and
//     insecure-skip-verify override what they say, and k8sCurrentContext selects the context;
//   - with neither a kubeconfig nor an endpoint, client-go's in-cluster configuration applies.
//
// Requests are rate limited to QPS/burst (defaults 50/100), client-go warnings are discarded and
// connections are given up after timeout.
func RESTConfig(spec *config.KubeConfig, timeout time.Duration) (*rest.Config, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: spec.K8sCurrentContext}
	var cc clientcmd.ClientConfig
	if spec.KubeconfigInline != "" {
		raw, err := clientcmd.Load([]byte(spec.KubeconfigInline))
		if err != nil {
			return nil, fmt.Errorf("kubeconfigInline is not a valid kubeconfig: %w", err)
		}
		cc = clientcmd.NewNonInteractiveClientConfig(*raw, spec.K8sCurrentContext, overrides, nil)
	} else {
		overrides.ClusterInfo = clientcmdapi.Cluster{
			Server:                spec.K8sAPIEndpoint,
			CertificateAuthority:  spec.K8sCAFile,
			InsecureSkipTLSVerify: spec.K8sInsecureSkipTLSVerify,
		}
		overrides.AuthInfo = clientcmdapi.AuthInfo{
			ClientCertificate: spec.K8sCertFile,
			ClientKey:         spec.K8sKeyFile,
			Token:             spec.K8sAPIToken,
		}
		rules := &clientcmd.ClientConfigLoadingRules{}
		if paths := filepath.SplitList(spec.Kubeconfig); len(paths) == 1 {
			// One file: it must exist (as in Calico), rather than silently falling back to
			// "no configuration".
			if _, err := os.Stat(paths[0]); err != nil {
				return nil, fmt.Errorf("%w: the kubeconfig file named by KUBECONFIG (or --kubeconfig, or kubeconfig in the configuration file) cannot be read", err)
			}
			rules.ExplicitPath = paths[0]
		} else if len(paths) > 1 {
			rules.Precedence = paths
		}
		cc = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, err
	}
	qps, burst := spec.K8sClientQPS, spec.K8sClientBurst
	if qps <= 0 {
		qps = DefaultQPS
	}
	if burst <= 0 {
		burst = DefaultBurst
	}
	cfg.QPS, cfg.Burst = qps, burst
	// One limiter for every client made from this config, so that QPS/burst bound the process.
	cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(qps, burst)
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.UserAgent = "calicoctl"
	if timeout > 0 {
		cfg.Dial = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	}
	return cfg, nil
}
