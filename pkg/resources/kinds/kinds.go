// Package kinds registers every projectcalico.org/v3 kind: its names, scope, table columns,
// defaults and validator. Importing it (for its side effect) makes the kinds known to the
// registry in package resources.
package kinds

import (
	"fmt"
	"sort"

	r "github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/names"
	"github.com/calicoctl-go/calicoctl/pkg/resources/validation"
)

// col builds a column whose cell depends only on the object, typed.
func col[T any](heading string, cell func(T) string) r.Column {
	return r.Column{Heading: heading, Value: func(obj r.Resource, _ *r.PrintContext) string {
		return cell(any(obj).(T))
	}}
}

// validator adapts a typed validator to the registry's signature.
func validator[T any](f func(*T) error) func(r.Resource) error {
	return func(obj r.Resource) error { return f(any(obj).(*T)) }
}

func name(obj r.Resource, _ *r.PrintContext) string { return obj.GetName() }

var nameCol = r.Column{Heading: "NAME", Value: name}

// kind registers one kind whose Go type is T.
func kind[T any, PT interface {
	*T
	r.Resource
}](k r.Kind) *r.Kind {
	k.New = func() r.Resource { return PT(new(T)) }
	return r.Register(&k)
}

func orNever[S ~string](s S) string {
	if s == "" {
		return "Never"
	}
	return string(s)
}

func deref[T any](p *T) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

func policyColumns[T any](tier func(T) string, order func(T) *float64, sel func(T) string) []r.Column {
	return []r.Column{
		nameCol,
		col("TIER", tier),
		col("ORDER", func(o T) string { return deref(order(o)) }),
		col("SELECTOR", sel),
	}
}

var (
	policyDefault = []string{"NAME", "TIER"}
	policyWide    = []string{"NAME", "TIER", "ORDER", "SELECTOR"}
)

