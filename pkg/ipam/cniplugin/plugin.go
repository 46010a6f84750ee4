// Package cniplugin is the calico-ipam CNI plugin: a container runtime (or the main Calico CNI
// plugin) runs it with the CNI environment and the network configuration on stdin, and it
// allocates, checks and releases the container's addresses through pkg/ipam, as Calico's own
// calico-ipam does, on etcd or the Kubernetes API.
package cniplugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// The client-side rate limit of a plugin process's requests to the Kubernetes API.
const (
	pluginQPS   = 100
	pluginBurst = 200
)

// Timeout bounds one plugin invocation (Calico raised its own to 90 s for large clusters).
const Timeout = 90 * time.Second

// NetConf is the part of the network configuration the plugin reads, with Calico's names.
type NetConf struct {
	types.NetConf
	DatastoreType    string `json:"datastore_type"`
	EtcdEndpoints    string `json:"etcd_endpoints"`
	EtcdDiscoverySrv string `json:"etcd_discovery_srv"`
	EtcdKeyFile      string `json:"etcd_key_file"`
	EtcdCertFile     string `json:"etcd_cert_file"`
	EtcdCACertFile   string `json:"etcd_ca_cert_file"`
	Nodename         string `json:"nodename"`
	Kubernetes       struct {
		Kubeconfig string `json:"kubeconfig"`
		K8sAPIRoot string `json:"k8s_api_root"`
	} `json:"kubernetes"`
	IPAM struct {
		Type       string   `json:"type"`
		AssignIPv4 *string  `json:"assign_ipv4"`
		AssignIPv6 *string  `json:"assign_ipv6"`
		IPv4Pools  []string `json:"ipv4_pools"`
		IPv6Pools  []string `json:"ipv6_pools"`
	} `json:"ipam"`
}

// K8sArgs are the Kubernetes values a runtime passes in CNI_ARGS.
type K8sArgs struct {
	types.CommonArgs
	K8S_POD_NAME               types.UnmarshallableString //nolint:revive // CNI's names
	K8S_POD_NAMESPACE          types.UnmarshallableString //nolint:revive
	K8S_POD_INFRA_CONTAINER_ID types.UnmarshallableString //nolint:revive
}

// Pod annotations that steer the allocation.
const (
	AnnotationIPAddrs   = "cni.projectcalico.org/ipAddrs"
	AnnotationIPv4Pools = "cni.projectcalico.org/ipv4pools"
	AnnotationIPv6Pools = "cni.projectcalico.org/ipv6pools"
)

func configError(format string, a ...any) error {
	return types.NewError(types.ErrInvalidNetworkConfig, fmt.Sprintf(format, a...), "")
}

func internalError(err error) error {
	var te *types.Error
	if errors.As(err, &te) {
		return te
	}
	return types.NewError(types.ErrInternal, err.Error(), "")
}

// invocation is what every command needs: the parsed configuration and a datastore.
type invocation struct {
	conf    NetConf
	k8s     K8sArgs
	node    string
	handle  string
	conns   connector
	client  *client.Client
	ipam    *ipam.Client
	release func()
	timeout context.Context
	cancel  context.CancelFunc
}

// A connector gives an invocation its datastore clients: a process of its own connects and
// closes them; the daemon keeps them connected between requests.
type connector interface {
	connect(cfg *config.CalicoAPIConfig) (c *client.Client, ic *ipam.Client, release func(), err error)
}

// direct connects for one invocation.
type direct struct{}

