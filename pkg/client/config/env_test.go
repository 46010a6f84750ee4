package config

import (
	"testing"
	"time"
)

func TestLoadEnvReadsEveryVariable(t *testing.T) {
	isolate(t)
	for k, v := range map[string]string{
		"DATASTORE_TYPE":               "kubernetes",
		"ETCD_USERNAME":                "user",
		"ETCD_PASSWORD":                "pw",
		"ETCD_KEY_FILE":                "/e/key.pem",
		"ETCD_CERT_FILE":               "/e/cert.pem",
		"ETCD_CA_CERT_FILE":            "/e/ca.pem",
		"KUBECONFIG":                   "/k/a:/k/b",
		"K8S_API_ENDPOINT":             "https://k:6443",
		"K8S_KEY_FILE":                 "/k/key.pem",
		"K8S_CERT_FILE":                "/k/cert.pem",
		"K8S_CA_FILE":                  "/k/ca.pem",
		"K8S_API_TOKEN":                "tok",
		"K8S_INSECURE_SKIP_TLS_VERIFY": "true",
		"K8S_DISABLE_NODE_POLL":        "1",
		"USE_POD_CIDR":                 "TRUE",
		"K8S_CLIENT_QPS":               "12.5",
		"K8S_CLIENT_BURST":             "30",
		"K8S_CURRENT_CONTEXT":          "ctx",
		"CALICO_API_GROUP":             "projectcalico.org/v3",
	} {
		t.Setenv(k, v)
	}
	c, err := LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := CalicoAPIConfigSpec{
		DatastoreType: Kubernetes,
		EtcdConfig: EtcdConfig{EtcdUsername: "user", EtcdPassword: "pw", EtcdKeyFile: "/e/key.pem",
			EtcdCertFile: "/e/cert.pem", EtcdCACertFile: "/e/ca.pem"},
		KubeConfig: KubeConfig{Kubeconfig: "/k/a:/k/b", K8sAPIEndpoint: "https://k:6443", K8sKeyFile: "/k/key.pem",
			K8sCertFile: "/k/cert.pem", K8sCAFile: "/k/ca.pem", K8sAPIToken: "tok", K8sInsecureSkipTLSVerify: true,
			K8sDisableNodePoll: true, UsePodCIDR: true, K8sClientQPS: 12.5, K8sClientBurst: 30,
			K8sCurrentContext: "ctx", CalicoAPIGroup: "projectcalico.org/v3"},
	}
	if c.Spec != want {
		t.Errorf("spec =\n  %+v\nwant\n  %+v", c.Spec, want)
	}
	if c.APIVersion != APIVersion || c.Kind != Kind {
		t.Errorf("TypeMeta = %+v", c.TypeMeta)
	}
}

