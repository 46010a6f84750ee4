package node

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/birdctl"
)

// StatusOptions are the options of node status.
type StatusOptions struct {
	// Sockets are the IPv4 and IPv6 control sockets to try, in order.
	Sockets4, Sockets6 []string
	// ProcRoot is where processes are listed (/proc).
	ProcRoot string
}

// DefaultStatusOptions are calicoctl's socket paths, overridden by CALICO_BIRD_SOCKET and
// CALICO_BIRD6_SOCKET (the agent reads the same variables).
func DefaultStatusOptions() *StatusOptions {
	o := &StatusOptions{
		Sockets4: []string{"/var/run/calico/bird.ctl", "/var/run/bird/bird.ctl"},
		Sockets6: []string{"/var/run/calico/bird6.ctl", "/var/run/bird/bird6.ctl"},
		ProcRoot: "/proc",
	}
	if p := os.Getenv("CALICO_BIRD_SOCKET"); p != "" {
		o.Sockets4 = []string{p}
	}
	if p := os.Getenv("CALICO_BIRD6_SOCKET"); p != "" {
		o.Sockets6 = []string{p}
	}
	return o
}

// NewCmdStatus builds node status.
func NewCmdStatus(env Env, runF func(*StatusOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show whether the node agent runs, and its BGP sessions",
		Long: `Show whether the Calico node agent runs on this host, and the IPv4 and IPv6 BGP sessions read
from BIRD's control socket (/var/run/calico/bird.ctl and bird6.ctl, or CALICO_BIRD_SOCKET and
CALICO_BIRD6_SOCKET). The agent started by 'calicoctl node run' and Calico's BIRD both answer
there. Exits non-zero when the agent does not run or a socket cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := DefaultStatusOptions()
			if runF != nil {
				return runF(opts)
			}
			return RunStatus(env, opts)
		},
	}
}

// processes returns the argv of every process.
func processes(procRoot string) [][]string {
	dirs, _ := filepath.Glob(filepath.Join(procRoot, "[0-9]*", "cmdline"))
	var out [][]string
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil || len(b) == 0 {
			continue
		}
		out = append(out, strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"))
	}
	return out
}

// running says whether a process runs whose program name (argv[0], without its directory) is
// one of names, or whose argv[1] is flag1.
func running(procs [][]string, names []string, flag1 string) bool {
	for _, argv := range procs {
		base := filepath.Base(argv[0])
		for _, n := range names {
			if base == n {
				return true
			}
		}
		if flag1 != "" && len(argv) > 1 && argv[1] == flag1 {
			return true
		}
	}
	return false
}

// RunStatus prints the status.
func RunStatus(env Env, opts *StatusOptions) error {
	if err := env.enforceRoot(); err != nil {
		return err
	}
	procs := processes(opts.ProcRoot)
	if !running(procs, []string{"calico-node", "calico-felix"}, "-felix") {
		return errors.New("Calico process is not running.")
	}
	fmt.Fprintln(env.Out, "Calico process is running.")
	var failed []string
	type family struct {
		v       string
		sockets []string
		daemon  string
		sock    string
		present bool
	}
	fams := []*family{{v: "4", sockets: opts.Sockets4, daemon: "bird"}, {v: "6", sockets: opts.Sockets6, daemon: "bird6"}}
	any := false
	for _, fam := range fams {
		fam.sock = firstExisting(fam.sockets)
		fam.present = fam.sock != "" || running(procs, []string{fam.daemon}, "")
		any = any || fam.present
	}
	for _, fam := range fams {
		if !fam.present {
			if any {
				fmt.Fprintf(env.Out, "\nINFO: BIRDv%s process: '%s' is not running.\n", fam.v, fam.daemon)
			}
			continue
		}
		sock := fam.sock
		fmt.Fprintf(env.Out, "\nIPv%s BGP status\n", fam.v)
		if sock == "" {
			sock = fam.sockets[0]
		}
		lines, err := birdctl.Query(sock, "show protocols")
		if err != nil {
			fmt.Fprintf(env.Out, "Error querying BIRD: unable to connect to BIRDv%s socket: %v\n", fam.v, err)
			failed = append(failed, fmt.Sprintf("the BIRDv%s socket %s cannot be read", fam.v, sock))
			continue
		}
		peers, err := birdctl.ParsePeers(lines, fam.v == "6")
		if err != nil {
			return fmt.Errorf("reading the reply of %s: %w", sock, err)
		}
		if len(peers) == 0 {
			fmt.Fprintf(env.Out, "No IPv%s peers found.\n", fam.v)
			continue
		}
		printPeers(env.Out, peers)
	}
	if !any {
		fmt.Fprint(env.Out, "\nThe BGP backend process (BIRD) is not running.\n")
	}
	fmt.Fprintln(env.Out)
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; ") + ": is the agent's BGP backend running? See 'calicoctl node diags'")
	}
	return nil
}

func firstExisting(paths []string) string {
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return p
		}
	}
	return ""
}

// printPeers draws calicoctl's table (go-pretty's default style).
func printPeers(w io.Writer, peers []birdctl.Peer) {
	rows := [][]string{{"PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "INFO"}}
	for _, p := range peers {
		rows = append(rows, []string{p.Address, p.Type, p.State, p.Since, strings.TrimSpace(p.BGPState + " " + p.Info)})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	sep := "+"
	for _, wd := range widths {
		sep += strings.Repeat("-", wd+2) + "+"
	}
	line := func(r []string) {
		s := "|"
		for i, c := range r {
			s += " " + c + strings.Repeat(" ", widths[i]-len(c)) + " |"
		}
		fmt.Fprintln(w, s)
	}
	fmt.Fprintln(w, sep)
	line(rows[0])
	fmt.Fprintln(w, sep)
	for _, r := range rows[1:] {
		line(r)
	}
	fmt.Fprintln(w, sep)
}
