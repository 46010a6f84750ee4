package selector

import (
	"slices"
	"strings"
)

// maxLabelLen is the longest label key the language accepts.
const maxLabelLen = 512

// Error messages. Tests compare against these, so change them with care.
const (
	msgExpectedOperand  = "expected a label, has(), all(), global(), '!' or '('"
	msgExpectedOperator = "expected operator after label"
	msgExpectedString   = "expected a quoted string"
	msgUnterminated     = "unterminated string"
	msgSingleEq         = "expected '==' but found a single '='"
	msgSingleAmp        = "expected '&&' but found a single '&'"
	msgSinglePipe       = "expected '||' but found a single '|'"
	msgExpectedLBrace   = "expected '{' to start a set of values"
	msgExpectedSetValue = "expected a quoted string or '}'"
	msgExpectedSetSep   = "expected ',' or '}'"
	msgExpectedRParen   = "expected '&&', '||' or ')'"
	msgExpectedEnd      = "expected '&&', '||' or end of selector"
	msgHasLabel         = "expected a label name inside has()"
	msgHasClose         = "expected ')' to close has("
	msgAllClose         = "expected ')' after all("
	msgGlobalClose      = "expected ')' after global("
	msgLabelTooLong     = "label name is longer than 512 characters"
	msgNewline          = "unexpected newline (a selector must be on a single line)"
	msgEOFPrefix        = "unexpected end of selector: "
)

// parser is a recursive-descent parser that reads the selector directly,
// without a separate token list. Which tokens are legal depends on what came
// before (operators such as "in" only follow a label), and reading in one
// pass keeps that context explicit and the error positions exact.
type parser struct {
	src string
	pos int
}

func (p *parser) fail(pos int, msg string) *ParseError {
	switch {
	case pos >= len(p.src):
		pos = len(p.src)
		msg = msgEOFPrefix + msg
	case p.src[pos] == '\n' || p.src[pos] == '\r':
		// A newline never starts a valid token, so wherever parsing stops at
		// one, the newline itself is the real problem.
		msg = msgNewline
	}
	return &ParseError{Selector: p.src, Pos: pos, Msg: msg}
}

// skipSpace skips spaces and tabs, the only whitespace the language allows.
func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// peek returns the next byte, or 0 at the end of input.
func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) parseSelector() (node, *ParseError) {
	p.skipSpace()
	if p.pos == len(p.src) {
		return allNode{}, nil
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.fail(p.pos, msgExpectedEnd)
	}
	return n, nil
}

func (p *parser) parseOr() (node, *ParseError) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	operands := []node{first}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "||") {
			if p.peek() == '|' {
				return nil, p.fail(p.pos, msgSinglePipe)
			}
			break
		}
		p.pos += 2
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		operands = append(operands, n)
	}
	if len(operands) == 1 {
		return first, nil
	}
	return &orNode{operands: operands}, nil
}

func (p *parser) parseAnd() (node, *ParseError) {
	first, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	operands := []node{first}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "&&") {
			if p.peek() == '&' {
				return nil, p.fail(p.pos, msgSingleAmp)
			}
			break
		}
		p.pos += 2
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		operands = append(operands, n)
	}
	if len(operands) == 1 {
		return first, nil
	}
	return &andNode{operands: operands}, nil
}

// parseUnary reads any number of leading '!' (they cancel in pairs) and the
// operation they apply to.
func (p *parser) parseUnary() (node, *ParseError) {
	negate := false
	for {
		p.skipSpace()
		if p.peek() != '!' {
			break
		}
		negate = !negate
		p.pos++
	}
	n, err := p.parseOperation()
	if err != nil {
		return nil, err
	}
	if !negate {
		return n, nil
	}
	// "!(!x)" is x: collapsing it here keeps String() a fixed point, since
	// printing a nested not as "!!x" would re-parse as x.
	if inner, ok := n.(*notNode); ok {
		return inner.operand, nil
	}
	return &notNode{operand: n}, nil
}

