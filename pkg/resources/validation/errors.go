// Package validation checks Calico resources before they are written, with the rules Calico
// enforces (reference: names, labels, per-kind rules). Every error names the resource, the field
// as the operator wrote it in YAML, the offending value and what is allowed.
package validation

import (
	"fmt"
	"strings"
	"unicode"
)

// Error is one invalid field.
//
// It prints in Calico's form first, `error with field <CalicoField> = '<value>' (<reason>)`,
// because scripts and Calico's own tests search for that text, and then where the field is in
// the operator's YAML and, where Calico's words are terse, ours:
//
//	error with field Port = '0' (port range invalid, port number must be between 1 and 65535) at GlobalNetworkPolicy(p).spec.egress[0].source.ports[0]
type Error struct {
	// Resource is Kind(name) or Kind(namespace/name).
	Resource string
	// Field is the path as written in YAML, e.g. "spec.ingress[0].protocol".
	Field  string
	Value  interface{}
	Reason string
	// CalicoField is the name Calico's validator gives the field: the Go field name of the
	// innermost field ("PeerIP") or a path for checks on a whole object ("IPPool.Spec.CIDR").
	// Empty means derived from Field.
	CalicoField string
	// CalicoReason is Calico's own wording where it has a specific one; Reason follows it.
	// Empty means Reason stands in Calico's place.
	CalicoReason string
	// NoValue leaves out " = '<value>'", as Calico does for checks on a whole object.
	NoValue bool
}

// Calico sets Calico's field name and reason for this error and returns it, for chaining after
// Collector.Add. An empty field keeps the derived name.
func (e *Error) Calico(field, reason string) *Error {
	if field != "" {
		e.CalicoField = field
	}
	e.CalicoReason = reason
	return e
}

// WithoutValue makes the error print without the value, as Calico's whole-object checks do.
func (e *Error) WithoutValue() *Error {
	e.NoValue = true
	return e
}

func (e *Error) Error() string { return "error with field " + e.body() }

// body is the error without its "error with field " lead, as it stands in a list.
func (e *Error) body() string {
	var b strings.Builder
	b.WriteString(e.calicoField())
	if !e.NoValue {
		fmt.Fprintf(&b, " = '%v'", e.Value)
	}
	reason := e.Reason
	if e.CalicoReason != "" {
		reason = e.CalicoReason
	}
	fmt.Fprintf(&b, " (%s) at %s", reason, e.Resource)
	if e.Field != "" {
		b.WriteString("." + e.Field)
	}
	if e.CalicoReason != "" && e.Reason != "" && e.Reason != e.CalicoReason {
		b.WriteString(": " + e.Reason)
	}
	return b.String()
}

func (e *Error) calicoField() string {
	if e.CalicoField != "" {
		return e.CalicoField
	}
	return GoFieldName(e.Field)
}

// Errors is every invalid field of one resource.
type Errors []*Error

// Error prints one error as Calico does, and several in Calico's "following fields" form, on
// one line so that each failed resource is one line of output.
func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = "-  " + e.body()
	}
	return "error with the following fields: " + strings.Join(parts, "; ")
}

// FieldError is a single-field error.
func FieldError(resource, field string, value interface{}, reason string) *Error {
	return &Error{Resource: resource, Field: field, Value: value, Reason: reason}
}

// Collector gathers the errors of one resource.
type Collector struct {
	Resource string
	errs     Errors
}

// Add records an invalid field. The returned error may be given Calico's own naming with
// Calico(...).
func (c *Collector) Add(field string, value interface{}, format string, args ...interface{}) *Error {
	e := &Error{Resource: c.Resource, Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
	c.errs = append(c.errs, e)
	return e
}

// Merge adds the errors of another check of the same resource (metadata and spec are checked
// separately but reported together).
// An error on a field already reported is replaced: the later, kind-specific check knows more.
func (c *Collector) Merge(err error) {
	es, _ := err.(Errors)
	before := c.errs[:len(c.errs):len(c.errs)]
next:
	for _, e := range es {
		for i, have := range before {
			if have.Field == e.Field && have.Resource == e.Resource {
				c.errs[i] = e
				continue next
			}
		}
		c.errs = append(c.errs, e)
	}
}

// Err returns nil or the collected errors.
func (c *Collector) Err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

// initialisms are the words Go (and so Calico's API types) writes in capitals.
var initialisms = map[string]string{
	"ip": "IP", "ips": "IPs", "ipip": "IPIP", "vxlan": "VXLAN", "cidr": "CIDR", "cidrs": "CIDRs",
	"as": "AS", "nat": "NAT", "nats": "NATs", "mtu": "MTU", "bgp": "BGP", "icmp": "ICMP", "id": "ID",
	"url": "URL", "http": "HTTP", "dns": "DNS", "mac": "MAC", "ipv4": "IPv4", "ipv6": "IPv6",
	"tls": "TLS", "ttl": "TTL", "bpf": "BPF", "api": "API", "uid": "UID", "ipv": "IPv",
}

// GoFieldName turns the last part of a YAML path into the Go field name Calico's validator
// reports: "spec.peerIP" → "PeerIP", "spec.asNumber" → "ASNumber", an element of a port list →
// "Port". A path already in Go form ("Metadata.ResourceVersion") is kept.
func GoFieldName(path string) string {
	if path == "" || unicode.IsUpper(rune(path[0])) {
		return path
	}
	if path == "metadata.name" {
		return "Metadata.Name" // Calico checks names on the whole object's metadata
	}
	last := path
	if i := strings.LastIndex(path, "."); i >= 0 {
		last = path[i+1:]
	}
	indexed := false
	if i := strings.Index(last, "["); i >= 0 {
		last, indexed = last[:i], true
	}
	if indexed && (last == "ports" || last == "notPorts") {
		return "Port"
	}
	// Split camelCase into words and capitalise each, initialisms in full.
	var words []string
	start := 0
	for i := 1; i < len(last); i++ {
		if unicode.IsUpper(rune(last[i])) && !unicode.IsUpper(rune(last[i-1])) {
			words = append(words, last[start:i])
			start = i
		}
	}
	words = append(words, last[start:])
	var b strings.Builder
	for _, w := range words {
		if up, ok := initialisms[strings.ToLower(w)]; ok {
			b.WriteString(up)
		} else if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}
