// Package early hands a CNI command to the calico-ipam daemon before the plugin's other packages
// are initialised. Go initialises a program's packages in order of import path once their own
// imports are done; this one imports only encoding/json, os, syscall and package handoff, so it
// runs while the datastore clients' packages (gRPC, protobuf, client-go: about 2 ms of a plugin
// process's start) are still to come, and a command the daemon carries out ends the process
// before they run.
//
// It hands over only what the CNI library's dispatcher (skel) would accept as it stands: every
// required variable present, names of plain characters, a configuration of a CNI version the
// plugin supports, a network namespace other than the plugin's own. Anything else, and any
// command the daemon declines, continues in main as if this package did not exist (standard input
// is given back), where skel reports it, or the plugin does the work itself.
//
// Only cmd/calico-ipam imports it.
package early

import (
	"encoding/json"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/calicoctl-go/calicoctl/pkg/ipam/handoff"
)

// SupportedVersions are the CNI versions the plugin gives skel (the CNI library's version.All); a
// test in cmd/calico-ipam keeps the two equal.
var SupportedVersions = []string{"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}

// Timeout bounds the wait for the daemon's answer: the plugin's own bound on a command, and some.
const Timeout = 100 * time.Second

func init() {
	if len(os.Args) > 1 { // `calico-ipam daemon`, or anything but a runtime's call
		return
	}
	command := os.Getenv("CNI_COMMAND")
	if !plainEnvironment(command) {
		return
	}
	path := handoff.Socket()
	if path == "" {
		return
	}
	conn, err := handoff.Dial(path)
	if err != nil {
		return // no daemon: main does the work, with nothing consumed
	}
	defer conn.Close()
	stdin, err := io.ReadAll(os.Stdin)
	if err != nil || !plainConfiguration(command, stdin) {
		giveBack(stdin)
		return
	}
	resp, sent, err := conn.Exchange(handoff.Request{Protocol: handoff.Protocol, Command: command,
		ContainerID: os.Getenv("CNI_CONTAINERID"), Netns: os.Getenv("CNI_NETNS"), IfName: os.Getenv("CNI_IFNAME"),
		Args: os.Getenv("CNI_ARGS"), Path: os.Getenv("CNI_PATH"), StdinData: stdin}, Timeout)
	switch {
	case err != nil && command == "ADD" && sent:
		exit(handoff.LostAnswer(path, err).Print(), 1)
	case err != nil || resp.Decline != "":
		// Main does the work itself, without asking the daemon again.
		handoff.Skip = true
		giveBack(stdin)
		return
	case resp.Error != nil:
		exit(resp.Error.Print(), 1)
	}
	_, err = os.Stdout.Write(resp.Stdout)
	exit(err, 0)
}

func exit(writeErr error, code int) {
	if writeErr != nil {
		os.Stderr.WriteString("calico-ipam: writing the result: " + writeErr.Error() + "\n")
		code = 1
	}
	os.Exit(code)
}

// giveBack makes standard input read again what was read from it.
func giveBack(data []byte) {
	r, w, err := os.Pipe()
	if err != nil {
		os.Stderr.WriteString("calico-ipam: " + err.Error() + "\n")
		os.Exit(1)
	}
	go func() {
		w.Write(data)
		w.Close()
	}()
	os.Stdin = r
}

// plainEnvironment tells whether skel would take the CNI variables of an ADD, DEL or CHECK as
// they are (a subset of what it takes: CNI_NETNS_OVERRIDE, for one, is left to it).
func plainEnvironment(command string) bool {
	switch command {
	case "ADD", "CHECK", "DEL":
	default:
		return false
	}
	netns := os.Getenv("CNI_NETNS")
	if !plainName(os.Getenv("CNI_CONTAINERID"), 0) || !plainName(os.Getenv("CNI_IFNAME"), 15) ||
		os.Getenv("CNI_PATH") == "" || os.Getenv("CNI_NETNS_OVERRIDE") != "" || (command != "DEL" && netns == "") {
		return false
	}
	if command == "CHECK" || netns == "" {
		return true
	}
	// After ADD and DEL, skel refuses a CNI_NETNS that is the plugin's own namespace.
	var mine, theirs syscall.Stat_t
	if syscall.Stat("/proc/self/ns/net", &mine) != nil {
		return false
	}
	if syscall.Stat(netns, &theirs) != nil {
		return true // skel takes a namespace it cannot open (DEL of a deleted one)
	}
	return mine.Dev != theirs.Dev || mine.Ino != theirs.Ino
}

// plainName tells whether s is a CNI name (a letter or digit, then letters, digits, '_', '.' or
// '-'), of at most max bytes when max > 0.
func plainName(s string, max int) bool {
	if s == "" || (max > 0 && len(s) > max) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// plainConfiguration tells whether skel would take the network configuration: a plain network
// name, and a CNI version the plugin supports (0.4.0 or later for CHECK).
func plainConfiguration(command string, stdin []byte) bool {
	var conf struct {
		Name       string `json:"name"`
		CNIVersion string `json:"cniVersion"`
	}
	if json.Unmarshal(stdin, &conf) != nil || !plainName(conf.Name, 0) {
		return false
	}
	for _, v := range SupportedVersions {
		if conf.CNIVersion == v {
			return command != "CHECK" || (v != "0.1.0" && v != "0.2.0" && v != "0.3.0" && v != "0.3.1")
		}
	}
	return false
}
