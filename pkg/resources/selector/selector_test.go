package selector

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

var (
	label512 = strings.Repeat("k", 512)
	label513 = strings.Repeat("k", 513)
)

// parseCases are valid selectors and their canonical forms.
var parseCases = []struct {
	in, want string
}{
	// Empty and keyword operations.
	{"", "all()"},
	{"  \t ", "all()"},
	{"all()", "all()"},
	{" all( \t) ", "all()"},
	{"global()", "global()"},
	{"global( )", "global()"},
	{"has(a)", "has(a)"},
	{"has( \ta )", "has(a)"},

	// Comparisons, quoting and whitespace.
	{`a == "b"`, `a == "b"`},
	{`a=="b"`, `a == "b"`},
	{"a\t==\t'b'", `a == "b"`},
	{`a == ""`, `a == ""`},
	{`a == 'say "hi"'`, `a == 'say "hi"'`},
	{`a == "it's"`, `a == "it's"`},
	{`a != "b"`, `a != "b"`},
	{`a!='b'`, `a != "b"`},
	{`a contains "b"`, `a contains "b"`},
	{`a contains"b"`, `a contains "b"`},
	{`a starts with "b"`, `a starts with "b"`},
	{`a startswith "b"`, `a starts with "b"`},
	{"a starts \t  with 'b'", `a starts with "b"`},
	{`a ends with "b"`, `a ends with "b"`},
	{`a endswith "b"`, `a ends with "b"`},
	// No escapes: the backslash is part of the value.
	{`a == "x\"`, `a == "x\"`},
	// Only newlines outside strings are rejected, as in Calico.
	{"a == \"x\ny\"", "a == \"x\ny\""},

	// Sets are sorted and de-duplicated; empty sets and trailing commas parse.
	{`a in {"b", "a", "b"}`, `a in {"a", "b"}`},
	{`a in {}`, `a in {}`},
	{`a in { }`, `a in {}`},
	{`a in {"x",}`, `a in {"x"}`},
	{`a in{'x' , "y" ,}`, `a in {"x", "y"}`},
	{`a in {'q"', "p"}`, `a in {"p", 'q"'}`},
	{`a not in {"x"}`, `a not in {"x"}`},
	{`a notin{"x"}`, `a not in {"x"}`},
	{"a not \t in {\"x\"}", `a not in {"x"}`},
	{`a not in {}`, `a not in {}`},

	// Label keys: any of [a-zA-Z0-9_./-], including keyword-like names.
	{`a/b.c-d_E9 == "x"`, `a/b.c-d_E9 == "x"`},
	{`projectcalico.org/namespace == "default"`, `projectcalico.org/namespace == "default"`},
	{`9 == "x"`, `9 == "x"`},
	{`-x == "y"`, `-x == "y"`},
	{`has == "x"`, `has == "x"`},
	{`all != "x"`, `all != "x"`},
	{`global == "x"`, `global == "x"`},
	{`in in {"x"}`, `in in {"x"}`},
	{`not not in {"x"}`, `not not in {"x"}`},
	{`contains contains "x"`, `contains contains "x"`},
	{label512 + ` == "x"`, label512 + ` == "x"`},
	{"has(" + label512 + ")", "has(" + label512 + ")"},

	// Negation: '!' binds tightest and pairs cancel.
	{"!has(a)", "!has(a)"},
	{"! has(a)", "!has(a)"},
	{"!!has(a)", "has(a)"},
	{"! ! !has(a)", "!has(a)"},
	{"!(!has(a))", "has(a)"},
	{"!!(!has(a))", "!has(a)"},
	{`!a == "x"`, `!a == "x"`},
	{"!all()", "!all()"},
	{`!(a == "1" && b == "2")`, `!(a == "1" && b == "2")`},
	{`!(a == "1" || b == "2")`, `!(a == "1" || b == "2")`},

	// && binds tighter than ||; every AND and OR is parenthesised.
	{`a == "1" && b == "2"`, `(a == "1" && b == "2")`},
	{`a == "1"&&b == "2"&&has(c)`, `(a == "1" && b == "2" && has(c))`},
	{`a == "1" || b == "2"`, `(a == "1" || b == "2")`},
	{`a == "1" || b == "2" && c == "3"`, `(a == "1" || (b == "2" && c == "3"))`},
	{`a == "1" && b == "2" || c == "3"`, `((a == "1" && b == "2") || c == "3")`},
	{`!a == "1" && b == "2"`, `(!a == "1" && b == "2")`},
	{`a == "1" && (b == "2" || has(c))`, `(a == "1" && (b == "2" || has(c)))`},

	// Parentheses: a single operand is unwrapped, explicit grouping is kept.
	{`(a == "1")`, `a == "1"`},
	{`(( a == "1" ))`, `a == "1"`},
	{`(a == "1" && b == "2") && c == "3"`, `((a == "1" && b == "2") && c == "3")`},
	{`(a == "1" || b == "2") || (c == "3")`, `((a == "1" || b == "2") || c == "3")`},
	{`global() && all()`, `(global() && all())`},
}

