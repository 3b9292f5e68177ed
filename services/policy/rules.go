package policy

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The eligibility language: each rule of a policy is one small boolean
// expression over the firm's profile and declared figures, e.g.
//
//	flags has "high-tech" and rd_ratio >= 3% and revenue >= 2000万元
//	industry in ["C39", "C3841"] and not flags has "bad-credit"
//	tax_per_mu >= 40万元
//
// Grammar (keywords are lower case; whitespace is free):
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" expr ")" | field [ op literal | "in" list | "has" string ]
//	op      = ">=" | "<=" | ">" | "<" | "==" | "!="
//	list    = "[" [ literal { "," literal } ] "]"
//	literal = string | number [ "%" | "元" | "万元" | "亿元" ] | "true" | "false"
//
// Every comparison names a known field on the left and a literal of the
// field's type on the right; money is written with its unit (元, 万元, 亿元)
// and is exact to the fen. The language has no function calls, no
// arithmetic and no loops: a parsed rule is a tree that is evaluated against
// a firm's facts, so evaluation always ends and cannot reach anything else.
// Parsing is bounded in length, depth and list size.

// Limits of a rule.
const (
	MaxRuleLength = 2000
	maxDepth      = 32
	maxListItems  = 256
	maxStringLen  = 64
	// maxMoneyFen bounds money literals and figures: 10 万亿元.
	maxMoneyFen = 1_000_000_000_000_000
	// maxNumber bounds plain numbers.
	maxNumber = 1e15
)

type kind int

const (
	kString kind = iota + 1
	kNumber
	kMoney
	kBool
	kSet
)

func (k kind) String() string {
	switch k {
	case kString:
		return "text"
	case kNumber:
		return "a number"
	case kMoney:
		return "money"
	case kBool:
		return "true or false"
	case kSet:
		return "a set of flags"
	}
	return "?"
}

// Field is one fact of a firm a rule can test.
type Field struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Type  string `json:"type"`
	Doc   string `json:"doc"`
	kind  kind
	str   func(*Facts) (string, bool)
	num   func(*Facts) (float64, bool)
	money func(*Facts) (int64, bool)
	bool  func(*Facts) bool
	set   func(*Facts) []string
	// prefix: string comparisons match by prefix (industry codes are hierarchical).
	prefix bool
	// values, when set, are the only valid literals.
	values []string
}

// Fields are the facts rules can test, in documentation order.
var Fields = []*Field{
	{Name: "industry", Label: "行业代码", Type: "text", kind: kString, prefix: true,
		Doc: `GB/T 4754 industry code; == and in match by prefix ("C39" matches C3922)`,
		str: func(f *Facts) (string, bool) { return f.Industry, f.Industry != "" }},
	{Name: "scale", Label: "企业规模", Type: "text", kind: kString, values: []string{"large", "medium", "small", "micro"},
		Doc: "large, medium, small or micro",
		str: func(f *Facts) (string, bool) { return f.Scale, f.Scale != "" }},
	{Name: "flags", Label: "企业标识", Type: "flags", kind: kSet,
		Doc: `the firm's flags: flags has "high-tech" (高新技术企业), "specialized-sme" (专精特新), "listed" (上市), "bad-credit" (失信)`,
		set: func(f *Facts) []string { return f.Flags }},
	{Name: "key_enterprise", Label: "重点企业", Type: "bool", kind: kBool, Doc: "a key enterprise of the park",
		bool: func(f *Facts) bool { return f.KeyEnterprise }},
	{Name: "figures_year", Label: "申报年度", Type: "number", kind: kNumber, Doc: "the year of the declared figures",
		num: func(f *Facts) (float64, bool) { return float64(f.FiguresYear), f.HasFigures }},
	{Name: "revenue", Label: "营业收入", Type: "money", kind: kMoney, Doc: "declared revenue",
		money: func(f *Facts) (int64, bool) { return f.RevenueFen, f.HasFigures }},
	{Name: "tax_paid", Label: "纳税额", Type: "money", kind: kMoney, Doc: "declared tax paid",
		money: func(f *Facts) (int64, bool) { return f.TaxPaidFen, f.HasFigures }},
	{Name: "rd_ratio", Label: "研发投入强度", Type: "number", kind: kNumber, Doc: "R&D spending as a percentage of revenue (3% or 3)",
		num: func(f *Facts) (float64, bool) { return f.RDRatioPercent, f.HasFigures }},
	{Name: "rd_expense", Label: "研发投入", Type: "money", kind: kMoney, Doc: "revenue × rd_ratio, to the fen (rounded down)",
		money: func(f *Facts) (int64, bool) { return f.RDExpenseFen, f.HasFigures }},
	{Name: "land_area_mu", Label: "用地面积(亩)", Type: "number", kind: kNumber, Doc: "land used, in mu (亩)",
		num: func(f *Facts) (float64, bool) { return f.LandAreaMu, f.HasFigures }},
	{Name: "headcount", Label: "从业人数", Type: "number", kind: kNumber, Doc: "declared headcount",
		num: func(f *Facts) (float64, bool) { return float64(f.Headcount), f.HasFigures }},
	{Name: "tax_per_mu", Label: "亩均税收", Type: "money", kind: kMoney, Doc: "tax paid per mu of land (亩均税收); unknown without land",
		money: func(f *Facts) (int64, bool) { return f.TaxPerMuFen, f.HasFigures && f.LandAreaMu > 0 }},
	{Name: "revenue_per_mu", Label: "亩均营收", Type: "money", kind: kMoney, Doc: "revenue per mu of land; unknown without land",
		money: func(f *Facts) (int64, bool) { return f.RevenuePerMuFen, f.HasFigures && f.LandAreaMu > 0 }},
}

