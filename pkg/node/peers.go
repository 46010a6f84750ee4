package node

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/selector"
	"github.com/calicoctl-go/calicoctl/pkg/settings"
)

// Snapshot is what the BGP configuration is computed from: the datastore's Nodes, BGPPeers and
// BGPConfigurations, as confd's syncer sees them.
type Snapshot struct {
	NodeName string
	Nodes    []*api.Node
	Peers    []*api.BGPPeer
	Configs  map[string]*api.BGPConfiguration // by name: default, node.<name>
	RouterID string                           // CALICO_ROUTER_ID
}

// Peer is one BGP session the node should have, with the attributes BIRD would be given.
type Peer struct {
	Name        string // Mesh_10_0_0_2, Global_..., Node_...
	IP          netip.Addr
	Port        uint16 // 0: 179
	AS          uint32
	LocalAS     uint32 // 0: the node's AS
	Passive     bool
	Password    *api.SecretKeySelector
	RRClient    bool
	ClusterID   string
	SourceIP    netip.Addr // invalid: none
	TTLSecurity uint8
	Keepalive   time.Duration
	RestartTime time.Duration
	// password is Password's value, resolved by the speaker when it applies the peer (so that a
	// changed secret replaces the session).
	password string
}

// Desired is the node's whole BGP configuration.
type Desired struct {
	// Enabled is false when the node has no router ID: no IPv4 address and no CALICO_ROUTER_ID.
	Enabled    bool
	NodeIP     netip.Addr
	NodeIP6    netip.Addr
	AS         uint32
	RouterID   string
	ListenPort uint16
	BindNodeIP bool
	ClusterID  string
	Peers      []Peer
}

// nodeInfo is a Node reduced to what peerings use.
type nodeInfo struct {
	name      string
	ip4, ip6  netip.Addr
	as        uint32
	clusterID string
	labels    map[string]string
	port      uint16
}

func (n *nodeInfo) addr(v int) netip.Addr {
	if v == 4 {
		return n.ip4
	}
	return n.ip6
}

