package node

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefaultInterfacesToExclude are the interfaces first-found and skip-interface= never pick:
// container, bridge, tunnel and Calico's own devices (Calico's list).
var DefaultInterfacesToExclude = []string{
	"^docker.*", "^cbr.*", "^dummy.*", "^podman.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo",
	"^br-.*", "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*", `^vxlan\.calico.*`,
	`^vxlan-v6\.calico.*`, `^wireguard\.cali.*`, `^wg-v6\.cali.*`, "^nodelocaldns.*",
}

// Interface is a host interface and its addresses (with their prefix lengths).
type Interface struct {
	Name  string
	Index int
	Addrs []netip.Prefix
}

// HostInterfaces lists the interfaces that are up, with their addresses.
func HostInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing host interfaces: %w", err)
	}
	var out []Interface
	for _, i := range ifs {
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		iface := Interface{Name: i.Name, Index: i.Index}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				ip, _ := netip.AddrFromSlice(ipn.IP)
				ones, _ := ipn.Mask.Size()
				iface.Addrs = append(iface.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
			}
		}
		out = append(out, iface)
	}
	return out, nil
}

// Detected is the outcome of autodetection: the address with its prefix length, the interface
// it is on and the sentence the agent logs.
type Detected struct {
	CIDR      netip.Prefix
	Interface string
	Message   string
}

// ValidateMethod checks an autodetection method without running it, so that a bad one is
// refused before anything is written.
func ValidateMethod(method string) error {
	switch {
	case method == "" || method == "first-found":
		return nil
	case strings.HasPrefix(method, "can-reach="):
		if strings.TrimPrefix(method, "can-reach=") == "" {
			return fmt.Errorf("invalid IP autodetection method %q: can-reach= needs an address or host name", method)
		}
		return nil
	case strings.HasPrefix(method, "interface="), strings.HasPrefix(method, "skip-interface="):
		_, list, _ := strings.Cut(method, "=")
		_, err := joinRegexps(splitList(list))
		if err != nil {
			return fmt.Errorf("invalid IP autodetection method %q: %w", method, err)
		}
		return nil
	case strings.HasPrefix(method, "cidr="):
		for _, c := range splitList(strings.TrimPrefix(method, "cidr=")) {
			if _, err := netip.ParsePrefix(c); err != nil {
				return fmt.Errorf("invalid IP autodetection method %q: %q is not a CIDR", method, c)
			}
		}
		return nil
	}
	return fmt.Errorf("invalid IP autodetection method: %s (expected first-found, can-reach=DEST, interface=REGEX,..., skip-interface=REGEX,... or cidr=CIDR,...)", method)
}

var listSep = regexp.MustCompile(`\s*,\s*`)

