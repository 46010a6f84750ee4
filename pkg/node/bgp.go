package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sort"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/config/oc"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"
)

// Speaker is the node's BGP speaker: GoBGP configured with the peers Compute derives, and
// reconfigured in place when they change.
type Speaker struct {
	log    *slog.Logger
	libLog *slog.Logger
	server *server.BgpServer
	routes *RouteProgrammer // nil: routes are not programmed

	mu       sync.Mutex
	started  bool
	current  Desired
	peers    map[string]Peer // by address
	since    map[string]time.Time
	lastConf time.Time
	start    time.Time
	// Passwords resolves a peer's password secret; nil means passwords are not available.
	Passwords func(*Peer) (string, error)
	// ListenAddress overrides the address BGP listens on.
	ListenAddress string
	originated    map[netip.Prefix]bool
}

// BlockSource gives the prefixes the node originates: its affine IPAM blocks and borrowed
// addresses. IPAM provides it.
type BlockSource interface {
	Blocks(ctx context.Context, node string) ([]netip.Prefix, error)
}

// NewSpeaker creates a speaker; GoBGP's own log lines go to libLog (discarded when nil), so that
// they never reach an operator's terminal at the default level.
func NewSpeaker(log *slog.Logger, libLog *slog.Logger, routes *RouteProgrammer) *Speaker {
	if libLog == nil {
		libLog = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	sp := &Speaker{log: log, libLog: libLog, routes: routes, peers: map[string]Peer{}, since: map[string]time.Time{}, start: time.Now()}
	sp.server = sp.newServer()
	return sp
}

// newServer starts a GoBGP server: a BGP identity change needs a new one, as GoBGP cannot
// start BGP again on a server it stopped.
func (s *Speaker) newServer() *server.BgpServer {
	lvl := &slog.LevelVar{}
	lvl.Set(slog.LevelError)
	if s.libLog.Enabled(context.Background(), slog.LevelDebug) {
		lvl.Set(slog.LevelDebug)
	}
	srv := server.NewBgpServer(server.LoggerOption(s.libLog, lvl))
	go srv.Serve()
	if s.routes != nil {
		if err := srv.WatchEvent(context.Background(), server.WatchEventMessageCallbacks{
			OnBestPath: func(paths []*apiutil.Path, _ time.Time) { s.onBestPaths(paths) },
		}, server.WatchBestPath(true)); err != nil {
			s.log.Warn("Unable to watch BGP routes; learned routes will not be programmed: " + err.Error())
		}
	}
	return srv
}

// Apply reconfigures the speaker to d: a change of AS number, router ID or listen port restarts
// BGP (every session re-establishes, as with BIRD); peers are added, removed or replaced one by
// one otherwise.
func (s *Speaker) Apply(ctx context.Context, d Desired) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	restart := !s.started || d.AS != s.current.AS || d.RouterID != s.current.RouterID ||
		d.ListenPort != s.current.ListenPort || d.BindNodeIP != s.current.BindNodeIP || d.Enabled != s.current.Enabled
	if restart && s.started {
		s.log.Info("BGP identity changed, restarting BGP", "AS", d.AS, "RouterID", d.RouterID, "ListenPort", d.ListenPort)
		s.server.Stop()
		if s.routes != nil {
			s.routes.WithdrawAll()
		}
		s.server = s.newServer()
		s.started = false
		s.peers = map[string]Peer{}
		s.since = map[string]time.Time{}
	}
	s.current = d
	s.lastConf = time.Now()
	if !d.Enabled {
		s.log.Info("No IPv4 address on this node: BGP disabled")
		return nil
	}
	if !s.started {
		port := int32(179)
		if d.ListenPort != 0 {
			port = int32(d.ListenPort)
		}
		// Only the unicast families Calico uses: without a list GoBGP builds a global and a
		// route-server table for each of its ~30 families, 10 MB of empty tables at rest.
		g := &api.Global{Asn: d.AS, RouterId: d.RouterID, ListenPort: port, Families: []uint32{
			uint32(oc.AfiSafiTypeToIntMap[oc.AFI_SAFI_TYPE_IPV4_UNICAST]), uint32(oc.AfiSafiTypeToIntMap[oc.AFI_SAFI_TYPE_IPV6_UNICAST])}}
		switch {
		case s.ListenAddress != "":
			g.ListenAddresses = []string{s.ListenAddress}
		case d.BindNodeIP:
			for _, ip := range []netip.Addr{d.NodeIP, d.NodeIP6} {
				if ip.IsValid() {
					g.ListenAddresses = append(g.ListenAddresses, ip.String())
				}
			}
		default:
			g.ListenAddresses = []string{"0.0.0.0"}
			if d.NodeIP6.IsValid() {
				g.ListenAddresses = append(g.ListenAddresses, "::")
			}
		}
		if err := s.server.StartBgp(ctx, &api.StartBgpRequest{Global: g}); err != nil {
			return fmt.Errorf("starting BGP (AS %d, router ID %s, port %d): %w", d.AS, d.RouterID, port, err)
		}
		s.started = true
		s.originated = map[netip.Prefix]bool{}
	}
	want := map[string]Peer{}
	for _, p := range d.Peers {
		if p.Password != nil && s.Passwords != nil {
			pw, err := s.Passwords(&p)
			if err != nil {
				s.log.Warn(fmt.Sprintf("Skipping BGP peer %s: %v", p.Name, err))
				continue
			}
			p.password = pw
		}
		want[p.IP.String()] = p
	}
	for addr, old := range s.peers {
		if p, ok := want[addr]; ok && samePeer(p, old) {
			continue
		}
		if err := s.server.DeletePeer(ctx, &api.DeletePeerRequest{Address: addr}); err != nil {
			s.log.Warn(fmt.Sprintf("Unable to remove BGP peer %s: %v", old.Name, err))
		}
		s.log.Info("Removed BGP peer", "Name", old.Name, "IP", addr)
		delete(s.peers, addr)
		delete(s.since, addr)
	}
	var addrs []string
	for addr := range want {
		addrs = append(addrs, addr)
	}
	sort.Strings(addrs)
	for _, addr := range addrs {
		if _, ok := s.peers[addr]; ok {
			continue
		}
		p := want[addr]
		gp, err := s.gobgpPeer(d, p)
		if err != nil {
			s.log.Warn(fmt.Sprintf("Skipping BGP peer %s: %v", p.Name, err))
			continue
		}
		if err := s.server.AddPeer(ctx, &api.AddPeerRequest{Peer: gp}); err != nil {
			s.log.Warn(fmt.Sprintf("Unable to add BGP peer %s: %v", p.Name, err))
			continue
		}
		s.log.Info("Added BGP peer", "Name", p.Name, "IP", addr, "AS", p.AS, "Passive", p.Passive)
		s.peers[addr] = p
		s.since[addr] = time.Now()
	}
	return nil
}

