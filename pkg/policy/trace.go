package policy

import (
	"fmt"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Verdict outcomes besides Allow and Deny.
const (
	// NoPolicy is the verdict of a direction with no Calico endpoint to enforce it (an address
	// outside the cluster's endpoints).
	NoPolicy = "NoPolicy"
)

// How a verdict was reached.
const (
	ByRule        = "rule"         // a rule of a policy
	ByTierDefault = "tier-default" // the end of a tier: no policy of it decided
	ByProfileRule = "profile-rule" // a rule of a profile
	ByNoProfile   = "no-profile"   // no profile allowed the packet
	ByNoEndpoint  = "no-endpoint"  // not a Calico endpoint
)

// Step is one policy or profile the packet went through.
type Step struct {
	Tier    string `json:"tier,omitempty"`
	Policy  string `json:"policy,omitempty"`
	Profile string `json:"profile,omitempty"`
	Rule    *int   `json:"rule,omitempty"`
	// Result is the matching rule's action, "NoMatch" when no rule matched, or "EndOfTier".
	Result string `json:"result"`
}

// Verdict is what one direction (egress at the source, ingress at the destination) decided.
type Verdict struct {
	Direction Direction `json:"direction"`
	Endpoint  string    `json:"endpoint,omitempty"`
	Action    string    `json:"action"`
	DecidedBy string    `json:"decidedBy"`
	Tier      string    `json:"tier,omitempty"`
	Kind      string    `json:"kind,omitempty"`
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name,omitempty"`
	Rule      *int      `json:"rule,omitempty"`
	Reason    string    `json:"reason"`
	Steps     []Step    `json:"steps,omitempty"`
	Notes     []string  `json:"notes,omitempty"`
}

// PeerInfo describes one end of a traced connection.
type PeerInfo struct {
	Endpoint string `json:"endpoint,omitempty"`
	Address  string `json:"address,omitempty"`
}

// TraceResult is the outcome of Trace.
type TraceResult struct {
	Source      PeerInfo `json:"source"`
	Destination PeerInfo `json:"destination"`
	Protocol    string   `json:"protocol"`
	Port        uint16   `json:"port,omitempty"`
	Egress      Verdict  `json:"egress"`
	Ingress     Verdict  `json:"ingress"`
	// Verdict is Allow only when neither direction denies.
	Verdict string `json:"verdict"`
	// Staged is what staged policies would decide, when that differs from the enforced result.
	Staged *StagedTrace `json:"staged,omitempty"`
}

// StagedTrace is the result with staged policies applied.
type StagedTrace struct {
	Egress  Verdict `json:"egress"`
	Ingress Verdict `json:"ingress"`
	Verdict string  `json:"verdict"`
}

// Trace evaluates a packet from src to dst: egress policy at the source endpoint, then ingress
// policy at the destination endpoint.
func (m *Model) Trace(src, dst *Peer, pkt Packet) *TraceResult {
	res := &TraceResult{Source: peerInfo(src), Destination: peerInfo(dst), Protocol: ProtocolName(pkt.Protocol), Port: pkt.DstPort}
	res.Egress, res.Ingress, res.Verdict = m.trace(src, dst, pkt)
	if s := m.withStaged(); s != nil {
		eg, in, v := s.trace(src, dst, pkt)
		if eg.Action != res.Egress.Action || in.Action != res.Ingress.Action || !sameDecider(eg, res.Egress) || !sameDecider(in, res.Ingress) {
			res.Staged = &StagedTrace{Egress: eg, Ingress: in, Verdict: v}
		}
	}
	return res
}

func sameDecider(a, b Verdict) bool {
	return a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name && a.DecidedBy == b.DecidedBy && a.Tier == b.Tier
}

func (m *Model) trace(src, dst *Peer, pkt Packet) (eg, in Verdict, verdict string) {
	eg = m.Evaluate(src.Endpoint, Egress, src, dst, pkt)
	in = m.Evaluate(dst.Endpoint, Ingress, src, dst, pkt)
	verdict = string(api.Allow)
	if eg.Action == string(api.Deny) || in.Action == string(api.Deny) {
		verdict = string(api.Deny)
	}
	return eg, in, verdict
}

func peerInfo(p *Peer) PeerInfo {
	var i PeerInfo
	if p.Endpoint != nil {
		i.Endpoint = p.Endpoint.Kind + " " + p.Endpoint.ID()
	}
	if p.Addr.IsValid() {
		i.Address = p.Addr.String()
	}
	return i
}

// Evaluate decides one direction at endpoint e (nil: not a Calico endpoint, no policy).
func (m *Model) Evaluate(e *Endpoint, d Direction, src, dst *Peer, pkt Packet) Verdict {
	v := Verdict{Direction: d}
	if e == nil {
		v.Action, v.DecidedBy = NoPolicy, ByNoEndpoint
		v.Reason = "not a Calico endpoint: no policy applies"
		return v
	}
	v.Endpoint = e.Kind + " " + e.ID()
	pols := m.applicable(e)
	selected := false
	for i := 0; i < len(pols); {
		tierName := pols[i].Tier
		j := i
		var tierPols []*Policy
		for ; j < len(pols) && pols[j].Tier == tierName; j++ {
			if pols[j].applies(d) {
				tierPols = append(tierPols, pols[j])
			}
		}
		i = j
		if len(tierPols) == 0 {
			continue
		}
		selected = true
		tier := m.tierByNm[tierName]
		passed := false
	policies:
		for _, p := range tierPols {
			rules := p.rules(d)
			for k := range rules {
				r := &rules[k]
				if !m.ruleMatches(r, src, dst, pkt, p.Namespace) {
					continue
				}
				if r.http {
					v.Notes = append(v.Notes, fmt.Sprintf("%s rule %d has an HTTP match, which is enforced by the application layer: evaluated on its layer 3-4 fields only", p.Ref(), k))
				}
				idx := k
				v.Steps = append(v.Steps, Step{Tier: tierName, Policy: p.Ref(), Rule: &idx, Result: string(r.action)})
				switch r.action {
				case api.Log:
					continue
				case api.Pass:
					passed = true
					break policies
				default:
					v.Action, v.DecidedBy, v.Tier = string(r.action), ByRule, tierName
					v.Kind, v.Namespace, v.Name, v.Rule = p.Kind, p.Namespace, p.Name, &idx
					v.Reason = fmt.Sprintf("rule %d (%s) of %s in tier %s", k, r.action, p.Ref(), tierName)
					return v
				}
			}
			v.Steps = append(v.Steps, Step{Tier: tierName, Policy: p.Ref(), Result: "NoMatch"})
		}
		if passed {
			continue
		}
		v.Steps = append(v.Steps, Step{Tier: tierName, Result: "EndOfTier" + string(tier.DefaultAction)})
		if tier.DefaultAction == api.Pass {
			continue
		}
		v.Action, v.DecidedBy, v.Tier = string(api.Deny), ByTierDefault, tierName
		v.Reason = fmt.Sprintf("end of tier %s: its policies select the endpoint but none decided (implicit deny)", tierName)
		return v
	}
	why := "no policy applies"
	if selected {
		why = "every tier passed"
	}
	for _, name := range e.Profiles {
		prof, ok := m.profiles[name]
		if !ok {
			v.Notes = append(v.Notes, fmt.Sprintf("profile %s does not exist", name))
			continue
		}
		rules := prof.rules(d)
		decided := false
		for k := range rules {
			r := &rules[k]
			if !m.ruleMatches(r, src, dst, pkt, "") {
				continue
			}
			idx := k
			v.Steps = append(v.Steps, Step{Profile: name, Rule: &idx, Result: string(r.action)})
			if r.action == api.Log {
				continue
			}
			if r.action == api.Pass {
				break
			}
			v.Action, v.DecidedBy = string(r.action), ByProfileRule
			v.Kind, v.Name, v.Rule = api.KindProfile, name, &idx
			v.Reason = fmt.Sprintf("rule %d (%s) of profile %s (%s)", k, r.action, name, why)
			decided = true
			break
		}
		if decided {
			return v
		}
		v.Steps = append(v.Steps, Step{Profile: name, Result: "NoMatch"})
	}
	v.Action, v.DecidedBy = string(api.Deny), ByNoProfile
	if len(e.Profiles) == 0 {
		v.Reason = fmt.Sprintf("%s and the endpoint has no profile (default deny)", why)
	} else {
		v.Reason = fmt.Sprintf("%s and no profile allowed the packet (default deny)", why)
	}
	return v
}

// withStaged returns the model with staged policies applied as if enforced (Set replaces or
// adds the counterpart, Delete removes it), or nil when there are none.
func (m *Model) withStaged() *Model {
	if len(m.staged) == 0 {
		return nil
	}
	changed := map[string]*Policy{}
	for _, s := range m.staged {
		if s.StagedAction == api.StagedActionSet || s.StagedAction == api.StagedActionDelete {
			changed[s.key()] = s
		}
	}
	if len(changed) == 0 {
		return nil
	}
	var ps []*Policy
	for _, p := range m.policies {
		if _, ok := changed[p.key()]; !ok {
			ps = append(ps, p)
		}
	}
	for _, s := range changed {
		if s.StagedAction == api.StagedActionSet {
			ps = append(ps, s)
		}
	}
	c := *m
	c.sortPolicies(ps)
	c.policies, c.staged, c.rank = ps, nil, nil
	c.indexPolicies(ps)
	c.policyRank()
	return &c
}
