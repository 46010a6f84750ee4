package printer

import "github.com/calicoctl-go/calicoctl/pkg/resources"

// The joining helpers live in package resources, so that the kinds' table columns use them
// without linking the printer (and its JSONPath and template machinery) into every program that
// knows the kinds, the CNI plugin among them.

// Join joins a list into one cell: []string as is, any other slice element by element with %v (so
// a String method is used), a map as sorted key=value pairs, anything else as %v. nil is empty.
func Join(v interface{}, sep string) string { return resources.Join(v, sep) }

// JoinAndTruncate is Join cut to at most max bytes, ending in "..." when cut; max <= 0 means no
// limit. The cut never splits a UTF-8 character.
func JoinAndTruncate(v interface{}, sep string, max int) string {
	return resources.JoinAndTruncate(v, sep, max)
}