func (direct) connect(cfg *config.CalicoAPIConfig) (*client.Client, *ipam.Client, func(), error) {
	c, err := client.New(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, ipam.New(c.Store()), func() { c.Close() }, nil
}

func parse(args *skel.CmdArgs, conns connector) (*invocation, error) {
	inv := &invocation{}
	if err := json.Unmarshal(args.StdinData, &inv.conf); err != nil {
		return nil, configError("the network configuration is not valid JSON: %v", err)
	}
	if inv.conf.Name == "" {
		return nil, configError("the network configuration has no \"name\": the handle of an allocation is <name>.<container ID>")
	}
	if err := types.LoadArgs(args.Args, &inv.k8s); err != nil {
		return nil, types.NewError(types.ErrInvalidEnvironmentVariables, "CNI_ARGS: "+err.Error(), "")
	}
	inv.node = inv.conf.Nodename
	if inv.node == "" {
		if b, err := os.ReadFile("/var/lib/calico/nodename"); err == nil {
			inv.node = strings.TrimSpace(string(b))
		}
	}
	if inv.node == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, configError("no \"nodename\" in the network configuration and no host name: %v", err)
		}
		inv.node = h
	}
	inv.handle = inv.conf.Name + "." + args.ContainerID
	cfg := &config.CalicoAPIConfig{}
	cfg.Spec.DatastoreType = inv.conf.DatastoreType
	switch cfg.Spec.DatastoreType {
	case "", "etcdv3":
		cfg.Spec.DatastoreType = "etcdv3"
		if inv.conf.EtcdEndpoints == "" && inv.conf.EtcdDiscoverySrv == "" {
			return nil, configError("datastore_type etcdv3 needs \"etcd_endpoints\" in the network configuration")
		}
	case "kubernetes":
		if inv.conf.Kubernetes.Kubeconfig == "" && inv.conf.Kubernetes.K8sAPIRoot == "" {
			return nil, configError("datastore_type kubernetes needs \"kubernetes\": {\"kubeconfig\": FILE} in the network configuration")
		}
	default:
		return nil, configError("datastore_type %q is not supported: use etcdv3 or kubernetes", inv.conf.DatastoreType)
	}
	cfg.Spec.EtcdEndpoints, cfg.Spec.EtcdDiscoverySrv = inv.conf.EtcdEndpoints, inv.conf.EtcdDiscoverySrv
	cfg.Spec.EtcdKeyFile, cfg.Spec.EtcdCertFile, cfg.Spec.EtcdCACertFile = inv.conf.EtcdKeyFile, inv.conf.EtcdCertFile, inv.conf.EtcdCACertFile
	cfg.Spec.Kubeconfig, cfg.Spec.K8sAPIEndpoint = inv.conf.Kubernetes.Kubeconfig, inv.conf.Kubernetes.K8sAPIRoot
	cfg.Spec.K8sClientQPS, cfg.Spec.K8sClientBurst = pluginQPS, pluginBurst
	inv.conns = conns
	var err error
	if inv.client, inv.ipam, inv.release, err = conns.connect(cfg); err != nil {
		return nil, configError("connecting to the datastore: %v", err)
	}
	inv.timeout, inv.cancel = context.WithTimeout(context.Background(), Timeout)
	return inv, nil
}

func (inv *invocation) close() {
	inv.cancel()
	inv.release()
}

