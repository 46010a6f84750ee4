// Package node is the Calico node agent as a library: start-up (node name, address
// autodetection, the Node resource, default IP pools, cluster information), then a BGP speaker
// configured from the datastore, a BIRD-compatible control socket, kernel route programming and
// CalicoNodeStatus reporting. cmd/calico-node runs it; `calicoctl node` starts and reads it.
package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/version"
)

// StartedLine is the last line of a successful start-up, which `calicoctl node run` waits for.
const StartedLine = "Calico node started successfully"

// Config is the agent's configuration, from the environment variables calico/node reads.
type Config struct {
	NodeName       string // NODENAME
	NodeNameFile   string // CALICO_NODENAME_FILE, default /var/lib/calico/nodename
	IP, IP6        string // IP, IP6: an address, "autodetect", "none" or ""
	IPMethod       string // IP_AUTODETECTION_METHOD
	IP6Method      string // IP6_AUTODETECTION_METHOD
	AS             string // AS
	Backend        string // CALICO_NETWORKING_BACKEND: bird (BGP) or none
	NoDefaultPools bool   // NO_DEFAULT_POOLS
	IPv4PoolCIDR   string // CALICO_IPV4POOL_CIDR
	IPv4BlockSize  string // CALICO_IPV4POOL_BLOCK_SIZE
	IPv4IPIP       string // CALICO_IPV4POOL_IPIP
	IPv4VXLAN      string // CALICO_IPV4POOL_VXLAN
	IPv4NAT        string // CALICO_IPV4POOL_NAT_OUTGOING
	IPv6PoolCIDR   string // CALICO_IPV6POOL_CIDR
	IPv6BlockSize  string // CALICO_IPV6POOL_BLOCK_SIZE
	IPv6VXLAN      string // CALICO_IPV6POOL_VXLAN
	IPv6NAT        string // CALICO_IPV6POOL_NAT_OUTGOING
	ClusterType    string // CLUSTER_TYPE
	RouterID       string // CALICO_ROUTER_ID: an IPv4 address or "hash"
	StateDir       string // where the node name is kept: /var/lib/calico
	BirdSocket     string // CALICO_BIRD_SOCKET, default /var/run/calico/bird.ctl
	Bird6Socket    string // CALICO_BIRD6_SOCKET, default /var/run/calico/bird6.ctl
	// ProgramRoutes makes the agent install learned routes in the kernel
	// (CALICO_PROGRAM_ROUTES, default true).
	ProgramRoutes bool
	// ListenAddress overrides the address BGP listens on (CALICO_BGP_LISTEN_ADDRESS); by default
	// every address, or the node's with BGPConfiguration bindMode NodeIP.
	ListenAddress string
}

// ConfigFromEnv reads the agent's configuration from the environment.
func ConfigFromEnv() Config {
	get := func(k, def string) string {
		if v, ok := os.LookupEnv(k); ok {
			return strings.TrimSpace(v)
		}
		return def
	}
	return Config{
		NodeName:       get("NODENAME", ""),
		NodeNameFile:   get("CALICO_NODENAME_FILE", "/var/lib/calico/nodename"),
		IP:             get("IP", ""),
		IP6:            get("IP6", ""),
		IPMethod:       get("IP_AUTODETECTION_METHOD", ""),
		IP6Method:      get("IP6_AUTODETECTION_METHOD", ""),
		AS:             get("AS", ""),
		Backend:        get("CALICO_NETWORKING_BACKEND", "bird"),
		NoDefaultPools: strings.EqualFold(get("NO_DEFAULT_POOLS", ""), "true"),
		IPv4PoolCIDR:   get("CALICO_IPV4POOL_CIDR", ""),
		IPv4BlockSize:  get("CALICO_IPV4POOL_BLOCK_SIZE", ""),
		IPv4IPIP:       get("CALICO_IPV4POOL_IPIP", ""),
		IPv4VXLAN:      get("CALICO_IPV4POOL_VXLAN", ""),
		IPv4NAT:        get("CALICO_IPV4POOL_NAT_OUTGOING", ""),
		IPv6PoolCIDR:   get("CALICO_IPV6POOL_CIDR", ""),
		IPv6BlockSize:  get("CALICO_IPV6POOL_BLOCK_SIZE", ""),
		IPv6VXLAN:      get("CALICO_IPV6POOL_VXLAN", ""),
		IPv6NAT:        get("CALICO_IPV6POOL_NAT_OUTGOING", ""),
		ClusterType:    get("CLUSTER_TYPE", ""),
		RouterID:       get("CALICO_ROUTER_ID", ""),
		StateDir:       get("CALICO_STATE_DIR", "/var/lib/calico"),
		BirdSocket:     get("CALICO_BIRD_SOCKET", "/var/run/calico/bird.ctl"),
		Bird6Socket:    get("CALICO_BIRD6_SOCKET", "/var/run/calico/bird6.ctl"),
		ProgramRoutes:  !strings.EqualFold(get("CALICO_PROGRAM_ROUTES", "true"), "false"),
		ListenAddress:  get("CALICO_BGP_LISTEN_ADDRESS", ""),
	}
}

