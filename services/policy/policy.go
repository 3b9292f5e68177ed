package policy

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// Modes of redemption.
const (
	ModeApplication = "application" // 申请制
	ModeProactive   = "proactive"   // 免申即享
)

// Policy states.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusClosed    = "closed"
)

// Rule is one eligibility rule: a label people read and an expression.
type Rule struct {
	Label string `json:"label" yaml:"label"`
	Expr  string `json:"rule" yaml:"rule"`
}

// MaterialSpec is a material an application must (or may) carry.
type MaterialSpec struct {
	Code     string `json:"code" yaml:"code"`
	Name     string `json:"name" yaml:"name"`
	Optional bool   `json:"optional,omitempty" yaml:"optional,omitempty"`
}

// PolicyInput is what a manager saves as a draft.
type PolicyInput struct {
	// Park is the park the policy belongs to: a manager's own (may be
	// omitted), required of an admin.
	Park string `json:"park,omitempty" yaml:"park"`
	Code string `json:"code" yaml:"code"`
	// DocumentNumber is the issuing document (文号), e.g. 望经开发〔2026〕3号.
	DocumentNumber string `json:"document_number" yaml:"document_number"`
	Title          string `json:"title" yaml:"title"`
	Issuer         string `json:"issuer" yaml:"issuer"`
	Summary        string `json:"summary,omitempty" yaml:"summary,omitempty"`
	// Period is the benefit period: one benefit per firm per policy per period, e.g. "2026".
	Period string `json:"period" yaml:"period"`
	// WindowFrom and WindowTo are dates (Asia/Shanghai), both inclusive.
	WindowFrom    string         `json:"window_from" yaml:"window_from"`
	WindowTo      string         `json:"window_to" yaml:"window_to"`
	Mode          string         `json:"mode" yaml:"mode"`
	Eligibility   []Rule         `json:"eligibility" yaml:"eligibility"`
	Benefit       Benefit        `json:"benefit" yaml:"benefit"`
	PerFirmCapFen int64          `json:"per_firm_cap_fen" yaml:"per_firm_cap_fen"`
	BudgetFen     int64          `json:"budget_fen" yaml:"budget_fen"`
	Materials     []MaterialSpec `json:"materials" yaml:"materials"`
}

