package policy

import (
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Applied is a policy that selects an endpoint, with the rules it has for one direction.
type Applied struct {
	Tier         string     `json:"tier"`
	TierOrder    *float64   `json:"tierOrder,omitempty"`
	TierDefault  api.Action `json:"tierDefaultAction"`
	Kind         string     `json:"kind"`
	Namespace    string     `json:"namespace,omitempty"`
	Name         string     `json:"name"`
	Order        *float64   `json:"order,omitempty"`
	Source       string     `json:"source,omitempty"`
	StagedAction string     `json:"stagedAction,omitempty"`
	Rules        []api.Rule `json:"rules"`
}

// AppliedProfile is a profile of an endpoint, with its rules for one direction.
type AppliedProfile struct {
	Name    string     `json:"name"`
	Missing bool       `json:"missing,omitempty"`
	Rules   []api.Rule `json:"rules,omitempty"`
}

// DirectionExplanation lists what applies to an endpoint in one direction, in evaluation order.
type DirectionExplanation struct {
	Policies []Applied        `json:"policies"`
	Profiles []AppliedProfile `json:"profiles"`
	// ProfilesApply says when the profiles are reached: "always" when no policy applies,
	// otherwise "when every tier passes".
	ProfilesApply string `json:"profilesApply"`
	// Staged are the staged policies that select the endpoint: evaluated, never enforced.
	Staged []Applied `json:"staged,omitempty"`
}

// Explanation is the outcome of Explain.
type Explanation struct {
	Endpoint *Endpoint            `json:"endpoint"`
	Ingress  DirectionExplanation `json:"ingress"`
	Egress   DirectionExplanation `json:"egress"`
}

// Explain lists every tier, policy and profile that applies to an endpoint, per direction.
func (m *Model) Explain(e *Endpoint) *Explanation {
	x := &Explanation{Endpoint: e}
	pols := m.applicable(e)
	var staged []*Policy
	for _, s := range m.staged {
		// A staged Delete has no selector of its own: it concerns its counterpart's endpoints.
		target := s
		if s.StagedAction == api.StagedActionDelete {
			if target = m.counterpartOf(s); target == nil {
				continue
			}
		}
		if m.selects(target, e) {
			staged = append(staged, s)
		}
	}
	for _, d := range []Direction{Ingress, Egress} {
		de := &x.Ingress
		if d == Egress {
			de = &x.Egress
		}
		de.Policies, de.Staged = []Applied{}, nil
		for _, p := range pols {
			if p.applies(d) {
				de.Policies = append(de.Policies, m.applied(p, d))
			}
		}
		for _, p := range staged {
			if p.applies(d) || (p.StagedAction == api.StagedActionDelete && m.counterpartOf(p).applies(d)) {
				de.Staged = append(de.Staged, m.applied(p, d))
			}
		}
		de.ProfilesApply = "always: no policy applies"
		if len(de.Policies) > 0 {
			de.ProfilesApply = "only when every tier passes"
		}
		de.Profiles = []AppliedProfile{}
		for _, name := range e.Profiles {
			prof, ok := m.profiles[name]
			if !ok {
				de.Profiles = append(de.Profiles, AppliedProfile{Name: name, Missing: true})
				continue
			}
			raw := make([]api.Rule, len(prof.rules(d)))
			for i, r := range prof.rules(d) {
				raw[i] = r.raw
			}
			de.Profiles = append(de.Profiles, AppliedProfile{Name: name, Rules: raw})
		}
	}
	return x
}

func (m *Model) applied(p *Policy, d Direction) Applied {
	t := m.tierByNm[p.Tier]
	a := Applied{Tier: p.Tier, TierOrder: t.Order, TierDefault: t.DefaultAction, Kind: p.Kind, Namespace: p.Namespace,
		Name: p.Name, Order: p.Order, Source: p.Source, Rules: []api.Rule{}}
	if p.Staged {
		a.StagedAction = string(p.StagedAction)
	}
	raw := p.rawIngress
	if d == Egress {
		raw = p.rawEgress
	}
	if p.Source != "" || p.Kind == api.KindStagedKubernetesNetworkPolicy {
		// Converted policies: show the Calico rules Felix enforces.
		raw = make([]api.Rule, 0, len(p.rules(d)))
		for _, r := range p.rules(d) {
			raw = append(raw, r.raw)
		}
	}
	if raw != nil {
		a.Rules = raw
	}
	return a
}

// counterpartOf returns the enforced policy a staged one stands for, or nil.
func (m *Model) counterpartOf(s *Policy) *Policy {
	for _, p := range m.policies {
		if p.key() == s.key() {
			return p
		}
	}
	return nil
}
