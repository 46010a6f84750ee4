package kinds

import (
	r "github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/validation"
)

// validator adapts a typed validator to the registry's signature.
func validator[T any](f func(*T) error) func(r.Resource) error {
	return func(obj r.Resource) error { return f(any(obj).(*T)) }
}

func init() {
	for name, v := range map[string]func(r.Resource) error{
		"BGPConfiguration":              validator(validation.BGPConfiguration),
		"BGPFilter":                     validator(validation.BGPFilter),
		"BGPPeer":                       validator(validation.BGPPeer),
		"CalicoNodeStatus":              validator(validation.CalicoNodeStatus),
		"ClusterInformation":            validator(validation.ClusterInformation),
		"FelixConfiguration":            validator(validation.FelixConfiguration),
		"GlobalNetworkPolicy":           validator(validation.GlobalNetworkPolicy),
		"GlobalNetworkSet":              validator(validation.GlobalNetworkSet),
		"HostEndpoint":                  validator(validation.HostEndpoint),
		"IPAMConfiguration":             validator(validation.IPAMConfiguration),
		"IPPool":                        validator(validation.IPPool),
		"IPReservation":                 validator(validation.IPReservation),
		"KubeControllersConfiguration":  validator(validation.KubeControllersConfiguration),
		"NetworkPolicy":                 validator(validation.NetworkPolicy),
		"NetworkSet":                    validator(validation.NetworkSet),
		"Node":                          validator(validation.Node),
		"Profile":                       validator(validation.Profile),
		"StagedGlobalNetworkPolicy":     validator(validation.StagedGlobalNetworkPolicy),
		"StagedKubernetesNetworkPolicy": validator(validation.StagedKubernetesNetworkPolicy),
		"StagedNetworkPolicy":           validator(validation.StagedNetworkPolicy),
		"Tier":                          validator(validation.Tier),
		"WorkloadEndpoint":              validator(validation.WorkloadEndpoint),
	} {
		k, ok := r.ByKind(name)
		if !ok {
			panic("kinds: validator for unregistered kind " + name)
		}
		k.Validate = v
	}
}
