// Package birdctl reads BIRD's control socket (birdc's protocol): it sends one command and
// returns the reply, and parses `show protocols` into the BGP sessions Calico names
// Mesh_..., Global_... and Node_.... It reads a real BIRD and the calico-node agent alike.
package birdctl

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"
)

// Timeout bounds the connection and each line of a reply, as calicoctl's 2 s per line.
var Timeout = 2 * time.Second

// Query sends cmd to the BIRD control socket at path and returns the reply's lines, with their
// codes, up to the closing 0000 line.
func Query(path, cmd string) ([]string, error) {
	conn, err := net.DialTimeout("unix", path, Timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(Timeout))
	greeting, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("reading BIRD's greeting from %s: %w", path, err)
	}
	if !strings.HasPrefix(greeting, "0001 ") {
		return nil, fmt.Errorf("%s is not a BIRD control socket: it greeted %q", path, strings.TrimSpace(greeting))
	}
	conn.SetWriteDeadline(time.Now().Add(Timeout))
	if _, err := fmt.Fprintf(conn, "%s\n", cmd); err != nil {
		return nil, fmt.Errorf("sending %q to %s: %w", cmd, path, err)
	}
	var lines []string
	for {
		conn.SetReadDeadline(time.Now().Add(Timeout))
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("reading the reply to %q from %s: %w", cmd, path, err)
		}
		line = strings.TrimRight(line, "\n")
		lines = append(lines, line)
		if len(line) >= 4 && line[4] == ' ' && isCode(line[:4]) && line[0] != '1' && line[0] != '2' {
			// A final line: 0000 (done), 0013 (show status), 8xxx/9xxx (errors).
			if line[0] == '8' || line[0] == '9' {
				return lines, fmt.Errorf("BIRD refused %q: %s", cmd, strings.TrimSpace(line[5:]))
			}
			return lines, nil
		}
	}
}

func isCode(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Peer is one Calico BGP session from `show protocols`.
type Peer struct {
	Address  string
	Type     string // global, node-to-node mesh, node specific
	State    string // up, start, down
	Since    string
	BGPState string
	Info     string
}

var nameRE = regexp.MustCompile(`^(Global|Node|Mesh)_(.+)$`)

var peerTypes = map[string]string{"Global": "global", "Mesh": "node-to-node mesh", "Node": "node specific"}

// ErrFormat is a reply calicoctl cannot read.
var ErrFormat = errors.New("unknown BIRD table output format")

// ParsePeers reads the reply of `show protocols` as calicoctl does: BGP rows named
// Mesh_/Global_/Node_, the peer address from the name.
func ParsePeers(lines []string, ipv6 bool) ([]Peer, error) {
	var peers []Peer
	for _, line := range lines {
		var row string
		switch {
		case strings.HasPrefix(line, "0000"), strings.HasPrefix(line, "0001"):
			continue
		case strings.HasPrefix(line, "2002"):
			if strings.Join(strings.Fields(line[5:]), " ") != "name proto table state since info" {
				return nil, ErrFormat
			}
			continue
		case strings.HasPrefix(line, "1002"):
			row = line[5:]
		case strings.HasPrefix(line, " "):
			row = line[1:]
		default:
			return nil, fmt.Errorf("unexpected output line from BIRD: %q", line)
		}
		f := strings.Fields(row)
		if len(f) < 6 || f[1] != "BGP" {
			continue
		}
		m := nameRE.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		sep := "."
		if ipv6 {
			sep = ":"
		}
		peers = append(peers, Peer{Address: strings.ReplaceAll(m[2], "_", sep), Type: peerTypes[m[1]],
			State: f[3], Since: f[4], BGPState: f[5], Info: strings.Join(f[6:], " ")})
	}
	return peers, nil
}
