package node

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// DiagsOptions are the options of node diags.
type DiagsOptions struct {
	LogDir string
	// Dir is where the bundle is written ("" makes a temporary directory).
	Dir string
}

// NewCmdDiags builds node diags.
func NewCmdDiags(env Env, runF func(*DiagsOptions) error) *cobra.Command {
	opts := &DiagsOptions{}
	cmd := &cobra.Command{
		Use:   "diags",
		Short: "Collect this host's routes, addresses, rules and agent logs into a tarball",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return RunDiags(env, opts)
		},
	}
	cmd.Flags().StringVar(&opts.LogDir, "log-dir", "/var/log/calico", "the directory of the agent's logs")
	return cmd
}

var diagCommands = []struct {
	info, file string
	cmd        []string
}{
	{"", "date", []string{"date"}},
	{"", "hostname", []string{"hostname"}},
	{"Dumping routes (IPv4)", "ipv4_route", []string{"ip", "-4", "route"}},
	{"Dumping routes (IPv6)", "ipv6_route", []string{"ip", "-6", "route"}},
	{"Dumping interface info (IPv4)", "ipv4_addr", []string{"ip", "-4", "addr"}},
	{"Dumping interface info (IPv6)", "ipv6_addr", []string{"ip", "-6", "addr"}},
	{"Dumping policy routing rules", "ip_rules", []string{"ip", "rule"}},
	{"Dumping nftables", "nft_ruleset", []string{"nft", "-n", "-a", "list", "ruleset"}},
	{"Dumping iptables (IPv4)", "ipv4_tables", []string{"iptables-save", "-c"}},
	{"Dumping iptables (IPv6)", "ipv6_tables", []string{"ip6tables-save", "-c"}},
	{"Dumping ipsets", "ipsets", []string{"ipset", "list"}},
	{"Copying journal for calico-node.service", "journalctl_calico_node", []string{"journalctl", "-u", "calico-node.service", "--no-pager"}},
	{"Dumping ss", "ss", []string{"ss", "-a", "-n"}},
}

// RunDiags collects the diagnostics and says what could not be collected.
func RunDiags(env Env, o *DiagsOptions) error {
	if err := env.enforceRoot(); err != nil {
		return err
	}
	fmt.Fprintln(env.Out, "Collecting diagnostics")
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "calico")
		if err != nil {
			return fmt.Errorf("creating a temporary directory: %w", err)
		}
		dir = d
	}
	fmt.Fprintln(env.Out, "Using temp dir: "+dir)
	diag := filepath.Join(dir, "diagnostics")
	if err := os.MkdirAll(diag, 0o755); err != nil {
		return err
	}
	var missing []string
	for _, c := range diagCommands {
		if c.info != "" {
			fmt.Fprintln(env.Out, c.info)
		}
		ctx, cancel := context.WithTimeout(env.Context(), 30*time.Second)
		out, err := exec.CommandContext(ctx, c.cmd[0], c.cmd[1:]...).CombinedOutput()
		cancel()
		if err != nil {
			reason := strings.TrimSpace(lastLine(string(out), err))
			fmt.Fprintf(env.Out, "Failed to run command: %s\nError: %s\n", strings.Join(c.cmd, " "), reason)
			missing = append(missing, fmt.Sprintf("%s (%s)", strings.Join(c.cmd, " "), reason))
			continue
		}
		if err := os.WriteFile(filepath.Join(diag, c.file), out, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintln(env.Out, "Copying Calico logs")
	if err := copyTree(o.LogDir, filepath.Join(diag, "logs")); err != nil {
		fmt.Fprintf(env.Out, "Error copying log files: %v\n", err)
		missing = append(missing, fmt.Sprintf("the logs in %s (%v)", o.LogDir, err))
	}
	bundle := filepath.Join(dir, "diags-"+time.Now().Format("20060102_150405")+".tar.gz")
	if err := writeTarball(bundle, dir, "diagnostics"); err != nil {
		return fmt.Errorf("writing %s: %w", bundle, err)
	}
	fmt.Fprintf(env.Out, "\nDiags saved to %s\n", bundle)
	if len(missing) > 0 {
		fmt.Fprintln(env.Out, "\nNot collected:")
		for _, m := range missing {
			fmt.Fprintln(env.Out, "  - "+m)
		}
	}
	fmt.Fprintln(env.Out, "If required, you can upload the diagnostics bundle to a file sharing service.")
	return nil
}

func copyTree(src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func writeTarball(path, base, dir string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	walkErr := filepath.WalkDir(filepath.Join(base, dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		hdr.Name = rel
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			src, err := os.Open(p)
			if err != nil {
				return err
			}
			defer src.Close()
			_, err = io.Copy(tw, src)
			return err
		}
		return nil
	})
	return errors.Join(walkErr, tw.Close(), gz.Close(), f.Close())
}
