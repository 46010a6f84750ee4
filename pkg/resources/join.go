package resources

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"
)

// Join joins a list into one table cell: []string as is, any other slice element by element with %v (so
// a String method is used), a map as sorted key=value pairs, anything else as %v. nil is empty.
func Join(v interface{}, sep string) string {
	return JoinAndTruncate(v, sep, 0)
}

// JoinAndTruncate is Join cut to at most max bytes, ending in "..." when cut; max <= 0 means no
// limit. The cut never splits a UTF-8 character.
func JoinAndTruncate(v interface{}, sep string, max int) string {
	var parts []string
	switch t := v.(type) {
	case nil:
		return ""
	case []string:
		parts = t
	case map[string]string:
		parts = make([]string, 0, len(t))
		for k, e := range t {
			parts = append(parts, k+"="+e)
		}
		sort.Strings(parts)
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Slice, reflect.Array:
			parts = make([]string, rv.Len())
			for i := range parts {
				parts[i] = fmt.Sprint(rv.Index(i).Interface())
			}
		case reflect.Map:
			parts = make([]string, 0, rv.Len())
			iter := rv.MapRange()
			for iter.Next() {
				parts = append(parts, fmt.Sprintf("%v=%v", iter.Key().Interface(), iter.Value().Interface()))
			}
			sort.Strings(parts)
		default:
			parts = []string{fmt.Sprint(v)}
		}
	}
	return truncate(strings.Join(parts, sep), max)
}

func truncate(s string, max int) string {
	const ellipsis = "..."
	if max <= 0 || len(s) <= max {
		return s
	}
	if max <= len(ellipsis) {
		return ellipsis[:max]
	}
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
