package policy

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/policy"
	"github.com/calicoctl-go/calicoctl/pkg/policy/source"
)

// LintOptions are the flags of `policy lint`.
type LintOptions struct {
	inputOptions
	All    bool
	FailOn string
	Out    io.Writer
}

// lintReport is the -o json|yaml form.
type lintReport struct {
	Findings []policy.Finding `json:"findings"`
	Errors   int              `json:"errors"`
	Warnings int              `json:"warnings"`
	Infos    int              `json:"infos"`
}

// NewCmdLint is `calicoctl policy lint`.
func NewCmdLint(connect ClientFunc, runF func(*LintOptions) error) *cobra.Command {
	o := &LintOptions{}
	o.connect = connect
	c := &cobra.Command{
		Use:   "lint (-f FILE... | --all)",
		Short: "Find rules and policies that cannot work as written",
		Long: `Check policies and profiles for what cannot work as written:
  shadowed-rule             an earlier rule with a terminal action matches every packet the rule
                            matches, so it never does (error when their actions differ)
  port-protocol             ports with no protocol, or a protocol without ports
  selector-matches-nothing  a policy, or a rule's selector, that picks no endpoint or network set
  missing-profile           a profile endpoints name that does not exist
  missing-tier              a policy in a tier that does not exist
  tier-fall-through         a tier whose policies can let traffic reach its implicit deny, while
                            later tiers (or its Pass rules) show more was meant to follow
  staged-change             a staged policy that would change a verdict if enforced
  invalid                   a resource that does not validate

With -f, the files are checked alone, or against the datastore with --overlay (findings are then
about the files' resources); --all checks everything in the datastore. The exit status is 1 when
there is a finding of --fail-on severity or worse (error by default).`,
		Example: `  calicoctl policy lint -f policies/ -R
  calicoctl policy lint -f change.yaml --overlay --fail-on warning
  calicoctl policy lint --all -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			o.Out, o.stdin = c.OutOrStdout(), c.InOrStdin()
			if runF != nil {
				return runF(o)
			}
			return lintRun(c, o)
		},
	}
	o.addFlags(c)
	c.Flags().BoolVar(&o.All, "all", false, "lint everything in the datastore")
	c.Flags().StringVar(&o.FailOn, "fail-on", policy.SeverityError, "exit with status 1 on findings of this severity or worse: error, warning or info")
	return c
}

func lintRun(c *cobra.Command, o *LintOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	switch o.FailOn {
	case policy.SeverityError, policy.SeverityWarning, policy.SeverityInfo:
	default:
		return fmt.Errorf("--fail-on %q: use error, warning or info", o.FailOn)
	}
	if (len(o.Files) == 0) == !o.All {
		if o.All {
			return fmt.Errorf("give either -f FILE... or --all, not both")
		}
		return fmt.Errorf("give -f FILE... to lint files, or --all to lint the datastore")
	}
	res, err := o.load(c.Context(), true)
	if err != nil {
		return err
	}
	opts := policy.LintOptions{}
	if o.Overlay {
		opts.Subject = func(kind, ns, name string) bool { return res.FromFiles[source.Key(kind, ns, name)] }
	}
	findings := res.Model.Lint(opts)
	for _, inv := range res.Invalid {
		// A validation error about ports says what the port-protocol finding says, with less
		// precision: keep the finding that names the rule.
		if strings.Contains(inv.Message, "ports") && slices.ContainsFunc(findings, func(f policy.Finding) bool {
			return f.Check == policy.CheckPortProtocol && f.Kind == inv.Kind && f.Namespace == inv.Namespace && f.Name == inv.Name
		}) {
			continue
		}
		findings = append(findings, inv)
	}
	sort.SliceStable(findings, func(i, j int) bool {
		return policy.SeverityRank(findings[i].Severity) > policy.SeverityRank(findings[j].Severity)
	})
	rep := lintReport{Findings: findings}
	worst := -1
	for _, f := range findings {
		switch f.Severity {
		case policy.SeverityError:
			rep.Errors++
		case policy.SeverityWarning:
			rep.Warnings++
		default:
			rep.Infos++
		}
		worst = max(worst, policy.SeverityRank(f.Severity))
	}
	if rep.Findings == nil {
		rep.Findings = []policy.Finding{}
	}
	if o.Output != "text" {
		err = printData(o.Out, o.Output, rep)
	} else {
		printFindings(o.Out, rep)
	}
	if err != nil {
		return err
	}
	if worst >= policy.SeverityRank(o.FailOn) {
		return fmt.Errorf("policy lint: %s", summary(rep))
	}
	return nil
}

func summary(r lintReport) string {
	return fmt.Sprintf("%d error(s), %d warning(s), %d info", r.Errors, r.Warnings, r.Infos)
}

func printFindings(w io.Writer, r lintReport) {
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "No findings.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tCHECK\tRESOURCE\tWHERE\tMESSAGE")
	for _, f := range r.Findings {
		where := strings.ToLower(string(f.Direction))
		if f.Rule != nil {
			where = strings.TrimSpace(fmt.Sprintf("%s rule %d", where, *f.Rule))
		}
		if where == "" {
			where = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\n", f.Severity, f.Check, f.Kind, f.ResourceName(), where, f.Message)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n", summary(r))
}