func samePeer(a, b Peer) bool {
	return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b)
}

func (s *Speaker) gobgpPeer(d Desired, p Peer) (*api.Peer, error) {
	afi := api.Family_AFI_IP
	if p.IP.Is6() {
		afi = api.Family_AFI_IP6
	}
	gp := &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: p.IP.String(), PeerAsn: p.AS, Description: p.Name, LocalAsn: p.LocalAS},
		Transport: &api.Transport{PassiveMode: p.Passive, RemotePort: uint32(p.Port)},
		Timers:    &api.Timers{Config: &api.TimersConfig{ConnectRetry: 5}},
		// BIRD's template: graceful restart and multihop on every peering.
		GracefulRestart: &api.GracefulRestart{Enabled: true, RestartTime: 120},
		EbgpMultihop:    &api.EbgpMultihop{Enabled: true, MultihopTtl: 255},
		AfiSafis: []*api.AfiSafi{{Config: &api.AfiSafiConfig{Family: &api.Family{Afi: afi, Safi: api.Family_SAFI_UNICAST}, Enabled: true},
			MpGracefulRestart: &api.MpGracefulRestart{Config: &api.MpGracefulRestartConfig{Enabled: true}}}},
	}
	if p.SourceIP.IsValid() {
		gp.Transport.LocalAddress = p.SourceIP.String()
	}
	if p.Keepalive > 0 {
		gp.Timers.Config.KeepaliveInterval = uint64(p.Keepalive.Seconds())
		gp.Timers.Config.HoldTime = 3 * uint64(p.Keepalive.Seconds())
	}
	if p.RestartTime > 0 {
		gp.GracefulRestart.RestartTime = uint32(p.RestartTime.Seconds())
	}
	if p.TTLSecurity > 0 {
		gp.EbgpMultihop = nil
		gp.TtlSecurity = &api.TtlSecurity{Enabled: true, TtlMin: uint32(256 - int(p.TTLSecurity))}
	}
	if p.RRClient {
		gp.RouteReflector = &api.RouteReflector{RouteReflectorClient: true, RouteReflectorClusterId: d.ClusterID}
	}
	if p.AS == d.AS && p.LocalAS == 0 {
		gp.EbgpMultihop = nil // iBGP: multihop is implied
	}
	if p.Password != nil {
		if s.Passwords == nil {
			return nil, fmt.Errorf("its password comes from secret %s, which needs the Kubernetes API", p.Password.Name)
		}
		gp.Conf.AuthPassword = p.password
	}
	return gp, nil
}

