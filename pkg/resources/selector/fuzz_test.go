package selector

import (
	"errors"
	"strings"
	"testing"
)

// fuzzLabels are the label maps every fuzzed selector is evaluated against.
// The keys are short so that fuzzed selectors often mention them.
var fuzzLabels = []map[string]string{
	nil,
	{"a": ""},
	{"a": "x", "b": "y"},
	{"a": "1", "b": "1", "c": "1"},
	{"k": "v", "a/b": "a\"b", "x": "it's"},
}

// FuzzParse checks that parsing never panics, that errors are well formed,
// and that the canonical form is a fixed point with the same meaning.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.in)
	}
	for _, tc := range errorCases {
		f.Add(tc.in)
	}
	for _, tc := range evalCases {
		f.Add(tc.sel)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sel, err := Parse(in)
		if verr := Validate(in); (verr == nil) != (err == nil) {
			t.Fatalf("Parse(%q) error %v but Validate error %v", in, err, verr)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error is %T, want *ParseError", in, err)
			}
			if pe.Pos < 0 || pe.Pos > len(in) || pe.Selector != in || pe.Msg == "" {
				t.Fatalf("Parse(%q) gave malformed error %+v", in, pe)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("Parse(%q) error message spans lines: %q", in, msg)
			}
			if got := Normalise(in); got != in {
				t.Fatalf("Normalise(%q) = %q, want the input unchanged", in, got)
			}
			return
		}

		canonical := sel.String()
		again, err := Parse(canonical)
		if err != nil {
			t.Fatalf("Parse(%q) gave canonical form %q that does not parse: %v", in, canonical, err)
		}
		if again.String() != canonical {
			t.Fatalf("canonical form of %q is not stable: %q then %q", in, canonical, again.String())
		}
		if Normalise(in) != canonical {
			t.Fatalf("Normalise(%q) = %q, want %q", in, Normalise(in), canonical)
		}
		if again.UsesGlobal() != sel.UsesGlobal() || again.IsAll() != sel.IsAll() {
			t.Fatalf("%q and its canonical form %q differ in UsesGlobal/IsAll", in, canonical)
		}
		for _, l := range fuzzLabels {
			if a, b := sel.Evaluate(l), again.Evaluate(l); a != b {
				t.Fatalf("%q gives %v on %v but its canonical form %q gives %v", in, a, l, canonical, b)
			}
		}
	})
}