// Validate refuses a configuration that start-up would fail on, before anything is written.
func (c *Config) Validate() error {
	if c.Backend != "bird" && c.Backend != "none" {
		return fmt.Errorf("unknown networking backend CALICO_NETWORKING_BACKEND=%s: expected bird or none", c.Backend)
	}
	if err := ValidateMethod(c.IPMethod); err != nil {
		return fmt.Errorf("IP_AUTODETECTION_METHOD: %w", err)
	}
	if err := ValidateMethod(c.IP6Method); err != nil {
		return fmt.Errorf("IP6_AUTODETECTION_METHOD: %w", err)
	}
	if c.AS != "" {
		if _, err := api.ParseASNumber(c.AS); err != nil {
			return fmt.Errorf("The AS number specified in the environment (AS=%s) is not valid: expected 0 to 4294967295 or the dotted form a.b", c.AS)
		}
	}
	for _, e := range []struct {
		name, v string
		want    int
	}{{"IP", c.IP, 4}, {"IP6", c.IP6, 6}} {
		if e.v == "" || e.v == "autodetect" || e.v == "none" {
			continue
		}
		if ip, err := parseIPOrCIDR(e.v); err != nil || (ip.Is4() != (e.want == 4)) {
			return fmt.Errorf("Environment does not contain a valid IPv%d address: %s=%s", e.want, e.name, e.v)
		}
	}
	if c.NoDefaultPools && (c.IPv4PoolCIDR != "" || c.IPv6PoolCIDR != "") {
		return errors.New("Invalid configuration with NO_DEFAULT_POOLS defined and CALICO_IPV4POOL_CIDR or CALICO_IPV6POOL_CIDR defined: unset one of them")
	}
	for _, m := range []struct{ name, v string }{{"CALICO_IPV4POOL_IPIP", c.IPv4IPIP}, {"CALICO_IPV4POOL_VXLAN", c.IPv4VXLAN}, {"CALICO_IPV6POOL_VXLAN", c.IPv6VXLAN}} {
		if _, err := encapMode[api.IPIPMode](m.v, m.name); err != nil {
			return err
		}
	}
	for _, b := range []struct {
		name, v  string
		min, max int
	}{{"CALICO_IPV4POOL_BLOCK_SIZE", c.IPv4BlockSize, 20, 32}, {"CALICO_IPV6POOL_BLOCK_SIZE", c.IPv6BlockSize, 116, 128}} {
		if b.v == "" {
			continue
		}
		if n, err := strconv.Atoi(b.v); err != nil || n < b.min || n > b.max {
			return fmt.Errorf("%s=%s is not a valid block size: expected %d to %d", b.name, b.v, b.min, b.max)
		}
	}
	for _, p := range []struct {
		name, v string
		v4      bool
	}{{"CALICO_IPV4POOL_CIDR", c.IPv4PoolCIDR, true}, {"CALICO_IPV6POOL_CIDR", c.IPv6PoolCIDR, false}} {
		if p.v == "" || strings.EqualFold(p.v, "none") {
			continue
		}
		if pr, err := netip.ParsePrefix(p.v); err != nil || pr.Addr().Is4() != p.v4 {
			return fmt.Errorf("%s=%s is not an IPv%s CIDR", p.name, p.v, map[bool]string{true: "4", false: "6"}[p.v4])
		}
	}
	if c.RouterID != "" && c.RouterID != "hash" {
		if a, err := netip.ParseAddr(c.RouterID); err != nil || !a.Is4() {
			return fmt.Errorf("CALICO_ROUTER_ID=%s is not an IPv4 address or \"hash\"", c.RouterID)
		}
	}
	return nil
}