var fieldByName = func() map[string]*Field {
	m := map[string]*Field{}
	for _, f := range Fields {
		m[f.Name] = f
	}
	return m
}()

// RuleError is a rule that does not parse or type-check, with the byte
// offset of the problem.
type RuleError struct {
	Pos int
	Msg string
}

func (e *RuleError) Error() string { return fmt.Sprintf("at %d: %s", e.Pos, e.Msg) }

// --- lexer ---

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tOp
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
)

type token struct {
	kind tokKind
	text string // ident, op, string value, number digits
	unit string // number: "", "%", "元", "万元", "亿元"
	pos  int
}

func lex(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{kind: tLParen, pos: i})
			i++
		case c == ')':
			out = append(out, token{kind: tRParen, pos: i})
			i++
		case c == '[':
			out = append(out, token{kind: tLBrack, pos: i})
			i++
		case c == ']':
			out = append(out, token{kind: tRBrack, pos: i})
			i++
		case c == ',':
			out = append(out, token{kind: tComma, pos: i})
			i++
		case c == '>' || c == '<' || c == '=' || c == '!':
			op := string(c)
			if i+1 < len(src) && src[i+1] == '=' {
				op += "="
			}
			if op == "=" || op == "!" {
				return nil, &RuleError{i, fmt.Sprintf("unknown operator %q: use ==, !=, >=, <=, > or <", op)}
			}
			out = append(out, token{kind: tOp, text: op, pos: i})
			i += len(op)
		case c == '"':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(src) {
				if src[i] == '\\' && i+1 < len(src) && (src[i+1] == '"' || src[i+1] == '\\') {
					b.WriteByte(src[i+1])
					i += 2
					continue
				}
				if src[i] == '"' {
					closed = true
					i++
					break
				}
				if src[i] < 0x20 {
					return nil, &RuleError{i, "control character in a string"}
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				return nil, &RuleError{start, "unterminated string"}
			}
			s := b.String()
			if !utf8.ValidString(s) {
				return nil, &RuleError{start, "a string must be valid UTF-8"}
			}
			if utf8.RuneCountInString(s) > maxStringLen {
				return nil, &RuleError{start, fmt.Sprintf("a string may have at most %d characters", maxStringLen)}
			}
			out = append(out, token{kind: tString, text: s, pos: start})
		case c >= '0' && c <= '9':
			start := i
			for i < len(src) && (src[i] >= '0' && src[i] <= '9' || src[i] == '.') {
				i++
			}
			digits := src[start:i]
			if strings.Count(digits, ".") > 1 || strings.HasSuffix(digits, ".") || len(digits) > 24 {
				return nil, &RuleError{start, fmt.Sprintf("malformed number %q", digits)}
			}
			unit := ""
			for _, u := range []string{"%", "元", "万元", "亿元"} {
				if strings.HasPrefix(src[i:], u) {
					unit = u
				}
			}
			if unit == "" && (strings.HasPrefix(src[i:], "万") || strings.HasPrefix(src[i:], "亿")) {
				return nil, &RuleError{i, "write money as 万元 or 亿元"}
			}
			i += len(unit)
			out = append(out, token{kind: tNumber, text: digits, unit: unit, pos: start})
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			start := i
			for i < len(src) && (src[i] >= 'a' && src[i] <= 'z' || src[i] >= 'A' && src[i] <= 'Z' || src[i] >= '0' && src[i] <= '9' || src[i] == '_') {
				i++
			}
			out = append(out, token{kind: tIdent, text: src[start:i], pos: start})
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, &RuleError{i, fmt.Sprintf("unexpected character %q", r)}
		}
	}
	return append(out, token{kind: tEOF, pos: len(src)}), nil
}