func TestLoadEnvCalicoPrefixWins(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		get  func(*CalicoAPIConfigSpec) any
		want any
	}{
		{"CALICO_ETCD_ENDPOINTS over ETCD_ENDPOINTS",
			map[string]string{"ETCD_ENDPOINTS": "http://bare:2379", "CALICO_ETCD_ENDPOINTS": "http://prefixed:2379"},
			func(s *CalicoAPIConfigSpec) any { return s.EtcdEndpoints }, "http://prefixed:2379"},
		{"bare name when no prefixed one",
			map[string]string{"ETCD_ENDPOINTS": "http://bare:2379"},
			func(s *CalicoAPIConfigSpec) any { return s.EtcdEndpoints }, "http://bare:2379"},
		{"CALICO_DATASTORE_TYPE over DATASTORE_TYPE",
			map[string]string{"DATASTORE_TYPE": "etcdv3", "CALICO_DATASTORE_TYPE": "kubernetes", "ETCD_ENDPOINTS": "http://e:2379"},
			func(s *CalicoAPIConfigSpec) any { return s.DatastoreType }, Kubernetes},
		{"CALICO_USE_POD_CIDR over USE_POD_CIDR",
			map[string]string{"USE_POD_CIDR": "false", "CALICO_USE_POD_CIDR": "true", "DATASTORE_TYPE": "kubernetes"},
			func(s *CalicoAPIConfigSpec) any { return s.UsePodCIDR }, true},
		{"CALICO_API_GROUP is itself the name",
			map[string]string{"CALICO_API_GROUP": "crd.projectcalico.org/v1", "DATASTORE_TYPE": "kubernetes"},
			func(s *CalicoAPIConfigSpec) any { return s.CalicoAPIGroup }, "crd.projectcalico.org/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := LoadEnv()
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(&c.Spec); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad bool", map[string]string{"K8S_INSECURE_SKIP_TLS_VERIFY": "maybe"},
			`invalid value "maybe" for K8S_INSECURE_SKIP_TLS_VERIFY: expected true or false`},
		{"bad bool names the prefixed variable", map[string]string{"CALICO_USE_POD_CIDR": "yes"},
			`invalid value "yes" for CALICO_USE_POD_CIDR: expected true or false`},
		{"bad QPS", map[string]string{"K8S_CLIENT_QPS": "fast"},
			`invalid value "fast" for K8S_CLIENT_QPS: expected a non-negative number`},
		{"bad burst", map[string]string{"K8S_CLIENT_BURST": "1.5"},
			`invalid value "1.5" for K8S_CLIENT_BURST: expected a non-negative whole number`},
		{"unknown datastore type", map[string]string{"DATASTORE_TYPE": "foo"}, "unknown datastore type: foo"},
		{"etcdv2", map[string]string{"DATASTORE_TYPE": "etcdv2"},
			"DATASTORE_TYPE=etcdv2: datastoreType etcdv2 is no longer supported, use etcdv3; set DATASTORE_TYPE=etcdv3 and ETCD_ENDPOINTS=http://<host>:2379"},
		{"etcdv2 with v1 authority", map[string]string{"CALICO_DATASTORE_TYPE": "etcdv2", "ETCD_SCHEME": "https", "ETCD_AUTHORITY": "10.0.0.1:2379"},
			"CALICO_DATASTORE_TYPE=etcdv2: datastoreType etcdv2 is no longer supported, use etcdv3; set CALICO_DATASTORE_TYPE=etcdv3 and ETCD_ENDPOINTS=https://10.0.0.1:2379"},
		{"v1 ETCD_AUTHORITY alone", map[string]string{"ETCD_AUTHORITY": "10.0.0.1:2379"},
			"ETCD_AUTHORITY is a calicoctl v1 setting and is no longer read; set ETCD_ENDPOINTS=http://10.0.0.1:2379 instead"},
		{"etcdv3 without endpoints", map[string]string{"DATASTORE_TYPE": "etcdv3"}, "no etcd endpoints specified"},
		{"endpoints and discovery", map[string]string{"ETCD_ENDPOINTS": "http://a:2379", "ETCD_DISCOVERY_SRV": "example.com"},
			`multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv"`},
		{"endpoint without scheme", map[string]string{"ETCD_ENDPOINTS": "10.0.0.1:2379"},
			`etcd endpoint "10.0.0.1:2379" has no scheme; write it as http://10.0.0.1:2379 or https://10.0.0.1:2379`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := Load("")
			if err == nil || err.Error() != tt.want {
				t.Errorf("error =\n  %v\nwant\n  %s", err, tt.want)
			}
		})
	}
}

func TestLoadEnvIgnoresV1VarsWhenEndpointsGiven(t *testing.T) {
	isolate(t)
	t.Setenv("ETCD_AUTHORITY", "old:2379")
	t.Setenv("ETCD_ENDPOINTS", "http://new:2379")
	c, err := LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec.EtcdEndpoints != "http://new:2379" {
		t.Errorf("endpoints = %q", c.Spec.EtcdEndpoints)
	}
}

func TestTimeout(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    time.Duration
		wantErr string
	}{
		{name: "default", want: 10 * time.Second},
		{name: "bare name", env: map[string]string{"DATASTORE_TIMEOUT": "5s"}, want: 5 * time.Second},
		{name: "prefixed wins", env: map[string]string{"DATASTORE_TIMEOUT": "5s", "CALICO_DATASTORE_TIMEOUT": "1m30s"}, want: 90 * time.Second},
		{name: "no unit", env: map[string]string{"DATASTORE_TIMEOUT": "5"},
			wantErr: `invalid value "5" for DATASTORE_TIMEOUT: expected a positive duration such as 5s or 1m`},
		{name: "zero", env: map[string]string{"CALICO_DATASTORE_TIMEOUT": "0s"},
			wantErr: `invalid value "0s" for CALICO_DATASTORE_TIMEOUT: expected a positive duration such as 5s or 1m`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, err := Timeout()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Timeout() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