func parseIPOrCIDR(s string) (netip.Addr, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr(), nil
	}
	return netip.ParseAddr(s)
}

// Startup is the result of a successful start-up.
type Startup struct {
	NodeName string
	Node     *api.Node
}

// Run performs calico/node's start-up against the datastore: it determines the node name and
// addresses, creates or updates the Node resource, creates the default IP pools and the
// cluster's default configuration, and records the node name. Every refusal happens before the
// Node is written.
func Run(ctx context.Context, c *client.Client, cfg Config, log *slog.Logger) (*Startup, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log.Info("Early log level set to info")
	name, err := DetermineNodeName(cfg, log)
	if err != nil {
		return nil, err
	}
	log.Info(fmt.Sprintf("Starting node %s with version %s", name, version.Version))
	log.Info("Skipping datastore connection test")

	nodeKind := mustKind("Node")
	var node *api.Node
	obj, err := c.Get(ctx, nodeKind, "", name)
	switch {
	case datastore.IsDoesNotExist(err):
		log.Info("Building new node resource", "Name", name)
		node = nodeKind.NewObject().(*api.Node)
		node.Name = name
	case err != nil:
		return nil, fmt.Errorf("Unable to access datastore to query node configuration: %w", err)
	default:
		node = obj.(*api.Node)
	}
	before := fmt.Sprintf("%+v", node.Spec)

	if cfg.Backend != "none" {
		ifaces, err := HostInterfaces()
		if err != nil {
			return nil, err
		}
		if node.Spec.BGP == nil {
			log.Info("Initialize BGP data")
			node.Spec.BGP = &api.NodeBGPSpec{}
		}
		oldV4 := node.Spec.BGP.IPv4Address
		if err := configureAddress(cfg.IP, cfg.IPMethod, 4, &node.Spec.BGP.IPv4Address, ifaces, log); err != nil {
			return nil, err
		}
		if err := configureAddress(cfg.IP6, cfg.IP6Method, 6, &node.Spec.BGP.IPv6Address, ifaces, log); err != nil {
			return nil, err
		}
		if node.Spec.BGP.IPv4Address == "" && node.Spec.BGP.IPv6Address == "" {
			return nil, errors.New("no IPv4 or IPv6 addresses configured or detected, required for Calico networking")
		}
		if node.Spec.BGP.IPv4Address != oldV4 {
			if oldV4 != "" && !ranAs(cfg, name) {
				// The node exists with another address and this host never ran as it: the
				// name belongs to another host. Calico only warns here; taking the node over
				// would break the other host's networking.
				return nil, fmt.Errorf("node name %s is already used by another host (IPv4 address %s, this host has %s): set NODENAME to a name unique to this host, or, if the node was really moved here, delete it first with 'calicoctl delete node %s'", name, oldV4, node.Spec.BGP.IPv4Address, name)
			}
			if oldV4 != "" {
				log.Warn("IPv4 address has changed. This could happen if there are multiple nodes with the same name.")
			}
			log.Info("Node IPv4 changed, will check for conflicts")
			if err := checkConflicts(ctx, c, node, log); err != nil {
				return nil, err
			}
		}
		if cfg.AS != "" {
			as, _ := api.ParseASNumber(cfg.AS)
			log.Info(fmt.Sprintf("Using AS number specified in environment (AS=%s)", as))
			node.Spec.BGP.ASNumber = &as
		} else if node.Spec.BGP.ASNumber == nil {
			log.Info("No AS number configured on node resource, using global value")
		} else {
			log.Info(fmt.Sprintf("Using AS number %s configured in node resource", node.Spec.BGP.ASNumber))
		}
	}

	if node.ResourceVersion == "" {
		if _, err := c.Create(ctx, node); err != nil {
			if datastore.IsNotSupported(err) {
				return nil, fmt.Errorf("Unable to set node resource configuration: node %s does not exist in the Kubernetes API; in the Kubernetes datastore the agent runs on a node Kubernetes knows: %w", name, err)
			}
			return nil, fmt.Errorf("Unable to set node resource configuration: %w", err)
		}
	} else if fmt.Sprintf("%+v", node.Spec) != before {
		if _, err := c.Update(ctx, node); err != nil {
			return nil, fmt.Errorf("Unable to set node resource configuration: %w", err)
		}
	}
	stored, err := c.Get(ctx, nodeKind, "", name)
	if err != nil {
		return nil, fmt.Errorf("reading back node %s: %w", name, err)
	}
	node = stored.(*api.Node)

	if err := configurePools(ctx, c, cfg, log); err != nil {
		return nil, err
	}
	if node, err = EnsureTunnelAddresses(ctx, c, node, log); err != nil {
		return nil, err
	}
	if err := ensureDefaultConfig(ctx, c, cfg, name, log); err != nil {
		return nil, err
	}
	if err := writeNodeName(cfg, name); err != nil {
		log.Warn("Unable to write the node name: " + err.Error())
	}
	log.Info("Using node name: " + name)
	return &Startup{NodeName: name, Node: node}, nil
}