// SetBlocks makes the speaker originate exactly these prefixes (the node's blocks), with the
// node's address as next hop, and programs a blackhole route for each when routes are
// programmed.
func (s *Speaker) SetBlocks(blocks []netip.Prefix) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return nil
	}
	want := map[netip.Prefix]bool{}
	for _, b := range blocks {
		want[b.Masked()] = true
	}
	var errs []error
	for b := range want {
		if s.originated[b] {
			continue
		}
		path, err := s.blockPath(b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := s.server.AddPath(apiutil.AddPathRequest{Paths: []*apiutil.Path{path}}); err != nil {
			errs = append(errs, fmt.Errorf("advertising %s: %w", b, err))
			continue
		}
		s.originated[b] = true
		s.log.Info("Advertising block", "CIDR", b.String())
		if s.routes != nil && b.Bits() < b.Addr().BitLen() {
			s.routes.Blackhole(b)
		}
	}
	for b := range s.originated {
		if want[b] {
			continue
		}
		path, err := s.blockPath(b)
		if err == nil {
			err = s.server.DeletePath(apiutil.DeletePathRequest{Paths: []*apiutil.Path{path}})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("withdrawing %s: %w", b, err))
			continue
		}
		delete(s.originated, b)
		s.log.Info("Withdrew block", "CIDR", b.String())
		if s.routes != nil {
			s.routes.Withdraw(b)
		}
	}
	return errors.Join(errs...)
}

func (s *Speaker) blockPath(b netip.Prefix) (*apiutil.Path, error) {
	nlri, err := bgp.NewIPAddrPrefix(b)
	if err != nil {
		return nil, fmt.Errorf("block %s: %w", b, err)
	}
	origin := bgp.NewPathAttributeOrigin(0)
	if b.Addr().Is4() {
		if !s.current.NodeIP.IsValid() {
			return nil, fmt.Errorf("block %s: the node has no IPv4 address", b)
		}
		nh, _ := bgp.NewPathAttributeNextHop(s.current.NodeIP)
		return &apiutil.Path{Family: bgp.RF_IPv4_UC, Nlri: nlri, Attrs: []bgp.PathAttributeInterface{origin, nh}}, nil
	}
	if !s.current.NodeIP6.IsValid() {
		return nil, fmt.Errorf("block %s: the node has no IPv6 address", b)
	}
	mp, err := bgp.NewPathAttributeMpReachNLRI(bgp.RF_IPv6_UC, []bgp.PathNLRI{{NLRI: nlri}}, s.current.NodeIP6)
	if err != nil {
		return nil, err
	}
	return &apiutil.Path{Family: bgp.RF_IPv6_UC, Nlri: nlri, Attrs: []bgp.PathAttributeInterface{origin, mp}}, nil
}

func (s *Speaker) onBestPaths(paths []*apiutil.Path) {
	for _, p := range paths {
		if p.IsFromExternal == false && !p.PeerAddress.IsValid() {
			continue // our own routes
		}
		prefix, ok := nlriPrefix(p.Nlri)
		if !ok {
			continue
		}
		nh := nextHop(p)
		if p.Withdrawal {
			s.routes.Withdraw(prefix)
			continue
		}
		if nh.IsValid() {
			s.routes.Install(prefix, nh)
		}
	}
}

func nlriPrefix(n bgp.NLRI) (netip.Prefix, bool) {
	if ip, ok := n.(*bgp.IPAddrPrefix); ok {
		return ip.Prefix, true
	}
	p, err := netip.ParsePrefix(n.String())
	return p, err == nil
}

func nextHop(p *apiutil.Path) netip.Addr {
	for _, a := range p.Attrs {
		switch v := a.(type) {
		case *bgp.PathAttributeNextHop:
			return v.Value
		case *bgp.PathAttributeMpReachNLRI:
			if len(v.Nexthop.AsSlice()) > 0 {
				return v.Nexthop
			}
		}
	}
	return netip.Addr{}
}

// Stop ends every session and withdraws the routes this speaker programmed.
func (s *Speaker) Stop() {
	s.mu.Lock()
	started := s.started
	s.started = false
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if started {
		s.server.StopBgp(ctx, &api.StopBgpRequest{})
	}
	if s.routes != nil {
		s.routes.WithdrawAll()
	}
}

