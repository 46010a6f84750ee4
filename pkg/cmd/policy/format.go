package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// ruleText is a one-line reading of a rule, e.g. "Allow TCP from selector app == "web" to ports 80".
func ruleText(r api.Rule) string {
	parts := []string{string(r.Action)}
	if r.IPVersion != nil {
		parts = append(parts, "IPv"+strconv.Itoa(*r.IPVersion))
	}
	if r.Protocol != nil {
		parts = append(parts, r.Protocol.String())
	}
	if r.NotProtocol != nil {
		parts = append(parts, "not "+r.NotProtocol.String())
	}
	if r.ICMP != nil {
		parts = append(parts, "icmp "+icmpText(r.ICMP))
	}
	if r.NotICMP != nil {
		parts = append(parts, "not icmp "+icmpText(r.NotICMP))
	}
	if s := entityText(r.Source); s != "" {
		parts = append(parts, "from "+s)
	}
	if s := entityText(r.Destination); s != "" {
		parts = append(parts, "to "+s)
	}
	if r.HTTP != nil {
		parts = append(parts, "http "+strings.Join(r.HTTP.Methods, ","))
	}
	if len(parts) == 1 {
		parts = append(parts, "all")
	}
	return strings.Join(parts, " ")
}

func icmpText(i *api.ICMPFields) string {
	s := "any"
	if i.Type != nil {
		s = "type " + strconv.Itoa(*i.Type)
	}
	if i.Code != nil {
		s += " code " + strconv.Itoa(*i.Code)
	}
	return s
}

func entityText(e api.EntityRule) string {
	var parts []string
	if len(e.Nets) > 0 {
		parts = append(parts, "nets "+strings.Join(e.Nets, ","))
	}
	if len(e.NotNets) > 0 {
		parts = append(parts, "not nets "+strings.Join(e.NotNets, ","))
	}
	if e.NamespaceSelector != "" {
		parts = append(parts, "namespaceSelector "+e.NamespaceSelector)
	}
	if e.Selector != "" {
		parts = append(parts, "selector "+e.Selector)
	}
	if e.NotSelector != "" {
		parts = append(parts, "notSelector "+e.NotSelector)
	}
	if sa := e.ServiceAccounts; sa != nil {
		s := "serviceAccounts"
		if len(sa.Names) > 0 {
			s += " " + strings.Join(sa.Names, ",")
		}
		if sa.Selector != "" {
			s += " selector " + sa.Selector
		}
		parts = append(parts, s)
	}
	if e.Services != nil {
		parts = append(parts, "service "+e.Services.Namespace+"/"+e.Services.Name)
	}
	if len(e.Ports) > 0 {
		parts = append(parts, "ports "+portsText(e.Ports))
	}
	if len(e.NotPorts) > 0 {
		parts = append(parts, "not ports "+portsText(e.NotPorts))
	}
	return strings.Join(parts, " ")
}

func portsText(ps []api.Port) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func orderText(o *float64) string {
	if o == nil {
		return "-"
	}
	return strconv.FormatFloat(*o, 'f', -1, 64)
}

func labelsText(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%s", k, l[k])
	}
	return strings.Join(parts, ",")
}
