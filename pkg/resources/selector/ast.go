package selector

import (
	"strings"
)

// node is one element of a parsed selector. eval must not allocate: it runs
// in loops over every endpoint or network set.
type node interface {
	eval(labels map[string]string) bool
	// write appends the canonical form of the node.
	write(b *strings.Builder)
}

// compareOp is an operator between a label and a single string value.
type compareOp uint8

const (
	opEq compareOp = iota
	opNe
	opContains
	opStartsWith
	opEndsWith
)

var compareOpText = [...]string{
	opEq:         " == ",
	opNe:         " != ",
	opContains:   " contains ",
	opStartsWith: " starts with ",
	opEndsWith:   " ends with ",
}

// compareNode is `label <op> "value"`.
type compareNode struct {
	op    compareOp
	label string
	value string
}

func (n *compareNode) eval(labels map[string]string) bool {
	v, ok := labels[n.label]
	if !ok {
		// Only != matches an absent label.
		return n.op == opNe
	}
	switch n.op {
	case opEq:
		return v == n.value
	case opNe:
		return v != n.value
	case opContains:
		return strings.Contains(v, n.value)
	case opStartsWith:
		return strings.HasPrefix(v, n.value)
	default: // opEndsWith
		return strings.HasSuffix(v, n.value)
	}
}

func (n *compareNode) write(b *strings.Builder) {
	b.WriteString(n.label)
	b.WriteString(compareOpText[n.op])
	writeQuoted(b, n.value)
}

// smallSet is the size up to which a linear scan beats a map lookup.
const smallSet = 8

// setNode is `label in {...}` or, with notIn, `label not in {...}`.
type setNode struct {
	label  string
	notIn  bool
	values []string            // sorted, de-duplicated
	lookup map[string]struct{} // nil when len(values) <= smallSet
}

func newSetNode(label string, notIn bool, values []string) *setNode {
	values = sortedUnique(values)
	n := &setNode{label: label, notIn: notIn, values: values}
	if len(values) > smallSet {
		n.lookup = make(map[string]struct{}, len(values))
		for _, v := range values {
			n.lookup[v] = struct{}{}
		}
	}
	return n
}

func (n *setNode) contains(v string) bool {
	if n.lookup != nil {
		_, ok := n.lookup[v]
		return ok
	}
	for _, s := range n.values {
		if s == v {
			return true
		}
	}
	return false
}

func (n *setNode) eval(labels map[string]string) bool {
	v, ok := labels[n.label]
	if !ok {
		return n.notIn
	}
	return n.contains(v) != n.notIn
}

func (n *setNode) write(b *strings.Builder) {
	b.WriteString(n.label)
	if n.notIn {
		b.WriteString(" not in {")
	} else {
		b.WriteString(" in {")
	}
	for i, v := range n.values {
		if i > 0 {
			b.WriteString(", ")
		}
		writeQuoted(b, v)
	}
	b.WriteByte('}')
}

// hasNode is `has(label)`; it matches a present label even if its value is
// empty.
type hasNode struct{ label string }

func (n *hasNode) eval(labels map[string]string) bool {
	_, ok := labels[n.label]
	return ok
}

func (n *hasNode) write(b *strings.Builder) {
	b.WriteString("has(")
	b.WriteString(n.label)
	b.WriteByte(')')
}

// notNode is `!operand`. The parser never nests one notNode directly in
// another, so the canonical form never starts with "!!".
type notNode struct{ operand node }

func (n *notNode) eval(labels map[string]string) bool { return !n.operand.eval(labels) }

func (n *notNode) write(b *strings.Builder) {
	b.WriteByte('!')
	n.operand.write(b)
}

// andNode and orNode always have at least two operands; the parser unwraps
// single-operand ones.
type andNode struct{ operands []node }

func (n *andNode) eval(labels map[string]string) bool {
	for _, o := range n.operands {
		if !o.eval(labels) {
			return false
		}
	}
	return true
}

func (n *andNode) write(b *strings.Builder) { writeJoined(b, n.operands, " && ") }

type orNode struct{ operands []node }

func (n *orNode) eval(labels map[string]string) bool {
	for _, o := range n.operands {
		if o.eval(labels) {
			return true
		}
	}
	return false
}

func (n *orNode) write(b *strings.Builder) { writeJoined(b, n.operands, " || ") }

// allNode is `all()`, also what an empty selector means.
type allNode struct{}

func (allNode) eval(map[string]string) bool { return true }
func (allNode) write(b *strings.Builder)    { b.WriteString("all()") }

// globalNode is `global()`. It matches everything here; its meaning
// ("non-namespaced endpoints") comes from where policy allows it.
type globalNode struct{}

func (globalNode) eval(map[string]string) bool { return true }
func (globalNode) write(b *strings.Builder)    { b.WriteString("global()") }

func writeJoined(b *strings.Builder, operands []node, sep string) {
	b.WriteByte('(')
	for i, o := range operands {
		if i > 0 {
			b.WriteString(sep)
		}
		o.write(b)
	}
	b.WriteByte(')')
}

// writeQuoted quotes with " unless the value contains one; the language has
// no escapes, and a value cannot contain both kinds of quote.
func writeQuoted(b *strings.Builder, v string) {
	q := byte('"')
	if strings.IndexByte(v, '"') >= 0 {
		q = '\''
	}
	b.WriteByte(q)
	b.WriteString(v)
	b.WriteByte(q)
}

func usesGlobal(n node) bool {
	switch n := n.(type) {
	case globalNode:
		return true
	case *notNode:
		return usesGlobal(n.operand)
	case *andNode:
		for _, o := range n.operands {
			if usesGlobal(o) {
				return true
			}
		}
	case *orNode:
		for _, o := range n.operands {
			if usesGlobal(o) {
				return true
			}
		}
	}
	return false
}
