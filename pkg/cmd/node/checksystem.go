package node

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// CheckSystemOptions are the options of node checksystem.
type CheckSystemOptions struct {
	KernelConfig string
	// Root prefixes /sys, /lib/modules, /proc and /boot (tests point it at a made-up host).
	Root string
	// Release is the kernel release ("" reads uname).
	Release string
}

// NewCmdCheckSystem builds node checksystem.
func NewCmdCheckSystem(env Env, runF func(*CheckSystemOptions) error) *cobra.Command {
	opts := &CheckSystemOptions{}
	cmd := &cobra.Command{
		Use:   "checksystem",
		Short: "Check that this host can run Calico: kernel version and modules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return RunCheckSystem(env, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.KernelConfig, "kernel-config", "f", "", "the kernel configuration file to check modules against")
	return cmd
}

type module struct {
	name         string
	options      []string
	alternatives []string
	optional     bool
}

// modules are calicoctl's, in its order.
var modules = []module{
	{"ip_set", []string{"CONFIG_IP_SET"}, nil, false},
	{"ip6_tables", []string{"CONFIG_IP6_NF_IPTABLES"}, nil, true},
	{"ip_tables", []string{"CONFIG_IP_NF_IPTABLES"}, nil, false},
	{"ipt_ipvs", []string{"CONFIG_NETFILTER_XT_MATCH_IPVS"}, []string{"xt_ipvs"}, false},
	{"vfio-pci", []string{"CONFIG_VFIO", "CONFIG_VFIO_PCI"}, []string{"vfio_pci"}, false},
	{"xt_bpf", []string{"CONFIG_BPF", "CONFIG_NETFILTER_XT_MATCH_BPF"}, nil, true},
	{"ipt_REJECT", []string{"CONFIG_IP_NF_TARGET_REJECT", "CONFIG_NFT_REJECT", "CONFIG_NETFILTER_XT_TARGET_REJECT"}, []string{"xt_REJECT"}, false},
	{"xt_rpfilter", []string{"CONFIG_IP_NF_MATCH_RPFILTER", "CONFIG_IP6_NF_MATCH_RPFILTER", "CONFIG_NETFILTER_XT_MATCH_RPFILTER"}, []string{"ipt_rpfilter"}, false},
	{"nf_conntrack_netlink", []string{"CONFIG_NF_CT_NETLINK"}, nil, false},
	{"xt_addrtype", []string{"CONFIG_NETFILTER_XT_MATCH_ADDRTYPE"}, nil, false},
	{"xt_conntrack", []string{"CONFIG_NETFILTER_XT_MATCH_CONNTRACK"}, nil, false},
	{"xt_mark", []string{"CONFIG_NETFILTER_XT_MARK", "CONFIG_IP_NF_TARGET_MARK", "CONFIG_NETFILTER_XT_TARGET_MARK"}, nil, false},
	{"xt_multiport", []string{"CONFIG_NETFILTER_XT_MATCH_MULTIPORT", "CONFIG_IP_NF_MATCH_MULTIPORT"}, nil, false},
	{"xt_set", []string{"CONFIG_NETFILTER_XT_SET"}, []string{"ipt_set"}, false},
	{"xt_u32", []string{"CONFIG_NETFILTER_XT_MATCH_U32"}, nil, true},
}

func result(name, res string) string { return fmt.Sprintf("\t\t%-20s\t\t\t\t\t%s\n", name, res) }

// RunCheckSystem checks the kernel version and modules.
func RunCheckSystem(env Env, o *CheckSystemOptions) error {
	release := o.Release
	if release == "" {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return fmt.Errorf("reading the kernel version: %w", err)
		}
		release = unix.ByteSliceToString(u.Release[:])
	}
	failed := false
	fmt.Fprintln(env.Out, "Checking kernel version...")
	if !kernelAtLeast(release, [3]int{2, 6, 24}) {
		fmt.Fprintf(env.Out, "Minimum kernel version to run Calico is 2.6.24. Detected kernel version: %s\n", release)
		fmt.Fprint(env.Out, result(release, "FAIL"))
		failed = true
	} else {
		fmt.Fprint(env.Out, result(release, "OK"))
	}
	fmt.Fprintln(env.Out, "Checking kernel modules...")
	h := host{root: o.Root, release: release, kernelConfig: o.KernelConfig}
	for _, m := range modules {
		if h.present(m) {
			fmt.Fprint(env.Out, result(m.name, "OK"))
			continue
		}
		if m.optional {
			fmt.Fprintf(env.Out, "WARNING: Unable to detect optional module/feature %s; continuing\n", m.name)
			fmt.Fprint(env.Out, result(m.name, "SKIP"))
			continue
		}
		fmt.Fprintf(env.Out, "WARNING: Unable to detect the %s module as Loaded/Builtin module or lsmod\n", m.name)
		fmt.Fprint(env.Out, result(m.name, "FAIL"))
		failed = true
	}
	if failed {
		return errors.New("system doesn't meet one or more minimum systems requirements to run Calico")
	}
	fmt.Fprintln(env.Out, "System meets minimum system requirements to run Calico!")
	return nil
}

