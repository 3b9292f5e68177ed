package policy_test

import (
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/services/policy"
)

// hengkai is 湖南衡开智能电气 of the seeds: small, high-tech and 专精特新,
// revenue 3.2亿元, tax 1100万元, R&D 6.1%, 45 mu, 160 people.
var hengkai = policy.Firm{ID: "firm-hk", Park: "wangcheng", Name: "湖南衡开智能电气有限公司", IndustryCode: "C3823",
	Scale: "small", Flags: []string{"high-tech", "specialized-sme"},
	Figures: policy.Figures{Year: 2025, RevenueFen: 32_000_000_000, TaxPaidFen: 1_100_000_000, RDRatioPercent: 6.1,
		LandAreaMu: 45, Headcount: 160}}

// undeclared has a profile but no declared figures.
var undeclared = policy.Firm{ID: "firm-nd", Park: "wangcheng", IndustryCode: "C1411", Scale: "large", Flags: []string{"bad-credit"}}

func TestParseRuleCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{`flags has "high-tech"`, `flags has "high-tech"`},
		{`revenue >= 2000万元`, `revenue >= 2000万元`},
		{`revenue>=0.2亿元`, `revenue >= 2000万元`},
		{`tax_paid > 1234.56元`, `tax_paid > 1234.56元`},
		{`rd_ratio >= 3%`, `rd_ratio >= 3%`},
		{`rd_ratio >= 3.50`, `rd_ratio >= 3.5`},
		{`industry in ["C39", "C3841"]`, `industry in ["C39", "C3841"]`},
		{`scale == "small" or scale == "micro"`, `scale == "small" or scale == "micro"`},
		{`(a_or) `, ``}, // unknown field: see the invalid table
		{`not (flags has "listed" or key_enterprise) and headcount < 300`, `not (flags has "listed" or key_enterprise) and headcount < 300`},
		{`((revenue >= 1亿元))`, `revenue >= 1亿元`},
		{`key_enterprise == false`, `key_enterprise == false`},
		{`revenue >= 0`, `revenue >= 0元`},
		{`a_or_b`, ``},
		{`tax_per_mu >= 40万元 and land_area_mu >= 30`, `tax_per_mu >= 40万元 and land_area_mu >= 30`},
		{`revenue >= 1亿元 or revenue < 1万元 and headcount > 5`, `revenue >= 1亿元 or revenue < 1万元 and headcount > 5`},
		{`(revenue >= 1亿元 or revenue < 1万元) and headcount > 5`, `(revenue >= 1亿元 or revenue < 1万元) and headcount > 5`},
	}
	for _, tc := range tests {
		if tc.want == "" {
			continue
		}
		t.Run(tc.in, func(t *testing.T) {
			e, err := policy.ParseRule(tc.in)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got := e.String(); got != tc.want {
				t.Fatalf("canonical %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseRuleErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{``, 0, "empty"},
		{`revenue >= 2000`, 11, "revenue is money: write the amount with 元"},
		{`revenue >= 2000万`, 15, "万元 or 亿元"},
		{`rd_ratio >= 3万元`, 12, "a number, not money"},
		{`headcount >= 3%`, 13, "not a percentage"},
		{`turnover >= 1亿元`, 0, `unknown field "turnover"`},
		{`flags == "high-tech"`, 6, "test it with has"},
		{`flags has high`, 10, "a flag in quotes"},
		{`industry > "C39"`, 9, "compare it with == or !="},
		{`industry in []`, 13, "empty"},
		{`industry in ["C39" "C38"]`, 19, `expected "," or "]"`},
		{`scale == "huge"`, 9, "large, medium, small, micro"},
		{`revenue >= 1亿元 and`, 18, "expected a field"},
		{`(revenue >= 1亿元`, 15, `expected ")"`},
		{`revenue >= 1亿元)`, 14, "after the end"},
		{`revenue = 1亿元`, 8, "unknown operator"},
		{`revenue >= 0.001元`, 11, "not a whole number of fen"},
		{`revenue >= 99999999999999亿元`, 11, "too large"},
		{`key_enterprise >= true`, 15, "true or false"},
		{`"high-tech"`, 0, "expected a field"},
		{`revenue >= 1.2.3元`, 11, "malformed number"},
		{`headcount > 999999999999999999999999`, 12, "too large"},
		{`flags has "` + strings.Repeat("x", 65) + `"`, 10, "at most 64"},
		{strings.Repeat("(", 40) + "key_enterprise" + strings.Repeat(")", 40), 32, "deeper than 32"},
		{strings.Repeat("not ", 40) + "key_enterprise", 128, "deeper than 32"},
		{`revenue >= 1亿元 # comment`, 15, "unexpected character"},
		{strings.Repeat("x", policy.MaxRuleLength+1), policy.MaxRuleLength, "at most"},
	}
	for _, tc := range tests {
		t.Run(tc.in[:min(len(tc.in), 40)], func(t *testing.T) {
			_, err := policy.ParseRule(tc.in)
			re, ok := err.(*policy.RuleError)
			if !ok {
				t.Fatalf("err %v (%T), want a RuleError", err, err)
			}
			if re.Pos != tc.pos || !strings.Contains(re.Msg, tc.msg) {
				t.Fatalf("err %q at %d, want %q at %d", re.Msg, re.Pos, tc.msg, tc.pos)
			}
		})
	}
}

// TestRuleExplain: each rule says whether the firm passes and shows every
// comparison with the firm's own value.
func TestRuleExplain(t *testing.T) {
	hk, nd := policy.FactsOf(hengkai), policy.FactsOf(undeclared)
	tests := []struct {
		rule   string
		facts  *policy.Facts
		passed bool
		checks []policy.Check
	}{
		{`flags has "high-tech"`, &hk, true, []policy.Check{{Field: "flags", Test: `flags has "high-tech"`, Actual: "[high-tech, specialized-sme]", Passed: true}}},
		{`rd_ratio >= 3% and revenue >= 5亿元`, &hk, false, []policy.Check{
			{Field: "rd_ratio", Test: "rd_ratio >= 3%", Actual: "6.1%", Passed: true},
			{Field: "revenue", Test: "revenue >= 5亿元", Actual: "32000万元", Passed: false}}},
		{`rd_expense >= 1900万元`, &hk, true, []policy.Check{{Field: "rd_expense", Test: "rd_expense >= 1900万元", Actual: "1952万元", Passed: true}}},
		{`tax_per_mu >= 24万元`, &hk, true, []policy.Check{{Field: "tax_per_mu", Test: "tax_per_mu >= 24万元", Actual: "244444.44元", Passed: true}}},
		{`industry in ["C38"] and not flags has "bad-credit"`, &hk, true, []policy.Check{
			{Field: "industry", Test: `industry in ["C38"]`, Actual: "C3823", Passed: true},
			{Field: "flags", Test: `not flags has "bad-credit"`, Actual: "[high-tech, specialized-sme]", Passed: true}}},
		{`revenue >= 1万元`, &nd, false, []policy.Check{{Field: "revenue", Test: "revenue >= 1万元", Actual: "not declared", Missing: true}}},
		{`not flags has "bad-credit"`, &nd, false, []policy.Check{{Field: "flags", Test: `not flags has "bad-credit"`, Actual: "[bad-credit]"}}},
		{`scale == "large" or headcount > 10`, &nd, true, []policy.Check{
			{Field: "scale", Test: `scale == "large"`, Actual: "large", Passed: true},
			{Field: "headcount", Test: "headcount > 10", Actual: "not declared", Missing: true}}},
		{`key_enterprise`, &hk, false, []policy.Check{{Field: "key_enterprise", Test: "key_enterprise", Actual: "false"}}},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			e, err := policy.ParseRule(tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			passed, checks := e.Explain(tc.facts)
			if passed != tc.passed || e.Eval(tc.facts) != tc.passed || e.Compile()(tc.facts) != tc.passed {
				t.Fatalf("explain %v eval %v compiled %v, want %v", passed, e.Eval(tc.facts), e.Compile()(tc.facts), tc.passed)
			}
			if len(checks) != len(tc.checks) {
				t.Fatalf("checks %+v", checks)
			}
			for i, c := range checks {
				w := tc.checks[i]
				if c.Field != w.Field || c.Test != w.Test || c.Actual != w.Actual || c.Passed != w.Passed || c.Missing != w.Missing || c.Label == "" {
					t.Fatalf("check %d: %+v, want %+v", i, c, w)
				}
			}
		})
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fen  int64
		back string
	}{
		{"2000万元", 2_000_000_000, "2000万元"}, {"1.5亿元", 15_000_000_000, "15000万元"}, {"300元", 30_000, "300元"},
		{"0.01元", 1, "0.01元"}, {"12.3万元", 12_300_000, "123000元"}, {"2亿元", 20_000_000_000, "2亿元"},
	} {
		fen, err := policy.ParseMoney(tc.in)
		if err != nil || fen != tc.fen || policy.FormatMoney(fen) != tc.back {
			t.Fatalf("%s: %d %v %s, want %d %s", tc.in, fen, err, policy.FormatMoney(fen), tc.fen, tc.back)
		}
	}
	for _, bad := range []string{"2000", "1.001元", "x万元", "万元"} {
		if _, err := policy.ParseMoney(bad); err == nil {
			t.Fatalf("%q parsed", bad)
		}
	}
}

// FuzzParseRule: the parser never panics or hangs; whatever it accepts has
// a canonical text that parses to the same rule, and evaluating it (tree,
// compiled, explained) agrees on every sample firm.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{`flags has "high-tech"`, `revenue >= 2000万元 and rd_ratio >= 3%`,
		`industry in ["C39", "C38"] or not key_enterprise`, `(tax_per_mu >= 40万元 or revenue_per_mu > 1.5亿元) and scale != "micro"`,
		`headcount < 300 and figures_year >= 2025`, `not not not key_enterprise`, `rd_expense > 0`, `revenue >= 0.01元`, `headcount > 0.000000000000000000001`, `headcount > 999999999999999`,
		`((((`, `revenue >= 1e9`, `"`, `industry in [`, `scale == "small"`} {
		f.Add(s)
	}
	samples := []policy.Facts{policy.FactsOf(hengkai), policy.FactsOf(undeclared), policy.FactsOf(policy.Firm{})}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := policy.ParseRule(src)
		if err != nil {
			if _, ok := err.(*policy.RuleError); !ok {
				t.Fatalf("%q: error %T %v", src, err, err)
			}
			return
		}
		canon := e.String()
		e2, err := policy.ParseRule(canon)
		if err != nil {
			t.Fatalf("%q: canonical %q does not parse: %v", src, canon, err)
		}
		if e2.String() != canon {
			t.Fatalf("%q: canonical %q re-parses as %q", src, canon, e2.String())
		}
		run := e.Compile()
		for i := range samples {
			v := e.Eval(&samples[i])
			ex, _ := e.Explain(&samples[i])
			if run(&samples[i]) != v || ex != v || e2.Eval(&samples[i]) != v {
				t.Fatalf("%q: evaluations disagree on sample %d", src, i)
			}
		}
	})
}
