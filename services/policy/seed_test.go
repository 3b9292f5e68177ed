package policy_test

import (
	"context"
	"testing"

	"github.com/parkdesk/parkdesk/services/policy"
)

// TestSeed: the repository's policies.yaml is valid; seeding stores and
// publishes each once, matching the firms known by then; a second start
// changes nothing.
func TestSeed(t *testing.T) {
	e := newEnv(t)
	s := demoSeeds(t)
	if len(s.Policies) < 8 || s.Calendars["wangcheng"] == nil {
		t.Fatalf("%d seeded policies, calendars %v", len(s.Policies), s.Calendars)
	}
	hk := hengkai
	e.register(hk)
	res, err := policy.Seed(context.Background(), e.repo, s, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != len(s.Policies) || res.Published != len(s.Policies) || res.Existing != 0 {
		t.Fatalf("first seed %+v", res)
	}
	again, err := policy.Seed(context.Background(), e.repo, s, e.clk.Now())
	if err != nil || again.Created != 0 || again.Existing != len(s.Policies) {
		t.Fatalf("second seed %+v %v", again, err)
	}
	// 衡开智能 (high-tech, 专精特新, small, R&D 6.1% of 3.2亿元) is offered
	// the proactive high-tech and 专精特新 awards and matches the R&D subsidy.
	v, err := e.svc.Matches(as(firmUser(hk.ID)), policy.MatchQuery{EligibleOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	offers := 0
	for _, m := range v.Matches {
		got[m.PolicyCode] = m.AmountFen
		if m.Offer != nil {
			offers++
		}
	}
	want := map[string]int64{"wc-2026-hitech-recognition": 20_000_000, "wc-2026-specialized-sme": 30_000_000, "wc-2026-rd-subsidy": 195_200_000}
	for code, amount := range want {
		if got[code] != amount {
			t.Fatalf("matches %v, want %v", got, want)
		}
	}
	if len(got) != len(want) || offers != 2 {
		t.Fatalf("matches %v with %d offers", got, offers)
	}
}
