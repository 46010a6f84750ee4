package node

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

func nodeRes(name, ip string, labels map[string]string, as uint32, clusterID string) *api.Node {
	n := &api.Node{}
	n.Name, n.Labels = name, labels
	n.Spec.BGP = &api.NodeBGPSpec{IPv4Address: ip, RouteReflectorClusterID: clusterID}
	if as != 0 {
		a := api.ASNumber(as)
		n.Spec.BGP.ASNumber = &a
	}
	return n
}

func peerRes(name string, spec api.BGPPeerSpec) *api.BGPPeer {
	p := &api.BGPPeer{Spec: spec}
	p.Name = name
	return p
}

func boolPtr(b bool) *bool { return &b }

var manual = api.ReversePeeringManual

func withV6(n *api.Node, ip6 string) *api.Node {
	c := *n
	b := *n.Spec.BGP
	b.IPv6Address = ip6
	c.Spec.BGP = &b
	return &c
}

// summary prints the peers as "Name AS passive rr".
func summary(d Desired) string {
	var out []string
	for _, p := range d.Peers {
		s := p.Name + " " + p.IP.String() + " as" + itoa(p.AS)
		if p.Port != 0 {
			s += " port" + itoa(uint32(p.Port))
		}
		if p.Passive {
			s += " passive"
		}
		if p.RRClient {
			s += " rr-client"
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func TestComputePeerings(t *testing.T) {
	three := []*api.Node{
		nodeRes("a", "10.0.0.1/24", map[string]string{"rack": "1"}, 0, ""),
		nodeRes("b", "10.0.0.2/24", map[string]string{"rack": "1", "rr": "true"}, 0, ""),
		nodeRes("c", "10.0.0.10/24", map[string]string{"rack": "2"}, 65010, ""),
	}
	as := func(n uint32) *api.ASNumber { a := api.ASNumber(n); return &a }
	cases := []struct {
		name    string
		me      string
		nodes   []*api.Node
		peers   []*api.BGPPeer
		configs map[string]*api.BGPConfiguration
		want    string
		wantAS  uint32
		err     string
	}{
		{name: "full mesh: the higher address (as a string) is passive", me: "a", nodes: three,
			want: "Mesh_10_0_0_10 10.0.0.10 as65010 passive; Mesh_10_0_0_2 10.0.0.2 as64512 passive", wantAS: 64512},
		{name: "string comparison, not numeric: 10.0.0.10 < 10.0.0.2", me: "b", nodes: three,
			want: "Mesh_10_0_0_1 10.0.0.1 as64512; Mesh_10_0_0_10 10.0.0.10 as65010", wantAS: 64512},
		{name: "global AS number", me: "a", nodes: three, configs: map[string]*api.BGPConfiguration{"default": {Spec: api.BGPConfigurationSpec{ASNumber: as(65000)}}},
			want: "Mesh_10_0_0_10 10.0.0.10 as65010 passive; Mesh_10_0_0_2 10.0.0.2 as65000 passive", wantAS: 65000},
		{name: "mesh off leaves the global peer only", me: "a", nodes: three,
			configs: map[string]*api.BGPConfiguration{"default": {Spec: api.BGPConfigurationSpec{NodeToNodeMeshEnabled: boolPtr(false)}}},
			peers:   []*api.BGPPeer{peerRes("tor", api.BGPPeerSpec{PeerIP: "192.0.2.1", ASNumber: 65100})},
			want:    "Global_192_0_2_1 192.0.2.1 as65100", wantAS: 64512},
		{name: "node-specific by name, by selector, and a port", me: "a", nodes: three,
			configs: map[string]*api.BGPConfiguration{"default": {Spec: api.BGPConfigurationSpec{NodeToNodeMeshEnabled: boolPtr(false)}}},
			peers: []*api.BGPPeer{
				peerRes("p1", api.BGPPeerSpec{Node: "a", PeerIP: "192.0.2.5:1179", ASNumber: 65100}),
				peerRes("p2", api.BGPPeerSpec{NodeSelector: "rack == '1'", PeerIP: "192.0.2.6", ASNumber: 65100}),
				peerRes("p3", api.BGPPeerSpec{Node: "b", PeerIP: "192.0.2.7", ASNumber: 65100}),
			},
			want: "Node_192_0_2_5_port_1179 192.0.2.5 as65100 port1179; Node_192_0_2_6 192.0.2.6 as65100", wantAS: 64512},
		{name: "a node-specific peering duplicating a global one is dropped", me: "a", nodes: three,
			configs: map[string]*api.BGPConfiguration{"default": {Spec: api.BGPConfigurationSpec{NodeToNodeMeshEnabled: boolPtr(false)}}},
			peers: []*api.BGPPeer{
				peerRes("n", api.BGPPeerSpec{Node: "a", PeerIP: "192.0.2.1", ASNumber: 65100}),
				peerRes("g", api.BGPPeerSpec{PeerIP: "192.0.2.1", ASNumber: 65100}),
			},
			want: "Global_192_0_2_1 192.0.2.1 as65100", wantAS: 64512},
		{name: "peerSelector peers with the selected nodes; a route reflector skips the mesh and has clients", me: "b",
			nodes: []*api.Node{three[0], nodeRes("b", "10.0.0.2/24", map[string]string{"rr": "true"}, 0, "1.1.1.1"), three[2]},
			peers: []*api.BGPPeer{peerRes("to-rr", api.BGPPeerSpec{NodeSelector: "!has(rr)", PeerSelector: "has(rr)"}),
				peerRes("rr-to-all", api.BGPPeerSpec{NodeSelector: "has(rr)", PeerSelector: "!has(rr)"})},
			want: "Node_10_0_0_1 10.0.0.1 as64512 rr-client; Node_10_0_0_10 10.0.0.10 as65010", wantAS: 64512},
		{name: "a client's peering with the reflector; the reflector leaves the client's mesh", me: "a",
			nodes: []*api.Node{three[0], nodeRes("b", "10.0.0.2/24", map[string]string{"rr": "true"}, 0, "1.1.1.1"), three[2]},
			peers: []*api.BGPPeer{peerRes("to-rr", api.BGPPeerSpec{NodeSelector: "!has(rr)", PeerSelector: "has(rr)"})},
			want:  "Mesh_10_0_0_10 10.0.0.10 as65010 passive; Node_10_0_0_2 10.0.0.2 as64512", wantAS: 64512},
		{name: "a reflector picked by peerSelector peers back with every node the peering applies to", me: "b",
			nodes: []*api.Node{three[0], nodeRes("b", "10.0.0.2/24", map[string]string{"rr": "true"}, 0, "1.1.1.1"), three[2]},
			peers: []*api.BGPPeer{peerRes("to-rr", api.BGPPeerSpec{NodeSelector: "all()", PeerSelector: "has(rr)"})},
			want:  "Node_10_0_0_1 10.0.0.1 as64512 rr-client; Node_10_0_0_10 10.0.0.10 as65010", wantAS: 64512},
		{name: "no reverse peering when it is Manual", me: "b",
			nodes: []*api.Node{three[0], nodeRes("b", "10.0.0.2/24", map[string]string{"rr": "true"}, 0, "1.1.1.1"), three[2]},
			peers: []*api.BGPPeer{peerRes("to-rr", api.BGPPeerSpec{NodeSelector: "all()", PeerSelector: "has(rr)", ReversePeering: &manual})},
			want:  "", wantAS: 64512},
		{name: "IPv6 sessions beside the IPv4 ones, by the same rules", me: "a",
			nodes: []*api.Node{withV6(three[0], "fd00::1/64"), withV6(three[1], "fd00::2/64"), three[2]},
			peers: []*api.BGPPeer{peerRes("tor6", api.BGPPeerSpec{PeerIP: "fd00::99", ASNumber: 65100}), peerRes("tor4", api.BGPPeerSpec{PeerIP: "192.0.2.1", ASNumber: 65100})},
			want:  "Global_192_0_2_1 192.0.2.1 as65100; Global_fd00__99 fd00::99 as65100; Mesh_10_0_0_10 10.0.0.10 as65010 passive; Mesh_10_0_0_2 10.0.0.2 as64512 passive; Mesh_fd00__2 fd00::2 as64512 passive", wantAS: 64512},
		{name: "the node's own AS number wins", me: "c", nodes: three,
			want: "Mesh_10_0_0_1 10.0.0.1 as64512; Mesh_10_0_0_2 10.0.0.2 as64512 passive", wantAS: 65010},
		{name: "a peer on our own address is skipped", me: "a", nodes: three[:1],
			peers: []*api.BGPPeer{peerRes("self", api.BGPPeerSpec{PeerIP: "10.0.0.1", ASNumber: 64512})}, want: "", wantAS: 64512},
		{name: "peer IP that is not an address", me: "a", nodes: three,
			peers: []*api.BGPPeer{peerRes("bad", api.BGPPeerSpec{PeerIP: "not-an-ip", ASNumber: 1})},
			err:   `BGPPeer bad: spec.peerIP: "not-an-ip" is not an IP address`},
		{name: "node missing", me: "zz", nodes: three, err: "node zz is not in the datastore"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			configs := tc.configs
			if configs == nil {
				configs = map[string]*api.BGPConfiguration{}
			}
			d, err := Compute(Snapshot{NodeName: tc.me, Nodes: tc.nodes, Peers: tc.peers, Configs: configs})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(d); got != tc.want {
				t.Errorf("peers:\n got  %s\n want %s", got, tc.want)
			}
			if d.AS != tc.wantAS {
				t.Errorf("AS %d, want %d", d.AS, tc.wantAS)
			}
		})
	}
}

func TestRouterID(t *testing.T) {
	ip := netip.MustParseAddr("10.0.0.1")
	for _, tc := range []struct{ env, want string }{{"", "10.0.0.1"}, {"192.0.2.9", "192.0.2.9"}} {
		if got := routerID(tc.env, "node1", ip); got != tc.want {
			t.Errorf("routerID(%q) = %s, want %s", tc.env, got, tc.want)
		}
	}
	h := routerID("hash", "node1", netip.Addr{})
	a, err := netip.ParseAddr(h)
	if err != nil || !a.Is4() || a.As4()[0] > 223 || h != routerID("hash", "node1", ip) || h == routerID("hash", "node2", ip) {
		t.Errorf("hash router ID %q: want a stable IPv4 address below 224.0.0.0, different per node", h)
	}
}