// DetermineNodeName follows Calico's order: NODENAME, the stored name, HOSTNAME, the hostname.
func DetermineNodeName(cfg Config, log *slog.Logger) (string, error) {
	var name string
	switch {
	case cfg.NodeName != "":
		name = cfg.NodeName
		log.Info("Using NODENAME environment for node name " + name)
	default:
		if b, err := os.ReadFile(cfg.NodeNameFile); err == nil && strings.TrimSpace(string(b)) != "" {
			name = strings.TrimSpace(string(b))
			log.Info(fmt.Sprintf("Using stored node name %s from %s", name, cfg.NodeNameFile))
		} else if h := strings.TrimSpace(os.Getenv("HOSTNAME")); h != "" {
			name = strings.ToLower(h)
			log.Info("Using HOSTNAME environment (lowercase) for node name " + name)
		} else {
			h, err := os.Hostname()
			if err != nil {
				return "", errors.New("unable to determine node name: set NODENAME")
			}
			name = strings.ToLower(strings.TrimSpace(h))
			log.Warn("Using auto-detected node name. It is recommended that an explicit value is supplied using the NODENAME environment variable.")
		}
	}
	log.Info("Determined node name: " + name)
	return name, nil
}

// configureAddress sets one family's address of the Node from IP/IP6 and the autodetection
// method, keeping the stored value when detection fails and one exists.
func configureAddress(env, method string, version int, field *string, ifaces []Interface, log *slog.Logger) error {
	v := fmt.Sprintf("IPv%d", version)
	switch {
	case env == "none":
		if *field != "" {
			log.Info(fmt.Sprintf("Autodetection for %s disabled, keeping existing value: %s", v, *field))
		}
		return nil
	case env == "autodetect" || (env == "" && version == 4 && *field == ""):
		d, err := Autodetect(method, version, ifaces)
		if err != nil {
			log.Warn(fmt.Sprintf("Unable to auto-detect an %s address: %v", v, err))
			if *field == "" {
				log.Warn(fmt.Sprintf("Couldn't autodetect an %s address. If auto-detecting, choose a different autodetection method. Otherwise provide an explicit address.", v))
				return fmt.Errorf("failed to autodetect an %s address: %v", v, err)
			}
			log.Warn(fmt.Sprintf("Autodetection of %s address failed, keeping existing value: %s", v, *field))
			return nil
		}
		log.Info(d.Message)
		*field = d.CIDR.String()
		return nil
	case env == "":
		return nil
	}
	ip, _ := parseIPOrCIDR(env)
	cidr := env
	if !strings.Contains(env, "/") {
		p, ok := LocalCIDR(ip, ifaces)
		if ok {
			log.Info("Including CIDR information from host interface.")
		} else {
			log.Warn("Unable to find matching host interface for IP " + env)
		}
		cidr = p.String()
	}
	log.Info(fmt.Sprintf("Using %s address from environment: IP%s=%s", v, map[int]string{4: "", 6: "6"}[version], env))
	if _, ok := LocalCIDR(ip, ifaces); !ok {
		log.Warn(fmt.Sprintf("Unable to confirm %s address %s is assigned to this host", v, ip))
	}
	*field = cidr
	return nil
}

