// Package lazyregexp holds regular expressions that are compiled on first use. A package-level
// regexp.MustCompile runs in every process that links its package: calicoctl compiling every
// validation rule's pattern at start-up would cost every command (even `version`) about a
// millisecond, and the CNI IPAM plugin, started once per container, would pay for patterns it
// never uses.
package lazyregexp

import (
	"regexp"
	"sync"
)

// Regexp is a regexp.Regexp compiled on first use. It is safe for concurrent use.
type Regexp struct {
	pattern string
	once    sync.Once
	re      *regexp.Regexp
}

// New returns a Regexp for pattern; the first use compiles it and panics if it is invalid, as
// regexp.MustCompile does.
func New(pattern string) *Regexp { return &Regexp{pattern: pattern} }

func (l *Regexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pattern) })
	return l.re
}

func (l *Regexp) MatchString(s string) bool            { return l.get().MatchString(s) }
func (l *Regexp) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }
func (l *Regexp) String() string                       { return l.pattern }
