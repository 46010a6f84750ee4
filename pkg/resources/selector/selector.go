// Package selector implements Calico's label selector language: parsing,
// evaluation against a label map, and the canonical string form that Calico
// stores and hashes.
//
// The language in brief:
//
//	k == "v"   k != "v"   k contains "v"   k starts with "v"   k ends with "v"
//	k in {"a", "b"}   k not in {"a", "b"}   has(k)   all()   global()
//	!e   e && e   e || e   ( e )
//
// Precedence is ! > && > ||. An empty selector means all().
package selector

import (
	"fmt"
	"strings"
)

// Selector is a parsed label selector. It is immutable and safe for
// concurrent use. The zero value behaves like all().
type Selector struct {
	root      node
	canonical string
	global    bool
}

// Parse parses a selector. Errors are *ParseError.
func Parse(s string) (*Selector, error) {
	p := parser{src: s}
	root, err := p.parseSelector()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	root.write(&b)
	return &Selector{root: root, canonical: b.String(), global: usesGlobal(root)}, nil
}

// MustParse is like Parse but panics if s is not a valid selector. It is
// meant for tests and selectors written into the program.
func MustParse(s string) *Selector {
	sel, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sel
}

// Validate returns nil if s is a valid selector, or a *ParseError.
func Validate(s string) error {
	p := parser{src: s}
	if _, err := p.parseSelector(); err != nil {
		return err
	}
	return nil
}

// Normalise returns the canonical form of a valid selector, or s unchanged
// if it does not parse (so that validation can report it later).
func Normalise(s string) string {
	sel, err := Parse(s)
	if err != nil {
		return s
	}
	return sel.String()
}

// String returns the canonical form: values double-quoted (single-quoted if
// they contain a double quote), sets sorted and de-duplicated, every AND and
// OR wrapped in parentheses. Parsing it again gives the same string.
func (s *Selector) String() string {
	if s.root == nil {
		return "all()"
	}
	return s.canonical
}

// Evaluate reports whether labels match the selector. It does not allocate.
func (s *Selector) Evaluate(labels map[string]string) bool {
	if s.root == nil {
		return true
	}
	return s.root.eval(labels)
}

// UsesGlobal reports whether global() appears anywhere in the selector.
func (s *Selector) UsesGlobal() bool {
	return s.global
}

// IsAll reports whether the selector is exactly all() (or empty), as
// opposed to something that merely happens to match everything.
func (s *Selector) IsAll() bool {
	if s.root == nil {
		return true
	}
	_, ok := s.root.(allNode)
	return ok
}

// ParseError describes why a selector does not parse.
type ParseError struct {
	Selector string // the input
	Pos      int    // 0-based byte offset where the problem is
	Msg      string // what is wrong, e.g. "expected a quoted string"
}

// Error returns a one-line message that quotes the selector, names the
// problem and its position, and shows the selector again with ">>>" at the
// point of failure, e.g.
//
//	invalid selector "a == 1": expected a quoted string at position 5 (a == >>>1)
func (e *ParseError) Error() string {
	pos := min(max(e.Pos, 0), len(e.Selector))
	return fmt.Sprintf("invalid selector %q: %s at position %d (%s>>>%s)",
		e.Selector, e.Msg, e.Pos, oneLine(e.Selector[:pos]), oneLine(e.Selector[pos:]))
}

// oneLine escapes control characters so that the caret display stays on one
// line and shows exactly where a stray newline or tab is.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