// checkConflicts refuses an IPv4 address another node already uses.
func checkConflicts(ctx context.Context, c *client.Client, node *api.Node, log *slog.Logger) error {
	if strings.EqualFold(os.Getenv("DISABLE_NODE_IP_CHECK"), "true") {
		return nil
	}
	mine, err := netip.ParsePrefix(node.Spec.BGP.IPv4Address)
	if err != nil {
		return nil
	}
	nodes, err := c.List(ctx, mustKind("Node"), datastore.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes to check for address conflicts: %w", err)
	}
	for _, o := range nodes.Items {
		other := o.(*api.Node)
		if other.Name == node.Name || other.Spec.BGP == nil {
			continue
		}
		if p, err := netip.ParsePrefix(other.Spec.BGP.IPv4Address); err == nil && p.Addr() == mine.Addr() {
			log.Warn(fmt.Sprintf("Calico node '%s' is already using the IPv4 address %s.", other.Name, mine.Addr()))
			return fmt.Errorf("IPv4 address conflict: node %s already uses %s; the node name %s may belong to another host, or this host was renamed: set NODENAME to the host's node name, or delete the stale node with 'calicoctl delete node %s'", other.Name, mine.Addr(), node.Name, other.Name)
		}
	}
	return nil
}

// ranAs says whether this host recorded name as its node name in an earlier start.
func ranAs(cfg Config, name string) bool {
	b, err := os.ReadFile(cfg.NodeNameFile)
	return err == nil && strings.TrimSpace(string(b)) == name
}

func writeNodeName(cfg Config, name string) error {
	if err := os.MkdirAll(filepath.Dir(cfg.NodeNameFile), 0o755); err != nil {
		return err
	}
	return os.WriteFile(cfg.NodeNameFile, []byte(name), 0o644)
}

func mustKind(name string) *resources.Kind {
	k, ok := resources.ByKind(name)
	if !ok {
		panic("kind not registered: " + name)
	}
	return k
}

// envBool reads a boolean as Calico's evaluateENVBool: false, 0, no, n, f are false.
func envBool(v string, def bool) bool {
	if v == "" {
		return def
	}
	switch strings.ToLower(v) {
	case "false", "0", "no", "n", "f":
		return false
	}
	return true
}

func encapMode[M ~string](env, name string) (M, error) {
	switch strings.ToLower(env) {
	case "", "off", "never":
		return "Never", nil
	case "crosssubnet", "cross-subnet":
		return "CrossSubnet", nil
	case "always":
		return "Always", nil
	}
	return "", fmt.Errorf("Unrecognized %s mode specified in %s '%s': expected Always, CrossSubnet or Never", map[bool]string{true: "IPIP", false: "VXLAN"}[strings.Contains(name, "IPIP")], name, env)
}

