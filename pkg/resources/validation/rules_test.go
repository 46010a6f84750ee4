package validation

import (
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// The policy from seeds/003 (a DC/OS bookstore demo): two TCP ingress rules on port 80.
const bookstorePolicy = `
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
`

func TestBookstorePolicyValidates(t *testing.T) {
	var p api.NetworkPolicy
	if err := yaml.UnmarshalStrict([]byte(bookstorePolicy), &p); err != nil {
		t.Fatal(err)
	}
	p.Namespace = "default"
	if err := Metadata(api.KindNetworkPolicy, true, &p); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if err := NetworkPolicy(&p); err != nil {
		t.Fatalf("bookstore policy should validate: %v", err)
	}

	// The same rule without its protocol is refused with Calico's message.
	p.Spec.Ingress[0].Protocol = nil
	expectError(t, NetworkPolicy(&p), protocolPortsMsg, "spec.ingress[0].destination.ports")
}

// ingress wraps rules in a NetworkPolicy; egress in the egress list.
func ingress(rules ...api.Rule) *api.NetworkPolicy {
	return &api.NetworkPolicy{ObjectMeta: nsMeta("p"), Spec: api.NetworkPolicySpec{Ingress: rules}}
}

func egress(rules ...api.Rule) *api.NetworkPolicy {
	return &api.NetworkPolicy{ObjectMeta: nsMeta("p"), Spec: api.NetworkPolicySpec{Egress: rules}}
}

func TestRuleActionAndProtocol(t *testing.T) {
	run(t, NetworkPolicy, []tc[*api.NetworkPolicy]{
		{name: "allow everything", obj: ingress(api.Rule{Action: api.Allow})},
		{name: "every action", obj: ingress(api.Rule{Action: api.Deny}, api.Rule{Action: api.Log}, api.Rule{Action: api.Pass})},
		{name: "lower-case action", obj: ingress(api.Rule{Action: "allow"}), msg: "must be Allow, Deny, Log or Pass", field: "spec.ingress[0].action"},
		{name: "missing action", obj: egress(api.Rule{}), msg: "must be Allow, Deny, Log or Pass", field: "spec.egress[0].action"},
		{name: "ipVersion 6", obj: ingress(api.Rule{Action: api.Allow, IPVersion: ptr(6)})},
		{name: "ipVersion 5", obj: ingress(api.Rule{Action: api.Allow, IPVersion: ptr(5)}), msg: "must be 4 or 6", field: "spec.ingress[0].ipVersion"},
		{name: "protocol names", obj: ingress(
			api.Rule{Action: api.Allow, Protocol: proto("TCP")}, api.Rule{Action: api.Allow, Protocol: proto("UDPLite")},
			api.Rule{Action: api.Allow, Protocol: proto("sctp")}, api.Rule{Action: api.Allow, NotProtocol: proto("ICMPv6")})},
		{name: "protocol numbers 1 and 255", obj: ingress(
			api.Rule{Action: api.Allow, Protocol: protoNum(1)}, api.Rule{Action: api.Allow, Protocol: protoNum(255)})},
		{name: "protocol 0", obj: ingress(api.Rule{Action: api.Allow, Protocol: protoNum(0)}),
			msg: "protocol must be TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number from 1 to 255", field: "spec.ingress[0].protocol"},
		{name: "unknown protocol", obj: ingress(api.Rule{Action: api.Allow, Protocol: proto("GRE")}),
			msg: "protocol must be TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number from 1 to 255", field: "spec.ingress[0].protocol"},
		{name: "protocol any", obj: ingress(api.Rule{Action: api.Allow, Protocol: proto("any")}), msg: "protocol must be", field: "spec.ingress[0].protocol"},
		{name: "unknown notProtocol", obj: ingress(api.Rule{Action: api.Allow, NotProtocol: proto("bogus")}), msg: "protocol must be", field: "spec.ingress[0].notProtocol"},
	})
}

func TestRulePorts(t *testing.T) {
	dst := func(p *api.Protocol, ps []api.Port) api.Rule {
		return api.Rule{Action: api.Allow, Protocol: p, Destination: api.EntityRule{Ports: ps}}
	}
	run(t, NetworkPolicy, []tc[*api.NetworkPolicy]{
		{name: "TCP port", obj: ingress(dst(proto("TCP"), ports(80, 443)))},
		{name: "udp in lower case", obj: ingress(dst(proto("udp"), ports(53)))},
		{name: "SCTP range", obj: ingress(dst(proto("SCTP"), ports(api.Port{MinPort: 8000, MaxPort: 8080})))},
		{name: "protocol 6 by number", obj: ingress(dst(protoNum(6), ports(22)))},
		{name: "protocol 17 by number in notPorts", obj: ingress(api.Rule{Action: api.Allow, Protocol: protoNum(17), Source: api.EntityRule{NotPorts: ports(53)}})},
		{name: "named port", obj: ingress(dst(proto("TCP"), ports("http")))},
		{name: "ports without protocol", obj: ingress(dst(nil, ports(80))), msg: protocolPortsMsg, field: "spec.ingress[0].destination.ports"},
		{name: "named port without protocol", obj: ingress(dst(nil, ports("http"))), msg: protocolPortsMsg, field: "spec.ingress[0].destination.ports"},
		{name: "ports with ICMP", obj: ingress(dst(proto("ICMP"), ports(80))), msg: protocolPortsMsg, field: "spec.ingress[0].destination.ports"},
		{name: "ports with protocol 1", obj: ingress(dst(protoNum(1), ports(80))), msg: protocolPortsMsg, field: "spec.ingress[0].destination.ports"},
		{name: "source notPorts without protocol",
			obj: egress(api.Rule{Action: api.Allow, Source: api.EntityRule{NotPorts: ports(1024)}}), msg: protocolPortsMsg, field: "spec.egress[0].source.notPorts"},
		{name: "reversed range", obj: ingress(dst(proto("TCP"), ports(api.Port{MinPort: 9, MaxPort: 1}))),
			msg: "needs min <= max", field: "spec.ingress[0].destination.ports[0]"},
		{name: "port 0", obj: ingress(dst(proto("TCP"), ports(80, 0))), msg: "from 1 to 65535", field: "spec.ingress[0].destination.ports[1]"},
		{name: "invalid port name", obj: ingress(dst(proto("TCP"), ports("HTTP"))), msg: "invalid port name", field: "spec.ingress[0].destination.ports[0]"},
		{name: "port name too long", obj: ingress(dst(proto("TCP"), ports("a-very-long-port-name"))), msg: "invalid port name", field: "spec.ingress[0].destination.ports[0]"},
		{name: "named port with a number", obj: ingress(dst(proto("TCP"), ports(api.Port{PortName: "http", MinPort: 1, MaxPort: 1}))),
			msg: "cannot also have a port number", field: "spec.ingress[0].destination.ports[0]"},
	})
}

func TestRuleICMP(t *testing.T) {
	icmp := func(p *api.Protocol, typ, code *int) api.Rule {
		return api.Rule{Action: api.Allow, Protocol: p, ICMP: &api.ICMPFields{Type: typ, Code: code}}
	}
	run(t, NetworkPolicy, []tc[*api.NetworkPolicy]{
		{name: "echo request", obj: ingress(icmp(proto("ICMP"), ptr(8), ptr(0)))},
		{name: "ICMP with ipVersion 4", obj: ingress(api.Rule{Action: api.Allow, Protocol: proto("ICMP"), IPVersion: ptr(4)})},
		{name: "ICMPv6 type 128 by number 58", obj: ingress(icmp(protoNum(58), ptr(128), nil))},
		{name: "notICMP with ICMPv6", obj: ingress(api.Rule{Action: api.Allow, Protocol: proto("ICMPv6"), IPVersion: ptr(6), NotICMP: &api.ICMPFields{Type: ptr(1)}})},
		{name: "type 254 code 255", obj: ingress(icmp(proto("ICMP"), ptr(254), ptr(255)))},
		{name: "icmp without protocol", obj: ingress(icmp(nil, ptr(8), nil)), msg: protocolICMPMsg, field: "spec.ingress[0].icmp"},
		{name: "notICMP with TCP", obj: ingress(api.Rule{Action: api.Allow, Protocol: proto("TCP"), NotICMP: &api.ICMPFields{Type: ptr(8)}}),
			msg: protocolICMPMsg, field: "spec.ingress[0].notICMP"},
		{name: "type 255", obj: ingress(icmp(proto("ICMP"), ptr(255), nil)), msg: "from 0 to 254", field: "spec.ingress[0].icmp.type"},
		{name: "code 256", obj: ingress(icmp(proto("ICMP"), ptr(3), ptr(256))), msg: "from 0 to 255", field: "spec.ingress[0].icmp.code"},
		{name: "code without type", obj: ingress(icmp(proto("ICMP"), nil, ptr(0))), msg: "ICMP code specified without an ICMP type", field: "spec.ingress[0].icmp.code"},
		{name: "ICMP with ipVersion 6", obj: ingress(api.Rule{Action: api.Allow, Protocol: proto("ICMP"), IPVersion: ptr(6)}),
			msg: "protocol ICMP requires ipVersion 4", field: "spec.ingress[0].ipVersion"},
		{name: "ICMPv6 with ipVersion 4", obj: ingress(api.Rule{Action: api.Allow, Protocol: proto("ICMPv6"), IPVersion: ptr(4)}),
			msg: "protocol ICMPv6 requires ipVersion 6", field: "spec.ingress[0].ipVersion"},
		{name: "notProtocol ICMP with ipVersion 6", obj: ingress(api.Rule{Action: api.Allow, NotProtocol: proto("ICMP"), IPVersion: ptr(6)}),
			msg: "notProtocol ICMP requires ipVersion 4", field: "spec.ingress[0].ipVersion"},
	})
}

func TestRuleNets(t *testing.T) {
	nets := func(src, dst api.EntityRule) api.Rule {
		return api.Rule{Action: api.Allow, Source: src, Destination: dst}
	}
	run(t, NetworkPolicy, []tc[*api.NetworkPolicy]{
		{name: "IPv4 nets and notNets", obj: ingress(nets(
			api.EntityRule{Nets: []string{"10.0.0.0/8", "192.168.1.1/32"}}, api.EntityRule{NotNets: []string{"10.1.0.0/16"}}))},
		{name: "IPv6 nets with ipVersion 6", obj: ingress(api.Rule{Action: api.Allow, IPVersion: ptr(6), Source: api.EntityRule{Nets: []string{"fd00::/64"}}})},
		{name: "0.0.0.0/0 in nets", obj: ingress(nets(api.EntityRule{Nets: []string{"0.0.0.0/0"}}, api.EntityRule{}))},
		{name: "host bits set", obj: ingress(nets(api.EntityRule{Nets: []string{"10.1.0.1/16"}}, api.EntityRule{})),
			msg: "10.1.0.1/16 is not a network address: use 10.1.0.0/16", field: "spec.ingress[0].source.nets[0]"},
		{name: "not a CIDR", obj: ingress(nets(api.EntityRule{}, api.EntityRule{Nets: []string{"10.0.0.0/8", "ten"}})),
			msg: "must be a CIDR", field: "spec.ingress[0].destination.nets[1]"},
		{name: "bare address", obj: ingress(nets(api.EntityRule{Nets: []string{"10.0.0.1"}}, api.EntityRule{})),
			msg: "write 10.0.0.1/32", field: "spec.ingress[0].source.nets[0]"},
		{name: "notNets 0.0.0.0/0", obj: ingress(nets(api.EntityRule{}, api.EntityRule{NotNets: []string{"0.0.0.0/0"}})),
			msg: "notNets cannot contain 0.0.0.0/0", field: "spec.ingress[0].destination.notNets[0]"},
		{name: "notNets ::/0", obj: ingress(nets(api.EntityRule{NotNets: []string{"::/0"}}, api.EntityRule{})),
			msg: "notNets cannot contain ::/0", field: "spec.ingress[0].source.notNets[0]"},
		{name: "mixed IP versions", obj: ingress(nets(api.EntityRule{Nets: []string{"10.0.0.0/8"}}, api.EntityRule{Nets: []string{"fd00::/64"}})),
			msg: "rule contains both IPv4 and IPv6 CIDRs", field: "spec.ingress[0].destination.nets[0]"},
		{name: "ipVersion does not match", obj: ingress(api.Rule{Action: api.Allow, IPVersion: ptr(6), Destination: api.EntityRule{NotNets: []string{"10.0.0.0/8"}}}),
			msg: "ipVersion is 6 but 10.0.0.0/8 is an IPv4 network", field: "spec.ingress[0].destination.notNets[0]"},
	})
}

func TestRuleSelectors(t *testing.T) {
	src := func(e api.EntityRule) api.Rule { return api.Rule{Action: api.Allow, Source: e} }
	run(t, NetworkPolicy, []tc[*api.NetworkPolicy]{
		{name: "selectors", obj: ingress(src(api.EntityRule{Selector: "app == 'web'", NotSelector: "has(test)",
			NamespaceSelector: "team in {'a', 'b'}", ServiceAccounts: &api.ServiceAccountMatch{Names: []string{"api"}, Selector: "all()"}}))},
		{name: "namespaceSelector global() alone", obj: ingress(src(api.EntityRule{NamespaceSelector: "global()", Selector: "role == 'db'"}))},
		{name: "invalid selector shows the position", obj: ingress(src(api.EntityRule{Selector: "a == 1"})),
			msg: `invalid selector "a == 1"`, field: "spec.ingress[0].source.selector"},
		{name: "global() in selector", obj: ingress(src(api.EntityRule{Selector: "global()"})),
			msg: "global() can only be used in a rule's namespaceSelector", field: "spec.ingress[0].source.selector"},
		{name: "global() in notSelector", obj: egress(api.Rule{Action: api.Allow, Destination: api.EntityRule{NotSelector: "global() && has(a)"}}),
			msg: "global() can only be used", field: "spec.egress[0].destination.notSelector"},
		{name: "global() combined in namespaceSelector", obj: ingress(src(api.EntityRule{NamespaceSelector: "global() || has(a)"})),
			msg: "global() cannot be combined with other selectors", field: "spec.ingress[0].source.namespaceSelector"},
		{name: "invalid namespaceSelector", obj: ingress(src(api.EntityRule{NamespaceSelector: "a ="})),
			msg: "invalid selector", field: "spec.ingress[0].source.namespaceSelector"},
		{name: "global() in serviceAccounts selector", obj: ingress(src(api.EntityRule{ServiceAccounts: &api.ServiceAccountMatch{Selector: "global()"}})),
			msg: "global() can only be used", field: "spec.ingress[0].source.serviceAccounts.selector"},
		{name: "invalid service account name", obj: ingress(src(api.EntityRule{ServiceAccounts: &api.ServiceAccountMatch{Names: []string{"API"}}})),
			msg: "must be a resource name", field: "spec.ingress[0].source.serviceAccounts.names[0]"},
	})
}

func TestRuleServices(t *testing.T) {
	svc := &api.ServiceMatch{Name: "kube-dns", Namespace: "kube-system"}
	src := func(e api.EntityRule) api.Rule { return api.Rule{Action: api.Allow, Source: e} }
	run(t, NetworkPolicy, []tc[*api.NetworkPolicy]{
		{name: "service in ingress source", obj: ingress(src(api.EntityRule{Services: svc}))},
		{name: "service in egress destination", obj: egress(api.Rule{Action: api.Allow, Protocol: proto("UDP"), Destination: api.EntityRule{Services: svc}})},
		{name: "service ports in ingress source", obj: ingress(api.Rule{Action: api.Allow, Protocol: proto("TCP"), Source: api.EntityRule{Services: svc, Ports: ports(53)}})},
		{name: "no service name", obj: ingress(src(api.EntityRule{Services: &api.ServiceMatch{Namespace: "x"}})),
			msg: "services must specify a service name", field: "spec.ingress[0].source.services.name"},
		{name: "with namespaceSelector", obj: ingress(src(api.EntityRule{Services: svc, NamespaceSelector: "all()"})),
			msg: "cannot specify namespaceSelector and services", field: "spec.ingress[0].source.services"},
		{name: "with selector", obj: ingress(src(api.EntityRule{Services: svc, Selector: "a == 'b'"})),
			msg: "cannot specify selector/notSelector and services", field: "spec.ingress[0].source.services"},
		{name: "with nets", obj: ingress(src(api.EntityRule{Services: svc, Nets: []string{"10.0.0.0/8"}})),
			msg: "cannot specify nets/notNets and services", field: "spec.ingress[0].source.services"},
		{name: "with serviceAccounts", obj: ingress(src(api.EntityRule{Services: svc, ServiceAccounts: &api.ServiceAccountMatch{Names: []string{"a"}}})),
			msg: "cannot specify serviceAccounts and services", field: "spec.ingress[0].source.services"},
		{name: "destination ports with services",
			obj: egress(api.Rule{Action: api.Allow, Protocol: proto("TCP"), Destination: api.EntityRule{Services: svc, Ports: ports(53)}}),
			msg: "ports cannot be specified with services", field: "spec.egress[0].destination.ports"},
		{name: "destination notPorts with services",
			obj: egress(api.Rule{Action: api.Allow, Protocol: proto("TCP"), Destination: api.EntityRule{Services: svc, NotPorts: ports(53)}}),
			msg: "notPorts cannot be specified with services", field: "spec.egress[0].destination.notPorts"},
	})
}

func TestRuleHTTP(t *testing.T) {
	h := func(action api.Action, p *api.Protocol, m *api.HTTPMatch) api.Rule {
		return api.Rule{Action: action, Protocol: p, HTTP: m}
	}
	run(t, NetworkPolicy, []tc[*api.NetworkPolicy]{
		{name: "HTTP on TCP Allow", obj: ingress(h(api.Allow, proto("TCP"), &api.HTTPMatch{
			Methods: []string{"GET", "PUT"}, Paths: []api.HTTPPath{{Exact: "/healthz"}, {Prefix: "/api/"}}}))},
		{name: "HTTP without protocol", obj: ingress(h(api.Allow, nil, &api.HTTPMatch{Methods: []string{"GET"}}))},
		{name: "HTTP on Deny", obj: ingress(h(api.Deny, nil, &api.HTTPMatch{Methods: []string{"GET"}})),
			msg: "HTTP match is only valid on Allow rules", field: "spec.ingress[0].http"},
		{name: "HTTP on UDP", obj: ingress(h(api.Allow, proto("UDP"), &api.HTTPMatch{Methods: []string{"GET"}})),
			msg: "rules with HTTP match must have protocol TCP or unset", field: "spec.ingress[0].protocol"},
		{name: "duplicate method", obj: ingress(h(api.Allow, nil, &api.HTTPMatch{Methods: []string{"GET", "GET"}})),
			msg: "method GET is listed more than once", field: "spec.ingress[0].http.methods[1]"},
		{name: "exact and prefix", obj: ingress(h(api.Allow, nil, &api.HTTPMatch{Paths: []api.HTTPPath{{Exact: "/a", Prefix: "/b"}}})),
			msg: "set exactly one of exact or prefix", field: "spec.ingress[0].http.paths[0]"},
		{name: "neither exact nor prefix", obj: ingress(h(api.Allow, nil, &api.HTTPMatch{Paths: []api.HTTPPath{{}}})),
			msg: "set one of exact or prefix", field: "spec.ingress[0].http.paths[0]"},
		{name: "relative path", obj: ingress(h(api.Allow, nil, &api.HTTPMatch{Paths: []api.HTTPPath{{Exact: "healthz"}}})),
			msg: "must start with /", field: "spec.ingress[0].http.paths[0].exact"},
		{name: "query in path", obj: ingress(h(api.Allow, nil, &api.HTTPMatch{Paths: []api.HTTPPath{{Prefix: "/a?b=c"}}})),
			msg: "contain no space, ? or #", field: "spec.ingress[0].http.paths[0].prefix"},
	})
}

func TestRuleMetadata(t *testing.T) {
	run(t, NetworkPolicy, []tc[*api.NetworkPolicy]{
		{name: "annotations", obj: ingress(api.Rule{Action: api.Allow, Metadata: &api.RuleMetadata{Annotations: map[string]string{"example.com/why": "ops"}}})},
		{name: "invalid annotation key", obj: ingress(api.Rule{Action: api.Allow, Metadata: &api.RuleMetadata{Annotations: map[string]string{"a b": "x"}}}),
			msg: "invalid annotation key", field: "spec.ingress[0].metadata.annotations"},
	})
}