func TestParseCanonicalForm(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.in, func(t *testing.T) {
			sel, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q) failed: %v", tc.in, err)
			}
			if got := sel.String(); got != tc.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
			if got := Normalise(tc.in); got != tc.want {
				t.Errorf("Normalise(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if err := Validate(tc.in); err != nil {
				t.Errorf("Validate(%q) = %v, want nil", tc.in, err)
			}
			again, err := Parse(tc.want)
			if err != nil {
				t.Fatalf("canonical form %q does not re-parse: %v", tc.want, err)
			}
			if again.String() != tc.want {
				t.Errorf("canonical form %q re-parses to %q", tc.want, again.String())
			}
		})
	}
}

// errorCases are invalid selectors with the position and message reported.
var errorCases = []struct {
	in  string
	pos int
	msg string
}{
	// Values must be quoted strings, and strings must end.
	{`a == 1`, 5, msgExpectedString},
	{`a != b`, 5, msgExpectedString},
	{`a contains`, 10, msgEOFPrefix + msgExpectedString},
	{`a == "b`, 5, msgUnterminated},
	{`a == 'b"`, 5, msgUnterminated},
	{`a in {"x", 'y}`, 11, msgUnterminated},

	// A label must be followed by an operator.
	{`a`, 1, msgEOFPrefix + msgExpectedOperator},
	{`a && b == "c"`, 2, msgExpectedOperator},
	{`a b`, 2, msgExpectedOperator},
	{`a inx {"x"}`, 2, msgExpectedOperator},
	{`a in_x {"x"}`, 2, msgExpectedOperator},
	{`a containsx "y"`, 2, msgExpectedOperator},
	{`a starts "x"`, 2, msgExpectedOperator},
	{`a startswithx "x"`, 2, msgExpectedOperator},
	{`a ends "x"`, 2, msgExpectedOperator},
	{`a not "x"`, 2, msgExpectedOperator},
	{`a ~= "x"`, 2, msgExpectedOperator},
	{`has (a)`, 4, msgExpectedOperator},

	// Single '=', '&' and '|' are not operators.
	{`a = "b"`, 2, msgSingleEq},
	{`a == "b" & c == "d"`, 9, msgSingleAmp},
	{`a == "b" | c == "d"`, 9, msgSinglePipe},
	{`a == "b" &`, 9, msgSingleAmp},

	// Operands.
	{`&& a == "b"`, 0, msgExpectedOperand},
	{`"a" == "b"`, 0, msgExpectedOperand},
	{`!`, 1, msgEOFPrefix + msgExpectedOperand},
	{`!= "a"`, 1, msgExpectedOperand},
	{`()`, 1, msgExpectedOperand},
	{`a == "b" &&`, 11, msgEOFPrefix + msgExpectedOperand},
	{`a == "b" || `, 12, msgEOFPrefix + msgExpectedOperand},
	{`a == "b" && (`, 13, msgEOFPrefix + msgExpectedOperand},
	{`é == "b"`, 0, msgExpectedOperand},

	// Keywords.
	{`has()`, 4, msgHasLabel},
	{`has( )`, 5, msgHasLabel},
	{`has(a`, 5, msgEOFPrefix + msgHasClose},
	{`has(a b)`, 6, msgHasClose},
	{`all(x)`, 4, msgAllClose},
	{`all(`, 4, msgEOFPrefix + msgAllClose},
	{`global(x)`, 7, msgGlobalClose},

	// Sets.
	{`a in "x"`, 5, msgExpectedLBrace},
	{`a not in`, 8, msgEOFPrefix + msgExpectedLBrace},
	{`a in {x}`, 6, msgExpectedSetValue},
	{`a in {,}`, 6, msgExpectedSetValue},
	{`a in {"x",,}`, 10, msgExpectedSetValue},
	{`a in {"x" "y"}`, 10, msgExpectedSetSep},
	{`a in {"x"`, 9, msgEOFPrefix + msgExpectedSetSep},

	// Parentheses and trailing tokens.
	{`(a == "b"`, 9, msgEOFPrefix + msgExpectedRParen},
	{`(a == "b" c`, 10, msgExpectedRParen},
	{`a == "b")`, 8, msgExpectedEnd},
	{`a == "b" c == "d"`, 9, msgExpectedEnd},
	{`a == "b" !`, 9, msgExpectedEnd},
	{`all() all()`, 6, msgExpectedEnd},
	{`has(a) == "b"`, 7, msgExpectedEnd},

	// Newlines, wherever they appear outside a string.
	{"a == \"b\"\n", 8, msgNewline},
	{"a ==\n\"b\"", 4, msgNewline},
	{"\nall()", 0, msgNewline},
	{"a\r\n== \"b\"", 1, msgNewline},
	{"a == \"b\" &&\nc == \"d\"", 11, msgNewline},
	{"a ==\v\"b\"", 4, msgExpectedString},

	// Label length.
	{label513 + ` == "x"`, 0, msgLabelTooLong},
	{"has(" + label513 + ")", 4, msgLabelTooLong},
	{`a == "b" && ` + label513 + ` == "x"`, 12, msgLabelTooLong},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.in, func(t *testing.T) {
			sel, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tc.in, sel)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error is %T, want *ParseError", tc.in, err)
			}
			if pe.Selector != tc.in || pe.Pos != tc.pos || pe.Msg != tc.msg {
				t.Errorf("Parse(%q) error = {Pos: %d, Msg: %q}, want {Pos: %d, Msg: %q}",
					tc.in, pe.Pos, pe.Msg, tc.pos, tc.msg)
			}
			if verr := Validate(tc.in); verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate(%q) = %v, want %v", tc.in, verr, err)
			}
			if got := Normalise(tc.in); got != tc.in {
				t.Errorf("Normalise(%q) = %q, want the input unchanged", tc.in, got)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error message spans lines: %q", err.Error())
			}
		})
	}
}