// configurePools creates default-ipv4-ippool and default-ipv6-ippool when no pool of the
// family exists.
func configurePools(ctx context.Context, c *client.Client, cfg Config, log *slog.Logger) error {
	if cfg.NoDefaultPools {
		log.Info("Skipping IP pool configuration")
		return nil
	}
	poolKind := mustKind("IPPool")
	list, err := c.List(ctx, poolKind, datastore.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing IP pools: %w", err)
	}
	have4, have6 := false, false
	for _, o := range list.Items {
		if p, err := netip.ParsePrefix(o.(*api.IPPool).Spec.CIDR); err == nil {
			have4 = have4 || p.Addr().Is4()
			have6 = have6 || p.Addr().Is6()
		}
	}
	ifaces, _ := HostInterfaces()
	type family struct {
		v                   int
		have                bool
		cidr, size, nat, vx string
		ipip                string
		defSize             int
		defNAT              bool
	}
	for _, f := range []family{
		{4, have4, cfg.IPv4PoolCIDR, cfg.IPv4BlockSize, cfg.IPv4NAT, cfg.IPv4VXLAN, cfg.IPv4IPIP, 26, true},
		{6, have6, cfg.IPv6PoolCIDR, cfg.IPv6BlockSize, cfg.IPv6NAT, cfg.IPv6VXLAN, "", 122, false},
	} {
		if strings.EqualFold(f.cidr, "none") {
			log.Info(fmt.Sprintf("Skipping IPv%d pool configuration", f.v))
			continue
		}
		if f.v == 6 {
			if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil || strings.EqualFold(os.Getenv("FELIX_IPV6SUPPORT"), "false") {
				continue
			}
		}
		if f.have {
			continue
		}
		cidr := f.cidr
		if cidr == "" {
			if f.v == 4 {
				cidr = DefaultIPv4Pool(ifaces).String()
				log.Info(fmt.Sprintf("Selected default IP pool is '%s'", cidr))
			} else {
				cidr = randomULA().String()
			}
		}
		size := f.defSize
		if f.size != "" {
			n, err := strconv.Atoi(f.size)
			if err != nil {
				return fmt.Errorf("CALICO_IPV%dPOOL_BLOCK_SIZE=%s is not a number", f.v, f.size)
			}
			size = n
		}
		ipipMode, err := encapMode[api.IPIPMode](f.ipip, fmt.Sprintf("CALICO_IPV%dPOOL_IPIP", f.v))
		if err != nil {
			return err
		}
		vxlanMode, err := encapMode[api.VXLANMode](f.vx, fmt.Sprintf("CALICO_IPV%dPOOL_VXLAN", f.v))
		if err != nil {
			return err
		}
		nat := envBool(f.nat, f.defNAT)
		pool := poolKind.NewObject().(*api.IPPool)
		pool.Name = fmt.Sprintf("default-ipv%d-ippool", f.v)
		pool.Spec = api.IPPoolSpec{CIDR: cidr, BlockSize: size, IPIPMode: ipipMode, VXLANMode: vxlanMode, NATOutgoing: nat, NodeSelector: "all()"}
		log.Info(fmt.Sprintf("Ensure default IPv%d pool is created. IPIP mode: %s, VXLAN mode: %s, DisableBGPExport: false", f.v, ipipMode, vxlanMode))
		if _, err := c.Create(ctx, pool); err != nil && !datastore.IsAlreadyExists(err) {
			return fmt.Errorf("creating the default IPv%d pool %s: %w", f.v, cidr, err)
		}
		log.Info(fmt.Sprintf("Created default IPv%d pool (%s) with NAT outgoing %t. IPIP mode: %s, VXLAN mode: %s, DisableBGPExport: false", f.v, cidr, nat, ipipMode, vxlanMode))
	}
	return nil
}

// DefaultIPv4Pool is 192.168.0.0/16 unless a host address lies in it; then the first of
// 172.16.0.0/16 ... 172.31.0.0/16 no host address lies in.
func DefaultIPv4Pool(ifaces []Interface) netip.Prefix {
	def := netip.MustParsePrefix("192.168.0.0/16")
	overlaps := func(p netip.Prefix) bool {
		for _, i := range ifaces {
			for _, a := range i.Addrs {
				if p.Contains(a.Addr()) || a.Contains(p.Addr()) && a.Bits() > 0 && a.Addr().Is4() && a.Bits() <= p.Bits() {
					return true
				}
			}
		}
		return false
	}
	if !overlaps(def) {
		return def
	}
	for i := 16; i <= 31; i++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(i), 0, 0}), 16)
		if !overlaps(p) {
			return p
		}
	}
	return def
}