// --- AST ---

// Expr is a parsed, type-checked eligibility expression.
type Expr struct {
	root node
}

type node interface {
	eval(f *Facts) bool
	explain(f *Facts, out *[]Check) bool
	compile() func(*Facts) bool
	write(b *strings.Builder, prec int)
}

type literal struct {
	kind  kind
	s     string
	n     float64
	m     int64
	b     bool
	pct   bool
	items []string // list of strings
}

func (l literal) String() string {
	switch l.kind {
	case kString:
		return strconv.Quote(l.s)
	case kNumber:
		s := strconv.FormatFloat(l.n, 'f', -1, 64)
		if l.pct {
			s += "%"
		}
		return s
	case kMoney:
		return FormatMoney(l.m)
	case kBool:
		return strconv.FormatBool(l.b)
	}
	return "?"
}

type orNode struct{ l, r node }
type andNode struct{ l, r node }
type notNode struct{ x node }

type cmpNode struct {
	field *Field
	op    string
	lit   literal
}

type inNode struct {
	field *Field
	items []string
}

type hasNode struct {
	field *Field
	flag  string
	bit   uint64
}

type boolNode struct{ field *Field }

const (
	precOr = iota + 1
	precAnd
	precNot
)

func (n *orNode) write(b *strings.Builder, prec int) {
	if prec > precOr {
		b.WriteByte('(')
	}
	n.l.write(b, precOr)
	b.WriteString(" or ")
	n.r.write(b, precOr+1)
	if prec > precOr {
		b.WriteByte(')')
	}
}

func (n *andNode) write(b *strings.Builder, prec int) {
	if prec > precAnd {
		b.WriteByte('(')
	}
	n.l.write(b, precAnd)
	b.WriteString(" and ")
	n.r.write(b, precAnd+1)
	if prec > precAnd {
		b.WriteByte(')')
	}
}

func (n *notNode) write(b *strings.Builder, _ int) {
	b.WriteString("not ")
	n.x.write(b, precNot)
}

func (n *cmpNode) write(b *strings.Builder, _ int) {
	b.WriteString(n.field.Name + " " + n.op + " " + n.lit.String())
}

func (n *inNode) write(b *strings.Builder, _ int) {
	b.WriteString(n.field.Name + " in [")
	for i, s := range n.items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	b.WriteString("]")
}

func (n *hasNode) write(b *strings.Builder, _ int) {
	b.WriteString(n.field.Name + " has " + strconv.Quote(n.flag))
}

func (n *boolNode) write(b *strings.Builder, _ int) { b.WriteString(n.field.Name) }

// String is the canonical text of e: parsing it gives the same expression.
func (e *Expr) String() string {
	var b strings.Builder
	e.root.write(&b, 0)
	return b.String()
}

// --- parser ---

type parser struct {
	toks  []token
	i     int
	depth int
}

// ParseRule parses and type-checks one eligibility expression. An error is
// a *RuleError whose position counts characters (runes) from 0.
func ParseRule(src string) (*Expr, error) {
	e, err := parseRule(src)
	var re *RuleError
	if errors.As(err, &re) && re.Pos <= len(src) && utf8.ValidString(src) {
		re.Pos = utf8.RuneCountInString(src[:re.Pos])
	}
	return e, err
}

