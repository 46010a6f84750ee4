package kinds

import (
	"net"
	"time"

	r "github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Defaults are those Calico's client and CRD schemas apply, so that an object written here is
// the object Calico would have written.

func defaultIPPool(o r.Resource) {
	p := o.(*api.IPPool)
	if p.Spec.BlockSize == 0 {
		p.Spec.BlockSize = 26
		if ip, _, err := net.ParseCIDR(p.Spec.CIDR); err == nil && ip.To4() == nil {
			p.Spec.BlockSize = 122
		}
	}
	if p.Spec.NodeSelector == "" {
		p.Spec.NodeSelector = "all()"
	}
	if p.Spec.IPIPMode == "" {
		p.Spec.IPIPMode = api.IPIPModeNever
	}
	if p.Spec.VXLANMode == "" {
		p.Spec.VXLANMode = api.VXLANModeNever
	}
	if len(p.Spec.AllowedUses) == 0 {
		p.Spec.AllowedUses = []api.IPPoolAllowedUse{api.IPPoolAllowedUseWorkload, api.IPPoolAllowedUseTunnel}
	}
	if p.Spec.AssignmentMode == nil {
		m := api.AssignmentModeAutomatic
		p.Spec.AssignmentMode = &m
	}
}

func defaultBGPConfiguration(o r.Resource) {
	b := o.(*api.BGPConfiguration)
	if b.Spec.LogSeverityScreen == "" {
		b.Spec.LogSeverityScreen = "Info"
	}
	setIfNil(&b.Spec.ServiceLoadBalancerAggregation, api.ServiceLoadBalancerAggregationEnabled)
}

// setIfNil points *p at v when the field is absent.
func setIfNil[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}

// defaultFelixConfiguration applies Calico's clientv3 and CRD defaults, and translates the
// deprecated bpfConnectTimeLoadBalancingEnabled as Calico does: the boolean stays, and
// bpfConnectTimeLoadBalancing (Enabled or Disabled) and bpfHostNetworkedNATWithoutCTLB
// (Disabled) are set from it, overriding what the input says.
func defaultFelixConfiguration(o r.Resource) {
	s := &o.(*api.FelixConfiguration).Spec
	setIfNil(&s.FloatingIPs, api.FloatingIPsDisabled)
	setIfNil(&s.BPFConnectTimeLoadBalancing, api.BPFConnectTimeLBTCP)
	setIfNil(&s.BPFHostNetworkedNATWithoutCTLB, api.BPFHostNetworkedNATEnabled)
	setIfNil(&s.NFTablesMode, api.NFTablesModeAuto)
	setIfNil(&s.NFTablesFlowTableOffload, api.NFTablesFlowTableOffloadDisabled)
	if s.BPFConnectTimeLoadBalancingEnabled != nil {
		ctlb := api.BPFConnectTimeLBDisabled
		if *s.BPFConnectTimeLoadBalancingEnabled {
			ctlb = api.BPFConnectTimeLBEnabled
		}
		nat := api.BPFHostNetworkedNATDisabled
		s.BPFConnectTimeLoadBalancing, s.BPFHostNetworkedNATWithoutCTLB = &ctlb, &nat
	}
}

// defaultKubeControllersConfiguration applies the CRD defaults. Without prometheusMetricsPort
// kube-controllers turns its metrics off.
func defaultKubeControllersConfiguration(o r.Resource) {
	s := &o.(*api.KubeControllersConfiguration).Spec
	setIfNil(&s.PrometheusMetricsPort, 9094)
	if n := s.Controllers.Node; n != nil {
		setIfNil(&n.LeakGracePeriod, api.Duration{Duration: 15 * time.Minute})
	}
	if lb := s.Controllers.LoadBalancer; lb != nil && lb.AssignIPs == "" {
		lb.AssignIPs = api.AllServices
	}
}

// tierLabel is the label Calico puts on every policy naming its tier.
const tierLabel = "projectcalico.org/tier"

// defaultPolicy sets the tier (default "default"), its label, and the policy types implied by
// the rules present.
func defaultPolicy(obj r.Resource, tier *string, types *[]api.PolicyType, ingress, egress bool) {
	if *tier == "" {
		*tier = "default"
	}
	labels := obj.GetLabels()
	if labels[tierLabel] != *tier {
		l := make(map[string]string, len(labels)+1)
		for k, v := range labels {
			l[k] = v
		}
		l[tierLabel] = *tier
		obj.SetLabels(l)
	}
	if len(*types) == 0 {
		switch {
		case ingress && egress:
			*types = []api.PolicyType{api.PolicyTypeIngress, api.PolicyTypeEgress}
		case egress:
			*types = []api.PolicyType{api.PolicyTypeEgress}
		default:
			*types = []api.PolicyType{api.PolicyTypeIngress}
		}
	}
}

func defaultStagedAction(a *api.StagedAction) {
	if *a == "" {
		*a = api.StagedActionSet
	}
}