func (p *parser) parseOperation() (node, *ParseError) {
	p.skipSpace()
	rest := p.src[p.pos:]
	switch {
	case strings.HasPrefix(rest, "("):
		p.pos++
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return nil, p.fail(p.pos, msgExpectedRParen)
		}
		p.pos++
		return n, nil
	// The keywords need '(' straight after them; "has (a)" is the label
	// "has" followed by junk, as in Calico.
	case strings.HasPrefix(rest, "has("):
		p.pos += len("has(")
		p.skipSpace()
		label, err := p.parseLabel(msgHasLabel)
		if err != nil {
			return nil, err
		}
		if err := p.expectClose(msgHasClose); err != nil {
			return nil, err
		}
		return &hasNode{label: label}, nil
	case strings.HasPrefix(rest, "all("):
		p.pos += len("all(")
		if err := p.expectClose(msgAllClose); err != nil {
			return nil, err
		}
		return allNode{}, nil
	case strings.HasPrefix(rest, "global("):
		p.pos += len("global(")
		if err := p.expectClose(msgGlobalClose); err != nil {
			return nil, err
		}
		return globalNode{}, nil
	case len(rest) > 0 && isLabelByte(rest[0]):
		label, err := p.parseLabel(msgExpectedOperand)
		if err != nil {
			return nil, err
		}
		return p.parseComparison(label)
	default:
		return nil, p.fail(p.pos, msgExpectedOperand)
	}
}

func (p *parser) expectClose(msg string) *ParseError {
	p.skipSpace()
	if p.peek() != ')' {
		return p.fail(p.pos, msg)
	}
	p.pos++
	return nil
}

// parseLabel reads a label key: [a-zA-Z0-9_./-]{1,512}.
func (p *parser) parseLabel(missing string) (string, *ParseError) {
	start := p.pos
	for p.pos < len(p.src) && isLabelByte(p.src[p.pos]) {
		p.pos++
	}
	switch n := p.pos - start; {
	case n == 0:
		return "", p.fail(start, missing)
	case n > maxLabelLen:
		return "", p.fail(start, msgLabelTooLong)
	}
	return p.src[start:p.pos], nil
}

// parseComparison reads the operator and operand that must follow a label.
func (p *parser) parseComparison(label string) (node, *ParseError) {
	p.skipSpace()
	rest := p.src[p.pos:]
	var op compareOp
	switch {
	case strings.HasPrefix(rest, "=="):
		p.pos += 2
		op = opEq
	case strings.HasPrefix(rest, "!="):
		p.pos += 2
		op = opNe
	case strings.HasPrefix(rest, "="):
		return nil, p.fail(p.pos, msgSingleEq)
	case p.keyword("contains"):
		op = opContains
	case p.keyword("starts", "with"):
		op = opStartsWith
	case p.keyword("ends", "with"):
		op = opEndsWith
	case p.keyword("not", "in"):
		return p.parseSet(label, true)
	case p.keyword("in"):
		return p.parseSet(label, false)
	default:
		return nil, p.fail(p.pos, msgExpectedOperator)
	}
	value, err := p.parseString(msgExpectedString)
	if err != nil {
		return nil, err
	}
	return &compareNode{op: op, label: label, value: value}, nil
}

// keyword consumes an operator made of the given words if it comes next.
// Words may be separated by any run of spaces and tabs, including none
// ("startswith", "notin"), and the last word must end at a word boundary.
func (p *parser) keyword(words ...string) bool {
	pos := p.pos
	for i, w := range words {
		if i > 0 {
			for pos < len(p.src) && (p.src[pos] == ' ' || p.src[pos] == '\t') {
				pos++
			}
		}
		if !strings.HasPrefix(p.src[pos:], w) {
			return false
		}
		pos += len(w)
	}
	if pos < len(p.src) && isWordByte(p.src[pos]) {
		return false
	}
	p.pos = pos
	return true
}

func (p *parser) parseSet(label string, notIn bool) (node, *ParseError) {
	p.skipSpace()
	if p.peek() != '{' {
		return nil, p.fail(p.pos, msgExpectedLBrace)
	}
	p.pos++
	var values []string
	for {
		p.skipSpace()
		if p.peek() == '}' {
			p.pos++
			break
		}
		v, err := p.parseString(msgExpectedSetValue)
		if err != nil {
			return nil, err
		}
		values = append(values, v)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++ // a trailing comma before '}' is allowed
			continue
		case '}':
			p.pos++
		default:
			return nil, p.fail(p.pos, msgExpectedSetSep)
		}
		break
	}
	return newSetNode(label, notIn, values), nil
}

// parseString reads a '...' or "..." literal. There are no escapes: the
// string ends at the next matching quote.
func (p *parser) parseString(missing string) (string, *ParseError) {
	p.skipSpace()
	q := p.peek()
	if q != '"' && q != '\'' {
		return "", p.fail(p.pos, missing)
	}
	end := strings.IndexByte(p.src[p.pos+1:], q)
	if end < 0 {
		return "", p.fail(p.pos, msgUnterminated)
	}
	v := p.src[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return v, nil
}

func isLabelByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '/' || c == '-'
}

// isWordByte matches a regexp \w byte, which defines the word boundary
// after an operator keyword.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

func sortedUnique(values []string) []string {
	slices.Sort(values)
	return slices.Compact(values)
}