func boolOption(v *string, def bool, name string) (bool, error) {
	if v == nil {
		return def, nil
	}
	switch strings.ToLower(*v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, configError("ipam.%s must be \"true\" or \"false\", not %q", name, *v)
}

// Add allocates the container's addresses and prints the CNI result: through the daemon when one
// listens on handoff.Socket(), else itself.
func Add(args *skel.CmdArgs) error {
	if handled, err := delegate("ADD", args); handled {
		return err
	}
	out, err := run("ADD", args, direct{})
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}

// Del releases the container's addresses. Releasing what is not allocated succeeds: a runtime
// may call DEL more than once.
func Del(args *skel.CmdArgs) error {
	if handled, err := delegate("DEL", args); handled {
		return err
	}
	_, err := run("DEL", args, direct{})
	return err
}

// Check verifies that the container still holds addresses.
func Check(args *skel.CmdArgs) error {
	if handled, err := delegate("CHECK", args); handled {
		return err
	}
	_, err := run("CHECK", args, direct{})
	return err
}

// run carries out one CNI command and returns what the plugin prints on success (ADD's result).
func run(command string, args *skel.CmdArgs, conns connector) ([]byte, error) {
	inv, err := parse(args, conns)
	if err != nil {
		return nil, err
	}
	defer inv.close()
	switch command {
	case "ADD":
		result, err := inv.add()
		if err != nil {
			return nil, err
		}
		versioned, err := result.GetAsVersion(inv.conf.CNIVersion)
		if err != nil {
			return nil, internalError(err)
		}
		var out bytes.Buffer
		if err := versioned.PrintTo(&out); err != nil {
			return nil, internalError(err)
		}
		return out.Bytes(), nil
	case "DEL":
		return nil, inv.del()
	case "CHECK":
		return nil, inv.check()
	}
	return nil, types.NewError(types.ErrInvalidEnvironmentVariables, "unknown CNI_COMMAND "+command, "")
}

func (inv *invocation) add() (*types100.Result, error) {
	ctx := inv.timeout
	v4, err := boolOption(inv.conf.IPAM.AssignIPv4, true, "assign_ipv4")
	if err != nil {
		return nil, err
	}
	v6, err := boolOption(inv.conf.IPAM.AssignIPv6, false, "assign_ipv6")
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{ipam.AttrNode: inv.node, ipam.AttrTimestamp: time.Now().UTC().String()}
	v4Pools, v6Pools := inv.conf.IPAM.IPv4Pools, inv.conf.IPAM.IPv6Pools
	var fixed []string
	if pod, ns := string(inv.k8s.K8S_POD_NAME), string(inv.k8s.K8S_POD_NAMESPACE); pod != "" {
		attrs[ipam.AttrPod], attrs[ipam.AttrNamespace] = pod, ns
		annotations, err := inv.podAnnotations(ctx, ns, pod)
		if err != nil {
			return nil, err
		}
		if s := annotations[AnnotationIPAddrs]; s != "" {
			if err := json.Unmarshal([]byte(s), &fixed); err != nil {
				return nil, configError("pod %s/%s: annotation %s must be a JSON list of addresses: %v", ns, pod, AnnotationIPAddrs, err)
			}
		}
		for key, into := range map[string]*[]string{AnnotationIPv4Pools: &v4Pools, AnnotationIPv6Pools: &v6Pools} {
			if s := annotations[key]; s != "" {
				if err := json.Unmarshal([]byte(s), into); err != nil {
					return nil, configError("pod %s/%s: annotation %s must be a JSON list of pools: %v", ns, pod, key, err)
				}
			}
		}
	}
	result := &types100.Result{CNIVersion: types100.ImplementedSpecVersion}
	add := func(a netip.Addr) {
		bits := a.BitLen()
		result.IPs = append(result.IPs, &types100.IPConfig{Address: net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(bits, bits)}})
	}
	if len(fixed) > 0 {
		for _, s := range fixed {
			a, err := netip.ParseAddr(s)
			if err != nil {
				inv.rollback()
				return nil, configError("pod annotation %s: %q is not an IP address", AnnotationIPAddrs, s)
			}
			if err := inv.ipam.AssignIP(ctx, ipam.AssignIPArgs{IP: a, HandleID: inv.handle, Attrs: attrs, Hostname: inv.node, IntendedUse: ipam.UseWorkload}); err != nil {
				inv.rollback()
				return nil, internalError(fmt.Errorf("assigning %s: %w", a, err))
			}
			add(a)
		}
		return result, nil
	}
	req := ipam.AutoAssignArgs{HandleID: inv.handle, Attrs: attrs, Hostname: inv.node, IntendedUse: ipam.UseWorkload}
	if v4 {
		req.Num4 = 1
	}
	if v6 {
		req.Num6 = 1
	}
	if req.Num4+req.Num6 == 0 {
		return nil, configError("ipam.assign_ipv4 and ipam.assign_ipv6 are both false: nothing to assign")
	}
	if req.IPv4Pools, err = inv.resolvePools(ctx, v4Pools, false); err != nil {
		return nil, err
	}
	if req.IPv6Pools, err = inv.resolvePools(ctx, v6Pools, true); err != nil {
		return nil, err
	}
	got4, got6, err := inv.ipam.AutoAssign(ctx, req)
	if err != nil {
		inv.rollback()
		return nil, internalError(err)
	}
	for _, p := range append(got4, got6...) {
		add(p.Addr())
	}
	return result, nil
}

