package policy_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/parkdesk/parkdesk/services/policy"
)

// synthetic builds n policies of every kind and m firms of a park, from a
// fixed seed.
func synthetic(tb testing.TB, n, m int) ([]*policy.Policy, []policy.Facts) {
	tb.Helper()
	r := rand.New(rand.NewPCG(7, 11))
	flags := []string{"high-tech", "specialized-sme", "listed", "bad-credit"}
	industries := []string{"C3823", "C3922", "C1441", "C3514", "C2710", "C3073", "L7212", "C3841"}
	scales := []string{"large", "medium", "small", "micro"}
	rules := []string{
		`flags has "high-tech"`, `not flags has "bad-credit"`, `rd_ratio >= 3%`, `revenue >= 2000万元`,
		`industry in ["C38", "C39"]`, `tax_per_mu >= 40万元`, `land_area_mu >= 30`, `scale in ["medium", "small", "micro"]`,
		`flags has "specialized-sme" or flags has "listed"`, `figures_year >= 2025`, `headcount >= 100 and headcount < 2000`,
		`revenue >= 50亿元`, `rd_expense >= 500万元`, `key_enterprise or tax_paid >= 1亿元`,
	}
	benefits := []policy.Benefit{
		{Kind: policy.BenefitFixed, AmountFen: 20_000_000},
		{Kind: policy.BenefitRate, Base: "rd_expense", RatePercent: 10, CapFen: 200_000_000},
		{Kind: policy.BenefitTiers, Base: "tax_per_mu", Tiers: []policy.Tier{{MinFen: 40_000_000, AmountFen: 20_000_000},
			{MinFen: 60_000_000, AmountFen: 40_000_000}}},
	}
	ps := make([]*policy.Policy, n)
	for i := range ps {
		in := input(fmt.Sprintf("p-%04d", i))
		in.Eligibility = nil
		for k := 1 + r.IntN(3); k > 0; k-- {
			in.Eligibility = append(in.Eligibility, policy.Rule{Label: "r", Expr: rules[r.IntN(len(rules))]})
		}
		in.Benefit = benefits[r.IntN(len(benefits))]
		in.PerFirmCapFen = int64(r.IntN(2)) * 100_000_000
		p, err := policy.Compile(in)
		if err != nil {
			tb.Fatal(err)
		}
		p.ID = fmt.Sprintf("p-%04d", i)
		ps[i] = p
	}
	fs := make([]policy.Facts, m)
	for i := range fs {
		f := policy.Firm{ID: fmt.Sprint(i), IndustryCode: industries[r.IntN(len(industries))], Scale: scales[r.IntN(len(scales))],
			KeyEnterprise: r.IntN(10) == 0}
		for _, fl := range flags {
			if r.IntN(4) == 0 {
				f.Flags = append(f.Flags, fl)
			}
		}
		if r.IntN(10) > 0 {
			f.Figures = policy.Figures{Year: 2024 + r.IntN(2), RevenueFen: r.Int64N(1_000_000_000_000), TaxPaidFen: r.Int64N(50_000_000_000),
				RDRatioPercent: float64(r.IntN(1000)) / 100, LandAreaMu: float64(r.IntN(500)), Headcount: r.IntN(5000)}
		}
		fs[i] = policy.FactsOf(f)
	}
	return ps, fs
}

// TestMatcherAgreesWithEvaluate: the compiled matcher finds exactly the
// pairs the explained evaluation calls eligible, with the same amounts.
func TestMatcherAgreesWithEvaluate(t *testing.T) {
	ps, fs := synthetic(t, 60, 2000)
	got := map[string]int64{}
	var mu sync.Mutex
	last := []int{-1, -1}
	policy.NewMatcher(ps).MatchAll(fs, 2, func(w, firm int, p *policy.Policy, amount int64) {
		mu.Lock()
		defer mu.Unlock()
		if firm < last[w] {
			t.Errorf("worker %d went back from firm %d to %d", w, last[w], firm)
		}
		last[w] = firm
		got[fmt.Sprintf("%d/%s", firm, p.ID)] = amount
	})
	want := 0
	for i := range fs {
		for _, p := range ps {
			m := p.Evaluate(&fs[i])
			key := fmt.Sprintf("%d/%s", i, p.ID)
			if m.Eligible {
				want++
				if got[key] != m.AmountFen {
					t.Fatalf("%s: matcher %d, evaluate %d", key, got[key], m.AmountFen)
				}
			} else if _, ok := got[key]; ok {
				t.Fatalf("%s: the matcher found a pair evaluate refuses: %s", key, m.Reason)
			}
		}
	}
	if want == 0 || want == len(fs)*len(ps) || len(got) != want {
		t.Fatalf("%d hits, %d eligible pairs of %d", len(got), want, len(fs)*len(ps))
	}
}

// BenchmarkMatch1000x100000: every one of 100,000 firms against every one
// of 1,000 policies (10^8 pairs) per iteration, on all cores.
func BenchmarkMatch1000x100000(b *testing.B) {
	ps, fs := synthetic(b, 1000, 100_000)
	m := policy.NewMatcher(ps)
	var hits int
	for b.Loop() {
		counts := make([]int, runtime.GOMAXPROCS(0))
		m.MatchAll(fs, len(counts), func(w, _ int, _ *policy.Policy, _ int64) { counts[w]++ })
		hits = 0
		for _, c := range counts {
			hits += c
		}
	}
	b.ReportMetric(float64(hits), "hits")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e8, "ns/pair")
}

// BenchmarkMatchOneFirm: a profile change, one firm against 1,000 policies.
func BenchmarkMatchOneFirm(b *testing.B) {
	ps, fs := synthetic(b, 1000, 100)
	m := policy.NewMatcher(ps)
	n := 0
	for i := 0; b.Loop(); i++ {
		m.Match(&fs[i%len(fs)], func(*policy.Policy, int64) { n++ })
	}
}

// BenchmarkPublishOnePolicy: a publication, one policy against 100,000 firms.
func BenchmarkPublishOnePolicy(b *testing.B) {
	ps, fs := synthetic(b, 1, 100_000)
	m := policy.NewMatcher(ps)
	for b.Loop() {
		m.MatchAll(fs, 0, func(int, int, *policy.Policy, int64) {})
	}
}