// randomULA is an RFC 4193 fdXX:XXXX:XXXX::/48.
func randomULA() netip.Prefix {
	var b [16]byte
	b[0] = 0xfd
	rand.Read(b[1:6])
	return netip.PrefixFrom(netip.AddrFrom16(b), 48)
}

// ensureDefaultConfig creates ClusterInformation and the default configuration resources,
// or completes them.
func ensureDefaultConfig(ctx context.Context, c *client.Client, cfg Config, name string, log *slog.Logger) error {
	if err := c.EnsureInitialized(ctx); err != nil {
		return fmt.Errorf("initialising the datastore: %w", err)
	}
	clusterType := cfg.ClusterType
	if c.Store().Type() == "kubernetes" {
		clusterType = joinTypes(clusterType, "kdd")
	}
	if _, err := c.Modify(ctx, mustKind("ClusterInformation"), "", "default", func(o resources.Resource) (resources.Resource, error) {
		ci := o.(*api.ClusterInformation)
		ci.Spec.CalicoVersion = version.Version
		if ci.Spec.ClusterGUID == "" {
			ci.Spec.ClusterGUID = strings.ReplaceAll(uuid.NewString(), "-", "")
		}
		if ci.Spec.DatastoreReady == nil {
			t := true
			ci.Spec.DatastoreReady = &t
		}
		ci.Spec.ClusterType = joinTypes(ci.Spec.ClusterType, clusterType)
		return ci, nil
	}); err != nil {
		return fmt.Errorf("updating ClusterInformation default: %w", err)
	}
	creates := []struct {
		kind, name string
		fill       func(resources.Resource) bool
	}{
		{"FelixConfiguration", "default", func(o resources.Resource) bool {
			fc := o.(*api.FelixConfiguration)
			changed := false
			if fc.Spec.LogSeverityScreen == "" {
				fc.Spec.LogSeverityScreen, changed = "Info", true
			}
			if fc.Spec.ReportingInterval == nil {
				zero := api.Duration{}
				fc.Spec.ReportingInterval, changed = &zero, true
			}
			return changed
		}},
		{"BGPConfiguration", "default", func(resources.Resource) bool { return false }},
	}
	if c.Store().Type() == "etcdv3" {
		creates = append(creates, struct {
			kind, name string
			fill       func(resources.Resource) bool
		}{"FelixConfiguration", "node." + name, func(o resources.Resource) bool {
			fc := o.(*api.FelixConfiguration)
			if fc.Spec.DefaultEndpointToHostAction == "" {
				fc.Spec.DefaultEndpointToHostAction = "Return"
				return true
			}
			return false
		}})
	}
	for _, cr := range creates {
		kind := mustKind(cr.kind)
		obj, err := c.Get(ctx, kind, "", cr.name)
		if datastore.IsDoesNotExist(err) {
			obj = kind.NewObject()
			obj.SetName(cr.name)
			cr.fill(obj)
			if _, err := c.Create(ctx, obj); err != nil && !datastore.IsAlreadyExists(err) {
				return fmt.Errorf("creating %s %s: %w", cr.kind, cr.name, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s %s: %w", cr.kind, cr.name, err)
		}
		if cr.fill(obj) {
			if _, err := c.Update(ctx, obj); err != nil && !datastore.IsConflict(err) {
				return fmt.Errorf("updating %s %s: %w", cr.kind, cr.name, err)
			}
		}
	}
	return nil
}

func joinTypes(a, b string) string {
	seen := map[string]bool{}
	var out []string
	for _, t := range strings.Split(a+","+b, ",") {
		if t = strings.TrimSpace(t); t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return strings.Join(out, ",")
}
