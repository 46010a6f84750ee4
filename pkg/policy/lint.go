package policy

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/calicoctl-go/calicoctl/internal/parallel"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Severities of lint findings, from the most serious.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// Checks Lint runs.
const (
	CheckInvalid        = "invalid"
	CheckMissingTier    = "missing-tier"
	CheckMissingProfile = "missing-profile"
	CheckShadowedRule   = "shadowed-rule"
	CheckPortProtocol   = "port-protocol"
	CheckUnmatched      = "selector-matches-nothing"
	CheckFallThrough    = "tier-fall-through"
	CheckStagedChange   = "staged-change"
	CheckNotEvaluated   = "not-evaluated"
)

// Finding is one lint result.
type Finding struct {
	Severity  string    `json:"severity"`
	Check     string    `json:"check"`
	Kind      string    `json:"kind"`
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name"`
	Direction Direction `json:"direction,omitempty"`
	Rule      *int      `json:"rule,omitempty"`
	Message   string    `json:"message"`
}

// ResourceName is namespace/name or name.
func (f Finding) ResourceName() string {
	if f.Namespace != "" {
		return f.Namespace + "/" + f.Name
	}
	return f.Name
}

func invalidFinding(kind, ns, name string, err error) Finding {
	return Finding{Severity: SeverityError, Check: CheckInvalid, Kind: kind, Namespace: ns, Name: name, Message: err.Error()}
}

// SeverityRank orders severities: error 2, warning 1, info 0.
func SeverityRank(s string) int {
	switch s {
	case SeverityError:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// LintOptions narrow what Lint reports.
type LintOptions struct {
	// Subject, when set, limits findings to the resources it accepts (lint -f: the files'
	// objects, checked against the whole model). Nil reports on everything.
	Subject func(kind, namespace, name string) bool
}

// Lint checks the model for rules and policies that cannot work as written. Findings are
// sorted by severity, then resource.
func (m *Model) Lint(opts LintOptions) []Finding {
	l := &linter{m: m, opts: opts, selCache: map[string]bool{}}
	for _, f := range m.invalid {
		l.add(f)
	}
	all := append(append([]*Policy(nil), m.policies...), m.staged...)
	for _, p := range all {
		if m.tierByNm[p.Tier].Missing {
			l.add(Finding{Severity: SeverityError, Check: CheckMissingTier, Kind: p.Kind, Namespace: p.Namespace, Name: p.Name,
				Message: fmt.Sprintf("tier %q does not exist: create the Tier before its policies", p.Tier)})
		}
		for _, d := range []Direction{Ingress, Egress} {
			l.rules(p.Kind, p.Namespace, p.Name, d, p.rules(d), p.Namespace)
		}
	}
	names := make([]string, 0, len(m.profiles))
	for name := range m.profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, d := range []Direction{Ingress, Egress} {
			l.rules(api.KindProfile, "", name, d, m.profiles[name].rules(d), "")
		}
	}
	l.endpoints()
	l.staged()
	out := l.findings
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := SeverityRank(a.Severity), SeverityRank(b.Severity); ra != rb {
			return ra > rb
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.ResourceName() < b.ResourceName()
	})
	return out
}

type linter struct {
	m        *Model
	opts     LintOptions
	mu       sync.Mutex
	findings []Finding
	selMu    sync.Mutex
	selCache map[string]bool
}

func (l *linter) add(f Finding) {
	if l.opts.Subject != nil && !l.opts.Subject(f.Kind, f.Namespace, f.Name) {
		return
	}
	l.mu.Lock()
	l.findings = append(l.findings, f)
	l.mu.Unlock()
}

func (l *linter) subject(kind, ns, name string) bool {
	return l.opts.Subject == nil || l.opts.Subject(kind, ns, name)
}

