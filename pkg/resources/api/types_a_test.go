package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Each manifest must decode with unknown-field checking and encode back to exactly the JSON Calico
// writes for it: same names, same order, same omissions.
func TestManifestsDecodeStrictlyAndEncodeAsCalicoDoes(t *testing.T) {
	cases := []struct {
		name string
		obj  any
		yaml string
		json string
	}{
		{
			// The bookstore policy of the DC/OS seed article.
			name: "NetworkPolicy bookstore",
			obj:  &NetworkPolicy{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-bookstore-cliient-to-server
spec:
  selector: biz_type == 'bookstore' && role == 'server'
  types:
  - Ingress
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: biz_type == 'bookstore'
    destination:
      ports:
      - 80
  - action: Deny
    protocol: TCP
    source:
      selector: biz_type == 'fruitstore'
    destination:
      ports:
      - 80
`,
			json: `{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3",` +
				`"metadata":{"name":"allow-bookstore-cliient-to-server"},` +
				`"spec":{"ingress":[` +
				`{"action":"Allow","protocol":"TCP","source":{"selector":"biz_type == 'bookstore'"},"destination":{"ports":[80]}},` +
				`{"action":"Deny","protocol":"TCP","source":{"selector":"biz_type == 'fruitstore'"},"destination":{"ports":[80]}}],` +
				`"selector":"biz_type == 'bookstore' \u0026\u0026 role == 'server'","types":["Ingress"]}}`,
		},
		{
			name: "NetworkPolicy every field",
			obj:  &NetworkPolicy{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: platform.web, namespace: prod}
spec:
  tier: platform
  order: 100.5
  selector: app == 'web'
  serviceAccountSelector: role == 'frontend'
  performanceHints: [AssumeNeededOnEveryNode]
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    ipVersion: 4
    protocol: 6
    notProtocol: UDP
    http:
      methods: [GET]
      paths: [{exact: /healthz}, {prefix: /api}]
    metadata:
      annotations: {owner: team-a}
    source:
      nets: [10.0.0.0/8]
      notNets: [10.1.0.0/16]
      namespaceSelector: team == 'a'
      selector: app == 'lb'
      notSelector: bad == 'true'
      ports: ["1000:2000", http]
      notPorts: [22]
      serviceAccounts: {names: [sa1], selector: "x == 'y'"}
    destination:
      services: {name: web, namespace: prod}
  egress:
  - action: Allow
    protocol: ICMP
    icmp: {type: 8, code: 0}
    notICMP: {type: 3}
  - action: Pass
`,
			json: `{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3",` +
				`"metadata":{"name":"platform.web","namespace":"prod"},` +
				`"spec":{"tier":"platform","order":100.5,"ingress":[{"action":"Allow","ipVersion":4,"protocol":6,"notProtocol":"UDP",` +
				`"source":{"nets":["10.0.0.0/8"],"selector":"app == 'lb'","namespaceSelector":"team == 'a'","ports":["1000:2000","http"],` +
				`"notNets":["10.1.0.0/16"],"notSelector":"bad == 'true'","notPorts":[22],"serviceAccounts":{"names":["sa1"],"selector":"x == 'y'"}},` +
				`"destination":{"services":{"name":"web","namespace":"prod"}},` +
				`"http":{"methods":["GET"],"paths":[{"exact":"/healthz"},{"prefix":"/api"}]},"metadata":{"annotations":{"owner":"team-a"}}}],` +
				`"egress":[{"action":"Allow","protocol":"ICMP","icmp":{"type":8,"code":0},"notICMP":{"type":3}},{"action":"Pass"}],` +
				`"selector":"app == 'web'","types":["Ingress","Egress"],"serviceAccountSelector":"role == 'frontend'",` +
				`"performanceHints":["AssumeNeededOnEveryNode"]}}`,
		},
		{
			name: "GlobalNetworkPolicy pre-DNAT",
			obj:  &GlobalNetworkPolicy{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-nodeports}
spec:
  tier: default
  order: 10
  preDNAT: true
  doNotTrack: false
  applyOnForward: true
  selector: has(host-endpoint)
  namespaceSelector: all()
  serviceAccountSelector: all()
  performanceHints: [AssumeNeededOnEveryNode]
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: ["30000:32767"]}
`,
			json: `{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"allow-nodeports"},` +
				`"spec":{"tier":"default","order":10,"ingress":[{"action":"Allow","protocol":"TCP","destination":{"ports":["30000:32767"]}}],` +
				`"selector":"has(host-endpoint)","types":["Ingress"],"preDNAT":true,"applyOnForward":true,` +
				`"serviceAccountSelector":"all()","namespaceSelector":"all()","performanceHints":["AssumeNeededOnEveryNode"]}}`,
		},
		{
			name: "StagedNetworkPolicy",
			obj:  &StagedNetworkPolicy{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: default.try, namespace: dev}
spec:
  stagedAction: Set
  tier: default
  order: 1
  selector: all()
  serviceAccountSelector: all()
  performanceHints: [AssumeNeededOnEveryNode]
  types: [Egress]
  egress: [{action: Deny, protocol: UDP, destination: {ports: [53]}}]
`,
			json: `{"kind":"StagedNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"default.try","namespace":"dev"},` +
				`"spec":{"stagedAction":"Set","tier":"default","order":1,"egress":[{"action":"Deny","protocol":"UDP","destination":{"ports":[53]}}],` +
				`"selector":"all()","types":["Egress"],"serviceAccountSelector":"all()","performanceHints":["AssumeNeededOnEveryNode"]}}`,
		},
		{
			name: "StagedGlobalNetworkPolicy delete",
			obj:  &StagedGlobalNetworkPolicy{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: retire-me}
spec: {stagedAction: Delete, tier: default, doNotTrack: true, applyOnForward: true, namespaceSelector: "x == 'y'"}
`,
			json: `{"kind":"StagedGlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"retire-me"},` +
				`"spec":{"stagedAction":"Delete","tier":"default","doNotTrack":true,"applyOnForward":true,"namespaceSelector":"x == 'y'"}}`,
		},
		{
			name: "StagedKubernetesNetworkPolicy",
			obj:  &StagedKubernetesNetworkPolicy{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: StagedKubernetesNetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  stagedAction: Learn
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: lb}}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports:
    - {protocol: TCP, port: 80}
    - {protocol: TCP, port: http}
  egress:
  - to: [{namespaceSelector: {}}]
    ports: [{protocol: UDP, port: 53, endPort: 54}]
`,
			json: `{"kind":"StagedKubernetesNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"web","namespace":"prod"},` +
				`"spec":{"stagedAction":"Learn","podSelector":{"matchLabels":{"app":"web"}},` +
				`"ingress":[{"ports":[{"protocol":"TCP","port":80},{"protocol":"TCP","port":"http"}],` +
				`"from":[{"podSelector":{"matchLabels":{"app":"lb"}}},{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}],` +
				`"egress":[{"ports":[{"protocol":"UDP","port":53,"endPort":54}],"to":[{"namespaceSelector":{}}]}],` +
				`"policyTypes":["Ingress","Egress"]}}`,
		},
		{
			// An empty podSelector is written, not omitted: Calico's tag has no omitempty.
			name: "StagedKubernetesNetworkPolicy empty podSelector",
			obj:  &StagedKubernetesNetworkPolicy{},
			yaml: `{apiVersion: projectcalico.org/v3, kind: StagedKubernetesNetworkPolicy, metadata: {name: deny-all, namespace: a}, spec: {podSelector: {}}}`,
			json: `{"kind":"StagedKubernetesNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"deny-all","namespace":"a"},` +
				`"spec":{"podSelector":{}}}`,
		},
		{
			name: "Tier",
			obj:  &Tier{},
			yaml: `{apiVersion: projectcalico.org/v3, kind: Tier, metadata: {name: kube-admin}, spec: {order: 1000, defaultAction: Pass}}`,
			json: `{"kind":"Tier","apiVersion":"projectcalico.org/v3","metadata":{"name":"kube-admin"},"spec":{"order":1000,"defaultAction":"Pass"},"status":{}}`,
		},
		{
			// The default profile of the DC/OS seed article, as calicoctl printed it. Calico now
			// omits the empty source and destination on output.
			name: "Profile from the seed",
			obj:  &Profile{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  creationTimestamp: 2019-12-23T04:16:55Z
  name: calico
  resourceVersion: "75"
  uid: 0e105ecb-253b-11ea-9e52-065b6833052c
spec:
  egress:
  - action: Allow
    source: {}
  ingress:
  - action: Allow
    destination: {}
    source:
      selector: has(calico)
  labelsToApply:
    calico: ""
`,
			json: `{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{"name":"calico",` +
				`"uid":"0e105ecb-253b-11ea-9e52-065b6833052c","resourceVersion":"75","creationTimestamp":"2019-12-23T04:16:55Z"},` +
				`"spec":{"ingress":[{"action":"Allow","source":{"selector":"has(calico)"}}],"egress":[{"action":"Allow"}],` +
				`"labelsToApply":{"calico":""}}}`,
		},
		{
			name: "NetworkSet",
			obj:  &NetworkSet{},
			yaml: `{apiVersion: projectcalico.org/v3, kind: NetworkSet, metadata: {name: ext, namespace: a, labels: {role: db}}, spec: {nets: [198.51.100.0/28, 2001:db8::/64]}}`,
			json: `{"kind":"NetworkSet","apiVersion":"projectcalico.org/v3","metadata":{"name":"ext","namespace":"a","labels":{"role":"db"}},` +
				`"spec":{"nets":["198.51.100.0/28","2001:db8::/64"]}}`,
		},
		{
			name: "GlobalNetworkSet",
			obj:  &GlobalNetworkSet{},
			yaml: `{apiVersion: projectcalico.org/v3, kind: GlobalNetworkSet, metadata: {name: ext}, spec: {nets: [1.2.3.4]}}`,
			json: `{"kind":"GlobalNetworkSet","apiVersion":"projectcalico.org/v3","metadata":{"name":"ext"},"spec":{"nets":["1.2.3.4"]}}`,
		},
		{
			name: "HostEndpoint",
			obj:  &HostEndpoint{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: myhost.eth0, labels: {role: ingress}}
spec:
  node: myhost
  interfaceName: eth0
  expectedIPs: [192.168.0.1, 2001:db8::1]
  profiles: [projectcalico-default-allow]
  ports:
  - {name: web, protocol: TCP, port: 8080}
  - {name: dns, protocol: "17", port: 53}
`,
			json: `{"kind":"HostEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"myhost.eth0","labels":{"role":"ingress"}},` +
				`"spec":{"node":"myhost","interfaceName":"eth0","expectedIPs":["192.168.0.1","2001:db8::1"],"profiles":["projectcalico-default-allow"],` +
				`"ports":[{"name":"web","protocol":"TCP","port":8080},{"name":"dns","protocol":17,"port":53}]}}`,
		},
		{
			name: "WorkloadEndpoint",
			obj:  &WorkloadEndpoint{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: node1-k8s-frontend--abc-eth0
  namespace: default
  labels: {app: frontend}
spec:
  orchestrator: k8s
  workload: ""
  node: node1
  containerID: 1234abcd
  pod: frontend-abc
  endpoint: eth0
  serviceAccountName: default
  ipNetworks: [10.65.0.2/32]
  ipNATs: [{internalIP: 10.65.0.2, externalIP: 172.16.0.9}]
  ipv4Gateway: 169.254.1.1
  ipv6Gateway: fe80::1
  profiles: [kns.default, ksa.default.default]
  interfaceName: cali0ef24ba
  mac: ca:fe:1d:52:bb:e9
  ports:
  - {name: http, protocol: TCP, port: 80, hostPort: 8080, hostIP: 0.0.0.0}
  - {name: metrics, protocol: TCP, port: 9090}
  allowSpoofedSourcePrefixes: [10.70.0.0/16]
  qosControls:
    ingressBandwidth: 1000000
    ingressBurst: 4294967296
    ingressPeakrate: 2000000
    ingressMinburst: 1500
    egressBandwidth: 1000000
    egressBurst: 4294967296
    egressPeakrate: 2000000
    egressMinburst: 1500
    ingressPacketRate: 100
    ingressPacketBurst: 5
    egressPacketRate: 100
    egressPacketBurst: 5
    ingressMaxConnections: 10
    egressMaxConnections: 20
    dscp: AF11
`,
			json: `{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3",` +
				`"metadata":{"name":"node1-k8s-frontend--abc-eth0","namespace":"default","labels":{"app":"frontend"}},` +
				`"spec":{"orchestrator":"k8s","node":"node1","containerID":"1234abcd","pod":"frontend-abc","endpoint":"eth0",` +
				`"serviceAccountName":"default","ipNetworks":["10.65.0.2/32"],"ipNATs":[{"internalIP":"10.65.0.2","externalIP":"172.16.0.9"}],` +
				`"ipv4Gateway":"169.254.1.1","ipv6Gateway":"fe80::1","profiles":["kns.default","ksa.default.default"],` +
				`"interfaceName":"cali0ef24ba","mac":"ca:fe:1d:52:bb:e9",` +
				`"ports":[{"name":"http","protocol":"TCP","port":80,"hostPort":8080,"hostIP":"0.0.0.0"},` +
				`{"name":"metrics","protocol":"TCP","port":9090,"hostPort":0,"hostIP":""}],` +
				`"allowSpoofedSourcePrefixes":["10.70.0.0/16"],` +
				`"qosControls":{"ingressBandwidth":1000000,"ingressBurst":4294967296,"ingressPeakrate":2000000,"ingressMinburst":1500,` +
				`"egressBandwidth":1000000,"egressBurst":4294967296,"egressPeakrate":2000000,"egressMinburst":1500,` +
				`"ingressPacketRate":100,"ingressPacketBurst":5,"egressPacketRate":100,"egressPacketBurst":5,` +
				`"ingressMaxConnections":10,"egressMaxConnections":20,"dscp":"AF11"}}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := yaml.UnmarshalStrict([]byte(tc.yaml), tc.obj); err != nil {
				t.Fatalf("strict decode: %v", err)
			}
			got, err := json.Marshal(tc.obj)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if string(got) != tc.json {
				t.Errorf("JSON differs\n got: %s\nwant: %s", got, tc.json)
			}
			// The JSON must read back to the same object.
			again := reflect.New(reflect.TypeOf(tc.obj).Elem()).Interface()
			if err := yaml.UnmarshalStrict(got, again); err != nil {
				t.Fatalf("strict decode of own output: %v", err)
			}
			if !reflect.DeepEqual(again, tc.obj) {
				t.Errorf("round trip changed the object\n got: %+v\nwant: %+v", again, tc.obj)
			}
		})
	}
}

func TestManifestsWithBadFieldsAreRejected(t *testing.T) {
	cases := []struct {
		name    string
		obj     any
		yaml    string
		errPart string
	}{
		{"unknown spec field", &NetworkPolicy{}, `{kind: NetworkPolicy, spec: {selectr: all()}}`, "selectr"},
		{"unknown rule field", &GlobalNetworkPolicy{}, `{spec: {ingress: [{action: Allow, protocols: TCP}]}}`, "protocols"},
		{"unknown entity field", &Profile{}, `{spec: {egress: [{action: Allow, destination: {port: [80]}}]}}`, "port"},
		{"object as port", &NetworkPolicy{}, `{spec: {ingress: [{action: Allow, destination: {ports: [{}]}}]}}`, "uint16"},
		{"reversed port range", &NetworkPolicy{}, `{spec: {ingress: [{action: Allow, destination: {ports: ["5:1"]}}]}}`, "greater than"},
		{"object as protocol", &NetworkPolicy{}, `{spec: {ingress: [{action: Allow, protocol: {name: TCP}}]}}`, "uint8"},
		{"protocol number too big", &HostEndpoint{}, `{spec: {ports: [{name: a, protocol: 300, port: 1}]}}`, "uint8"},
		{"unknown workload port field", &WorkloadEndpoint{}, `{spec: {ports: [{name: a, hostAddress: 1.2.3.4}]}}`, "hostAddress"},
		{"unknown tier field", &Tier{}, `{spec: {order: 1, action: Pass}}`, "action"},
		{"unknown k8s rule field", &StagedKubernetesNetworkPolicy{}, `{spec: {podSelector: {}, ingress: [{source: []}]}}`, "source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := yaml.UnmarshalStrict([]byte(tc.yaml), tc.obj)
			if err == nil {
				t.Fatalf("decoded without error: %+v", tc.obj)
			}
			if !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("error %q does not mention %q", err, tc.errPart)
			}
		})
	}
}

// Port accepts what Calico's numorstring.Port accepts, and writes a single port as a number, a
// range as "min:max" and a name as a string.
func TestPortJSONShapes(t *testing.T) {
	cases := []struct {
		in      string
		want    Port
		out     string
		wantErr bool
	}{
		{in: `80`, want: SinglePort(80), out: `80`},
		{in: `0`, want: SinglePort(0), out: `0`},
		{in: `65535`, want: SinglePort(65535), out: `65535`},
		{in: `"80"`, want: SinglePort(80), out: `80`},
		{in: `"1000:2000"`, want: Port{MinPort: 1000, MaxPort: 2000}, out: `"1000:2000"`},
		{in: `"7:7"`, want: SinglePort(7), out: `7`},
		{in: `"http"`, want: Port{PortName: "http"}, out: `"http"`},
		{in: `"metrics_port.v2-x"`, want: Port{PortName: "metrics_port.v2-x"}, out: `"metrics_port.v2-x"`},
		{in: `{}`, wantErr: true},
		{in: `[]`, wantErr: true},
		{in: `true`, wantErr: true},
		{in: `-1`, wantErr: true},
		{in: `65536`, wantErr: true},
		{in: `1.5`, wantErr: true},
		{in: `"65536"`, wantErr: true},
		{in: `"0:65536"`, wantErr: true},
		{in: `"5:1"`, wantErr: true},
		{in: `"1:2:3"`, wantErr: true},
		{in: `"-1:5"`, wantErr: true},
		{in: `"*"`, wantErr: true},
		{in: `"http port"`, wantErr: true},
		{in: `""`, wantErr: true},
		{in: `"` + strings.Repeat("p", 129) + `"`, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			var p Port
			err := json.Unmarshal([]byte(tc.in), &p)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("accepted %s as %+v", tc.in, p)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode %s: %v", tc.in, err)
			}
			if p != tc.want {
				t.Errorf("decoded %+v, want %+v", p, tc.want)
			}
			out, err := json.Marshal(p)
			if err != nil || string(out) != tc.out {
				t.Errorf("encoded %s (err %v), want %s", out, err, tc.out)
			}
		})
	}
}

// YAML writers rarely quote ranges; a bare 1000:2000 must still read as a range.
func TestPortRangeUnquotedInYAML(t *testing.T) {
	var r EntityRule
	if err := yaml.UnmarshalStrict([]byte("ports: [1000:2000, 80, http]"), &r); err != nil {
		t.Fatal(err)
	}
	want := []Port{{MinPort: 1000, MaxPort: 2000}, SinglePort(80), {PortName: "http"}}
	if !reflect.DeepEqual(r.Ports, want) {
		t.Errorf("got %+v, want %+v", r.Ports, want)
	}
}

// Protocol keeps a name as written and a number as a number; a numeric string becomes a number.
func TestProtocolJSONShapes(t *testing.T) {
	cases := []struct {
		in      string
		want    Protocol
		out     string
		wantErr bool
	}{
		{in: `6`, want: ProtocolFromInt(6), out: `6`},
		{in: `0`, want: ProtocolFromInt(0), out: `0`},
		{in: `255`, want: ProtocolFromInt(255), out: `255`},
		{in: `"TCP"`, want: ProtocolFromString("TCP"), out: `"TCP"`},
		{in: `"ICMPv6"`, want: ProtocolFromString("icmpv6"), out: `"ICMPv6"`},
		{in: `"tcp"`, want: Protocol{Type: NumOrStringString, StrVal: "tcp"}, out: `"tcp"`},
		{in: `"17"`, want: ProtocolFromInt(17), out: `17`},
		{in: `"256"`, want: Protocol{Type: NumOrStringString, StrVal: "256"}, out: `"256"`},
		{in: `{}`, wantErr: true},
		{in: `[]`, wantErr: true},
		{in: `true`, wantErr: true},
		{in: `256`, wantErr: true},
		{in: `-1`, wantErr: true},
		{in: `6.5`, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			var p Protocol
			err := json.Unmarshal([]byte(tc.in), &p)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("accepted %s as %+v", tc.in, p)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode %s: %v", tc.in, err)
			}
			if p != tc.want {
				t.Errorf("decoded %+v, want %+v", p, tc.want)
			}
			out, err := json.Marshal(p)
			if err != nil || string(out) != tc.out {
				t.Errorf("encoded %s (err %v), want %s", out, err, tc.out)
			}
		})
	}
}

func TestProtocolHelpers(t *testing.T) {
	cases := []struct {
		p             Protocol
		str           string
		supportsPorts bool
	}{
		{ProtocolFromString("tcp"), "TCP", true},
		{ProtocolFromString("Udp"), "UDP", true},
		{ProtocolFromString("sctp"), "SCTP", true},
		{ProtocolFromString("udplite"), "UDPLite", false},
		{ProtocolFromString("ICMP"), "ICMP", false},
		{ProtocolFromString("ANY"), "any", false},
		{ProtocolFromString("foo"), "foo", false},
		{ProtocolFromInt(6), "6", true},
		{ProtocolFromInt(17), "17", true},
		{ProtocolFromInt(132), "132", true},
		{ProtocolFromInt(1), "1", false},
	}
	for _, tc := range cases {
		if got := tc.p.String(); got != tc.str {
			t.Errorf("%+v: String() = %q, want %q", tc.p, got, tc.str)
		}
		if got := tc.p.SupportsPorts(); got != tc.supportsPorts {
			t.Errorf("%s: SupportsPorts() = %v, want %v", tc.str, got, tc.supportsPorts)
		}
	}
	if n, err := ProtocolFromString("58").NumValue(); err != nil || n != 58 {
		t.Errorf(`NumValue of "58" = %d, %v`, n, err)
	}
	if _, err := ProtocolFromString("TCP").NumValue(); err == nil {
		t.Error("NumValue of TCP should fail")
	}
}

func TestPortHelpers(t *testing.T) {
	cases := []struct {
		in      string
		want    Port
		str     string
		wantErr bool
	}{
		{in: "22", want: SinglePort(22), str: "22"},
		{in: "1:65535", want: Port{MinPort: 1, MaxPort: 65535}, str: "1:65535"},
		{in: "https", want: Port{PortName: "https"}, str: "https"},
		{in: "9:8", wantErr: true},
		{in: "a b", wantErr: true},
	}
	for _, tc := range cases {
		p, err := PortFromString(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("PortFromString(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if tc.wantErr {
			continue
		}
		if p != tc.want || p.String() != tc.str {
			t.Errorf("PortFromString(%q) = %+v (%q), want %+v (%q)", tc.in, p, p, tc.want, tc.str)
		}
	}
	if _, err := PortFromRange(10, 9); err == nil {
		t.Error("PortFromRange(10, 9) should fail")
	}
	if _, err := NamedPort("8080"); err != nil {
		t.Errorf("NamedPort(8080): %v", err)
	}
	if !AllPortsAreNamed([]Port{{PortName: "a"}}) || AllPortsAreNamed([]Port{{PortName: "a"}, SinglePort(1)}) {
		t.Error("AllPortsAreNamed")
	}
}

func TestDSCPJSONShapes(t *testing.T) {
	cases := []struct {
		in, out string
		valid   bool
		num     uint8
	}{
		{`46`, `46`, true, 46},
		{`"af11"`, `"af11"`, true, 10},
		{`"EF"`, `"EF"`, true, 46},
		{`"40"`, `40`, true, 40},
		{`64`, `64`, false, 64},
		{`"CS9"`, `"CS9"`, false, 0},
	}
	for _, tc := range cases {
		var d DSCP
		if err := json.Unmarshal([]byte(tc.in), &d); err != nil {
			t.Fatalf("decode %s: %v", tc.in, err)
		}
		out, _ := json.Marshal(d)
		if string(out) != tc.out {
			t.Errorf("%s encoded as %s, want %s", tc.in, out, tc.out)
		}
		if (d.Validate() == nil) != tc.valid {
			t.Errorf("%s: Validate() = %v, want valid %v", tc.in, d.Validate(), tc.valid)
		}
		if d.ToUint8() != tc.num {
			t.Errorf("%s: ToUint8() = %d, want %d", tc.in, d.ToUint8(), tc.num)
		}
	}
	if DSCPFromString("af42").StrVal != "AF42" {
		t.Error("DSCPFromString should canonicalise known names")
	}
}