// Policy is a stored policy with its budget figures.
type Policy struct {
	ID string `json:"id"`
	PolicyInput
	Status      string    `json:"status"`
	Version     int64     `json:"version"`
	ReservedFen int64     `json:"reserved_fen"`
	PaidFen     int64     `json:"paid_fen"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	from, to    time.Time
	rules       []*Expr
}

// RemainingFen is the budget neither reserved nor paid.
func (p *Policy) RemainingFen() int64 { return p.BudgetFen - p.ReservedFen - p.PaidFen }

var codeRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
var periodRe = regexp.MustCompile(`^[0-9]{4}(-(H[12]|Q[1-4]|[0-9]{2}))?$`)

func text(v *fault.Violations, field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "required")
	case utf8.RuneCountInString(s) > max:
		v.Addf(field, "at most %d characters", max)
	}
}

// Compile validates in and returns the policy it describes, its rules
// parsed. Every problem is reported at once, each rule's by its index and
// the position in the rule.
func Compile(in PolicyInput) (*Policy, error) {
	var v fault.Violations
	if !codeRe.MatchString(in.Code) {
		v.Add("code", "2 to 63 of a-z, 0-9 and '-', starting with a letter or digit")
	}
	text(&v, "document_number", in.DocumentNumber, 100, true)
	text(&v, "title", in.Title, 200, true)
	text(&v, "issuer", in.Issuer, 100, true)
	text(&v, "summary", in.Summary, 2000, false)
	if !periodRe.MatchString(in.Period) {
		v.Add("period", "a year (2026), half (2026-H1), quarter (2026-Q3) or month (2026-07)")
	}
	p := &Policy{PolicyInput: in}
	var err error
	if p.from, err = parseDay(in.WindowFrom, false); err != nil {
		v.Add("window_from", "a date, 2006-01-02")
	}
	if p.to, err = parseDay(in.WindowTo, true); err != nil {
		v.Add("window_to", "a date, 2006-01-02")
	} else if !p.from.IsZero() && !p.to.After(p.from) {
		v.Add("window_to", "on or after window_from")
	}
	if in.Mode != ModeApplication && in.Mode != ModeProactive {
		v.Addf("mode", "must be %s (申请制) or %s (免申即享)", ModeApplication, ModeProactive)
	}
	if len(in.Eligibility) == 0 {
		v.Add("eligibility", "at least one rule")
	}
	if len(in.Eligibility) > 50 {
		v.Add("eligibility", "at most 50 rules")
	}
	for i, r := range in.Eligibility {
		f := fmt.Sprintf("eligibility[%d]", i)
		text(&v, f+".label", r.Label, 100, true)
		e, err := ParseRule(r.Expr)
		if err != nil {
			v.Add(f+".rule", err.Error())
			continue
		}
		p.rules = append(p.rules, e)
	}
	in.Benefit.Validate(&v, "benefit")
	if in.PerFirmCapFen < 0 || in.PerFirmCapFen > maxMoneyFen {
		v.Add("per_firm_cap_fen", "0 (none) or a positive amount in fen")
	}
	if in.BudgetFen <= 0 || in.BudgetFen > maxMoneyFen {
		v.Add("budget_fen", "a positive amount in fen")
	}
	if len(in.Materials) > 30 {
		v.Add("materials", "at most 30")
	}
	seen := map[string]bool{}
	for i, m := range in.Materials {
		f := fmt.Sprintf("materials[%d]", i)
		if !codeRe.MatchString(m.Code) {
			v.Add(f+".code", "2 to 63 of a-z, 0-9 and '-'")
		} else if seen[m.Code] {
			v.Add(f+".code", "listed twice")
		}
		seen[m.Code] = true
		text(&v, f+".name", m.Name, 100, true)
	}
	if in.Mode == ModeProactive {
		for i, m := range in.Materials {
			if !m.Optional {
				v.Addf(fmt.Sprintf("materials[%d].optional", i), "a proactive policy (免申即享) asks for no required materials")
			}
		}
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return nil, err
	}
	return p, nil
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// parseDay reads a date in Asia/Shanghai: its start, or with end the start
// of the next day (windows are inclusive of their last day).
func parseDay(s string, end bool) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	if err != nil {
		return time.Time{}, err
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d.UTC(), nil
}

// Open reports whether now is within the policy's window.
func (p *Policy) Open(now time.Time) bool {
	return !now.Before(p.from) && now.Before(p.to)
}

// RuleResult is one rule of a policy evaluated for a firm.
type RuleResult struct {
	Label  string  `json:"label"`
	Rule   string  `json:"rule"`
	Passed bool    `json:"passed"`
	Checks []Check `json:"checks"`
}

// Match is a policy evaluated for a firm: eligible or not, rule by rule,
// and the amount it would receive.
type Match struct {
	PolicyID       string       `json:"policy_id"`
	PolicyCode     string       `json:"policy_code"`
	Title          string       `json:"title"`
	DocumentNumber string       `json:"document_number"`
	Mode           string       `json:"mode"`
	Period         string       `json:"period"`
	Eligible       bool         `json:"eligible"`
	AmountFen      int64        `json:"amount_fen"`
	Formula        string       `json:"formula"`
	Rules          []RuleResult `json:"rules"`
	// Reason says in one sentence why the firm is or is not eligible.
	Reason string `json:"reason"`
}

// Evaluate explains p for facts: every rule with its checks, the amount
// (the formula's, within the per-firm cap) and the verdict.
func (p *Policy) Evaluate(f *Facts) Match {
	m := Match{PolicyID: p.ID, PolicyCode: p.Code, Title: p.Title, DocumentNumber: p.DocumentNumber, Mode: p.Mode,
		Period: p.Period, Eligible: true}
	var failed []string
	for i, e := range p.rules {
		ok, checks := e.Explain(f)
		m.Rules = append(m.Rules, RuleResult{Label: p.Eligibility[i].Label, Rule: e.String(), Passed: ok, Checks: checks})
		if !ok {
			m.Eligible = false
			failed = append(failed, p.Eligibility[i].Label)
		}
	}
	amount, how, ok := p.amount(f)
	m.AmountFen, m.Formula = amount, how
	switch {
	case len(failed) > 0:
		m.Reason = "not eligible: fails " + strings.Join(failed, "; ")
		m.AmountFen = 0
	case !ok || amount <= 0:
		m.Eligible, m.AmountFen = false, 0
		m.Reason = "not eligible: the benefit formula gives nothing (" + how + ")"
	default:
		m.Reason = fmt.Sprintf("eligible: meets all %d rules; benefit %s", len(p.rules), FormatMoney(amount))
	}
	return m
}

// amount is the formula's result within the per-firm cap.
func (p *Policy) amount(f *Facts) (int64, string, bool) {
	amount, how, ok := p.Benefit.Compute(f)
	if ok && p.PerFirmCapFen > 0 && amount > p.PerFirmCapFen {
		amount = p.PerFirmCapFen
		how += "; per-firm cap " + FormatMoney(p.PerFirmCapFen)
	}
	return amount, how, ok
}
