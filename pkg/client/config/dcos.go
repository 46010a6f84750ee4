package config

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// DCOSEtcdPort is where a DC/OS cluster's proxy serves Calico's etcd (the port the DC/OS CLI's
// own calico wrapper used).
const DCOSEtcdPort = "12379"

// DCOSSettings are the [calico] settings of the DC/OS CLI (`dcos config set calico.NAME VALUE`,
// passed to the plugin as DCOS_CALICO_NAME) and what each means. Any other calicoctl environment
// variable may be given the same way (calico.datastore_type -> CALICO_DATASTORE_TYPE).
var DCOSSettings = map[string]string{
	"etcd_endpoints":    "etcd endpoints (comma-separated URLs); default: the cluster URL's host on port " + DCOSEtcdPort,
	"etcd_ca_cert_file": "CA certificate of etcd's endpoint; default: the DC/OS CLI's CA (DCOS_TLS_CA_PATH)",
	"etcd_cert_file":    "client certificate for etcd",
	"etcd_key_file":     "client key for etcd",
	"datastore_timeout": "how long one datastore request may take, e.g. 5s (default 10s)",
}

// DCOSEnv returns the calicoctl environment implied by the environment the DC/OS CLI gives a
// plugin (env is KEY=VALUE pairs, as os.Environ): DCOS_CALICO_<NAME> becomes CALICO_<NAME>;
// DCOS_URL names the cluster, whose proxy serves etcd; DCOS_ACS_TOKEN is sent to that proxy as
// gRPC metadata (authorization: token=...); DCOS_TLS_CA_PATH verifies it.
func DCOSEnv(env []string) (map[string]string, error) {
	in := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			in[k] = v
		}
	}
	out := map[string]string{}
	var keys []string
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if name, ok := strings.CutPrefix(k, "DCOS_CALICO_"); ok && name != "" && in[k] != "" {
			out["CALICO_"+name] = in[k]
		}
	}
	if out["CALICO_DATASTORE_TYPE"] == "" {
		out["CALICO_DATASTORE_TYPE"] = EtcdV3
	}
	if out["CALICO_DATASTORE_TYPE"] != EtcdV3 {
		return out, nil
	}
	raw := strings.TrimRight(in["DCOS_URL"], "/")
	var cluster *url.URL
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			return nil, fmt.Errorf("DCOS_URL %q is not an http(s) URL of a DC/OS cluster: run 'dcos cluster setup URL' again", raw)
		}
		cluster = u
	}
	if out["CALICO_ETCD_ENDPOINTS"] == "" {
		if cluster == nil {
			return nil, errors.New("no DC/OS cluster is attached (DCOS_URL is not set): run 'dcos cluster setup URL' or 'dcos cluster attach NAME', or set calico.etcd_endpoints")
		}
		out["CALICO_ETCD_ENDPOINTS"] = cluster.Scheme + "://" + hostPort(cluster.Hostname(), DCOSEtcdPort)
	}
	if tok := in["DCOS_ACS_TOKEN"]; tok != "" {
		out["CALICO_ETCD_CUSTOM_GRPC_METADATA"] = "authorization:token=" + tok
	}
	https := strings.Contains(out["CALICO_ETCD_ENDPOINTS"], "https://")
	if out["CALICO_ETCD_CA_CERT_FILE"] == "" && https {
		switch {
		case in["DCOS_TLS_CA_PATH"] != "":
			out["CALICO_ETCD_CA_CERT_FILE"] = in["DCOS_TLS_CA_PATH"]
		case in["DCOS_TLS_INSECURE"] == "1":
			return nil, errors.New("the DC/OS CLI does not verify this cluster (it was set up with --insecure), but etcd is reached over https and needs the cluster's CA: run 'dcos cluster setup --no-check URL' instead of --insecure, or set calico.etcd_ca_cert_file")
		}
	}
	return out, nil
}

func hostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// ParseGRPCMetadata reads ETCD_CUSTOM_GRPC_METADATA: comma-separated KEY:VALUE pairs sent with
// every etcd request (e.g. "authorization:token=abc" for an authenticating proxy).
func ParseGRPCMetadata(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	md := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("ETCD_CUSTOM_GRPC_METADATA entry %q is not KEY:VALUE", pair)
		}
		md[strings.ToLower(strings.TrimSpace(k))] = v
	}
	return md, nil
}
