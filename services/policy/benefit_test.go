package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/services/policy"
)

// input is a valid application-mode policy; tests change what they test.
func input(code string) policy.PolicyInput {
	return policy.PolicyInput{Code: code, DocumentNumber: "望经开发〔2026〕4号", Title: "企业研发投入补贴",
		Issuer: "望城经济技术开发区管理委员会", Period: "2026", WindowFrom: "2026-03-01", WindowTo: "2026-12-31",
		Mode: policy.ModeApplication, Eligibility: []policy.Rule{{Label: "研发投入强度不低于3%", Expr: "rd_ratio >= 3%"}},
		Benefit:   policy.Benefit{Kind: policy.BenefitRate, Base: "rd_expense", RatePercent: 10, CapFen: 200_000_000},
		BudgetFen: 3_000_000_000, Materials: []policy.MaterialSpec{{Code: "rd-audit-report", Name: "研发费用专项审计报告"}}}
}

// TestFormulas: fixed, rate × base with its cap, tiers on money and on a
// number, the per-firm cap, and what a firm without figures gets.
func TestFormulas(t *testing.T) {
	figs := func(revenue, tax int64, rd float64, mu float64, heads int) policy.Firm {
		return policy.Firm{ID: "f", Park: "wangcheng", IndustryCode: "C3823", Scale: "medium", Figures: policy.Figures{Year: 2025,
			RevenueFen: revenue, TaxPaidFen: tax, RDRatioPercent: rd, LandAreaMu: mu, Headcount: heads}}
	}
	tiers := policy.Benefit{Kind: policy.BenefitTiers, Base: "tax_per_mu", Tiers: []policy.Tier{
		{Label: "B类", MinFen: 40_000_000, AmountFen: 20_000_000}, {Label: "A类", MinFen: 60_000_000, AmountFen: 40_000_000},
		{Label: "A+类", MinFen: 100_000_000, AmountFen: 60_000_000}}}
	heads := policy.Benefit{Kind: policy.BenefitTiers, Base: "headcount", Tiers: []policy.Tier{
		{Min: 100, AmountFen: 5_000_000}, {Min: 1000, AmountFen: 20_000_000}}}
	tests := []struct {
		name    string
		benefit policy.Benefit
		cap     int64
		firm    policy.Firm
		want    int64
		how     string
	}{
		{"fixed", policy.Benefit{Kind: policy.BenefitFixed, AmountFen: 20_000_000}, 0, hengkai, 20_000_000, "fixed 20万元"},
		{"rate below its cap", input("x").Benefit, 0, hengkai, 195_200_000, "10% × 研发投入 1952万元 = 1952000元"},
		{"rate capped", input("x").Benefit, 0, figs(100_000_000_000, 0, 5, 0, 0), 200_000_000, "capped at 200万元"},
		{"rate rounds down to the fen", policy.Benefit{Kind: policy.BenefitRate, Base: "revenue", RatePercent: 0.33}, 0,
			figs(333, 0, 0, 0, 0), 1, "= 0.01元"},
		{"rate 12.5% exact", policy.Benefit{Kind: policy.BenefitRate, Base: "tax_paid", RatePercent: 12.5}, 0,
			figs(0, 8_000_000_000_000, 0, 0, 0), 1_000_000_000_000, "纳税额 800亿元 = 100亿元"},
		{"per-firm cap below the formula", input("x").Benefit, 100_000_000, hengkai, 100_000_000, "per-firm cap 100万元"},
		{"tiers: B", tiers, 0, figs(0, 45_000_000*10, 0, 10, 0), 20_000_000, "reaches B类"},
		{"tiers: exactly A", tiers, 0, figs(0, 60_000_000*10, 0, 10, 0), 40_000_000, "reaches A类 (≥ 60万元)"},
		{"tiers: top", tiers, 0, figs(0, 200_000_000*10, 0, 10, 0), 60_000_000, "reaches A+类"},
		{"tiers: below the first", tiers, 0, figs(0, 39_999_999*10, 0, 10, 0), 0, "below the first tier"},
		{"tiers on a number", heads, 0, figs(0, 0, 0, 0, 999), 5_000_000, "reaches tier 1 (≥ 100)"},
		{"tiers without land", tiers, 0, figs(0, 1, 0, 0, 0), 0, "亩均税收 not declared"},
		{"rate without figures", input("x").Benefit, 0, undeclared, 0, "研发投入 not declared"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := input("p-formula")
			in.Eligibility = []policy.Rule{{Label: "any", Expr: "figures_year >= 0 or not key_enterprise"}}
			in.Benefit, in.PerFirmCapFen = tc.benefit, tc.cap
			p, err := policy.Compile(in)
			if err != nil {
				t.Fatal(err)
			}
			facts := policy.FactsOf(tc.firm)
			m := p.Evaluate(&facts)
			if m.AmountFen != tc.want || !strings.Contains(m.Formula, tc.how) {
				t.Fatalf("amount %d (%s), want %d (%s)", m.AmountFen, m.Formula, tc.want, tc.how)
			}
			if m.Eligible != (tc.want > 0) {
				t.Fatalf("eligible %v with amount %d: %s", m.Eligible, m.AmountFen, m.Reason)
			}
		})
	}
}