// rules runs the per-rule checks of one policy or profile direction.
func (l *linter) rules(kind, ns, name string, d Direction, rules []rule, scopeNS string) {
	if !l.subject(kind, ns, name) {
		return
	}
	at := func(sev, check string, i int, msg string) {
		idx := i
		l.add(Finding{Severity: sev, Check: check, Kind: kind, Namespace: ns, Name: name, Direction: d, Rule: &idx, Message: msg})
	}
	for j := range rules {
		b := &rules[j]
		for _, half := range []struct {
			name string
			e    *entity
		}{{"source", &b.src}, {"destination", &b.dst}} {
			for _, ports := range []struct {
				field string
				list  []portRange
			}{{"ports", half.e.ports}, {"notPorts", half.e.notPorts}} {
				if len(ports.list) == 0 {
					continue
				}
				numeric := slices.ContainsFunc(ports.list, func(p portRange) bool { return p.name == "" })
				switch {
				case b.protocol == nil && numeric:
					at(SeverityError, CheckPortProtocol, j, fmt.Sprintf("%s %s %s without a protocol: numeric ports need protocol TCP, UDP or SCTP", half.name, ports.field, listPorts(ports.list)))
				case b.protocol != nil && !portsSupported(*b.protocol):
					at(SeverityError, CheckPortProtocol, j, fmt.Sprintf("%s %s %s with protocol %s, which has no ports: the rule can never match", half.name, ports.field, listPorts(ports.list), ProtocolName(*b.protocol)))
				}
			}
			if half.e.services != nil {
				at(SeverityInfo, CheckNotEvaluated, j, fmt.Sprintf("%s services match (Kubernetes Service %s/%s) is not evaluated by trace: Service endpoints are not part of the model", half.name, half.e.services.Namespace, half.e.services.Name))
			}
			if len(l.m.endpoints) > 0 && (half.e.selector != nil || half.e.namespaceSelector != nil || half.e.hasSA) && !l.entitySelectsAny(half.e, scopeNS) {
				at(SeverityWarning, CheckUnmatched, j, fmt.Sprintf("%s %s matches no endpoint or network set", half.name, describeEntitySelector(half.e)))
			}
		}
		for i := 0; i < j; i++ {
			a := &rules[i]
			if a.action == api.Log || !covers(a, b) {
				continue
			}
			sev, what := SeverityError, "can never match"
			if a.action == b.action {
				sev, what = SeverityWarning, "is redundant"
			}
			at(sev, CheckShadowedRule, j, fmt.Sprintf("rule %d (%s) %s: rule %d (%s) before it matches every packet it matches", j, b.action, what, i, a.action))
			break
		}
	}
}

func listPorts(ps []portRange) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func describeEntitySelector(e *entity) string {
	var parts []string
	if e.selector != nil {
		parts = append(parts, fmt.Sprintf("selector '%s'", e.selector.String()))
	}
	if e.namespaceSelector != nil {
		parts = append(parts, fmt.Sprintf("namespaceSelector '%s'", e.namespaceSelector.String()))
	}
	if e.hasSA {
		parts = append(parts, "serviceAccounts match")
	}
	return strings.Join(parts, " with ")
}

// entitySelectsAny reports whether an entity's selectors pick at least one endpoint or network
// set, caching by selector text and scope.
func (l *linter) entitySelectsAny(e *entity, scopeNS string) bool {
	key := fmt.Sprint(e.selector, "|", e.namespaceSelector, "|", e.hasSA, e.saNames, e.saSelector, "|", scopeNS)
	l.selMu.Lock()
	v, ok := l.selCache[key]
	l.selMu.Unlock()
	if ok {
		return v
	}
	found := false
	for _, ep := range l.m.endpoints {
		id := endpointIdentity(ep)
		if l.m.selected(e, &id, scopeNS) {
			found = true
			break
		}
	}
	if !found {
		for _, s := range l.m.netsets {
			id := identity{labels: s.Labels, namespace: s.Namespace, namespaced: s.Namespace != ""}
			if l.m.selected(e, &id, scopeNS) {
				found = true
				break
			}
		}
	}
	l.selMu.Lock()
	l.selCache[key] = found
	l.selMu.Unlock()
	return found
}