var releaseRE = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?`)

func kernelAtLeast(release string, min [3]int) bool {
	m := releaseRE.FindStringSubmatch(release)
	if m == nil {
		return false
	}
	for i := 0; i < 3; i++ {
		n, _ := strconv.Atoi(m[i+1])
		if n != min[i] {
			return n > min[i]
		}
	}
	return true
}

type host struct {
	root, release, kernelConfig string
	procModules                 map[string]bool
}

func (h *host) path(p string) string { return filepath.Join(h.root, p) }

// present finds a module loaded or built in (/sys/module), available (modules.dep), built in
// (modules.builtin), loaded (/proc/modules, as lsmod) under its name or an alternative, with
// - and _ interchangeable, else enabled in the kernel configuration (a file, or /proc/config.gz).
func (h *host) present(m module) bool {
	for _, name := range append([]string{m.name}, m.alternatives...) {
		variants := []string{name, strings.ReplaceAll(name, "-", "_"), strings.ReplaceAll(name, "_", "-")}
		if _, err := os.Stat(h.path("/sys/module/" + variants[1])); err == nil {
			return true
		}
		re := regexp.MustCompile(`/` + regexp.QuoteMeta(name) + `\.ko(\.(gz|xz|zst|bz2))?`)
		for _, f := range []string{"modules.dep", "modules.builtin"} {
			if fileMatches(h.path(filepath.Join("/lib/modules", h.release, f)), re) {
				return true
			}
		}
		if h.procModules == nil {
			h.procModules = map[string]bool{}
			if f, err := os.Open(h.path("/proc/modules")); err == nil {
				s := bufio.NewScanner(f)
				for s.Scan() {
					if fields := strings.Fields(s.Text()); len(fields) > 0 {
						h.procModules[fields[0]] = true
					}
				}
				f.Close()
			}
		}
		for _, v := range variants {
			if h.procModules[v] {
				return true
			}
		}
	}
	re := regexp.MustCompile(`^(` + strings.Join(m.options, "|") + `)=[ym]$`)
	for _, cfg := range h.kernelConfigs() {
		if fileMatches(cfg, re) {
			return true
		}
	}
	return false
}

func (h *host) kernelConfigs() []string {
	var out []string
	if h.kernelConfig != "" {
		out = append(out, h.kernelConfig)
	}
	for _, p := range []string{"/usr/src/linux/.config", "/boot/config-" + h.release, "/usr/src/linux-" + h.release + "/.config",
		"/usr/src/linux-headers-" + h.release + "/.config", "/lib/modules/" + h.release + "/build/.config",
		// The running kernel's own configuration (CONFIG_IKCONFIG_PROC), where the others are absent.
		"/proc/config.gz"} {
		out = append(out, h.path(p))
	}
	return out
}

func fileMatches(path string, re *regexp.Regexp) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return false
		}
		defer gz.Close()
		r = gz
	}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		if re.MatchString(s.Text()) {
			return true
		}
	}
	return false
}