// PeerStatus is one session as `show protocols` reports it.
type PeerStatus struct {
	Name      string
	IP        netip.Addr
	AS        uint32
	State     string // BIRD protocol state: up, start, down
	Since     time.Time
	Info      string // BGP state: Established, Active, Connect, Idle, OpenSent, OpenConfirm, Passive
	Detail    string // last error
	RouterID  string
	Imported  int
	Exported  int
	HoldTime  uint64
	Keepalive uint64
	Passive   bool
	LocalIP   string
}

// Status returns the sessions, sorted by name.
func (s *Speaker) Status(ctx context.Context) []PeerStatus {
	s.mu.Lock()
	peers := make(map[string]Peer, len(s.peers))
	since := make(map[string]time.Time, len(s.since))
	for k, v := range s.peers {
		peers[k] = v
	}
	for k, v := range s.since {
		since[k] = v
	}
	started, srv := s.started, s.server
	s.mu.Unlock()
	if !started {
		return nil
	}
	var out []PeerStatus
	srv.ListPeer(ctx, &api.ListPeerRequest{EnableAdvertised: true}, func(gp *api.Peer) {
		addr := gp.GetConf().GetNeighborAddress()
		p, ok := peers[addr]
		if !ok {
			return
		}
		st := PeerStatus{Name: p.Name, IP: p.IP, AS: p.AS, Since: since[addr], Passive: p.Passive, LocalIP: gp.GetTransport().GetLocalAddress()}
		state := gp.GetState()
		ts := gp.GetTimers().GetState()
		st.HoldTime, st.Keepalive = ts.GetNegotiatedHoldTime(), ts.GetKeepaliveInterval()
		st.RouterID = state.GetRouterId()
		switch state.GetSessionState() {
		case api.PeerState_SESSION_STATE_ESTABLISHED:
			st.State, st.Info = "up", "Established"
			if ts.GetUptime() != nil {
				st.Since = ts.GetUptime().AsTime()
			}
		case api.PeerState_SESSION_STATE_OPENSENT:
			st.State, st.Info = "start", "OpenSent"
		case api.PeerState_SESSION_STATE_OPENCONFIRM:
			st.State, st.Info = "start", "OpenConfirm"
		case api.PeerState_SESSION_STATE_CONNECT:
			st.State, st.Info = "start", "Connect"
		case api.PeerState_SESSION_STATE_ACTIVE:
			st.State, st.Info = "start", "Active"
		default:
			st.State, st.Info = "start", "Idle"
		}
		if st.Info != "Established" {
			if p.Passive {
				st.Info = "Passive"
			}
			if ts.GetDowntime() != nil && ts.GetDowntime().AsTime().After(st.Since) {
				st.Since = ts.GetDowntime().AsTime()
			}
			st.Detail = state.GetDisconnectMessage()
		}
		if state.GetAdminState() == api.PeerState_ADMIN_STATE_DOWN {
			st.State = "down"
		}
		for _, af := range gp.GetAfiSafis() {
			st.Imported += int(af.GetState().GetAccepted())
			st.Exported += int(af.GetState().GetAdvertised())
		}
		out = append(out, st)
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Route is a best route as `show route` reports it.
type Route struct {
	Prefix   netip.Prefix
	NextHop  netip.Addr
	Protocol string // the session it came from, or static1 for our own
	Since    time.Time
	ASPath   string
}

// Routes returns the best routes of one family (4 or 6).
func (s *Speaker) Routes(version int) []Route {
	s.mu.Lock()
	started := s.started
	byAddr := map[string]string{}
	for a, p := range s.peers {
		byAddr[a] = p.Name
	}
	srv := s.server
	s.mu.Unlock()
	if !started {
		return nil
	}
	var out []Route
	family := bgp.RF_IPv4_UC
	if version == 6 {
		family = bgp.RF_IPv6_UC
	}
	srv.ListPath(apiutil.ListPathRequest{TableType: api.TableType_TABLE_TYPE_GLOBAL, Family: family}, func(n bgp.NLRI, paths []*apiutil.Path) {
		prefix, ok := nlriPrefix(n)
		if !ok {
			return
		}
		for _, p := range paths {
			if !p.Best {
				continue
			}
			proto := "static1"
			if p.PeerAddress.IsValid() {
				if name, ok := byAddr[p.PeerAddress.String()]; ok {
					proto = name
				}
			}
			out = append(out, Route{Prefix: prefix, NextHop: nextHop(p), Protocol: proto, Since: time.Unix(p.Age, 0)})
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix.String() < out[j].Prefix.String() })
	return out
}

// Info is what `show status` reports.
func (s *Speaker) Info() (routerID string, started, lastConf time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current.RouterID, s.start, s.lastConf
}