// covers reports whether rule a matches every packet rule b matches. It is syntactic and
// conservative: true only when that holds whatever the endpoints are.
func covers(a, b *rule) bool {
	if a.ipVersion != 0 && a.ipVersion != b.ipVersion {
		return false
	}
	if a.protocol != nil && (b.protocol == nil || *a.protocol != *b.protocol) {
		return false
	}
	if a.notProtocol != nil && !((b.protocol != nil && *b.protocol != *a.notProtocol) || (b.notProtocol != nil && *b.notProtocol == *a.notProtocol)) {
		return false
	}
	if a.icmp != nil && (b.icmp == nil || !icmpCovers(a.icmp, b.icmp)) {
		return false
	}
	if a.notICMP != nil && (b.notICMP == nil || !icmpCovers(b.notICMP, a.notICMP)) {
		return false
	}
	if a.http && (!b.http || !reflect.DeepEqual(a.raw.HTTP, b.raw.HTTP)) {
		return false
	}
	return entityCovers(&a.src, &b.src) && entityCovers(&a.dst, &b.dst)
}

// icmpCovers: every type/code x matches, y matches too... i.e. x is at least as broad as y.
func icmpCovers(x, y *icmpMatch) bool {
	if x.typ != nil && (y.typ == nil || *x.typ != *y.typ) {
		return false
	}
	if x.code != nil && (y.code == nil || *x.code != *y.code) {
		return false
	}
	return true
}

func selString(s interface{ String() string }) string {
	if reflect.ValueOf(s).IsNil() {
		return ""
	}
	return s.String()
}

func entityCovers(a, b *entity) bool {
	if a.services != nil && (b.services == nil || *a.services != *b.services) {
		return false
	}
	if len(a.nets) > 0 {
		if len(b.nets) == 0 {
			return false
		}
		for _, bn := range b.nets {
			if !slices.ContainsFunc(a.nets, func(an netip.Prefix) bool { return prefixWithin(bn, an) }) {
				return false
			}
		}
	}
	for _, an := range a.notNets {
		excluded := slices.ContainsFunc(b.notNets, func(bn netip.Prefix) bool { return prefixWithin(an, bn) })
		if !excluded && len(b.nets) > 0 {
			excluded = !slices.ContainsFunc(b.nets, func(bn netip.Prefix) bool { return bn.Overlaps(an) })
		}
		if !excluded {
			return false
		}
	}
	aSelects := a.selector != nil || a.namespaceSelector != nil || a.hasSA
	if aSelects {
		bSelects := b.selector != nil || b.namespaceSelector != nil || b.hasSA
		if !bSelects || selString(a.namespaceSelector) != selString(b.namespaceSelector) {
			return false
		}
		if a.selector != nil && selString(a.selector) != selString(b.selector) {
			return false
		}
		if a.hasSA && (!b.hasSA || !sameSet(a.saNames, b.saNames) || selString(a.saSelector) != selString(b.saSelector)) {
			return false
		}
	}
	if a.notSelector != nil && (selString(a.notSelector) != selString(b.notSelector) || selString(a.namespaceSelector) != selString(b.namespaceSelector)) {
		return false
	}
	if len(a.ports) > 0 {
		if len(b.ports) == 0 {
			return false
		}
		for _, bp := range b.ports {
			if !slices.ContainsFunc(a.ports, func(ap portRange) bool { return portWithin(bp, ap) }) {
				return false
			}
		}
	}
	for _, ap := range a.notPorts {
		excluded := slices.ContainsFunc(b.notPorts, func(bp portRange) bool { return portWithin(ap, bp) })
		if !excluded && len(b.ports) > 0 && ap.name == "" {
			excluded = !slices.ContainsFunc(b.ports, func(bp portRange) bool { return bp.name != "" || (bp.min <= ap.max && ap.min <= bp.max) })
		}
		if !excluded {
			return false
		}
	}
	return true
}

