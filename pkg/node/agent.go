package node

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Agent is the running node agent after start-up.
type Agent struct {
	Client   *client.Client
	Config   Config
	Log      *slog.Logger
	LibLog   *slog.Logger // GoBGP's log lines; nil discards them
	NodeName string
	// Blocks gives the node's blocks to advertise (IPAM's affinities); nil advertises none.
	Blocks BlockSource
	// Tunnels keeps the node's tunnel addresses current as pools change (calico/node's
	// continuous allocate-tunnel-addrs), at every reconfiguration.
	Tunnels bool
	// Passwords reads BGP password secrets (Kubernetes datastore); nil: peers with a password
	// are skipped with a warning.
	Passwords *SecretPasswords
	// ResyncInterval is how often BGP is reconfigured from the datastore without a change
	// (changes missed by a watch); 0 means 30 s.
	ResyncInterval time.Duration

	speaker *Speaker
	sockets []*ControlSocket
	kick    chan struct{}

	// What the node's IPAM routes depend on, so that the IPAM watches only react to changes
	// that can alter them (a cluster's blocks change all the time, mostly for other hosts).
	ipamMu     sync.Mutex
	advertised []netip.Prefix  // the blocks and borrowed addresses of the last reconfiguration
	mine       map[string]bool // blocks whose last watched state was this node's
}

// Serve runs the agent until ctx ends: it configures BGP from the datastore, re-configures it on
// every change the datastore's watch reports, serves the control sockets and fills
// CalicoNodeStatus. started is called once everything is up. On return every session is closed,
// programmed routes are removed and the sockets are gone.
func (a *Agent) Serve(ctx context.Context, started func()) error {
	if a.Config.Backend == "none" {
		a.Log.Info("CALICO_NETWORKING_BACKEND is none - no BGP daemon running")
		started()
		<-ctx.Done()
		return nil
	}
	var routes *RouteProgrammer
	if a.Config.ProgramRoutes {
		routes = NewRouteProgrammer(a.Log)
	}
	a.speaker = NewSpeaker(a.Log, a.LibLog, routes)
	a.speaker.ListenAddress = a.Config.ListenAddress
	if a.Passwords != nil {
		a.speaker.Passwords = a.Passwords.Password
	}
	defer a.speaker.Stop()
	if err := a.resync(ctx); err != nil {
		return err
	}
	for _, s := range []*ControlSocket{{Path: a.Config.BirdSocket, Speaker: a.speaker}, {Path: a.Config.Bird6Socket, Speaker: a.speaker, IPv6: true}} {
		if s.Path == "" || s.Path == "none" {
			continue
		}
		if err := s.Listen(a.Log); err != nil {
			return err
		}
		defer s.Close()
		a.sockets = append(a.sockets, s)
	}
	a.kick = make(chan struct{}, 1)
	var wg sync.WaitGroup
	kinds := []string{"Node", "BGPPeer", "BGPConfiguration"}
	if a.Blocks != nil {
		// Affinities give the node's blocks; blocks' allocations its borrowed addresses.
		kinds = append(kinds, "BlockAffinity", "IPAMBlock")
	}
	if a.Tunnels {
		kinds = append(kinds, "IPPool")
	}
	for _, kind := range kinds {
		wg.Add(1)
		go func() { defer wg.Done(); a.watch(ctx, mustKind(kind)) }()
	}
	if a.Passwords != nil {
		wg.Add(1)
		go func() { defer wg.Done(); a.watchSecrets(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); a.reportStatus(ctx) }()
	started()
	interval := a.ResyncInterval
	if interval == 0 {
		interval = 30 * time.Second
	}
	resyncTicker := time.NewTicker(interval)
	defer resyncTicker.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			a.Log.Info("Shutting down: closing BGP sessions and removing programmed routes")
			return nil
		case <-a.kick:
			// Let a burst of changes (apply -f of many peers) settle into one reconfiguration.
			time.Sleep(100 * time.Millisecond)
			select {
			case <-a.kick:
			default:
			}
		case <-resyncTicker.C:
		}
		if err := a.resync(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("Unable to reconfigure BGP from the datastore: " + err.Error())
		}
	}
}

