package node

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Two speakers in this process on loopback addresses: blocks one originates reach the other,
// are withdrawn when they go, and get a blackhole route in the originating node's kernel (a
// network namespace of the test's).
func TestSpeakerAdvertisesBlocksWithBlackholes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a network namespace, and BGP on port 1790 of loopback addresses")
	}
	nsName := fmt.Sprintf("cnspk%d", os.Getpid()%100000)
	if out, err := exec.Command("ip", "netns", "add", nsName).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsName).Run() })
	nsHandle, err := netns.GetFromName(nsName)
	if err != nil {
		t.Fatal(err)
	}
	defer nsHandle.Close()
	h, err := netlink.NewHandleAt(nsHandle)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	runtime.LockOSThread() // netlink handles are per namespace; the test's thread stays put
	defer runtime.UnlockOSThread()

	var logs bytes.Buffer
	log := slog.New(NewLogHandler(&logs, slog.LevelInfo))
	a := NewSpeaker(log, nil, NewRouteProgrammerWith(log, h))
	a.ListenAddress = "127.0.0.21"
	b := NewSpeaker(log, nil, nil)
	b.ListenAddress = "127.0.0.22"
	defer b.Stop()
	ip := netip.MustParseAddr
	ctx := context.Background()
	if err := a.Apply(ctx, Desired{Enabled: true, NodeIP: ip("127.0.0.21"), AS: 64512, RouterID: "127.0.0.21", ListenPort: 1790,
		Peers: []Peer{{Name: "Mesh_127_0_0_22", IP: ip("127.0.0.22"), Port: 1790, AS: 64512, SourceIP: ip("127.0.0.21")}}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, Desired{Enabled: true, NodeIP: ip("127.0.0.22"), AS: 64512, RouterID: "127.0.0.22", ListenPort: 1790,
		Peers: []Peer{{Name: "Mesh_127_0_0_21", IP: ip("127.0.0.21"), Port: 1790, AS: 64512, SourceIP: ip("127.0.0.22"), Passive: true}}}); err != nil {
		t.Fatal(err)
	}
	block1, block2 := netip.MustParsePrefix("10.50.1.0/26"), netip.MustParsePrefix("10.50.1.64/26")
	if err := a.SetBlocks([]netip.Prefix{block1, block2}); err != nil {
		t.Fatal(err)
	}
	learned := func() string {
		var out []string
		for _, r := range b.Routes(4) {
			out = append(out, r.Prefix.String()+" via "+r.NextHop.String()+" "+r.Protocol)
		}
		return strings.Join(out, ", ")
	}
	waitUntil(t, 20*time.Second, "b to learn both blocks", func() (bool, string) {
		got := learned()
		return got == "10.50.1.0/26 via 127.0.0.21 Mesh_127_0_0_21, 10.50.1.64/26 via 127.0.0.21 Mesh_127_0_0_21", got
	})
	blackholes := func() string {
		routes, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: RouteProtocol}, netlink.RT_FILTER_PROTOCOL)
		if err != nil {
			return err.Error()
		}
		var out []string
		for _, r := range routes {
			out = append(out, fmt.Sprintf("%s type %d", r.Dst, r.Type))
		}
		return strings.Join(out, ", ")
	}
	if got := blackholes(); got != "10.50.1.0/26 type 6, 10.50.1.64/26 type 6" {
		t.Errorf("blackhole routes in the originating node's kernel: %q", got)
	}
	if err := a.SetBlocks([]netip.Prefix{block2}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "b to see block1 withdrawn", func() (bool, string) {
		got := learned()
		return got == "10.50.1.64/26 via 127.0.0.21 Mesh_127_0_0_21", got
	})
	if got := blackholes(); got != "10.50.1.64/26 type 6" {
		t.Errorf("after withdrawing block1: %q", got)
	}
	a.Stop()
	if got := blackholes(); got != "" {
		t.Errorf("blackholes left after the speaker stopped: %q", got)
	}
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; last: %s", what, last)
}
