package node

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// BirdVersion is what the control socket calls itself, in BIRD's greeting and `show status`.
const BirdVersion = "BIRD 1.6.8-calico-go"

// ControlSocket answers the part of BIRD's control protocol that `calicoctl node status`,
// `birdc` and Calico's status reporter use, from the speaker's state:
// `show protocols [all [NAME]]`, `show status` and `show route`.
type ControlSocket struct {
	Path    string
	Speaker *Speaker
	// IPv6 makes the socket answer for the IPv6 sessions and routes (bird6.ctl).
	IPv6 bool
	log  *slog.Logger
	ln   net.Listener
}

// Listen creates the socket (and its directory), replacing a stale one.
func (c *ControlSocket) Listen(log *slog.Logger) error {
	c.log = log
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o755); err != nil {
		return fmt.Errorf("creating the directory of control socket %s: %w", c.Path, err)
	}
	if conn, err := net.DialTimeout("unix", c.Path, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("control socket %s is in use by another process: is another BIRD or calico-node running? Set CALICO_BIRD_SOCKET to use another path", c.Path)
	}
	os.Remove(c.Path)
	ln, err := net.Listen("unix", c.Path)
	if err != nil {
		return fmt.Errorf("listening on control socket %s: %w", c.Path, err)
	}
	c.ln = ln
	go c.serve()
	return nil
}

func (c *ControlSocket) version() int {
	if c.IPv6 {
		return 6
	}
	return 4
}

// Close stops answering and removes the socket.
func (c *ControlSocket) Close() {
	if c.ln != nil {
		c.ln.Close()
		os.Remove(c.Path)
	}
}

func (c *ControlSocket) serve() {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		go c.handle(conn)
	}
}

func (c *ControlSocket) handle(conn net.Conn) {
	defer conn.Close()
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "0001 %s ready.\n", BirdVersion)
	w.Flush()
	r := bufio.NewReader(conn)
	for {
		conn.SetReadDeadline(time.Now().Add(10 * time.Minute))
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		c.answer(w, strings.TrimSpace(line))
		if err := w.Flush(); err != nil {
			return
		}
	}
}

// reply writes a BIRD reply: the first line of a block carries "CODE-", continuation lines a
// leading space, and the reply ends with "0000 ".
type reply struct {
	w    io.Writer
	last string
}

func (r *reply) line(code, text string) {
	if code == r.last {
		fmt.Fprintf(r.w, " %s\n", text)
		return
	}
	r.last = code
	fmt.Fprintf(r.w, "%s-%s\n", code, text)
}

func (r *reply) end() { fmt.Fprint(r.w, "0000 \n") }

func (c *ControlSocket) answer(w io.Writer, cmd string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fields := strings.Fields(cmd)
	r := &reply{w: w}
	switch {
	case len(fields) == 0:
		return
	case matches(fields, "show", "protocols"):
		all := len(fields) > 2 && strings.HasPrefix("all", fields[2])
		name := ""
		if all && len(fields) > 3 {
			name = strings.Trim(fields[3], `"`)
		} else if !all && len(fields) > 2 {
			name = strings.Trim(fields[2], `"`)
		}
		c.showProtocols(ctx, r, all, name)
	case matches(fields, "show", "status"):
		routerID, started, conf := c.Speaker.Info()
		r.line("1000", BirdVersion)
		r.line("1011", "Router ID is "+routerID)
		r.line("1011", "Current server time is "+time.Now().Format("2006-01-02 15:04:05"))
		r.line("1011", "Last reboot on "+started.Format("2006-01-02 15:04:05"))
		r.line("1011", "Last reconfiguration on "+conf.Format("2006-01-02 15:04:05"))
		fmt.Fprint(w, "0013 Daemon is up and running\n")
	case matches(fields, "show", "route"):
		{
			for _, rt := range c.Speaker.Routes(c.version()) {
				via := "blackhole"
				if rt.NextHop.IsValid() {
					via = "via " + rt.NextHop.String()
				}
				r.line("1007", fmt.Sprintf("%-18s %s [%s %s] * (100/0) [i]", rt.Prefix, via, rt.Protocol, birdTime(rt.Since)))
			}
		}
		r.end()
	case matches(fields, "quit"), matches(fields, "exit"):
		return
	default:
		fmt.Fprint(w, "9001 syntax error\n")
	}
}