func prefixWithin(inner, outer netip.Prefix) bool {
	return inner.Addr().Is4() == outer.Addr().Is4() && outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

func portWithin(inner, outer portRange) bool {
	if inner.name != "" || outer.name != "" {
		return inner.name == outer.name
	}
	return outer.min <= inner.min && inner.max <= outer.max
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// endpointFacts is what one endpoint contributes to the model-wide checks.
type endpointFacts struct {
	selectedBy []*Policy
	// fallThrough lists "tier/direction" whose policies select the endpoint but can let traffic
	// reach the implicit deny while the author evidently expected it to go on.
	fallThrough []string
}

// endpoints runs the checks that need every endpoint's policies: selectors matching nothing,
// missing profiles and tiers that fall through to their implicit deny.
func (l *linter) endpoints() {
	m := l.m
	facts := make([]endpointFacts, len(m.endpoints))
	parallel.For(len(m.endpoints), 64, func(i int) {
		e := m.endpoints[i]
		pols := m.applicable(e)
		facts[i].selectedBy = pols
		for _, d := range []Direction{Ingress, Egress} {
			var tiers []string
			byTier := map[string][]*Policy{}
			for _, p := range pols {
				if !p.applies(d) {
					continue
				}
				if _, ok := byTier[p.Tier]; !ok {
					tiers = append(tiers, p.Tier)
				}
				byTier[p.Tier] = append(byTier[p.Tier], p)
			}
			for ti, t := range tiers {
				if m.tierByNm[t].DefaultAction == api.Pass {
					continue
				}
				catchAll, passes := false, false
				for _, p := range byTier[t] {
					for k := range p.rules(d) {
						r := &p.rules(d)[k]
						passes = passes || r.action == api.Pass
						catchAll = catchAll || (r.action != api.Log && isCatchAll(r))
					}
				}
				if !catchAll && (passes || ti < len(tiers)-1) {
					facts[i].fallThrough = append(facts[i].fallThrough, t+"/"+string(d))
				}
			}
		}
	})
	used := map[*Policy]bool{}
	type fall struct {
		count   int
		example *Endpoint
	}
	falls := map[string]*fall{}
	var fallKeys []string
	missing := map[string][]*Endpoint{}
	var missingNames []string
	for i, e := range m.endpoints {
		for _, p := range facts[i].selectedBy {
			used[p] = true
		}
		for _, k := range facts[i].fallThrough {
			f, ok := falls[k]
			if !ok {
				f = &fall{example: e}
				falls[k] = f
				fallKeys = append(fallKeys, k)
			}
			f.count++
		}
		for _, name := range e.Profiles {
			if _, ok := m.profiles[name]; !ok {
				if _, seen := missing[name]; !seen {
					missingNames = append(missingNames, name)
				}
				missing[name] = append(missing[name], e)
			}
		}
	}
	if len(m.endpoints) > 0 {
		for _, p := range append(append([]*Policy(nil), m.policies...), m.staged...) {
			if p.Staged {
				target := p
				if p.StagedAction == api.StagedActionDelete {
					target = m.counterpartOf(p)
				}
				if target == nil || slices.ContainsFunc(m.endpoints, func(e *Endpoint) bool { return m.selects(target, e) }) {
					continue
				}
			} else if used[p] {
				continue
			}
			l.add(Finding{Severity: SeverityWarning, Check: CheckUnmatched, Kind: p.Kind, Namespace: p.Namespace, Name: p.Name,
				Message: "the policy selects no endpoint"})
		}
	}
	for _, name := range missingNames {
		eps := missing[name]
		refs := l.subject(api.KindProfile, "", name)
		for _, e := range eps {
			refs = refs || l.subject(e.Kind, e.Namespace, e.Name)
		}
		if !refs {
			continue
		}
		f := Finding{Severity: SeverityError, Check: CheckMissingProfile, Kind: api.KindProfile, Name: name,
			Message: fmt.Sprintf("referenced by %d endpoint(s), e.g. %s %s, but does not exist: their traffic not decided by policy is denied", len(eps), eps[0].Kind, eps[0].ID())}
		l.mu.Lock()
		l.findings = append(l.findings, f)
		l.mu.Unlock()
	}
	for _, k := range fallKeys {
		tier, d, _ := strings.Cut(k, "/")
		f := falls[k]
		l.add(Finding{Severity: SeverityWarning, Check: CheckFallThrough, Kind: api.KindTier, Name: tier, Direction: Direction(d),
			Message: fmt.Sprintf("for %d endpoint(s), e.g. %s %s, no policy of the tier ends with a rule matching everything, so unmatched traffic meets the implicit end-of-tier deny and never reaches later tiers or profiles: end the last policy with a Pass (or Deny) rule, or set the tier's defaultAction to Pass", f.count, f.example.Kind, f.example.ID())})
	}
}

// isCatchAll reports whether a rule matches every packet.
func isCatchAll(r *rule) bool {
	return covers(r, &rule{})
}

// staged reports staged policies that would change a verdict if enforced, by tracing probe
// packets built from their rules (and their enforced counterparts') at the endpoints they select.
func (l *linter) staged() {
	m := l.m
	sm := m.withStaged()
	if sm == nil {
		return
	}
	for _, s := range m.staged {
		if !l.subject(s.Kind, s.Namespace, s.Name) || (s.StagedAction != api.StagedActionSet && s.StagedAction != api.StagedActionDelete) {
			continue
		}
		counterpart := m.counterpartOf(s)
		var eps []*Endpoint
		for _, e := range m.endpoints {
			if m.selects(s, e) || (counterpart != nil && m.selects(counterpart, e)) {
				eps = append(eps, e)
				if len(eps) == 20 {
					break
				}
			}
		}
		if msg := l.stagedDifference(sm, s, counterpart, eps); msg != "" {
			l.add(Finding{Severity: SeverityWarning, Check: CheckStagedChange, Kind: s.Kind, Namespace: s.Namespace, Name: s.Name, Message: msg})
		}
	}
}

func (l *linter) stagedDifference(sm *Model, s, counterpart *Policy, eps []*Endpoint) string {
	m := l.m
	for _, e := range eps {
		for _, d := range []Direction{Ingress, Egress} {
			var probes []rule
			probes = append(probes, s.rules(d)...)
			if counterpart != nil {
				probes = append(probes, counterpart.rules(d)...)
			}
			probes = append(probes, rule{}) // and traffic that no rule names
			for k := range probes {
				for _, pr := range m.probes(&probes[k], e, d) {
					src, dst := pr.peer, m.NewPeer(e, netip.Addr{})
					if d == Egress {
						src, dst = dst, pr.peer
					}
					before := m.Evaluate(e, d, src, dst, pr.pkt)
					after := sm.Evaluate(e, d, src, dst, pr.pkt)
					if before.Action != after.Action {
						peer := "any peer"
						if pr.peer.Endpoint != nil {
							peer = pr.peer.Endpoint.Kind + " " + pr.peer.Endpoint.ID()
						} else if pr.peer.Addr.IsValid() {
							peer = pr.peer.Addr.String()
						}
						return fmt.Sprintf("enforcing it would change %s at %s %s for %s%s with %s: %s (%s) instead of %s (%s)",
							d, e.Kind, e.ID(), ProtocolName(pr.pkt.Protocol), portSuffix(pr.pkt.DstPort), peer,
							after.Action, after.Reason, before.Action, before.Reason)
					}
				}
			}
		}
	}
	return ""
}

func portSuffix(p uint16) string {
	if p == 0 {
		return ""
	}
	return fmt.Sprintf(" port %d", p)
}

type probe struct {
	peer *Peer
	pkt  Packet
}

// probes builds packets a rule is about: its protocol and first port, from or to a peer its
// selectors or nets pick (or an anonymous peer).
func (m *Model) probes(r *rule, local *Endpoint, d Direction) []probe {
	pkt := Packet{Protocol: 6}
	if r.protocol != nil {
		pkt.Protocol = *r.protocol
	}
	if len(r.dst.ports) > 0 {
		pkt.DstPort = r.dst.ports[0].min
		if r.dst.ports[0].name != "" {
			for _, np := range local.Ports {
				if np.Name == r.dst.ports[0].name {
					pkt.DstPort = np.Port
				}
			}
		}
	} else if portsSupported(pkt.Protocol) {
		pkt.DstPort = 80
	}
	remote := &r.src
	if d == Egress {
		remote = &r.dst
	}
	var peers []*Peer
	if remote.selector != nil || remote.namespaceSelector != nil || remote.hasSA {
		for _, e := range m.endpoints {
			id := endpointIdentity(e)
			if e != local && m.selected(remote, &id, local.Namespace) {
				peers = append(peers, m.NewPeer(e, netip.Addr{}))
				break
			}
		}
	}
	if len(remote.nets) > 0 {
		peers = append(peers, m.NewPeer(nil, remote.nets[0].Addr()))
	}
	peers = append(peers, m.NewPeer(nil, netip.Addr{}))
	out := make([]probe, len(peers))
	for i, p := range peers {
		out[i] = probe{peer: p, pkt: pkt}
	}
	return out
}