func TestParseErrorMessageFormat(t *testing.T) {
	cases := []struct{ in, want string }{
		{`a == 1`, `invalid selector "a == 1": expected a quoted string at position 5 (a == >>>1)`},
		{`a`, `invalid selector "a": unexpected end of selector: expected operator after label at position 1 (a>>>)`},
		{`a = "b"`, `invalid selector "a = \"b\"": expected '==' but found a single '=' at position 2 (a >>>= "b")`},
		{"a == \"b\"\n&& c", `invalid selector "a == \"b\"\n&& c": unexpected newline (a selector must be on a single line) at position 8 (a == "b">>>\n&& c)`},
		{"a ==\t\x01", `invalid selector "a ==\t\x01": expected a quoted string at position 5 (a ==\t>>>\x01)`},
	}
	for _, tc := range cases {
		_, err := Parse(tc.in)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded, want an error", tc.in)
		}
		if got := err.Error(); got != tc.want {
			t.Errorf("Parse(%q) error:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestParseErrorWithOutOfRangePosDoesNotPanic(t *testing.T) {
	for _, pos := range []int{-1, 100} {
		e := &ParseError{Selector: "a", Pos: pos, Msg: "m"}
		_ = e.Error()
	}
}

type labels = map[string]string

var evalCases = []struct {
	sel    string
	labels labels
	want   bool
}{
	// ==: present with the value only.
	{`a == "x"`, labels{"a": "x"}, true},
	{`a == "x"`, labels{"a": "y"}, false},
	{`a == "x"`, labels{"a": "X"}, false},
	{`a == "x"`, labels{}, false},
	{`a == "x"`, labels{"a": ""}, false},
	{`a == ""`, labels{"a": ""}, true},
	{`a == ""`, labels{}, false},
	// !=: true when the label is absent.
	{`a != "x"`, labels{"a": "x"}, false},
	{`a != "x"`, labels{"a": "y"}, true},
	{`a != "x"`, labels{}, true},
	{`a != "x"`, nil, true},
	// contains / starts with / ends with: present and case-sensitive.
	{`a contains "bc"`, labels{"a": "abcd"}, true},
	{`a contains "bc"`, labels{"a": "aBCd"}, false},
	{`a contains "bc"`, labels{}, false},
	{`a contains ""`, labels{"a": ""}, true},
	{`a contains ""`, labels{}, false},
	{`a starts with "ab"`, labels{"a": "abc"}, true},
	{`a starts with "ab"`, labels{"a": "cab"}, false},
	{`a starts with "ab"`, labels{"a": "Abc"}, false},
	{`a starts with "ab"`, labels{}, false},
	{`a ends with "bc"`, labels{"a": "abc"}, true},
	{`a ends with "bc"`, labels{"a": "bca"}, false},
	{`a ends with "bc"`, labels{}, false},
	// in / not in, including an empty set and a set large enough for a map.
	{`a in {"x", "y"}`, labels{"a": "y"}, true},
	{`a in {"x", "y"}`, labels{"a": "z"}, false},
	{`a in {"x", "y"}`, labels{}, false},
	{`a in {}`, labels{"a": ""}, false},
	{`a in {""}`, labels{"a": ""}, true},
	{`a not in {"x", "y"}`, labels{"a": "y"}, false},
	{`a not in {"x", "y"}`, labels{"a": "z"}, true},
	{`a not in {"x", "y"}`, labels{}, true},
	{`a not in {}`, labels{"a": "x"}, true},
	{`a not in {}`, labels{}, true},
	{`a in {"0","1","2","3","4","5","6","7","8","9",}`, labels{"a": "7"}, true},
	{`a in {"0","1","2","3","4","5","6","7","8","9",}`, labels{"a": "10"}, false},
	{`a notin {"0","1","2","3","4","5","6","7","8","9"}`, labels{"a": "7"}, false},
	{`a notin {"0","1","2","3","4","5","6","7","8","9"}`, labels{}, true},
	// has(): present, even with an empty value.
	{`has(a)`, labels{"a": ""}, true},
	{`has(a)`, labels{"b": "a"}, false},
	{`!has(a)`, labels{"a": ""}, false},
	{`!has(a)`, labels{}, true},
	// ! negates; !(k == v) matches an absent label.
	{`!a == "x"`, labels{}, true},
	{`!a == "x"`, labels{"a": "x"}, false},
	{`!!a == "x"`, labels{"a": "x"}, true},
	{`!(a == "x" && b == "y")`, labels{"a": "x", "b": "y"}, false},
	{`!(a == "x" && b == "y")`, labels{"a": "x"}, true},
	// Precedence: ! > && > ||.
	{`a == "1" || b == "1" && c == "1"`, labels{"a": "1"}, true},
	{`a == "1" || b == "1" && c == "1"`, labels{"b": "1"}, false},
	{`a == "1" || b == "1" && c == "1"`, labels{"b": "1", "c": "1"}, true},
	{`(a == "1" || b == "1") && c == "1"`, labels{"a": "1"}, false},
	{`(a == "1" || b == "1") && c == "1"`, labels{"a": "1", "c": "1"}, true},
	{`!a == "1" && b == "1"`, labels{"a": "1", "b": "1"}, false},
	{`!a == "1" && b == "1"`, labels{"b": "1"}, true},
	{`!(a == "1" && b == "1")`, labels{"b": "1"}, true},
	{`!has(a) || has(b)`, labels{"a": "", "b": ""}, true},
	{`!(has(a) || has(b))`, labels{"a": "", "b": ""}, false},
	// all(), global() and the empty selector match everything.
	{``, labels{}, true},
	{``, nil, true},
	{`all()`, labels{"a": "b"}, true},
	{`global()`, labels{}, true},
	{`!all()`, labels{}, false},
}

func TestEvaluate(t *testing.T) {
	for _, tc := range evalCases {
		t.Run(fmt.Sprintf("%s/%v", tc.sel, tc.labels), func(t *testing.T) {
			sel := MustParse(tc.sel)
			if got := sel.Evaluate(tc.labels); got != tc.want {
				t.Errorf("%q.Evaluate(%v) = %v, want %v", tc.sel, tc.labels, got, tc.want)
			}
			// The canonical form means the same thing.
			if got := MustParse(sel.String()).Evaluate(tc.labels); got != tc.want {
				t.Errorf("canonical %q.Evaluate(%v) = %v, want %v", sel.String(), tc.labels, got, tc.want)
			}
		})
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	sel := MustParse(`(a == "1" || b in {"0","1","2","3","4","5","6","7","8","9"}) && !has(c) && d not in {"x"} && e starts with "p"`)
	l := labels{"a": "1", "b": "5", "d": "y", "e": "prod"}
	if !sel.Evaluate(l) {
		t.Fatal("selector should match")
	}
	if n := testing.AllocsPerRun(100, func() { sel.Evaluate(l) }); n != 0 {
		t.Errorf("Evaluate allocated %v times per run, want 0", n)
	}
}

func TestUsesGlobal(t *testing.T) {
	cases := map[string]bool{
		"global()":                         true,
		"!global()":                        true,
		`a == "b" || (has(c) && global())`: true,
		"":                                 false,
		"all()":                            false,
		`global == "x"`:                    false,
		`a == "global()"`:                  false,
	}
	for in, want := range cases {
		if got := MustParse(in).UsesGlobal(); got != want {
			t.Errorf("%q.UsesGlobal() = %v, want %v", in, got, want)
		}
	}
}

func TestIsAll(t *testing.T) {
	cases := map[string]bool{
		"":               true,
		" ":              true,
		"all()":          true,
		"(all())":        true,
		"!!all()":        true,
		"global()":       false,
		"all() && all()": false,
		`a != "x"`:       false,
		`!all()`:         false,
		`all == "x"`:     false,
	}
	for in, want := range cases {
		if got := MustParse(in).IsAll(); got != want {
			t.Errorf("%q.IsAll() = %v, want %v", in, got, want)
		}
	}
}

func TestZeroSelectorMatchesAll(t *testing.T) {
	var sel Selector
	if !sel.Evaluate(labels{"a": "b"}) || !sel.IsAll() || sel.UsesGlobal() || sel.String() != "all()" {
		t.Errorf("zero Selector = %q, IsAll %v, UsesGlobal %v; want all()", sel.String(), sel.IsAll(), sel.UsesGlobal())
	}
}

func TestMustParsePanicsWithParseError(t *testing.T) {
	defer func() {
		r := recover()
		if _, ok := r.(*ParseError); !ok {
			t.Errorf("MustParse panicked with %T (%v), want *ParseError", r, r)
		}
	}()
	MustParse("a ==")
}

func TestValidateReturnsNilInterface(t *testing.T) {
	// A nil *ParseError inside a non-nil error would make `err != nil` true.
	if err := Validate(`a == "b"`); err != nil {
		t.Errorf("Validate = %#v, want nil", err)
	}
	if _, err := Parse(`a == "b"`); err != nil {
		t.Errorf("Parse error = %#v, want nil", err)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	sel := MustParse(`(app == "web" || app in {"api", "db", "cache", "queue", "auth", "search", "mail", "logs", "metrics"}) && ` +
		`env != "dev" && !has(quarantine) && projectcalico.org/namespace starts with "prod-"`)
	sets := []labels{
		{"app": "web", "env": "prod", "projectcalico.org/namespace": "prod-eu"},
		{"app": "metrics", "env": "prod", "projectcalico.org/namespace": "prod-us"},
		{"app": "web", "env": "dev", "projectcalico.org/namespace": "dev"},
		{"app": "other", "quarantine": ""},
		{},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sel.Evaluate(sets[i%len(sets)])
	}
}

func BenchmarkParse(b *testing.B) {
	const s = `(app == "web" || app in {"api", "db"}) && env != "dev" && !has(quarantine)`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}
