package node

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// RouteProtocol marks the kernel routes the agent programs (RTPROT_BIRD, as BIRD's routes are
// marked), so that they can be told from others and removed on exit.
const RouteProtocol = netlink.RouteProtocol(12)

// RouteProgrammer installs routes learned over BGP into the kernel's main table and removes them
// when they are withdrawn or the agent stops.
type RouteProgrammer struct {
	log       *slog.Logger
	h         *netlink.Handle
	mu        sync.Mutex
	installed map[netip.Prefix]netip.Addr // learned routes, and blackholes (invalid next hop)
}

// NewRouteProgrammer returns a programmer for the agent's network namespace; it needs
// CAP_NET_ADMIN to do anything.
func NewRouteProgrammer(log *slog.Logger) *RouteProgrammer {
	return NewRouteProgrammerWith(log, &netlink.Handle{})
}

// NewRouteProgrammerWith programs through a netlink handle (netlink.NewHandleAt for another
// network namespace).
func NewRouteProgrammerWith(log *slog.Logger, h *netlink.Handle) *RouteProgrammer {
	return &RouteProgrammer{log: log, h: h, installed: map[netip.Prefix]netip.Addr{}}
}

func kernelRoute(prefix netip.Prefix, via netip.Addr) *netlink.Route {
	r := &netlink.Route{
		Dst:      &net.IPNet{IP: prefix.Addr().AsSlice(), Mask: net.CIDRMask(prefix.Bits(), prefix.Addr().BitLen())},
		Protocol: RouteProtocol,
	}
	if via.IsValid() {
		r.Gw = via.AsSlice()
	} else {
		r.Type = unix.RTN_BLACKHOLE
	}
	return r
}

// Blackhole programs a blackhole route for one of the node's own blocks, so that addresses of
// the block not (or no longer) in use are dropped here rather than sent back out.
func (r *RouteProgrammer) Blackhole(prefix netip.Prefix) { r.Install(prefix, netip.Addr{}) }

// Install programs prefix via the next hop (a blackhole when via is invalid), replacing an
// earlier route for it.
func (r *RouteProgrammer) Install(prefix netip.Prefix, via netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.h.RouteReplace(kernelRoute(prefix, via)); err != nil {
		r.log.Warn("Unable to program route", "Prefix", prefix.String(), "Via", via.String(), "Error", err.Error())
		return
	}
	r.installed[prefix] = via
	r.log.Info("Programmed route", "Prefix", prefix.String(), "Via", via.String())
}

// Withdraw removes the route for prefix, if this programmer installed it.
func (r *RouteProgrammer) Withdraw(prefix netip.Prefix) {
	r.mu.Lock()
	defer r.mu.Unlock()
	via, ok := r.installed[prefix]
	if !ok {
		return
	}
	if err := r.h.RouteDel(kernelRoute(prefix, via)); err != nil {
		r.log.Warn("Unable to remove route", "Prefix", prefix.String(), "Error", err.Error())
	}
	delete(r.installed, prefix)
	r.log.Info("Removed route", "Prefix", prefix.String())
}

// WithdrawAll removes every route this programmer installed.
func (r *RouteProgrammer) WithdrawAll() {
	r.mu.Lock()
	var prefixes []netip.Prefix
	for p := range r.installed {
		prefixes = append(prefixes, p)
	}
	r.mu.Unlock()
	for _, p := range prefixes {
		r.Withdraw(p)
	}
}
