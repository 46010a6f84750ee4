package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestDCOSEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want map[string]string
		err  string
	}{
		{"open cluster: etcd on the cluster's host, token as metadata",
			[]string{"DCOS_URL=http://master.example:80/", "DCOS_ACS_TOKEN=abc", "DCOS_TLS_INSECURE=1"},
			map[string]string{"CALICO_DATASTORE_TYPE": "etcdv3", "CALICO_ETCD_ENDPOINTS": "http://master.example:12379", "CALICO_ETCD_CUSTOM_GRPC_METADATA": "authorization:token=abc"}, ""},
		{"enterprise cluster: https with the CLI's CA",
			[]string{"DCOS_URL=https://10.0.0.5", "DCOS_ACS_TOKEN=abc", "DCOS_TLS_CA_PATH=/ca.pem"},
			map[string]string{"CALICO_DATASTORE_TYPE": "etcdv3", "CALICO_ETCD_ENDPOINTS": "https://10.0.0.5:12379", "CALICO_ETCD_CUSTOM_GRPC_METADATA": "authorization:token=abc", "CALICO_ETCD_CA_CERT_FILE": "/ca.pem"}, ""},
		{"IPv6 cluster address",
			[]string{"DCOS_URL=http://[fd00::1]"},
			map[string]string{"CALICO_DATASTORE_TYPE": "etcdv3", "CALICO_ETCD_ENDPOINTS": "http://[fd00::1]:12379"}, ""},
		{"calico.* settings win and pass any calicoctl variable",
			[]string{"DCOS_URL=https://10.0.0.5", "DCOS_TLS_CA_PATH=/ca.pem", "DCOS_CALICO_ETCD_ENDPOINTS=https://etcd:2379", "DCOS_CALICO_ETCD_CA_CERT_FILE=/etcd-ca.pem", "DCOS_CALICO_DATASTORE_TIMEOUT=5s"},
			map[string]string{"CALICO_DATASTORE_TYPE": "etcdv3", "CALICO_ETCD_ENDPOINTS": "https://etcd:2379", "CALICO_ETCD_CA_CERT_FILE": "/etcd-ca.pem", "CALICO_DATASTORE_TIMEOUT": "5s"}, ""},
		{"no cluster attached", []string{"DCOS_CLI_VERSION=1.2"}, nil, "no DC/OS cluster is attached"},
		{"https cluster set up with --insecure", []string{"DCOS_URL=https://10.0.0.5", "DCOS_TLS_INSECURE=1"}, nil, "dcos cluster setup --no-check"},
		{"not a URL", []string{"DCOS_URL=ftp://x"}, nil, "is not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DCOSEnv(tc.env)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v %v, want %v", got, err, tc.want)
			}
		})
	}
}

func TestParseGRPCMetadata(t *testing.T) {
	md, err := ParseGRPCMetadata("authorization:token=a:b, X-Extra:1")
	if err != nil || !reflect.DeepEqual(md, map[string]string{"authorization": "token=a:b", "x-extra": "1"}) {
		t.Errorf("got %v %v", md, err)
	}
	if _, err := ParseGRPCMetadata("novalue"); err == nil || !strings.Contains(err.Error(), "is not KEY:VALUE") {
		t.Errorf("bad entry: %v", err)
	}
}
