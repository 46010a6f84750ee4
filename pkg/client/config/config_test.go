package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envNames are every variable the package reads; isolate clears them all.
var envNames = []string{
	"DATASTORE_TYPE", "ETCD_ENDPOINTS", "ETCD_DISCOVERY_SRV", "ETCD_USERNAME", "ETCD_PASSWORD",
	"ETCD_KEY_FILE", "ETCD_CERT_FILE", "ETCD_CA_CERT_FILE", "KUBECONFIG", "K8S_API_ENDPOINT",
	"K8S_KEY_FILE", "K8S_CERT_FILE", "K8S_CA_FILE", "K8S_API_TOKEN", "K8S_INSECURE_SKIP_TLS_VERIFY",
	"K8S_DISABLE_NODE_POLL", "USE_POD_CIDR", "K8S_CLIENT_QPS", "K8S_CLIENT_BURST",
	"K8S_CURRENT_CONTEXT", "CALICO_API_GROUP", "DATASTORE_TIMEOUT", "ETCD_AUTHORITY", "ETCD_SCHEME",
}

// isolate gives the test an empty environment, an empty HOME and a default config path that
// does not exist (but can be created with writeDefault). It returns the temp directory.
func isolate(t *testing.T) string {
	t.Helper()
	for _, n := range envNames {
		t.Setenv(n, "")
		t.Setenv("CALICO_"+n, "")
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	old := defaultPath
	defaultPath = filepath.Join(dir, "etc", "calicoctl.cfg")
	t.Cleanup(func() { defaultPath = old })
	return dir
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeHomeKubeconfig creates $HOME/.kube/config and returns its path.
func writeHomeKubeconfig(t *testing.T) string {
	t.Helper()
	return writeFile(t, filepath.Join(os.Getenv("HOME"), ".kube", "config"), "apiVersion: v1\nkind: Config\n")
}

const etcdFile = `apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
metadata: {}
spec:
  datastoreType: etcdv3
  etcdEndpoints: http://10.0.0.1:2379
`

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name          string
		writeDefault  bool   // create the default config file
		path          string // -c value; "MISSING" is a non-default path that does not exist
		wantEndpoints string // from the file: http://10.0.0.1:2379; from env: http://env:2379
		wantNotFound  bool
	}{
		{name: "default file exists: env ignored", writeDefault: true, wantEndpoints: "http://10.0.0.1:2379"},
		{name: "default file absent: env used", wantEndpoints: "http://env:2379"},
		{name: "default path given explicitly and absent: env used", path: "DEFAULT", wantEndpoints: "http://env:2379"},
		{name: "explicit file exists: env ignored", path: "EXPLICIT", wantEndpoints: "http://10.0.0.1:2379"},
		{name: "explicit file absent: not found", path: "MISSING", wantNotFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			t.Setenv("DATASTORE_TYPE", "etcdv3")
			t.Setenv("ETCD_ENDPOINTS", "http://env:2379")
			if tt.writeDefault {
				writeFile(t, defaultPath, etcdFile)
			}
			path := tt.path
			switch path {
			case "DEFAULT":
				path = defaultPath
			case "EXPLICIT":
				path = writeFile(t, filepath.Join(dir, "my.cfg"), etcdFile)
			case "MISSING":
				path = filepath.Join(dir, "missing.cfg")
			}

			c, err := Load(path)
			if tt.wantNotFound {
				var nf *FileNotFoundError
				if !errors.As(err, &nf) || nf.Path != path {
					t.Fatalf("Load(%q) error = %v, want *FileNotFoundError for that path", path, err)
				}
				if got, want := err.Error(), "Error reading config file: "+path; got != want {
					t.Errorf("error text = %q, want %q", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(%q): %v", path, err)
			}
			if c.Spec.DatastoreType != EtcdV3 || c.Spec.EtcdEndpoints != tt.wantEndpoints {
				t.Errorf("got %s %s, want etcdv3 %s", c.Spec.DatastoreType, c.Spec.EtcdEndpoints, tt.wantEndpoints)
			}
		})
	}
}

func TestLoadFileParsesYAMLAndJSON(t *testing.T) {
	tests := []struct{ name, content string }{
		{"yaml", etcdFile + "  etcdUsername: admin\n  k8sClientQPS: 7.5\n  k8sClientBurst: 9\n"},
		{"json", `{"apiVersion":"projectcalico.org/v3","kind":"CalicoAPIConfig","metadata":{},
			"spec":{"datastoreType":"etcdv3","etcdEndpoints":"http://10.0.0.1:2379","etcdUsername":"admin",
			"k8sClientQPS":7.5,"k8sClientBurst":9}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			c, err := LoadFile(writeFile(t, filepath.Join(dir, "c.cfg"), tt.content))
			if err != nil {
				t.Fatal(err)
			}
			s := c.Spec
			if c.APIVersion != APIVersion || c.Kind != Kind || s.DatastoreType != EtcdV3 ||
				s.EtcdEndpoints != "http://10.0.0.1:2379" || s.EtcdUsername != "admin" ||
				s.K8sClientQPS != 7.5 || s.K8sClientBurst != 9 {
				t.Errorf("unexpected config: %+v", c)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	const head = "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n"
	tests := []struct {
		name    string
		content string
		want    string // FILE is replaced by the file's path
	}{
		{"unknown apiVersion", "apiVersion: projectcalico.org/v2\nkind: CalicoAPIConfig\n",
			"syntax error in FILE: invalid config file: unknown APIVersion 'projectcalico.org/v2'"},
		{"wrong kind", "apiVersion: projectcalico.org/v3\nkind: X\n",
			"syntax error in FILE: invalid config file: expected kind 'CalicoAPIConfig', got 'X'"},
		{"unknown field", head + "  etcdEndpoint: http://10.0.0.1:2379\n",
			`syntax error in FILE: failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: unknown field "etcdEndpoint"`},
		{"unknown datastore type", head + "  datastoreType: foo\n", "unknown datastore type: foo"},
		{"endpoints and discovery", head + "  etcdEndpoints: http://a:2379\n  etcdDiscoverySrv: example.com\n",
			`multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv"`},
		{"etcdv3 without endpoints", head + "  datastoreType: etcdv3\n", "no etcd endpoints specified"},
		{"inline and file certificates", head + "  etcdEndpoints: https://a:2379\n  etcdCert: x\n  etcdKeyFile: /k.pem\n",
			"Cannot mix inline certificate-key and certificate / key files"},
		{"endpoint without scheme", head + "  etcdEndpoints: 10.0.0.1:2379\n",
			`etcd endpoint "10.0.0.1:2379" has no scheme; write it as http://10.0.0.1:2379 or https://10.0.0.1:2379`},
		{"second endpoint without scheme", head + "  etcdEndpoints: 'http://a:2379, b:2379'\n",
			`etcd endpoint "b:2379" has no scheme; write it as http://b:2379 or https://b:2379`},
		{"endpoint with another scheme", head + "  etcdEndpoints: unix://a:2379\n",
			`etcd endpoint "unix://a:2379" has scheme "unix"; only http:// and https:// are supported`},
		{"endpoint without host", head + "  etcdEndpoints: http://\n",
			`etcd endpoint "http://" has no host; write it as http://<host>:2379`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			path := writeFile(t, filepath.Join(dir, "c.cfg"), tt.content)
			_, err := Load(path)
			want := strings.ReplaceAll(tt.want, "FILE", path)
			if err == nil || err.Error() != want {
				t.Errorf("Load error =\n  %v\nwant\n  %s", err, want)
			}
		})
	}
}

func TestLoadFileV1Hint(t *testing.T) {
	const (
		v1Head  = "apiVersion: v1\nkind: calicoApiConfig\nmetadata:\nspec:\n"
		v3Head  = "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n"
		hint    = "; this is a calicoctl v1 configuration; use "
		badV1   = "syntax error in FILE: invalid config file: unknown APIVersion 'v1'"
		v3Parts = "apiVersion: projectcalico.org/v3, kind: CalicoAPIConfig, "
	)
	tests := []struct {
		name, content, want string
	}{
		{"v1 file with scheme and authority",
			v1Head + "  datastoreType: etcdv2\n  etcdScheme: https\n  etcdAuthority: 10.0.0.1:2379\n",
			// As in calicoctl the strict decode fails first, on the first unknown field.
			`syntax error in FILE: failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: unknown field "etcdAuthority"` +
				hint + v3Parts + "datastoreType: etcdv3 and etcdEndpoints: https://10.0.0.1:2379 (replacing etcdScheme and etcdAuthority)"},
		{"v1 file with no settings",
			v1Head,
			badV1 + hint + v3Parts + "datastoreType: etcdv3 and etcdEndpoints: http://<host>:2379"},
		{"v1 file with endpoints",
			v1Head + "  etcdEndpoints: http://10.0.0.1:2379\n",
			badV1 + hint + "apiVersion: projectcalico.org/v3, kind: CalicoAPIConfig and datastoreType: etcdv3"},
		{"v1 kubernetes file",
			v1Head + "  datastoreType: kubernetes\n  kubeconfig: /k\n",
			badV1 + hint + "apiVersion: projectcalico.org/v3 and kind: CalicoAPIConfig"},
		{"only the v1 kind",
			"apiVersion: projectcalico.org/v3\nkind: calicoApiConfig\nspec:\n  etcdEndpoints: http://a:2379\n",
			"syntax error in FILE: invalid config file: expected kind 'CalicoAPIConfig', got 'calicoApiConfig'" +
				hint + "kind: CalicoAPIConfig and datastoreType: etcdv3"},
		{"v3 file with etcdAuthority",
			v3Head + "  datastoreType: etcdv3\n  etcdAuthority: 10.0.0.1:2379\n",
			`syntax error in FILE: failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: unknown field "etcdAuthority"` +
				hint + "etcdEndpoints: http://10.0.0.1:2379 (replacing etcdAuthority)"},
		{"v3 file with etcdv2 and endpoints",
			v3Head + "  datastoreType: etcdv2\n  etcdEndpoints: http://a:2379\n",
			"syntax error in FILE: datastoreType etcdv2 is no longer supported, use etcdv3" + hint + "datastoreType: etcdv3"},
		{"v3 file with etcdv2 only",
			v3Head + "  datastoreType: etcdv2\n",
			"syntax error in FILE: datastoreType etcdv2 is no longer supported, use etcdv3" + hint +
				"datastoreType: etcdv3 and etcdEndpoints: http://<host>:2379"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			path := writeFile(t, filepath.Join(dir, "c.cfg"), tt.content)
			_, err := Load(path)
			want := strings.ReplaceAll(tt.want, "FILE", path)
			if err == nil || err.Error() != want {
				t.Errorf("Load error =\n  %v\nwant\n  %s", err, want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	const k8sFile = "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n"
	tests := []struct {
		name           string
		env            map[string]string
		file           string // used instead of env when set
		homeKubeconfig bool
		wantType       string
		wantEndpoints  string
		wantKubeconfig string // HOMECFG means $HOME/.kube/config
	}{
		{name: "nothing configured: local etcd", wantType: EtcdV3, wantEndpoints: "http://127.0.0.1:2379"},
		{name: "empty file: local etcd", file: k8sFile, wantType: EtcdV3, wantEndpoints: "http://127.0.0.1:2379"},
		{name: "home kubeconfig exists", homeKubeconfig: true, wantType: Kubernetes, wantKubeconfig: "HOMECFG"},
		{name: "home kubeconfig with a file", file: k8sFile, homeKubeconfig: true, wantType: Kubernetes, wantKubeconfig: "HOMECFG"},
		{name: "etcd endpoints", env: map[string]string{"ETCD_ENDPOINTS": "http://e:2379"}, homeKubeconfig: true,
			wantType: EtcdV3, wantEndpoints: "http://e:2379"},
		{name: "etcd discovery", env: map[string]string{"ETCD_DISCOVERY_SRV": "example.com"}, wantType: EtcdV3},
		{name: "KUBECONFIG list kept as is", env: map[string]string{"KUBECONFIG": "/a/config:/b/config"}, homeKubeconfig: true,
			wantType: Kubernetes, wantKubeconfig: "/a/config:/b/config"},
		{name: "API endpoint: no default kubeconfig", env: map[string]string{"K8S_API_ENDPOINT": "https://k:6443"}, homeKubeconfig: true,
			wantType: Kubernetes},
		{name: "inline kubeconfig", file: k8sFile + "  kubeconfigInline: 'apiVersion: v1'\n", wantType: Kubernetes},
		{name: "--context alone means kubernetes", env: map[string]string{"K8S_CURRENT_CONTEXT": "prod"}, wantType: Kubernetes},
		{name: "in a pod", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"},
			wantType: Kubernetes},
		{name: "explicit kubernetes without kubeconfig", env: map[string]string{"DATASTORE_TYPE": "kubernetes"}, wantType: Kubernetes},
		{name: "explicit kubernetes with home kubeconfig", env: map[string]string{"DATASTORE_TYPE": "kubernetes"}, homeKubeconfig: true,
			wantType: Kubernetes, wantKubeconfig: "HOMECFG"},
		{name: "explicit etcdv3 file ignores home kubeconfig", file: etcdFile, homeKubeconfig: true,
			wantType: EtcdV3, wantEndpoints: "http://10.0.0.1:2379"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			home := ""
			if tt.homeKubeconfig {
				home = writeHomeKubeconfig(t)
			}
			if tt.file != "" {
				writeFile(t, defaultPath, tt.file)
			}
			c, err := Load("")
			if err != nil {
				t.Fatal(err)
			}
			s := c.Spec
			wantKubeconfig := strings.ReplaceAll(tt.wantKubeconfig, "HOMECFG", home)
			if s.DatastoreType != tt.wantType || s.EtcdEndpoints != tt.wantEndpoints || s.Kubeconfig != wantKubeconfig {
				t.Errorf("got type %q endpoints %q kubeconfig %q, want %q %q %q",
					s.DatastoreType, s.EtcdEndpoints, s.Kubeconfig, tt.wantType, tt.wantEndpoints, wantKubeconfig)
			}
			if s.K8sClientQPS != 100 || s.K8sClientBurst != 300 {
				t.Errorf("QPS/burst = %v/%v, want 100/300", s.K8sClientQPS, s.K8sClientBurst)
			}
		})
	}
}

func TestCurrentContextOverridesFile(t *testing.T) {
	dir := isolate(t)
	path := writeFile(t, filepath.Join(dir, "c.cfg"),
		"apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: kubernetes\n"+
			"  kubeconfig: /k\n  k8sCurrentContext: from-file\n  k8sAPIEndpoint: https://file:6443\n")
	t.Setenv("K8S_API_ENDPOINT", "https://env:6443") // ignored: the file is used exclusively

	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec.K8sCurrentContext != "from-file" {
		t.Errorf("without K8S_CURRENT_CONTEXT: context = %q, want from-file", c.Spec.K8sCurrentContext)
	}

	t.Setenv("K8S_CURRENT_CONTEXT", "from-flag")
	c, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec.K8sCurrentContext != "from-flag" || c.Spec.K8sAPIEndpoint != "https://file:6443" {
		t.Errorf("context %q endpoint %q, want from-flag and the file's endpoint", c.Spec.K8sCurrentContext, c.Spec.K8sAPIEndpoint)
	}
}

func TestEtcdEndpointList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"http://a:2379", []string{"http://a:2379"}},
		{" http://a:2379 , https://b:2379,", []string{"http://a:2379", "https://b:2379"}},
	}
	for _, tt := range tests {
		s := CalicoAPIConfigSpec{EtcdConfig: EtcdConfig{EtcdEndpoints: tt.in}}
		if got := s.EtcdEndpointList(); strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("EtcdEndpointList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