// Compute derives the node's BGP configuration from a snapshot, with confd's rules: the
// node-to-node mesh (unless disabled or this node is a route reflector), global peers, peers
// for this node by name or selector, peers resolved through peerSelector, the passive rule and
// route-reflector clients. Peers are sorted by name.
func Compute(s Snapshot) (Desired, error) {
	global := s.Configs["default"]
	if global == nil {
		global = &api.BGPConfiguration{}
	}
	local := s.Configs["node."+s.NodeName]
	globalAS := uint32(settings.DefaultASNumber)
	if global.Spec.ASNumber != nil {
		globalAS = uint32(*global.Spec.ASNumber)
	}
	listenPort := global.Spec.ListenPort
	if local != nil && local.Spec.ListenPort != 0 {
		listenPort = local.Spec.ListenPort
	}
	nodes := map[string]*nodeInfo{}
	var me *nodeInfo
	for _, n := range s.Nodes {
		info := &nodeInfo{name: n.Name, as: globalAS, labels: n.Labels, port: global.Spec.ListenPort}
		if cfg := s.Configs["node."+n.Name]; cfg != nil && cfg.Spec.ListenPort != 0 {
			info.port = cfg.Spec.ListenPort
		}
		if b := n.Spec.BGP; b != nil {
			if p, err := netip.ParsePrefix(b.IPv4Address); err == nil {
				info.ip4 = p.Addr()
			} else if a, err := netip.ParseAddr(b.IPv4Address); err == nil {
				info.ip4 = a
			}
			if p, err := netip.ParsePrefix(b.IPv6Address); err == nil {
				info.ip6 = p.Addr()
			}
			if b.ASNumber != nil {
				info.as = uint32(*b.ASNumber)
			}
			info.clusterID = b.RouteReflectorClusterID
		}
		nodes[n.Name] = info
		if n.Name == s.NodeName {
			me = info
		}
	}
	if me == nil {
		return Desired{}, fmt.Errorf("node %s is not in the datastore", s.NodeName)
	}
	d := Desired{NodeIP: me.ip4, NodeIP6: me.ip6, AS: me.as, ListenPort: listenPort, ClusterID: me.clusterID,
		BindNodeIP: global.Spec.BindMode != nil && *global.Spec.BindMode == "NodeIP"}
	d.RouterID = routerID(s.RouterID, s.NodeName, me.ip4)
	// BGP needs a router ID: the IPv4 address, or CALICO_ROUTER_ID on IPv6-only nodes.
	d.Enabled = d.RouterID != ""
	if !d.Enabled {
		return d, nil
	}
	byName := map[string]Peer{}
	add := func(p Peer) {
		if p.IP == me.ip4 || p.IP == me.ip6 {
			return
		}
		if _, dup := byName[p.Name]; dup {
			return
		}
		// A node-specific peering duplicating a global one is dropped.
		if strings.HasPrefix(p.Name, "Node_") {
			if _, g := byName["Global_"+strings.TrimPrefix(p.Name, "Node_")]; g {
				return
			}
		}
		p.RRClient = d.ClusterID != "" && p.AS == d.AS && p.ClusterID != d.ClusterID
		byName[p.Name] = p
	}

	// The IPv4 sessions (BIRD's) and the IPv6 ones (BIRD6's), by the same rules.
	for _, v := range []int{4, 6} {
		myIP := me.addr(v)
		if !myIP.IsValid() {
			continue
		}
		meshOn := global.Spec.NodeToNodeMeshEnabled == nil || *global.Spec.NodeToNodeMeshEnabled
		if meshOn && me.clusterID == "" {
			var restart time.Duration
			if global.Spec.NodeMeshMaxRestartTime != nil {
				restart = global.Spec.NodeMeshMaxRestartTime.Duration
			}
			for _, n := range sortedNodes(nodes) {
				if n.name == me.name || !n.addr(v).IsValid() || n.addr(v) == myIP || n.clusterID != "" {
					continue
				}
				add(Peer{Name: "Mesh_" + protoName(n.addr(v), 0), IP: n.addr(v), Port: n.port, AS: n.as,
					Passive: n.addr(v).String() > myIP.String(), Password: secret(global.Spec.NodeMeshPassword),
					SourceIP: myIP, RestartTime: restart})
			}
		}

		// Global peers first, so that node-specific duplicates of them are dropped.
		peers := append([]*api.BGPPeer(nil), s.Peers...)
		sort.SliceStable(peers, func(i, j int) bool { return isGlobal(peers[i]) && !isGlobal(peers[j]) })
		for _, bp := range peers {
			if !appliesTo(bp, me) {
				continue
			}
			prefix := "Node_"
			if isGlobal(bp) {
				prefix = "Global_"
			}
			base := Peer{Password: secret(bp.Spec.Password), SourceIP: myIP}
			if bp.Spec.SourceAddress == api.SourceAddressNone {
				base.SourceIP = netip.Addr{}
			}
			if bp.Spec.LocalASNumber != nil {
				base.LocalAS = uint32(*bp.Spec.LocalASNumber)
			}
			if bp.Spec.TTLSecurity != nil {
				base.TTLSecurity = *bp.Spec.TTLSecurity
			}
			if bp.Spec.KeepaliveTime != nil {
				base.Keepalive = bp.Spec.KeepaliveTime.Duration
			}
			if bp.Spec.MaxRestartTime != nil {
				base.RestartTime = bp.Spec.MaxRestartTime.Duration
			}
			if bp.Spec.PeerSelector != "" {
				sel, err := selector.Parse(bp.Spec.PeerSelector)
				if err != nil {
					return Desired{}, fmt.Errorf("BGPPeer %s: spec.peerSelector: %w", bp.Name, err)
				}
				for _, n := range sortedNodes(nodes) {
					if n.name == me.name || !n.addr(v).IsValid() || !sel.Evaluate(n.labels) {
						continue
					}
					p := base
					p.Name, p.IP, p.Port, p.AS, p.ClusterID = prefix+protoName(n.addr(v), 0), n.addr(v), n.port, n.as, n.clusterID
					p.Passive = prefix == "Global_" && n.addr(v).String() > myIP.String()
					add(p)
				}
				continue
			}
			ip, port, err := ParsePeerIP(bp.Spec.PeerIP)
			if err != nil {
				return Desired{}, fmt.Errorf("BGPPeer %s: spec.peerIP: %w", bp.Name, err)
			}
			if ip.Is4() != (v == 4) {
				continue
			}
			p := base
			p.Name, p.IP, p.Port, p.AS = prefix+protoName(ip, port), ip, port, uint32(bp.Spec.ASNumber)
			for _, n := range nodes {
				if n.addr(v) == ip {
					// A peering with a Calico node: its cluster ID, its listen port, and the
					// passive rule of global peerings.
					p.ClusterID = n.clusterID
					if port == 0 && n.as == p.AS {
						p.Port = n.port
					}
					p.Passive = prefix == "Global_" && ip.String() > myIP.String()
				}
			}
			add(p)
		}
		// Automatic reverse peerings: a node that a peerSelector picks peers back with the nodes the
		// BGPPeer applies to, unless reversePeering is Manual. Forward peerings, added above, win.
		for _, bp := range peers {
			if bp.Spec.PeerSelector == "" || (bp.Spec.ReversePeering != nil && *bp.Spec.ReversePeering == api.ReversePeeringManual) {
				continue
			}
			sel, err := selector.Parse(bp.Spec.PeerSelector)
			if err != nil || !sel.Evaluate(me.labels) {
				continue
			}
			for _, n := range sortedNodes(nodes) {
				if n.name == me.name || !n.addr(v).IsValid() || !appliesTo(bp, n) {
					continue
				}
				p := Peer{Name: "Node_" + protoName(n.addr(v), 0), IP: n.addr(v), Port: n.port, AS: n.as, ClusterID: n.clusterID,
					Password: secret(bp.Spec.Password), SourceIP: myIP}
				if bp.Spec.KeepaliveTime != nil {
					p.Keepalive = bp.Spec.KeepaliveTime.Duration
				}
				if bp.Spec.MaxRestartTime != nil {
					p.RestartTime = bp.Spec.MaxRestartTime.Duration
				}
				add(p)
			}
		}
	}
	for _, p := range byName {
		d.Peers = append(d.Peers, p)
	}
	sort.Slice(d.Peers, func(i, j int) bool { return d.Peers[i].Name < d.Peers[j].Name })
	return d, nil
}