func parseRule(src string) (*Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &RuleError{0, "the rule is empty"}
	}
	if len(src) > MaxRuleLength {
		return nil, &RuleError{MaxRuleLength, fmt.Sprintf("a rule may have at most %d bytes", MaxRuleLength)}
	}
	if !utf8.ValidString(src) {
		return nil, &RuleError{0, "the rule must be valid UTF-8"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &RuleError{t.pos, fmt.Sprintf("unexpected %s after the end of the rule", describe(t))}
	}
	return &Expr{root: n}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) keyword(word string) bool {
	t := p.peek()
	if t.kind == tIdent && t.text == word {
		p.i++
		return true
	}
	return false
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of rule"
	case tIdent:
		return fmt.Sprintf("%q", t.text)
	case tString:
		return "string " + strconv.Quote(t.text)
	case tNumber:
		return fmt.Sprintf("number %s%s", t.text, t.unit)
	case tOp:
		return "operator " + t.text
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	case tLBrack:
		return `"["`
	case tRBrack:
		return `"]"`
	case tComma:
		return `","`
	}
	return "token"
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return &RuleError{p.peek().pos, fmt.Sprintf("the rule nests deeper than %d", maxDepth)}
	}
	return nil
}

func (p *parser) expr() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &orNode{l, r}
	}
	return l, nil
}

func (p *parser) and() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &andNode{l, r}
	}
	return l, nil
}

func (p *parser) unary() (node, error) {
	if p.keyword("not") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notNode{x}, nil
	}
	return p.primary()
}

var keywords = map[string]bool{"and": true, "or": true, "not": true, "in": true, "has": true, "true": true, "false": true}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, &RuleError{c.pos, fmt.Sprintf("expected \")\", found %s", describe(c))}
		}
		return n, nil
	case tIdent:
		if keywords[t.text] {
			return nil, &RuleError{t.pos, fmt.Sprintf("expected a field, found %q", t.text)}
		}
		f, ok := fieldByName[t.text]
		if !ok {
			return nil, &RuleError{t.pos, fmt.Sprintf("unknown field %q; the fields are %s", t.text, fieldNames())}
		}
		return p.test(f, t)
	}
	return nil, &RuleError{t.pos, fmt.Sprintf("expected a field or \"(\", found %s", describe(t))}
}

func fieldNames() string {
	names := make([]string, len(Fields))
	for i, f := range Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// test parses what follows field f: an operator and literal, "in" and a
// list, "has" and a string, or nothing (a bool field).
func (p *parser) test(f *Field, ft token) (node, error) {
	t := p.peek()
	switch {
	case t.kind == tOp:
		p.next()
		lt := p.next()
		lit, err := p.literal(lt)
		if err != nil {
			return nil, err
		}
		return typeCmp(f, t, lit, lt)
	case t.kind == tIdent && t.text == "in":
		p.next()
		if f.kind != kString {
			return nil, &RuleError{t.pos, fmt.Sprintf("%s is %s: \"in\" is for text fields (industry, scale)", f.Name, f.kind)}
		}
		items, err := p.list()
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if err := checkText(f, it.text, it.pos); err != nil {
				return nil, err
			}
		}
		n := &inNode{field: f}
		for _, it := range items {
			n.items = append(n.items, it.text)
		}
		return n, nil
	case t.kind == tIdent && t.text == "has":
		p.next()
		if f.kind != kSet {
			return nil, &RuleError{t.pos, fmt.Sprintf("%s is %s: \"has\" is for flags", f.Name, f.kind)}
		}
		s := p.next()
		if s.kind != tString || s.text == "" {
			return nil, &RuleError{s.pos, fmt.Sprintf("expected a flag in quotes after \"has\", found %s", describe(s))}
		}
		return &hasNode{field: f, flag: s.text, bit: flagBit(s.text)}, nil
	}
	if f.kind == kBool {
		return &boolNode{field: f}, nil
	}
	hint := map[kind]string{kString: `e.g. industry in ["C39"]`, kSet: `e.g. flags has "high-tech"`,
		kNumber: "e.g. " + f.Name + " >= 3", kMoney: "e.g. " + f.Name + " >= 2000万元"}[f.kind]
	return nil, &RuleError{ft.pos, fmt.Sprintf("%s must be compared (%s), found %s", f.Name, hint, describe(t))}
}

type listItem struct {
	text string
	pos  int
}

