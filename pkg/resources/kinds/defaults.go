package kinds

import (
	"net"

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