// rollback releases what a failed ADD allocated, so that a retried ADD starts clean.
func (inv *invocation) rollback() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = inv.ipam.ReleaseByHandle(ctx, inv.handle)
}

// resolvePools turns pool names or CIDRs into CIDRs.
func (inv *invocation) resolvePools(ctx context.Context, names []string, v6 bool) ([]netip.Prefix, error) {
	var out []netip.Prefix
	kind, _ := resources.ByKind("IPPool")
	for _, n := range names {
		if p, err := netip.ParsePrefix(n); err == nil {
			if p.Addr().Is6() != v6 {
				return nil, configError("pool %s is listed among the IPv%s pools", n, map[bool]string{true: "6", false: "4"}[v6])
			}
			out = append(out, p.Masked())
			continue
		}
		obj, err := inv.client.Get(ctx, kind, "", n)
		if datastore.IsDoesNotExist(err) {
			return nil, configError("IP pool %q does not exist (ipv4_pools and ipv6_pools take pool names or CIDRs)", n)
		}
		if err != nil {
			return nil, internalError(err)
		}
		p, err := netip.ParsePrefix(obj.(*api.IPPool).Spec.CIDR)
		if err != nil {
			return nil, configError("IP pool %s has an invalid CIDR", n)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// podAnnotations reads the pod's annotations from the Kubernetes API, when the configuration
// says where it is; without one (etcd without Kubernetes) there are none.
func (inv *invocation) podAnnotations(ctx context.Context, namespace, name string) (map[string]string, error) {
	var k *kubernetes.Store
	if s, ok := inv.client.Store().(*kubernetes.Store); ok {
		k = s
	} else if inv.conf.Kubernetes.Kubeconfig != "" {
		cfg := &config.CalicoAPIConfig{}
		cfg.Spec.DatastoreType, cfg.Spec.Kubeconfig = "kubernetes", inv.conf.Kubernetes.Kubeconfig
		cfg.Spec.K8sClientQPS, cfg.Spec.K8sClientBurst = pluginQPS, pluginBurst
		c, _, release, err := inv.conns.connect(cfg)
		if err != nil {
			return nil, configError("kubernetes.kubeconfig: %v", err)
		}
		defer release()
		k = c.Store().(*kubernetes.Store)
	} else {
		return nil, nil
	}
	pod, err := k.Pod(ctx, namespace, name)
	if datastore.IsDoesNotExist(err) {
		return nil, internalError(fmt.Errorf("pod %s/%s does not exist in the Kubernetes API, so its IPAM annotations cannot be read: check K8S_POD_NAMESPACE and K8S_POD_NAME in CNI_ARGS", namespace, name))
	}
	if err != nil {
		return nil, internalError(fmt.Errorf("reading pod %s/%s for its IPAM annotations: %w", namespace, name, err))
	}
	return pod.Annotations, nil
}

func (inv *invocation) del() error {
	err := inv.ipam.ReleaseByHandle(inv.timeout, inv.handle)
	if err != nil && !errors.Is(err, ipam.ErrNotAssigned) {
		return internalError(err)
	}
	return nil
}

func (inv *invocation) check() error {
	kind, _ := resources.ByKind("IPAMHandle")
	obj, err := inv.client.Store().Get(inv.timeout, kind, "", inv.handle)
	if datastore.IsDoesNotExist(err) {
		return types.NewError(types.ErrUnknownContainer, fmt.Sprintf("no addresses are allocated under handle %s", inv.handle), "")
	}
	if err != nil {
		return internalError(err)
	}
	n := 0
	for _, c := range obj.(*api.IPAMHandle).Spec.Block {
		n += c
	}
	if n == 0 {
		return types.NewError(types.ErrUnknownContainer, fmt.Sprintf("handle %s holds no addresses", inv.handle), "")
	}
	return nil
}