// TestCompileValidation: a policy is validated when saved; every problem
// is named by its field, a rule's with the position in the rule.
func TestCompileValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(*policy.PolicyInput)
		fields map[string]string
	}{
		{"valid", func(*policy.PolicyInput) {}, nil},
		{"bad rules named by index and position", func(in *policy.PolicyInput) {
			in.Eligibility = []policy.Rule{{Label: "ok", Expr: "rd_ratio >= 3%"}, {Label: "money", Expr: "revenue >= 2000"},
				{Label: "", Expr: "flags has"}}
		}, map[string]string{"eligibility[1].rule": "at 11: revenue is money", "eligibility[2].rule": "at 9: expected a flag",
			"eligibility[2].label": "required"}},
		{"no rules", func(in *policy.PolicyInput) { in.Eligibility = nil }, map[string]string{"eligibility": "at least one"}},
		{"window backwards and bad period", func(in *policy.PolicyInput) { in.WindowTo, in.Period = "2026-01-01", "2026年" },
			map[string]string{"window_to": "on or after", "period": "a year"}},
		{"rate on a number", func(in *policy.PolicyInput) { in.Benefit.Base = "headcount" }, map[string]string{"benefit.base": "applies to money"}},
		{"rate of three decimals", func(in *policy.PolicyInput) { in.Benefit.RatePercent = 1.125 }, map[string]string{"benefit.rate_percent": "two decimals"}},
		{"tiers not ascending", func(in *policy.PolicyInput) {
			in.Benefit = policy.Benefit{Kind: policy.BenefitTiers, Base: "revenue", Tiers: []policy.Tier{
				{MinFen: 200, AmountFen: 1}, {MinFen: 100, AmountFen: 2}, {Min: 5, AmountFen: 3}}}
		}, map[string]string{"benefit.tiers[1]": "ascend", "benefit.tiers[2]": "ascend", "benefit.tiers[2].min": "min_fen"}},
		{"fixed with a rate", func(in *policy.PolicyInput) {
			in.Benefit = policy.Benefit{Kind: policy.BenefitFixed, AmountFen: 0, RatePercent: 3}
		}, map[string]string{"benefit.amount_fen": "positive", "benefit.kind": "only amount_fen"}},
		{"unknown formula", func(in *policy.PolicyInput) { in.Benefit = policy.Benefit{Kind: "lottery"} }, map[string]string{"benefit.kind": "fixed, rate or tiers"}},
		{"no budget, bad mode", func(in *policy.PolicyInput) { in.BudgetFen, in.Mode = 0, "auto" },
			map[string]string{"budget_fen": "positive", "mode": "application"}},
		{"proactive with required materials", func(in *policy.PolicyInput) { in.Mode = policy.ModeProactive },
			map[string]string{"materials[0].optional": "免申即享"}},
		{"material twice", func(in *policy.PolicyInput) { in.Materials = append(in.Materials, in.Materials[0]) },
			map[string]string{"materials[1].code": "twice"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := input("rd")
			tc.change(&in)
			_, err := policy.Compile(in)
			if tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *fault.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("err %v, want a validation error", err)
			}
			got := map[string]string{}
			for _, f := range ve.Fields {
				got[f.Field] = f.Reason
			}
			for f, want := range tc.fields {
				if !strings.Contains(got[f], want) {
					t.Fatalf("%s: %q, want %q (all: %v)", f, got[f], want, got)
				}
			}
			if len(got) != len(tc.fields) {
				t.Fatalf("fields %v, want exactly %v", got, tc.fields)
			}
		})
	}
}