func (p *parser) list() ([]listItem, error) {
	if t := p.next(); t.kind != tLBrack {
		return nil, &RuleError{t.pos, fmt.Sprintf("expected \"[\" after \"in\", found %s", describe(t))}
	}
	var out []listItem
	if p.peek().kind == tRBrack {
		return nil, &RuleError{p.peek().pos, "the list is empty"}
	}
	for {
		t := p.next()
		if t.kind != tString {
			return nil, &RuleError{t.pos, fmt.Sprintf("expected a string in the list, found %s", describe(t))}
		}
		out = append(out, listItem{t.text, t.pos})
		if len(out) > maxListItems {
			return nil, &RuleError{t.pos, fmt.Sprintf("a list may have at most %d items", maxListItems)}
		}
		switch c := p.next(); c.kind {
		case tComma:
			continue
		case tRBrack:
			return out, nil
		default:
			return nil, &RuleError{c.pos, fmt.Sprintf("expected \",\" or \"]\", found %s", describe(c))}
		}
	}
}

func (p *parser) literal(t token) (literal, error) {
	switch t.kind {
	case tString:
		return literal{kind: kString, s: t.text}, nil
	case tIdent:
		switch t.text {
		case "true":
			return literal{kind: kBool, b: true}, nil
		case "false":
			return literal{kind: kBool, b: false}, nil
		}
	case tNumber:
		switch t.unit {
		case "", "%":
			n, err := strconv.ParseFloat(t.text, 64)
			if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
				return literal{}, &RuleError{t.pos, fmt.Sprintf("malformed number %q", t.text)}
			}
			if n > maxNumber {
				return literal{}, &RuleError{t.pos, fmt.Sprintf("%s is too large (at most %.0f)", t.text, maxNumber)}
			}
			return literal{kind: kNumber, n: n, pct: t.unit == "%"}, nil
		default:
			m, err := parseMoney(t.text, t.unit)
			if err != nil {
				return literal{}, &RuleError{t.pos, err.Error()}
			}
			return literal{kind: kMoney, m: m}, nil
		}
	}
	return literal{}, &RuleError{t.pos, fmt.Sprintf("expected a value, found %s", describe(t))}
}

var unitFen = map[string]int64{"元": 100, "万元": 1_000_000, "亿元": 10_000_000_000}

