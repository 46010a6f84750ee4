package policy

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/policy"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// ExplainOptions are the flags of `policy explain`.
type ExplainOptions struct {
	inputOptions
	Endpoint  string
	Namespace string
	Labels    string
	Out       io.Writer
}

// NewCmdExplain is `calicoctl policy explain`.
func NewCmdExplain(connect ClientFunc, runF func(*ExplainOptions) error) *cobra.Command {
	o := &ExplainOptions{}
	o.connect = connect
	c := &cobra.Command{
		Use:   "explain (ENDPOINT | --labels KEY=VALUE,...)",
		Short: "List the tiers, policies and profiles that apply to an endpoint, in evaluation order",
		Long: `List every tier, policy and profile that applies to an endpoint, for ingress and egress, in the
order Calico evaluates them, with their rules. ENDPOINT is a WorkloadEndpoint name (or its pod's
name) in --namespace, a HostEndpoint name, or an address; --labels describes an endpoint that
does not exist yet. Staged policies are listed apart: they are not enforced.`,
		Example: `  calicoctl policy explain -n shop frontend-7d9f
  calicoctl policy explain --labels app=web,tier=frontend -n shop
  calicoctl policy explain -f policies/ -f endpoints.yaml -n shop frontend-7d9f`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Endpoint = args[0]
			}
			o.Out, o.stdin = c.OutOrStdout(), c.InOrStdin()
			if runF != nil {
				return runF(o)
			}
			return explainRun(c, o)
		},
	}
	o.addFlags(c)
	c.Flags().StringVarP(&o.Namespace, "namespace", "n", "default", "namespace of the workload endpoint")
	c.Flags().StringVar(&o.Labels, "labels", "", "explain for an endpoint with these labels (key=value,...) in --namespace")
	return c
}

func explainRun(c *cobra.Command, o *ExplainOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	if (o.Endpoint == "") == (o.Labels == "") {
		return fmt.Errorf("give an endpoint name or --labels KEY=VALUE,... (one of the two)")
	}
	res, err := o.load(c.Context(), false)
	if err != nil {
		return err
	}
	m := res.Model
	if err := m.CheckValid(); err != nil {
		return err
	}
	var e *policy.Endpoint
	if o.Labels != "" {
		labels, err := parseLabels(o.Labels)
		if err != nil {
			return err
		}
		e = m.LabelEndpoint(o.Namespace, labels, nil)
	} else if e, err = resolveEndpoint(m, o.Endpoint, o.Namespace); err != nil {
		return err
	}
	x := m.Explain(e)
	if o.Output != "text" {
		return printData(o.Out, o.Output, x)
	}
	printExplanation(o.Out, x)
	return nil
}

// resolveEndpoint finds an endpoint by name (namespace/name, name in namespace, a host
// endpoint) or by address.
func resolveEndpoint(m *policy.Model, spec, namespace string) (*policy.Endpoint, error) {
	if a, err := netip.ParseAddr(spec); err == nil {
		if e := m.EndpointByAddr(a); e != nil {
			return e, nil
		}
		return nil, fmt.Errorf("no endpoint has address %s", a)
	}
	if ns, name, ok := strings.Cut(spec, "/"); ok {
		return m.FindEndpoint("", ns, name)
	}
	return m.FindEndpoint("", namespace, spec)
}

func printExplanation(w io.Writer, x *policy.Explanation) {
	e := x.Endpoint
	fmt.Fprintf(w, "%s %s\n", e.Kind, e.ID())
	fmt.Fprintf(w, "  labels:    %s\n", labelsText(e.Labels))
	if len(e.IPs) > 0 {
		ips := make([]string, len(e.IPs))
		for i, a := range e.IPs {
			ips[i] = a.String()
		}
		fmt.Fprintf(w, "  addresses: %s\n", strings.Join(ips, ", "))
	}
	if len(e.Profiles) > 0 {
		fmt.Fprintf(w, "  profiles:  %s\n", strings.Join(e.Profiles, ", "))
	}
	for _, d := range []struct {
		name string
		x    *policy.DirectionExplanation
	}{{"INGRESS", &x.Ingress}, {"EGRESS", &x.Egress}} {
		fmt.Fprintf(w, "\n%s\n", d.name)
		if len(d.x.Policies) == 0 {
			fmt.Fprintln(w, "  no policy applies")
		}
		tier := ""
		for i, p := range d.x.Policies {
			if p.Tier != tier {
				tier = p.Tier
				fmt.Fprintf(w, "  tier %s (order %s, default action %s)\n", p.Tier, orderText(p.TierOrder), p.TierDefault)
			}
			printApplied(w, p)
			if i == len(d.x.Policies)-1 || d.x.Policies[i+1].Tier != tier {
				fmt.Fprintf(w, "    end of tier %s: %s when its policies selected the endpoint but none decided\n", tier, p.TierDefault)
			}
		}
		fmt.Fprintf(w, "  profiles (%s):", d.x.ProfilesApply)
		if len(d.x.Profiles) == 0 {
			fmt.Fprint(w, " none: Deny")
		}
		fmt.Fprintln(w)
		for _, p := range d.x.Profiles {
			if p.Missing {
				fmt.Fprintf(w, "    Profile %s: does not exist\n", p.Name)
				continue
			}
			fmt.Fprintf(w, "    Profile %s\n", p.Name)
			printRules(w, p.Rules)
		}
		if len(d.x.Staged) > 0 {
			fmt.Fprintln(w, "  staged, not enforced:")
			for _, p := range d.x.Staged {
				printApplied(w, p)
			}
		}
	}
}

func printApplied(w io.Writer, p policy.Applied) {
	name := p.Name
	if p.Namespace != "" {
		name = p.Namespace + "/" + p.Name
	}
	extra := ""
	if p.StagedAction != "" {
		extra = ", stagedAction " + p.StagedAction
	}
	if p.Source != "" {
		extra += ", from " + p.Source
	}
	fmt.Fprintf(w, "    %s %s (tier %s, order %s%s)\n", p.Kind, name, p.Tier, orderText(p.Order), extra)
	printRules(w, p.Rules)
}

func printRules(w io.Writer, rules []api.Rule) {
	if len(rules) == 0 {
		fmt.Fprintln(w, "      no rules")
	}
	for i, r := range rules {
		fmt.Fprintf(w, "      %d  %s\n", i, ruleText(r))
	}
}