func isGlobal(bp *api.BGPPeer) bool { return bp.Spec.Node == "" && bp.Spec.NodeSelector == "" }

func appliesTo(bp *api.BGPPeer, me *nodeInfo) bool {
	if bp.Spec.LocalWorkloadSelector != "" {
		return false
	}
	switch {
	case bp.Spec.Node != "":
		return bp.Spec.Node == me.name
	case bp.Spec.NodeSelector != "":
		sel, err := selector.Parse(bp.Spec.NodeSelector)
		return err == nil && sel.Evaluate(me.labels)
	}
	return true
}

func sortedNodes(m map[string]*nodeInfo) []*nodeInfo {
	out := make([]*nodeInfo, 0, len(m))
	for _, n := range m {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func secret(p *api.BGPPassword) *api.SecretKeySelector {
	if p == nil {
		return nil
	}
	return p.SecretKeyRef
}

// ParsePeerIP reads a BGPPeer's peerIP: an address, "a.b.c.d:port" or "[v6]:port".
func ParsePeerIP(s string) (netip.Addr, uint16, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, 0, nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), ap.Port(), nil
	}
	return netip.Addr{}, 0, fmt.Errorf("%q is not an IP address (expected an address, ADDRESS:PORT or [IPv6]:PORT)", s)
}

// protoName is the BIRD protocol name suffix of a peer: dots and colons become underscores,
// and a port is appended as _port_N.
func protoName(ip netip.Addr, port uint16) string {
	s := strings.NewReplacer(".", "_", ":", "_").Replace(ip.String())
	if port != 0 {
		s += "_port_" + strconv.Itoa(int(port))
	}
	return s
}

// routerID is CALICO_ROUTER_ID: "hash" derives one from the node name; default the node's IPv4.
func routerID(env, nodeName string, ip4 netip.Addr) string {
	switch env {
	case "":
		if ip4.IsValid() {
			return ip4.String()
		}
		return ""
	case "hash":
		h := sha256.Sum256([]byte(nodeName))
		if h[0] > 223 {
			h[0] -= 32
		}
		return netip.AddrFrom4([4]byte{h[0], h[1], h[2], h[3]}).String()
	}
	return env
}