// parseMoney reads "2000" "万元" as fen, exactly.
func parseMoney(digits, unit string) (int64, error) {
	mult, ok := unitFen[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	r, ok := new(big.Rat).SetString(digits)
	if !ok {
		return 0, fmt.Errorf("malformed amount %q", digits+unit)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("%s%s is not a whole number of fen", digits, unit)
	}
	n := r.Num()
	if !n.IsInt64() || n.Int64() > maxMoneyFen {
		return 0, fmt.Errorf("%s%s is too large", digits, unit)
	}
	return n.Int64(), nil
}

// ParseMoney reads an amount such as "2000万元", "1.5亿元" or "300元" as fen.
func ParseMoney(s string) (int64, error) {
	s = strings.TrimSpace(s)
	for _, u := range []string{"万元", "亿元", "元"} {
		if d, ok := strings.CutSuffix(s, u); ok {
			return parseMoney(d, u)
		}
	}
	return 0, fmt.Errorf("%q: write money with 元, 万元 or 亿元", s)
}

// FormatMoney writes fen the way rules do: 亿元 or 万元 when exact, else 元.
func FormatMoney(fen int64) string {
	neg := ""
	if fen < 0 {
		neg, fen = "-", -fen
	}
	switch {
	case fen == 0:
		return "0元"
	case fen%10_000_000_000 == 0:
		return neg + strconv.FormatInt(fen/10_000_000_000, 10) + "亿元"
	case fen%1_000_000 == 0:
		return neg + strconv.FormatInt(fen/1_000_000, 10) + "万元"
	case fen%100 == 0:
		return neg + strconv.FormatInt(fen/100, 10) + "元"
	}
	return fmt.Sprintf("%s%d.%02d元", neg, fen/100, fen%100)
}

func checkText(f *Field, s string, pos int) error {
	if s == "" {
		return &RuleError{pos, "an empty string matches nothing"}
	}
	if f.values != nil {
		for _, v := range f.values {
			if v == s {
				return nil
			}
		}
		return &RuleError{pos, fmt.Sprintf("%s is one of %s, not %q", f.Name, strings.Join(f.values, ", "), s)}
	}
	return nil
}

// typeCmp checks a comparison of field f with lit.
func typeCmp(f *Field, op token, lit literal, lt token) (node, error) {
	ordered := op.text != "==" && op.text != "!="
	switch f.kind {
	case kString:
		if ordered {
			return nil, &RuleError{op.pos, fmt.Sprintf("%s is text: compare it with == or != (or use in)", f.Name)}
		}
		if lit.kind != kString {
			return nil, &RuleError{lt.pos, fmt.Sprintf("%s is text: the value must be in quotes", f.Name)}
		}
		if err := checkText(f, lit.s, lt.pos); err != nil {
			return nil, err
		}
	case kSet:
		return nil, &RuleError{op.pos, fmt.Sprintf("%s is a set of flags: test it with has, e.g. flags has \"high-tech\"", f.Name)}
	case kBool:
		if ordered || lit.kind != kBool {
			return nil, &RuleError{op.pos, fmt.Sprintf("%s is true or false: write %s, not %s or %s == true", f.Name, f.Name, f.Name, f.Name)}
		}
	case kNumber:
		if lit.kind == kMoney {
			return nil, &RuleError{lt.pos, fmt.Sprintf("%s is a number, not money: drop the unit", f.Name)}
		}
		if lit.kind != kNumber {
			return nil, &RuleError{lt.pos, fmt.Sprintf("%s is a number: the value must be a number", f.Name)}
		}
		if lit.pct && f.Name != "rd_ratio" {
			return nil, &RuleError{lt.pos, fmt.Sprintf("%s is not a percentage", f.Name)}
		}
	case kMoney:
		if lit.kind == kNumber && lit.n == 0 && !lit.pct {
			lit = literal{kind: kMoney, m: 0}
		}
		if lit.kind != kMoney {
			return nil, &RuleError{lt.pos, fmt.Sprintf("%s is money: write the amount with 元, 万元 or 亿元, e.g. 2000万元", f.Name)}
		}
	}
	return &cmpNode{field: f, op: op.text, lit: lit}, nil
}

// --- evaluation ---

func cmpOrdered[T int64 | float64](a T, op string, b T) bool {
	switch op {
	case ">=":
		return a >= b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case "<":
		return a < b
	case "==":
		return a == b
	case "!=":
		return a != b
	}
	return false
}

func matchText(f *Field, have, want string) bool {
	if f.prefix {
		return strings.HasPrefix(have, want)
	}
	return have == want
}

func (n *orNode) eval(f *Facts) bool  { return n.l.eval(f) || n.r.eval(f) }
func (n *andNode) eval(f *Facts) bool { return n.l.eval(f) && n.r.eval(f) }
func (n *notNode) eval(f *Facts) bool { return !n.x.eval(f) }

func (n *cmpNode) eval(f *Facts) bool {
	switch n.field.kind {
	case kString:
		v, ok := n.field.str(f)
		if !ok {
			return false
		}
		eq := matchText(n.field, v, n.lit.s)
		return eq == (n.op == "==")
	case kBool:
		return (n.field.bool(f) == n.lit.b) == (n.op == "==")
	case kNumber:
		v, ok := n.field.num(f)
		return ok && cmpOrdered(v, n.op, n.lit.n)
	case kMoney:
		v, ok := n.field.money(f)
		return ok && cmpOrdered(v, n.op, n.lit.m)
	}
	return false
}

func (n *inNode) eval(f *Facts) bool {
	v, ok := n.field.str(f)
	if !ok {
		return false
	}
	for _, it := range n.items {
		if matchText(n.field, v, it) {
			return true
		}
	}
	return false
}

func (n *hasNode) eval(f *Facts) bool {
	if n.bit != 0 && f.FlagMask != 0 {
		return f.FlagMask&n.bit != 0
	}
	for _, s := range n.field.set(f) {
		if s == n.flag {
			return true
		}
	}
	return false
}

func (n *boolNode) eval(f *Facts) bool { return n.field.bool(f) }

// Eval reports whether the facts satisfy e.
func (e *Expr) Eval(f *Facts) bool { return e.root.eval(f) }

// --- compilation: closures specialised by field and operator, for matching many firms ---

func (n *orNode) compile() func(*Facts) bool {
	l, r := n.l.compile(), n.r.compile()
	return func(f *Facts) bool { return l(f) || r(f) }
}

func (n *andNode) compile() func(*Facts) bool {
	l, r := n.l.compile(), n.r.compile()
	return func(f *Facts) bool { return l(f) && r(f) }
}

func (n *notNode) compile() func(*Facts) bool {
	x := n.x.compile()
	return func(f *Facts) bool { return !x(f) }
}

func (n *cmpNode) compile() func(*Facts) bool {
	if n.field.kind == kMoney {
		get, want := n.field.money, n.lit.m
		switch n.op {
		case ">=":
			return func(f *Facts) bool { v, ok := get(f); return ok && v >= want }
		case ">":
			return func(f *Facts) bool { v, ok := get(f); return ok && v > want }
		case "<=":
			return func(f *Facts) bool { v, ok := get(f); return ok && v <= want }
		case "<":
			return func(f *Facts) bool { v, ok := get(f); return ok && v < want }
		}
	}
	if n.field.kind == kNumber {
		get, want := n.field.num, n.lit.n
		switch n.op {
		case ">=":
			return func(f *Facts) bool { v, ok := get(f); return ok && v >= want }
		case ">":
			return func(f *Facts) bool { v, ok := get(f); return ok && v > want }
		case "<=":
			return func(f *Facts) bool { v, ok := get(f); return ok && v <= want }
		case "<":
			return func(f *Facts) bool { v, ok := get(f); return ok && v < want }
		}
	}
	return n.eval
}

func (n *inNode) compile() func(*Facts) bool { return n.eval }
func (n *hasNode) compile() func(*Facts) bool {
	if bit := n.bit; bit != 0 {
		return func(f *Facts) bool { return f.FlagMask&bit != 0 }
	}
	return n.eval
}
func (n *boolNode) compile() func(*Facts) bool {
	get := n.field.bool
	return func(f *Facts) bool { return get(f) }
}

// Compile returns e as a function, for evaluating it against many firms.
func (e *Expr) Compile() func(*Facts) bool { return e.root.compile() }

// --- explanation ---

// Check is one comparison of a rule against a firm: the firm's value, what
// the rule wants and whether it held.
type Check struct {
	Field  string `json:"field"`
	Label  string `json:"label"`
	Test   string `json:"test"`
	Actual string `json:"actual"`
	Passed bool   `json:"passed"`
	// Missing: the firm has not declared this fact, so the test fails.
	Missing bool `json:"missing,omitempty"`
}

func (n *orNode) explain(f *Facts, out *[]Check) bool {
	l := n.l.explain(f, out)
	r := n.r.explain(f, out)
	return l || r
}

func (n *andNode) explain(f *Facts, out *[]Check) bool {
	l := n.l.explain(f, out)
	r := n.r.explain(f, out)
	return l && r
}

func (n *notNode) explain(f *Facts, out *[]Check) bool {
	start := len(*out)
	v := !n.x.explain(f, out)
	for i := start; i < len(*out); i++ {
		(*out)[i].Test = "not " + (*out)[i].Test
		(*out)[i].Passed = !(*out)[i].Passed
	}
	return v
}

func actualOf(fd *Field, f *Facts) (string, bool) {
	switch fd.kind {
	case kString:
		v, ok := fd.str(f)
		return v, ok
	case kBool:
		return strconv.FormatBool(fd.bool(f)), true
	case kNumber:
		v, ok := fd.num(f)
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if fd.Name == "rd_ratio" {
			s += "%"
		}
		return s, ok
	case kMoney:
		v, ok := fd.money(f)
		return FormatMoney(v), ok
	case kSet:
		return "[" + strings.Join(fd.set(f), ", ") + "]", true
	}
	return "", false
}

func (n *cmpNode) explain(f *Facts, out *[]Check) bool {
	return record(n, n.field, f, out)
}

func (n *inNode) explain(f *Facts, out *[]Check) bool  { return record(n, n.field, f, out) }
func (n *hasNode) explain(f *Facts, out *[]Check) bool { return record(n, n.field, f, out) }
func (n *boolNode) explain(f *Facts, out *[]Check) bool {
	return record(n, n.field, f, out)
}

func record(n node, fd *Field, f *Facts, out *[]Check) bool {
	v := n.eval(f)
	var b strings.Builder
	n.write(&b, precNot)
	actual, ok := actualOf(fd, f)
	c := Check{Field: fd.Name, Label: fd.Label, Test: b.String(), Passed: v, Actual: actual}
	if !ok {
		c.Actual, c.Missing = "not declared", true
	}
	*out = append(*out, c)
	return v
}

// Explain evaluates e against f, recording every comparison.
func (e *Expr) Explain(f *Facts) (bool, []Check) {
	var out []Check
	v := e.root.explain(f, &out)
	return v, out
}
