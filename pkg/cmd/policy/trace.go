package policy

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/policy"
)

// TraceOptions are the flags of `policy trace`.
type TraceOptions struct {
	inputOptions
	From, To   string
	Namespace  string
	Protocol   string
	Port       uint16
	SourcePort uint16
	ICMPType   int
	ICMPCode   int
	Expect     string
	Out        io.Writer
}

// NewCmdTrace is `calicoctl policy trace`.
func NewCmdTrace(connect ClientFunc, runF func(*TraceOptions) error) *cobra.Command {
	o := &TraceOptions{}
	o.connect = connect
	c := &cobra.Command{
		Use:   "trace --from SOURCE --to DESTINATION [--protocol P] [--port N]",
		Short: "Say whether a packet is allowed, and which tier, policy and rule decided",
		Long: `Evaluate one packet as Felix would: egress policy at the source endpoint, then ingress policy
at the destination endpoint, and print each verdict with the tier, policy (or profile) and rule
index that decided it, and the policies passed through on the way.

SOURCE and DESTINATION are each one of:
  NAMESPACE/NAME            a WorkloadEndpoint (or the pod it belongs to)
  NAME                      a WorkloadEndpoint in --namespace, or a HostEndpoint
  ADDRESS                   an IP: the endpoint with it, else an outside address, labelled by the
                            NetworkSets and GlobalNetworkSets containing it
  [NAMESPACE:]KEY=VALUE,... an endpoint that does not exist, with these labels

An address outside every endpoint has no policy of its own ("NoPolicy"). Staged policies are not
enforced: when applying them would change the result, it is shown apart.`,
		Example: `  calicoctl policy trace --from shop/frontend --to shop/db --port 5432
  calicoctl policy trace --from 203.0.113.7 --to shop/web --port 443
  calicoctl policy trace --from shop:app=web --to shop/db --port 5432 -f new-policy.yaml --overlay
  calicoctl policy trace --from shop/frontend --to shop/db --port 5432 --expect Deny   # exit 1 otherwise`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			o.Out, o.stdin = c.OutOrStdout(), c.InOrStdin()
			if !c.Flags().Changed("icmp-type") {
				o.ICMPType = -1
			}
			if !c.Flags().Changed("icmp-code") {
				o.ICMPCode = -1
			}
			if runF != nil {
				return runF(o)
			}
			return traceRun(c, o)
		},
	}
	o.addFlags(c)
	c.Flags().StringVar(&o.From, "from", "", "the source: an endpoint, an address or labels (see above)")
	c.Flags().StringVar(&o.To, "to", "", "the destination: an endpoint, an address or labels (see above)")
	c.Flags().StringVarP(&o.Namespace, "namespace", "n", "default", "namespace of endpoints named without one")
	c.Flags().StringVar(&o.Protocol, "protocol", "TCP", "protocol: TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number")
	c.Flags().Uint16Var(&o.Port, "port", 0, "destination port")
	c.Flags().Uint16Var(&o.SourcePort, "source-port", 0, "source port (unset: no rule's source ports match it)")
	c.Flags().IntVar(&o.ICMPType, "icmp-type", -1, "ICMP type (with --protocol ICMP or ICMPv6)")
	c.Flags().IntVar(&o.ICMPCode, "icmp-code", -1, "ICMP code (with --icmp-type)")
	c.Flags().StringVar(&o.Expect, "expect", "", "exit with status 1 unless the verdict is this (Allow or Deny)")
	return c
}