func splitList(s string) []string {
	var out []string
	for _, p := range listSep.Split(strings.TrimSpace(s), -1) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func joinRegexps(list []string) (*regexp.Regexp, error) {
	if len(list) == 0 {
		return nil, nil
	}
	parts := make([]string, len(list))
	for i, r := range list {
		if _, err := regexp.Compile(r); err != nil {
			return nil, fmt.Errorf("%q is not a regular expression: %v", r, err)
		}
		parts[i] = "(" + r + ")"
	}
	return regexp.Compile(strings.Join(parts, "|"))
}

// Autodetect finds this host's address of one family (4 or 6) by a method, as Calico's
// startup does. ifaces are the host's interfaces (HostInterfaces()).
func Autodetect(method string, version int, ifaces []Interface) (*Detected, error) {
	if err := ValidateMethod(method); err != nil {
		return nil, err
	}
	v := fmt.Sprintf("IPv%d", version)
	switch {
	case method == "" || method == "first-found":
		d, err := firstFound(ifaces, version, nil, DefaultInterfacesToExclude, nil)
		if err != nil {
			return nil, err
		}
		d.Message = fmt.Sprintf("Using autodetected %s address on interface %s: %s", v, d.Interface, d.CIDR)
		return d, nil
	case strings.HasPrefix(method, "interface="):
		d, err := firstFound(ifaces, version, splitList(strings.TrimPrefix(method, "interface=")), nil, nil)
		if err != nil {
			return nil, err
		}
		d.Message = fmt.Sprintf("Using autodetected %s address %s on matching interface %s", v, d.CIDR, d.Interface)
		return d, nil
	case strings.HasPrefix(method, "skip-interface="):
		skip := append(append([]string(nil), DefaultInterfacesToExclude...), splitList(strings.TrimPrefix(method, "skip-interface="))...)
		d, err := firstFound(ifaces, version, nil, skip, nil)
		if err != nil {
			return nil, err
		}
		d.Message = fmt.Sprintf("Using autodetected %s address on interface %s: %s while skipping matching interfaces", v, d.Interface, d.CIDR)
		return d, nil
	case strings.HasPrefix(method, "cidr="):
		var cidrs []netip.Prefix
		for _, c := range splitList(strings.TrimPrefix(method, "cidr=")) {
			cidrs = append(cidrs, netip.MustParsePrefix(c))
		}
		d, err := firstFound(ifaces, version, nil, nil, cidrs)
		if err != nil {
			return nil, err
		}
		d.Message = fmt.Sprintf("Using autodetected %s address %s on interface %s matching cidrs %v", v, d.CIDR, d.Interface, cidrs)
		return d, nil
	default: // can-reach=
		return canReach(strings.TrimPrefix(method, "can-reach="), version, ifaces)
	}
}

// firstFound returns the first global unicast address of the wanted family on an interface
// that include matches (all when nil) and exclude does not, within cidrs when given. Like
// Calico, interfaces are tried from the highest index down.
func firstFound(ifaces []Interface, version int, include, exclude []string, cidrs []netip.Prefix) (*Detected, error) {
	inc, err := joinRegexps(include)
	if err != nil {
		return nil, err
	}
	exc, err := joinRegexps(exclude)
	if err != nil {
		return nil, err
	}
	sorted := append([]Interface(nil), ifaces...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Index > sorted[j].Index })
	found := false
	for _, i := range sorted {
		if (inc != nil && !inc.MatchString(i.Name)) || (exc != nil && exc.MatchString(i.Name)) {
			continue
		}
		found = true
		for _, a := range i.Addrs {
			ip := a.Addr()
			if (version == 4) != ip.Is4() || !ip.IsGlobalUnicast() {
				continue
			}
			if len(cidrs) > 0 && !containedIn(ip, cidrs) {
				continue
			}
			return &Detected{CIDR: a, Interface: i.Name}, nil
		}
	}
	if !found {
		return nil, fmt.Errorf("no valid host interfaces found")
	}
	return nil, fmt.Errorf("no valid IPv%d addresses found on the host interfaces", version)
}

func containedIn(ip netip.Addr, cidrs []netip.Prefix) bool {
	for _, c := range cidrs {
		if c.Contains(ip) {
			return true
		}
	}
	return false
}

// canReach finds the local address the kernel would use to reach dest (a UDP "connection"
// sends nothing) and the interface carrying it.
func canReach(dest string, version int, ifaces []Interface) (*Detected, error) {
	network := fmt.Sprintf("udp%d", version)
	conn, err := net.DialTimeout(network, net.JoinHostPort(dest, "80"), 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("can-reach=%s: %w", dest, err)
	}
	defer conn.Close()
	local := conn.LocalAddr().(*net.UDPAddr)
	ip, _ := netip.AddrFromSlice(local.IP)
	ip = ip.Unmap()
	for _, i := range ifaces {
		for _, a := range i.Addrs {
			if a.Addr() == ip {
				return &Detected{CIDR: a, Interface: i.Name,
					Message: fmt.Sprintf("Using autodetected IPv%d address %s, detected by connecting to %s", version, a, dest)}, nil
			}
		}
	}
	return nil, fmt.Errorf("autodetected IPv%d address does not match any addresses found on local interfaces: %s", version, ip)
}

// LocalCIDR adds the prefix length of the host interface carrying ip, or /32 (/128) when no
// interface has it.
func LocalCIDR(ip netip.Addr, ifaces []Interface) (netip.Prefix, bool) {
	for _, i := range ifaces {
		for _, a := range i.Addrs {
			if a.Addr() == ip {
				return a, true
			}
		}
	}
	return netip.PrefixFrom(ip, ip.BitLen()), false
}