// matches is BIRD's abbreviation rule: every word may be shortened ("sh pro").
func matches(fields []string, words ...string) bool {
	if len(fields) < len(words) {
		return false
	}
	for i, w := range words {
		if !strings.HasPrefix(w, strings.ToLower(fields[i])) {
			return false
		}
	}
	return true
}

// birdTime is how BIRD prints a time in tables: the time of day today, the date before.
func birdTime(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	now := time.Now()
	if y1, m1, d1 := t.Date(); true {
		if y2, m2, d2 := now.Date(); y1 == y2 && m1 == m2 && d1 == d2 {
			return t.Format("15:04:05")
		}
	}
	return t.Format("2006-01-02")
}

func protoRow(name, proto, table, state string, since time.Time, info string) string {
	return strings.TrimRight(fmt.Sprintf("%-8s %-8s %-8s %-5s  %-10s  %s", name, proto, table, state, birdTime(since), info), " ")
}

func (c *ControlSocket) showProtocols(ctx context.Context, r *reply, all bool, name string) {
	_, started, _ := c.Speaker.Info()
	var peers []PeerStatus
	for _, p := range c.Speaker.Status(ctx) {
		if p.IP.Is6() == c.IPv6 {
			peers = append(peers, p)
		}
	}
	type row struct {
		text   string
		detail []string
		name   string
	}
	rows := []row{
		{name: "static1", text: protoRow("static1", "Static", "master", "up", started, "")},
		{name: "kernel1", text: protoRow("kernel1", "Kernel", "master", "up", started, "")},
		{name: "device1", text: protoRow("device1", "Device", "master", "up", started, "")},
	}
	for _, p := range peers {
		info := p.Info
		if p.Detail != "" {
			info += " " + "Socket: " + p.Detail
		}
		d := []string{
			"  Description:    Connection to BGP peer",
			"  Preference:     100",
			"  Input filter:   ACCEPT",
			"  Output filter:  packet_bgp",
			fmt.Sprintf("  Routes:         %d imported, %d exported, %d preferred", p.Imported, p.Exported, p.Imported),
			fmt.Sprintf("  BGP state:          %s", p.Info),
			fmt.Sprintf("    Neighbor address: %s", p.IP),
			fmt.Sprintf("    Neighbor AS:      %d", p.AS),
		}
		if p.Info == "Established" {
			d = append(d, fmt.Sprintf("    Neighbor ID:      %s", p.RouterID),
				fmt.Sprintf("    Source address:   %s", p.LocalIP),
				fmt.Sprintf("    Hold timer:       %d/%d", p.HoldTime, p.HoldTime),
				fmt.Sprintf("    Keepalive timer:  %d/%d", p.Keepalive, p.Keepalive))
		} else if p.Detail != "" {
			d = append(d, "    Last error:       "+p.Detail)
		}
		rows = append(rows, row{name: p.Name, text: protoRow(p.Name, "BGP", "master", p.State, p.Since, info), detail: d})
	}
	found := false
	r.line("2002", "name     proto    table    state  since       info")
	for _, rw := range rows {
		if name != "" && rw.name != name {
			continue
		}
		found = true
		r.line("1002", rw.text)
		if all {
			for _, d := range rw.detail {
				r.line("1006", d)
			}
			if len(rw.detail) > 0 {
				r.line("1006", "")
			}
			r.last = "" // the next protocol starts a new 1002 block
		}
	}
	if name != "" && !found {
		fmt.Fprint(r.w, "8003 No protocols match\n")
		return
	}
	r.end()
}