func traceRun(c *cobra.Command, o *TraceOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.From == "" || o.To == "" {
		return fmt.Errorf("give both --from and --to (an endpoint, an address or labels)")
	}
	proto, err := policy.ProtocolNumber(o.Protocol)
	if err != nil {
		return err
	}
	pkt := policy.Packet{Protocol: proto, DstPort: o.Port, SrcPort: o.SourcePort}
	if o.ICMPType >= 0 {
		if proto != 1 && proto != 58 {
			return fmt.Errorf("--icmp-type needs --protocol ICMP or ICMPv6")
		}
		t := o.ICMPType
		pkt.ICMPType = &t
	}
	if o.ICMPCode >= 0 {
		if pkt.ICMPType == nil {
			return fmt.Errorf("--icmp-code needs --icmp-type")
		}
		code := o.ICMPCode
		pkt.ICMPCode = &code
	}
	expect := ""
	switch strings.ToLower(o.Expect) {
	case "":
	case "allow":
		expect = "Allow"
	case "deny":
		expect = "Deny"
	default:
		return fmt.Errorf("--expect %q: use Allow or Deny", o.Expect)
	}
	res, err := o.load(c.Context(), false)
	if err != nil {
		return err
	}
	m := res.Model
	if err := m.CheckValid(); err != nil {
		return err
	}
	src, err := resolvePeer(m, o.From, o.Namespace)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	dst, err := resolvePeer(m, o.To, o.Namespace)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if src.Endpoint == nil && dst.Endpoint == nil {
		return fmt.Errorf("neither %s nor %s is a Calico endpoint: no policy applies to this packet", o.From, o.To)
	}
	tr := m.Trace(src, dst, pkt)
	if o.Output != "text" {
		err = printData(o.Out, o.Output, tr)
	} else {
		printTrace(o.Out, tr)
	}
	if err == nil && expect != "" && tr.Verdict != expect {
		return fmt.Errorf("verdict %s, expected %s: %s", tr.Verdict, expect, decisive(tr).Reason)
	}
	return err
}

// decisive is the direction that denied, or ingress.
func decisive(tr *policy.TraceResult) policy.Verdict {
	if tr.Egress.Action == "Deny" {
		return tr.Egress
	}
	return tr.Ingress
}

// resolvePeer reads a --from or --to value.
func resolvePeer(m *policy.Model, spec, namespace string) (*policy.Peer, error) {
	if a, err := netip.ParseAddr(spec); err == nil {
		a = a.Unmap()
		return m.NewPeer(m.EndpointByAddr(a), a), nil
	}
	if strings.Contains(spec, "=") {
		ns := namespace
		if i, j := strings.Index(spec, ":"), strings.Index(spec, "="); i >= 0 && i < j {
			ns, spec = spec[:i], spec[i+1:]
		}
		labels, err := parseLabels(spec)
		if err != nil {
			return nil, err
		}
		return m.NewPeer(m.LabelEndpoint(ns, labels, nil), netip.Addr{}), nil
	}
	e, err := resolveEndpoint(m, spec, namespace)
	if err != nil {
		return nil, err
	}
	return m.NewPeer(e, netip.Addr{}), nil
}

func printTrace(w io.Writer, tr *policy.TraceResult) {
	pkt := tr.Protocol
	if tr.Port != 0 {
		pkt += fmt.Sprintf(" port %d", tr.Port)
	}
	fmt.Fprintf(w, "FROM     %s\n", peerText(tr.Source))
	fmt.Fprintf(w, "TO       %s\n", peerText(tr.Destination))
	fmt.Fprintf(w, "PACKET   %s\n", pkt)
	printVerdict(w, "EGRESS ", tr.Egress)
	printVerdict(w, "INGRESS", tr.Ingress)
	fmt.Fprintf(w, "\nVERDICT  %s\n", tr.Verdict)
	if s := tr.Staged; s != nil {
		fmt.Fprintf(w, "\nWITH STAGED POLICIES (not enforced): %s\n", s.Verdict)
		printVerdict(w, "EGRESS ", s.Egress)
		printVerdict(w, "INGRESS", s.Ingress)
	}
}

func peerText(p policy.PeerInfo) string {
	switch {
	case p.Endpoint != "" && p.Address != "":
		return p.Endpoint + " (" + p.Address + ")"
	case p.Endpoint != "":
		return p.Endpoint
	}
	return p.Address + " (not a Calico endpoint)"
}

func printVerdict(w io.Writer, label string, v policy.Verdict) {
	at := ""
	if v.Endpoint != "" {
		at = " at " + v.Endpoint
	}
	fmt.Fprintf(w, "\n%s%s: %s\n", label, at, v.Action)
	fmt.Fprintf(w, "  %s\n", v.Reason)
	for _, s := range v.Steps {
		where := s.Policy
		if s.Profile != "" {
			where = "Profile " + s.Profile
		}
		if s.Tier != "" {
			where = "tier " + s.Tier + "  " + where
		}
		rule := ""
		if s.Rule != nil {
			rule = fmt.Sprintf(" rule %d", *s.Rule)
		}
		fmt.Fprintf(w, "    %s%s: %s\n", strings.TrimSpace(where), rule, s.Result)
	}
	for _, n := range v.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}