func init() {
	kind[api.BGPConfiguration](r.Kind{
		Kind: "BGPConfiguration", Plural: "bgpconfigurations",
		Validate: validator(validation.BGPConfiguration),
		Aliases:  []string{"bgpconfiguration", "bgpconfigurations", "bgpconfig", "bgpconfigs"},
		Columns: []r.Column{
			nameCol,
			col("LOGSEVERITY", func(o *api.BGPConfiguration) string { return o.Spec.LogSeverityScreen }),
			col("MESHENABLED", func(o *api.BGPConfiguration) string {
				if o.Spec.NodeToNodeMeshEnabled == nil || *o.Spec.NodeToNodeMeshEnabled {
					if o.Spec.NodeToNodeMeshEnabled == nil {
						return "-"
					}
					return "true"
				}
				return "false"
			}),
			col("ASNUMBER", func(o *api.BGPConfiguration) string {
				if o.Spec.ASNumber == nil {
					return "-"
				}
				return o.Spec.ASNumber.String()
			}),
		},
		Default:     []string{"NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"},
		Wide:        []string{"NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"},
		SetDefaults: defaultBGPConfiguration,
	})
	kind[api.BGPFilter](r.Kind{
		Kind: "BGPFilter", Plural: "bgpfilters",
		Validate: validator(validation.BGPFilter),
		Aliases:  []string{"bgpfilter", "bgpfilters", "bgpf", "bgpfs", "bf", "bfs"},
		Columns: []r.Column{
			nameCol,
			col("NUMEXPORTV4", func(o *api.BGPFilter) string { return fmt.Sprint(len(o.Spec.ExportV4)) }),
			col("NUMIMPORTV4", func(o *api.BGPFilter) string { return fmt.Sprint(len(o.Spec.ImportV4)) }),
			col("NUMEXPORTV6", func(o *api.BGPFilter) string { return fmt.Sprint(len(o.Spec.ExportV6)) }),
			col("NUMIMPORTV6", func(o *api.BGPFilter) string { return fmt.Sprint(len(o.Spec.ImportV6)) }),
		},
		Default: []string{"NAME", "NUMEXPORTV4", "NUMIMPORTV4", "NUMEXPORTV6", "NUMIMPORTV6"},
		Wide:    []string{"NAME", "NUMEXPORTV4", "NUMIMPORTV4", "NUMEXPORTV6", "NUMIMPORTV6"},
	})
	kind[api.BGPPeer](r.Kind{
		Kind: "BGPPeer", Plural: "bgppeers",
		Validate: validator(validation.BGPPeer),
		Aliases:  []string{"bgppeer", "bgppeers", "bgpp", "bgpps", "bp", "bps"},
		Columns: []r.Column{
			nameCol,
			col("PEERIP", func(o *api.BGPPeer) string { return o.Spec.PeerIP }),
			col("NODE", func(o *api.BGPPeer) string {
				switch {
				case o.Spec.Node != "":
					return o.Spec.Node
				case o.Spec.NodeSelector != "":
					return o.Spec.NodeSelector
				}
				return "(global)"
			}),
			col("ASN", func(o *api.BGPPeer) string { return o.Spec.ASNumber.String() }),
		},
		Default: []string{"NAME", "PEERIP", "NODE", "ASN"},
		Wide:    []string{"NAME", "PEERIP", "NODE", "ASN"},
	})
	kind[api.CalicoNodeStatus](r.Kind{
		Kind: "CalicoNodeStatus", Plural: "caliconodestatuses",
		Validate: validator(validation.CalicoNodeStatus),
		Aliases:  []string{"caliconodestatus", "caliconodestatuses", "nodestatus", "nodestatuses"},
		Columns: []r.Column{
			nameCol,
			col("NODE", func(o *api.CalicoNodeStatus) string { return o.Spec.Node }),
			col("CLASSES", func(o *api.CalicoNodeStatus) string { return r.Join(o.Spec.Classes, ",") }),
		},
		Default: []string{"NAME", "NODE"},
		Wide:    []string{"NAME", "NODE", "CLASSES"},
	})
	kind[api.ClusterInformation](r.Kind{
		Kind: "ClusterInformation", Plural: "clusterinformations",
		Validate: validator(validation.ClusterInformation),
		Aliases:  []string{"clusterinformation", "clusterinformations", "clusterinfo", "clusterinfos"},
		Columns: []r.Column{
			nameCol,
			col("CLUSTERGUID", func(o *api.ClusterInformation) string { return o.Spec.ClusterGUID }),
			col("CLUSTERTYPE", func(o *api.ClusterInformation) string { return o.Spec.ClusterType }),
			col("CALICOVERSION", func(o *api.ClusterInformation) string { return o.Spec.CalicoVersion }),
			col("DATASTOREREADY", func(o *api.ClusterInformation) string { return deref(o.Spec.DatastoreReady) }),
		},
		Default:  []string{"NAME", "CLUSTERGUID", "CLUSTERTYPE", "CALICOVERSION", "DATASTOREREADY"},
		Wide:     []string{"NAME", "CLUSTERGUID", "CLUSTERTYPE", "CALICOVERSION", "DATASTOREREADY"},
		ReadOnly: r.Ops{NoCreate: true, NoUpdate: true, NoDelete: true},
	})
	kind[api.FelixConfiguration](r.Kind{
		Kind: "FelixConfiguration", Plural: "felixconfigurations",
		Validate: validator(validation.FelixConfiguration),
		Aliases:  []string{"felixconfiguration", "felixconfigurations", "felixconfig", "felixconfigs"},
		Columns:  []r.Column{nameCol},
		Default:  []string{"NAME"}, Wide: []string{"NAME"},
		SetDefaults: defaultFelixConfiguration,
	})
	kind[api.GlobalNetworkPolicy](r.Kind{
		Kind: "GlobalNetworkPolicy", Plural: "globalnetworkpolicies",
		Validate: validator(validation.GlobalNetworkPolicy),
		Aliases:  []string{"globalnetworkpolicy", "globalnetworkpolicies", "gnp", "gnps"},
		Columns: policyColumns(
			func(o *api.GlobalNetworkPolicy) string { return o.Spec.Tier },
			func(o *api.GlobalNetworkPolicy) *float64 { return o.Spec.Order },
			func(o *api.GlobalNetworkPolicy) string { return o.Spec.Selector }),
		Default: policyDefault, Wide: policyWide,
		SetDefaults: func(o r.Resource) {
			p := o.(*api.GlobalNetworkPolicy)
			defaultPolicy(p, &p.Spec.Tier, &p.Spec.Types, len(p.Spec.Ingress) > 0, len(p.Spec.Egress) > 0)
		},
	})
	kind[api.GlobalNetworkSet](r.Kind{
		Kind: "GlobalNetworkSet", Plural: "globalnetworksets",
		Validate: validator(validation.GlobalNetworkSet),
		Aliases:  []string{"globalnetworkset", "globalnetworksets", "gnetsets"},
		Columns:  []r.Column{nameCol, col("NETS", func(o *api.GlobalNetworkSet) string { return r.JoinAndTruncate(o.Spec.Nets, ",", 80) })},
		Default:  []string{"NAME"}, Wide: []string{"NAME", "NETS"},
	})
	kind[api.HostEndpoint](r.Kind{
		Kind: "HostEndpoint", Plural: "hostendpoints",
		Validate: validator(validation.HostEndpoint),
		Aliases:  []string{"hostendpoint", "hostendpoints", "hep", "heps"},
		Columns: []r.Column{
			nameCol,
			col("NODE", func(o *api.HostEndpoint) string { return o.Spec.Node }),
			col("INTERFACE", func(o *api.HostEndpoint) string { return o.Spec.InterfaceName }),
			col("IPS", func(o *api.HostEndpoint) string { return r.Join(o.Spec.ExpectedIPs, ",") }),
			col("PROFILES", func(o *api.HostEndpoint) string { return r.Join(o.Spec.Profiles, ",") }),
		},
		Default: []string{"NAME", "NODE"}, Wide: []string{"NAME", "NODE", "INTERFACE", "IPS", "PROFILES"},
	})
	kind[api.IPAMConfiguration](r.Kind{
		Kind: "IPAMConfiguration", Plural: "ipamconfigurations",
		Validate: validator(validation.IPAMConfiguration),
		Aliases:  []string{"ipamconfiguration", "ipamconfigurations", "ipamconfig", "ipamconfigs"},
		Columns: []r.Column{
			nameCol,
			col("STRICTAFFINITY", func(o *api.IPAMConfiguration) string { return fmt.Sprint(o.Spec.StrictAffinity) }),
			col("AUTOALLOCATEBLOCKS", func(o *api.IPAMConfiguration) string { return fmt.Sprint(o.Spec.AutoAllocateBlocks) }),
			col("MAXBLOCKSPERHOST", func(o *api.IPAMConfiguration) string { return fmt.Sprint(o.Spec.MaxBlocksPerHost) }),
		},
		Default: []string{"NAME", "STRICTAFFINITY", "AUTOALLOCATEBLOCKS"},
		Wide:    []string{"NAME", "STRICTAFFINITY", "AUTOALLOCATEBLOCKS", "MAXBLOCKSPERHOST"},
	})
	kind[api.IPPool](r.Kind{
		Kind: "IPPool", Plural: "ippools",
		Validate: validator(validation.IPPool),
		Aliases:  []string{"ippool", "ippools", "ipp", "ipps", "pool", "pools"},
		Columns: []r.Column{
			nameCol,
			col("CIDR", func(o *api.IPPool) string { return o.Spec.CIDR }),
			col("NAT", func(o *api.IPPool) string { return fmt.Sprint(o.Spec.NATOutgoing) }),
			col("IPIPMODE", func(o *api.IPPool) string { return orNever(o.Spec.IPIPMode) }),
			col("VXLANMODE", func(o *api.IPPool) string { return orNever(o.Spec.VXLANMode) }),
			col("DISABLED", func(o *api.IPPool) string { return fmt.Sprint(o.Spec.Disabled) }),
			col("DISABLEBGPEXPORT", func(o *api.IPPool) string { return fmt.Sprint(o.Spec.DisableBGPExport) }),
			col("SELECTOR", func(o *api.IPPool) string { return o.Spec.NodeSelector }),
			col("ASSIGNMENTMODE", func(o *api.IPPool) string { return deref(o.Spec.AssignmentMode) }),
		},
		Default:     []string{"NAME", "CIDR", "SELECTOR"},
		Wide:        []string{"NAME", "CIDR", "NAT", "IPIPMODE", "VXLANMODE", "DISABLED", "DISABLEBGPEXPORT", "SELECTOR", "ASSIGNMENTMODE"},
		SetDefaults: defaultIPPool,
	})
	kind[api.IPReservation](r.Kind{
		Kind: "IPReservation", Plural: "ipreservations",
		Validate: validator(validation.IPReservation),
		Aliases:  []string{"ipreservation", "ipreservations", "reservation", "reservations"},
		Columns:  []r.Column{nameCol, col("CIDRS", func(o *api.IPReservation) string { return r.JoinAndTruncate(o.Spec.ReservedCIDRs, ",", 80) })},
		Default:  []string{"NAME"}, Wide: []string{"NAME", "CIDRS"},
	})
	kind[api.KubeControllersConfiguration](r.Kind{
		Kind: "KubeControllersConfiguration", Plural: "kubecontrollersconfigurations",
		Validate: validator(validation.KubeControllersConfiguration),
		Aliases:  []string{"kubecontrollersconfiguration", "kubecontrollersconfigurations", "kubecontrollersconfig", "kubecontrollersconfigs"},
		Columns:  []r.Column{nameCol},
		Default:  []string{"NAME"}, Wide: []string{"NAME"},
		SetDefaults: defaultKubeControllersConfiguration,
	})
	kind[api.NetworkPolicy](r.Kind{
		Kind: "NetworkPolicy", Plural: "networkpolicies", Namespaced: true,
		Validate: validator(validation.NetworkPolicy),
		Aliases:  []string{"networkpolicy", "networkpolicies", "policy", "policies", "np", "pol", "pols"},
		Columns: policyColumns(
			func(o *api.NetworkPolicy) string { return o.Spec.Tier },
			func(o *api.NetworkPolicy) *float64 { return o.Spec.Order },
			func(o *api.NetworkPolicy) string { return o.Spec.Selector }),
		Default: policyDefault, Wide: policyWide,
		SetDefaults: func(o r.Resource) {
			p := o.(*api.NetworkPolicy)
			defaultPolicy(p, &p.Spec.Tier, &p.Spec.Types, len(p.Spec.Ingress) > 0, len(p.Spec.Egress) > 0)
		},
	})
	kind[api.NetworkSet](r.Kind{
		Kind: "NetworkSet", Plural: "networksets", Namespaced: true,
		Validate: validator(validation.NetworkSet),
		Aliases:  []string{"networkset", "networksets", "netsets"},
		Columns:  []r.Column{nameCol, col("NETS", func(o *api.NetworkSet) string { return r.JoinAndTruncate(o.Spec.Nets, ",", 80) })},
		Default:  []string{"NAME"}, Wide: []string{"NAME", "NETS"},
	})
	kind[api.Node](r.Kind{
		Kind: "Node", Plural: "nodes",
		Validate: validator(validation.Node),
		Aliases:  []string{"node", "nodes", "no", "nos"},
		Columns: []r.Column{
			nameCol,
			{Heading: "ASN", Value: func(obj r.Resource, ctx *r.PrintContext) string {
				n := obj.(*api.Node)
				if n.Spec.BGP != nil && n.Spec.BGP.ASNumber != nil {
					return n.Spec.BGP.ASNumber.String()
				}
				asn := "64512"
				if ctx != nil && ctx.GlobalASNumber != nil {
					asn = ctx.GlobalASNumber()
				}
				return "(" + asn + ")"
			}},
			col("IPV4", func(o *api.Node) string {
				if o.Spec.BGP == nil {
					return ""
				}
				return o.Spec.BGP.IPv4Address
			}),
			col("IPV6", func(o *api.Node) string {
				if o.Spec.BGP == nil {
					return ""
				}
				return o.Spec.BGP.IPv6Address
			}),
		},
		Default: []string{"NAME"}, Wide: []string{"NAME", "ASN", "IPV4", "IPV6"},
	})
	kind[api.Profile](r.Kind{
		Kind: "Profile", Plural: "profiles",
		Validate: validator(validation.Profile),
		Aliases:  []string{"profile", "profiles", "pro", "pros"},
		Columns:  []r.Column{nameCol, col("LABELS", func(o *api.Profile) string { return r.Join(o.Spec.LabelsToApply, ",") })},
		Default:  []string{"NAME"}, Wide: []string{"NAME", "LABELS"},
	})
	kind[api.StagedGlobalNetworkPolicy](r.Kind{
		Kind: "StagedGlobalNetworkPolicy", Plural: "stagedglobalnetworkpolicies",
		Validate: validator(validation.StagedGlobalNetworkPolicy),
		Aliases:  []string{"stagedglobalnetworkpolicy", "stagedglobalnetworkpolicies", "sgnp", "sgnps"},
		Columns: policyColumns(
			func(o *api.StagedGlobalNetworkPolicy) string { return o.Spec.Tier },
			func(o *api.StagedGlobalNetworkPolicy) *float64 { return o.Spec.Order },
			func(o *api.StagedGlobalNetworkPolicy) string { return o.Spec.Selector }),
		Default: policyDefault, Wide: policyWide,
		SetDefaults: func(o r.Resource) {
			p := o.(*api.StagedGlobalNetworkPolicy)
			defaultStagedAction(&p.Spec.StagedAction)
			if p.Spec.StagedAction == api.StagedActionDelete {
				// A staged deletion names the policy and nothing else.
				return
			}
			defaultPolicy(p, &p.Spec.Tier, &p.Spec.Types, len(p.Spec.Ingress) > 0, len(p.Spec.Egress) > 0)
		},
	})
	kind[api.StagedKubernetesNetworkPolicy](r.Kind{
		Kind: "StagedKubernetesNetworkPolicy", Plural: "stagedkubernetesnetworkpolicies", Namespaced: true,
		Validate: validator(validation.StagedKubernetesNetworkPolicy),
		Aliases:  []string{"stagedkubernetesnetworkpolicy", "stagedkubernetesnetworkpolicies", "stagedkubernetespolicy", "stagedkubernetespolicies", "sknp", "skpol", "skpols"},
		Columns: []r.Column{
			nameCol,
			col("PODSELECTOR", func(o *api.StagedKubernetesNetworkPolicy) string {
				return r.Join(o.Spec.PodSelector.MatchLabels, ",")
			}),
		},
		Default: []string{"NAME"}, Wide: []string{"NAME", "PODSELECTOR"},
		SetDefaults: func(o r.Resource) {
			defaultStagedAction(&o.(*api.StagedKubernetesNetworkPolicy).Spec.StagedAction)
		},
	})
	kind[api.StagedNetworkPolicy](r.Kind{
		Kind: "StagedNetworkPolicy", Plural: "stagednetworkpolicies", Namespaced: true,
		Validate: validator(validation.StagedNetworkPolicy),
		Aliases:  []string{"stagednetworkpolicy", "stagednetworkpolicies", "stagedpolicy", "stagedpolicies", "snp", "spol", "spols"},
		Columns: policyColumns(
			func(o *api.StagedNetworkPolicy) string { return o.Spec.Tier },
			func(o *api.StagedNetworkPolicy) *float64 { return o.Spec.Order },
			func(o *api.StagedNetworkPolicy) string { return o.Spec.Selector }),
		Default: policyDefault, Wide: policyWide,
		SetDefaults: func(o r.Resource) {
			p := o.(*api.StagedNetworkPolicy)
			defaultStagedAction(&p.Spec.StagedAction)
			if p.Spec.StagedAction == api.StagedActionDelete {
				// A staged deletion names the policy and nothing else.
				return
			}
			defaultPolicy(p, &p.Spec.Tier, &p.Spec.Types, len(p.Spec.Ingress) > 0, len(p.Spec.Egress) > 0)
		},
	})
	kind[api.Tier](r.Kind{
		Kind: "Tier", Plural: "tiers",
		Validate: validator(validation.Tier),
		Aliases:  []string{"tier", "tiers"},
		Columns:  []r.Column{nameCol, col("ORDER", func(o *api.Tier) string { return deref(o.Spec.Order) })},
		Default:  []string{"NAME", "ORDER"}, Wide: []string{"NAME", "ORDER"},
		SetDefaults: func(o r.Resource) {
			t := o.(*api.Tier)
			if t.Spec.DefaultAction == nil {
				deny := api.Deny
				t.Spec.DefaultAction = &deny
			}
		},
		Sort: func(items []r.Resource) {
			sort.SliceStable(items, func(i, j int) bool {
				a, b := items[i].(*api.Tier).Spec.Order, items[j].(*api.Tier).Spec.Order
				switch {
				case a == nil || b == nil:
					if a != nil || b != nil {
						return a != nil
					}
				case *a != *b:
					return *a < *b
				}
				return items[i].GetName() < items[j].GetName()
			})
		},
	})
	kind[api.WorkloadEndpoint](r.Kind{
		Kind: "WorkloadEndpoint", Plural: "workloadendpoints", Namespaced: true,
		Validate: validator(validation.WorkloadEndpoint),
		Aliases:  []string{"workloadendpoint", "workloadendpoints", "wep", "weps"},
		Columns: []r.Column{
			nameCol,
			col("WORKLOAD", func(o *api.WorkloadEndpoint) string {
				if o.Spec.Workload != "" {
					return o.Spec.Workload
				}
				return o.Spec.Pod
			}),
			col("NODE", func(o *api.WorkloadEndpoint) string { return o.Spec.Node }),
			col("NETWORKS", func(o *api.WorkloadEndpoint) string { return r.Join(o.Spec.IPNetworks, ",") }),
			col("INTERFACE", func(o *api.WorkloadEndpoint) string { return o.Spec.InterfaceName }),
			col("PROFILES", func(o *api.WorkloadEndpoint) string { return r.Join(o.Spec.Profiles, ",") }),
			col("NATS", func(o *api.WorkloadEndpoint) string {
				nats := make([]string, len(o.Spec.IPNATs))
				for i, n := range o.Spec.IPNATs {
					nats[i] = n.InternalIP + ":" + n.ExternalIP
				}
				return r.Join(nats, ",")
			}),
			col("ORCHESTRATOR", func(o *api.WorkloadEndpoint) string { return o.Spec.Orchestrator }),
		},
		// calicoctl's default table has no NAME, which leaves operators unable to follow up
		// with `get wep NAME`; this one shows it first.
		Default: []string{"WORKLOAD", "NODE", "NETWORKS", "INTERFACE"},
		Wide:    []string{"NAME", "WORKLOAD", "NODE", "NETWORKS", "INTERFACE", "PROFILES", "NATS"},
		SetDefaults: func(o r.Resource) {
			w := o.(*api.WorkloadEndpoint)
			// Felix selects namespaced policies by these labels: Calico's client sets them on
			// every write, whatever the input says.
			labels := make(map[string]string, len(w.Labels)+2)
			for k, v := range w.Labels {
				labels[k] = v
			}
			labels[api.LabelNamespace] = w.Namespace
			labels[api.LabelOrchestrator] = w.Spec.Orchestrator
			w.Labels = labels
			if w.Name == "" {
				w.Name = workloadEndpointIDs(w).Name()
			}
		},
	})
}

func workloadEndpointIDs(w *api.WorkloadEndpoint) names.WorkloadEndpointIDs {
	return names.WorkloadEndpointIDs{Node: w.Spec.Node, Orchestrator: w.Spec.Orchestrator, Workload: w.Spec.Workload, Pod: w.Spec.Pod, ContainerID: w.Spec.ContainerID, Endpoint: w.Spec.Endpoint}
}