// watch reports changes of one kind; a broken watch is started again after a pause.
func (a *Agent) watch(ctx context.Context, kind *resources.Kind) {
	for ctx.Err() == nil {
		ch, err := a.Client.Store().Watch(ctx, kind, datastore.ListOptions{})
		if err != nil {
			a.Log.Warn(fmt.Sprintf("Unable to watch %s: %v", kind.Kind, err))
		} else {
			for ev := range ch {
				if ev.Type == datastore.Error {
					a.Log.Warn(fmt.Sprintf("Watch of %s failed: %v", kind.Kind, ev.Err))
					break
				}
				if !a.concerns(ev) {
					continue
				}
				select {
				case a.kick <- struct{}{}:
				default:
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
			select {
			case a.kick <- struct{}{}: // changes may have been missed
			default:
			}
		}
	}
}

// watchSecrets reconfigures BGP when a secret of the password namespace changes, so that a
// new password replaces the sessions using it.
func (a *Agent) watchSecrets(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := a.Passwords.watch(ctx)
		pause := time.Second
		if err != nil {
			a.Log.Warn(fmt.Sprintf("Unable to watch secrets in namespace %s (passwords are re-read every 30 s): %v", a.Passwords.Namespace, err))
			pause = 30 * time.Second
		} else {
			for range w.ResultChan() {
				select {
				case a.kick <- struct{}{}:
				default:
				}
			}
			w.Stop()
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// Snapshot reads what BGP is configured from.
func (a *Agent) Snapshot(ctx context.Context) (Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s := Snapshot{NodeName: a.NodeName, Configs: map[string]*api.BGPConfiguration{}, RouterID: a.Config.RouterID}
	nodes, err := a.Client.List(ctx, mustKind("Node"), datastore.ListOptions{})
	if err != nil {
		return s, fmt.Errorf("listing nodes: %w", err)
	}
	for _, o := range nodes.Items {
		s.Nodes = append(s.Nodes, o.(*api.Node))
	}
	peers, err := a.Client.List(ctx, mustKind("BGPPeer"), datastore.ListOptions{})
	if err != nil {
		return s, fmt.Errorf("listing BGP peers: %w", err)
	}
	for _, o := range peers.Items {
		s.Peers = append(s.Peers, o.(*api.BGPPeer))
	}
	configs, err := a.Client.List(ctx, mustKind("BGPConfiguration"), datastore.ListOptions{})
	if err != nil {
		return s, fmt.Errorf("listing BGP configurations: %w", err)
	}
	for _, o := range configs.Items {
		s.Configs[o.GetName()] = o.(*api.BGPConfiguration)
	}
	return s, nil
}

func (a *Agent) resync(ctx context.Context) error {
	snap, err := a.Snapshot(ctx)
	if err != nil {
		return err
	}
	if a.Tunnels {
		for _, n := range snap.Nodes {
			if n.Name != a.NodeName {
				continue
			}
			mine := *n // the snapshot's node stays as read: BGP is computed from it
			if n.Spec.BGP != nil {
				bgp := *n.Spec.BGP
				mine.Spec.BGP = &bgp
			}
			if _, err := EnsureTunnelAddresses(ctx, a.Client, &mine, a.Log); err != nil && ctx.Err() == nil {
				a.Log.Warn("Unable to update the node's tunnel addresses: " + err.Error())
			}
		}
	}
	d, err := Compute(snap)
	if err != nil {
		return err
	}
	if err := a.speaker.Apply(ctx, d); err != nil {
		return err
	}
	if a.Blocks == nil {
		return nil
	}
	blocks, err := a.Blocks.Blocks(ctx, a.NodeName)
	if err != nil {
		return fmt.Errorf("reading the blocks of node %s: %w", a.NodeName, err)
	}
	a.ipamMu.Lock()
	a.advertised = blocks
	a.ipamMu.Unlock()
	return a.speaker.SetBlocks(blocks)
}

// concerns reports whether a watched change can alter this node's BGP configuration. Every
// change does, except IPAM's: a block affinity matters only if it is this node's, and a block
// only if it is affine to this node, holds an address of this node's workloads (a borrowed
// address), or did when last seen or advertised (an address released, an affinity moved).
func (a *Agent) concerns(ev datastore.Event) bool {
	switch o := ev.Object.(type) {
	case *api.BlockAffinity:
		return o.Spec.Node == a.NodeName
	case *api.IPAMBlock:
		mine := (o.Spec.Affinity != nil && *o.Spec.Affinity == "host:"+a.NodeName) || len(Borrowed(o, a.NodeName)) > 0
		a.ipamMu.Lock()
		defer a.ipamMu.Unlock()
		was := a.mine[o.Name]
		if mine && ev.Type != datastore.Deleted {
			if a.mine == nil {
				a.mine = map[string]bool{}
			}
			a.mine[o.Name] = true
		} else {
			delete(a.mine, o.Name)
		}
		if mine || was {
			return true
		}
		cidr, err := netip.ParsePrefix(o.Spec.CIDR)
		if err != nil {
			return true
		}
		for _, p := range a.advertised {
			if cidr.Overlaps(p) {
				return true
			}
		}
		return false
	}
	return true
}

// reportStatus fills the CalicoNodeStatus resources naming this node, each every
// updatePeriodSeconds (0 stops its updates).
func (a *Agent) reportStatus(ctx context.Context) {
	kind := mustKind("CalicoNodeStatus")
	last := map[string]time.Time{}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		list, err := a.Client.List(ctx, kind, datastore.ListOptions{})
		if err != nil {
			continue
		}
		for _, o := range list.Items {
			st := o.(*api.CalicoNodeStatus)
			if st.Spec.Node != a.NodeName {
				continue
			}
			period := 10 * time.Second
			if st.Spec.UpdatePeriodSeconds != nil {
				period = time.Duration(*st.Spec.UpdatePeriodSeconds) * time.Second
			}
			if period == 0 || time.Since(last[st.Name]) < period {
				continue
			}
			last[st.Name] = time.Now()
			a.fillStatus(st)
			if _, err := a.Client.Store().Update(ctx, st); err != nil && !datastore.IsConflict(err) {
				a.Log.Warn(fmt.Sprintf("Unable to update CalicoNodeStatus %s: %v", st.Name, err))
			}
		}
	}
}

func (a *Agent) fillStatus(st *api.CalicoNodeStatus) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	classes := map[string]bool{}
	for _, c := range st.Spec.Classes {
		classes[string(c)] = true
	}
	routerID, started, conf := a.speaker.Info()
	now := time.Now()
	st.Status.LastUpdated.Time = now.Truncate(time.Second)
	if classes["Agent"] {
		st.Status.Agent.BIRDV4 = api.BGPDaemonStatus{State: "Ready", Version: BirdVersion, RouterID: routerID,
			LastBootTime: started.Format("2006-01-02 15:04:05"), LastReconfigurationTime: conf.Format("2006-01-02 15:04:05")}
		st.Status.Agent.BIRDV6 = api.BGPDaemonStatus{State: "Ready", Version: BirdVersion, RouterID: routerID,
			LastBootTime: started.Format("2006-01-02 15:04:05"), LastReconfigurationTime: conf.Format("2006-01-02 15:04:05")}
	}
	if classes["BGP"] {
		bgp := api.CalicoNodeBGPStatus{}
		for _, p := range a.speaker.Status(ctx) {
			typ := "GlobalPeer"
			switch {
			case strings.HasPrefix(p.Name, "Mesh_"):
				typ = "NodeMesh"
			case strings.HasPrefix(p.Name, "Node_"):
				typ = "NodePeer"
			}
			state := p.Info
			if state == "Passive" {
				state = "Active"
			}
			peer := api.CalicoNodePeer{PeerIP: p.IP.String(), Type: api.BGPPeerType(typ), State: api.BGPSessionState(state), Since: birdTime(p.Since)}
			switch {
			case p.IP.Is6() && state == "Established":
				bgp.NumberEstablishedV6++
			case p.IP.Is6():
				bgp.NumberNotEstablishedV6++
			case state == "Established":
				bgp.NumberEstablishedV4++
			default:
				bgp.NumberNotEstablishedV4++
			}
			if p.IP.Is6() {
				bgp.PeersV6 = append(bgp.PeersV6, peer)
			} else {
				bgp.PeersV4 = append(bgp.PeersV4, peer)
			}
		}
		st.Status.BGP = bgp
	}
	if classes["Routes"] {
		var routes [2][]api.CalicoNodeRoute
		for i, v := range []int{4, 6} {
			for _, r := range a.speaker.Routes(v) {
				src := "BGPPeer"
				switch {
				case strings.HasPrefix(r.Protocol, "Mesh_"):
					src = "NodeMesh"
				case r.Protocol == "static1":
					src = "Static"
				}
				peer := ""
				if src != "Static" {
					peer = r.NextHop.String()
				}
				routes[i] = append(routes[i], api.CalicoNodeRoute{Type: "RIB", Destination: r.Prefix.String(), Gateway: r.NextHop.String(),
					LearnedFrom: api.CalicoNodeRouteLearnedFrom{SourceType: api.CalicoNodeRouteSourceType(src), PeerIP: peer}})
			}
		}
		st.Status.Routes = api.CalicoNodeBGPRouteStatus{RoutesV4: routes[0], RoutesV6: routes[1]}
	}
}
