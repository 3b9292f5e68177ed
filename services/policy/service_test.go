package policy_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/policypb"
	"github.com/parkdesk/parkdesk/services/policy"
)

// TestPublishMatchesAndOffers: publishing a proactive policy matches the
// park's firms and offers the benefit to the eligible ones only; each firm
// sees why it is or is not eligible, rule by rule.
func TestPublishMatchesAndOffers(t *testing.T) {
	e := newEnv(t)
	good, bad, plain, noFigures := firmN(1), firmN(2), firmN(3), firmN(4)
	bad.Flags = []string{"bad-credit", "high-tech"}
	plain.Flags = nil
	noFigures.Figures = policy.Figures{}
	other := firmN(5)
	other.Park = "liling"
	for _, f := range []policy.Firm{good, bad, plain, noFigures} {
		e.register(f)
	}
	e.registerIn("liling", other) // a firm of another park is not matched
	p, err := e.svc.CreatePolicy(as(manager), proactive("wc-hitech", 500_000_000))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.PublishPolicy(as(manager), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.EligibleFirms != 2 || res.Offers != 2 || res.Policy.Status != policy.StatusPublished {
		t.Fatalf("publish matched %d, offered %d (%s)", res.EligibleFirms, res.Offers, res.Policy.Status)
	}
	offered := map[string]int64{}
	for _, ev := range e.outboxed(event.PolicyOfferCreated) {
		o := ev.Payload.(*policypb.OfferCreated)
		offered[o.GetEnterpriseId()] = o.GetAmountFen()
		if o.GetCause() != "published" || ev.AggregateType != "offer" || ev.AggregateVersion != 1 {
			t.Fatalf("offer event %v v%d", o, ev.AggregateVersion)
		}
	}
	if len(offered) != 2 || offered[good.ID] != 20_000_000 || offered[noFigures.ID] != 20_000_000 {
		t.Fatalf("offers %v", offered)
	}
	pub := e.outboxed(event.PolicyPublished)
	if len(pub) != 1 || pub[0].Payload.(*policypb.PolicyPublished).GetEligibleFirms() != 2 || pub[0].AggregateVersion != 2 {
		t.Fatalf("published events %v", pub)
	}

	tests := []struct {
		firm     policy.Firm
		eligible bool
		failed   string
		actual   string
	}{
		{good, true, "", "[high-tech]"},
		{bad, false, "无失信记录", "[bad-credit, high-tech]"},
		{plain, false, "高新技术企业", "[]"},
		{noFigures, true, "", "[high-tech]"},
	}
	for _, tc := range tests {
		t.Run(tc.firm.ID, func(t *testing.T) {
			v, err := e.svc.Matches(as(firmUser(tc.firm.ID)), policy.MatchQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Matches) != 1 {
				t.Fatalf("matches %+v", v.Matches)
			}
			m := v.Matches[0]
			if m.Eligible != tc.eligible || (m.AmountFen > 0) != tc.eligible || (m.Offer != nil) != tc.eligible {
				t.Fatalf("eligible %v amount %d offer %v: %s", m.Eligible, m.AmountFen, m.Offer, m.Reason)
			}
			for _, r := range m.Rules {
				if r.Passed == (r.Label == tc.failed) {
					t.Fatalf("rule %s passed %v (failed rule %q): %+v", r.Label, r.Passed, tc.failed, r.Checks)
				}
				if r.Checks[0].Actual != tc.actual {
					t.Fatalf("rule %s shows %q, want %q", r.Label, r.Checks[0].Actual, tc.actual)
				}
			}
			if !tc.eligible && !strings.Contains(m.Reason, tc.failed) {
				t.Fatalf("reason %q", m.Reason)
			}
		})
	}
	// Scope: a firm sees its own matches only; its liaison and the park's
	// staff see them; a liaison of other firms does not.
	_, err = e.svc.Matches(as(firmUser(good.ID)), policy.MatchQuery{EnterpriseID: bad.ID})
	wantKind(t, err, fault.ErrNotFound)
	e.assign(bad.ID, "officer-7")
	if v, err := e.svc.Matches(as(liaisonUser("officer-7")), policy.MatchQuery{EnterpriseID: bad.ID}); err != nil || v.Name != bad.Name {
		t.Fatalf("the firm's liaison: %v %v", v.Name, err)
	}
	_, err = e.svc.Matches(as(liaisonUser("officer-8")), policy.MatchQuery{EnterpriseID: bad.ID})
	wantKind(t, err, fault.ErrNotFound)
	if v, err := e.svc.Matches(as(window), policy.MatchQuery{EnterpriseID: good.ID, EligibleOnly: true}); err != nil || len(v.Matches) != 1 || v.EligibleFen != 20_000_000 {
		t.Fatalf("staff: %+v %v", v, err)
	}
	if v, err := e.svc.Matches(as(window), policy.MatchQuery{EnterpriseID: plain.ID, EligibleOnly: true}); err != nil || len(v.Matches) != 0 {
		t.Fatalf("eligible only: %+v %v", v, err)
	}
}

// TestProfileChangeCreatesOffer: a firm that comes to meet a proactive
// policy when its profile changes is offered the benefit; one that stops
// meeting it sees its open offer lapse.
func TestProfileChangeCreatesOffer(t *testing.T) {
	e := newEnv(t)
	f := firmN(1)
	f.Flags = nil
	e.register(f)
	pol := e.publish(proactive("wc-hitech", 500_000_000))
	if n := len(e.outboxed(event.PolicyOfferCreated)); n != 0 {
		t.Fatalf("%d offers before the change", n)
	}
	f.Flags = []string{"high-tech"}
	change := e.changed(f, "flags")
	e.mustApply(change)
	evs := e.outboxed(event.PolicyOfferCreated)
	if len(evs) != 1 {
		t.Fatalf("%d offers after the firm became high-tech", len(evs))
	}
	o := evs[0].Payload.(*policypb.OfferCreated)
	if o.GetEnterpriseId() != f.ID || o.GetPolicyId() != pol.ID || o.GetCause() != "profile_changed" || evs[0].CausationID != change.ID {
		t.Fatalf("offer %v caused by %s", o, evs[0].CausationID)
	}
	// The same change redelivered (stale version) does nothing.
	e.mustApply(change)
	if n := len(e.outboxed(event.PolicyOfferCreated)); n != 1 {
		t.Fatalf("%d offers after a redelivery", n)
	}
	view, err := e.svc.FirmView(as(firmUser(f.ID)), "")
	if err != nil || len(view.Offers) != 1 || view.Offers[0].State != policy.OfferOpen || view.Offers[0].AmountFen != 20_000_000 {
		t.Fatalf("firm view %+v %v", view.Offers, err)
	}
	f.Flags = []string{"bad-credit", "high-tech"}
	e.change(f, "flags")
	lapsed := e.outboxed(event.PolicyOfferLapsed)
	if len(lapsed) != 1 || lapsed[0].AggregateVersion != 2 || !strings.Contains(lapsed[0].Payload.(*policypb.OfferLapsed).GetReason(), "no longer meets") {
		t.Fatalf("lapsed %v", lapsed)
	}
	view, _ = e.svc.FirmView(as(firmUser(f.ID)), "")
	if view.Offers[0].State != policy.OfferLapsed {
		t.Fatalf("offer %s", view.Offers[0].State)
	}
	var matches int
	if err := e.db.Get(&matches, `SELECT count(*) FROM matches WHERE enterprise_id = $1`, f.ID); err != nil || matches != 0 {
		t.Fatalf("%d matches stored for an ineligible firm", matches)
	}
}

// TestApply: what an application must meet, each refused with a clear,
// complete reason; the firm or its liaison applies; one per period.
func TestApply(t *testing.T) {
	e := newEnv(t)
	eligible, low, assigned := firmN(1), firmN(2), firmN(3)
	low.Figures.RDRatioPercent, low.Figures.RevenueFen = 1, 1_000_000_000
	for _, f := range []policy.Firm{eligible, low, assigned} {
		e.register(f)
	}
	e.assign(assigned.ID, "officer-3")
	rd := input("wc-rd")
	rd.Eligibility = append(rd.Eligibility, policy.Rule{Label: "营业收入2000万元以上", Expr: "revenue >= 2000万元"})
	rd.Materials = append(rd.Materials, policy.MaterialSpec{Code: "rd-deduction-filing", Name: "研发费用加计扣除纳税申报表"},
		policy.MaterialSpec{Code: "bank-account", Name: "开户证明", Optional: true})
	pol := e.publish(rd)
	pro := e.publish(proactive("wc-hitech", 500_000_000))
	both := []policy.Material{material("rd-audit-report"), material("rd-deduction-filing")}
	tests := []struct {
		name   string
		as     func() context.Context
		in     policy.ApplicationInput
		kind   error
		fields map[string]string
	}{
		{"not eligible: every failing rule listed", func() context.Context { return as(firmUser(low.ID)) },
			policy.ApplicationInput{PolicyID: pol.ID, Materials: both}, fault.ErrUnprocessable, map[string]string{
				"eligibility[0]": "研发投入强度不低于3%: rd_ratio >= 3% (the firm: 1%)",
				"eligibility[1]": "营业收入2000万元以上: revenue >= 2000万元 (the firm: 1000万元)"}},
		{"required materials all listed", func() context.Context { return as(firmUser(eligible.ID)) },
			policy.ApplicationInput{PolicyID: pol.ID}, fault.ErrUnprocessable, map[string]string{
				"materials.rd-audit-report": "required: 研发费用专项审计报告", "materials.rd-deduction-filing": "required"}},
		{"unknown and malformed materials", func() context.Context { return as(firmUser(eligible.ID)) },
			policy.ApplicationInput{PolicyID: pol.ID, Materials: append(both, policy.Material{Code: "photo", SHA256: "xyz", Size: 1})},
			fault.ErrUnprocessable, map[string]string{"materials[2].code": "asks for no material", "materials[2].sha256": "64 characters"}},
		{"a proactive policy is not applied for", func() context.Context { return as(firmUser(eligible.ID)) },
			policy.ApplicationInput{PolicyID: pro.ID}, fault.ErrUnprocessable, map[string]string{"offer_id": "confirm the offer"}},
		{"a liaison of other firms", func() context.Context { return as(liaisonUser("officer-9")) },
			policy.ApplicationInput{PolicyID: pol.ID, EnterpriseID: assigned.ID, Materials: both}, fault.ErrNotFound, nil},
		{"a liaison must name the firm", func() context.Context { return as(liaisonUser("officer-3")) },
			policy.ApplicationInput{PolicyID: pol.ID, Materials: both}, fault.ErrInvalid, map[string]string{"enterprise_id": "required"}},
		{"window staff do not apply", func() context.Context { return as(window) },
			policy.ApplicationInput{PolicyID: pol.ID, EnterpriseID: eligible.ID, Materials: both}, fault.ErrForbidden, nil},
		{"a firm for another firm", func() context.Context { return as(firmUser(eligible.ID)) },
			policy.ApplicationInput{PolicyID: pol.ID, EnterpriseID: low.ID, Materials: both}, fault.ErrNotFound, nil},
		{"neither policy nor offer", func() context.Context { return as(firmUser(eligible.ID)) },
			policy.ApplicationInput{}, fault.ErrInvalid, map[string]string{"policy_id": "required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.Apply(tc.as(), tc.in)
			wantKind(t, err, tc.kind)
			got := fields(err)
			for f, want := range tc.fields {
				if !strings.Contains(got[f], want) {
					t.Fatalf("%s: %q, want %q (all %v)", f, got[f], want, got)
				}
			}
			if len(tc.fields) > 0 && len(got) != len(tc.fields) {
				t.Fatalf("fields %v, want %v", got, tc.fields)
			}
		})
	}
	if n := len(e.outboxed(event.PolicyApplicationSubmitted)); n != 0 {
		t.Fatalf("%d applications submitted by refused requests", n)
	}

	a, err := e.svc.Apply(as(firmUser(eligible.ID)), policy.ApplicationInput{PolicyID: pol.ID, Materials: both})
	if err != nil {
		t.Fatal(err)
	}
	// 10% of R&D spending (2亿元 × 5% = 1000万元): 100万元, under the 200万元 cap.
	if a.State != policy.AppSubmitted || a.Channel != policy.ChannelOnline || a.AmountFen != 100_000_000 || a.Explanation == nil ||
		!a.Explanation.Eligible || len(a.History) != 1 {
		t.Fatalf("application %+v", a)
	}
	_, err = e.svc.Apply(as(firmUser(eligible.ID)), policy.ApplicationInput{PolicyID: pol.ID, Materials: both})
	wantKind(t, err, fault.ErrConflict)
	if !strings.Contains(err.Error(), "one per firm, policy and period") {
		t.Fatalf("duplicate refused with %q", err)
	}
	proxy, err := e.svc.Apply(as(liaisonUser("officer-3")), policy.ApplicationInput{PolicyID: pol.ID, EnterpriseID: assigned.ID,
		Materials: append(both, material("bank-account"))})
	if err != nil || proxy.Channel != policy.ChannelProxy || proxy.OfficerID != "officer-3" || proxy.SubmittedRole != "liaison" {
		t.Fatalf("proxy %+v %v", proxy, err)
	}
	subs := e.outboxed(event.PolicyApplicationSubmitted)
	if len(subs) != 2 {
		t.Fatalf("%d submitted events", len(subs))
	}
	s := subs[0].Payload.(*policypb.ApplicationSubmitted)
	if s.GetApplicationId() != a.ID || s.GetPolicyCode() != "wc-rd" || s.GetAmountFen() != 100_000_000 || len(s.GetMaterials()) != 2 ||
		subs[0].AggregateType != "application" || subs[0].AggregateVersion != 1 || subs[0].Subject != "policy.application.submitted.wangcheng" {
		t.Fatalf("submitted %v on %s", s, subs[0].Subject)
	}
	// Lists are scoped: the firm its own, the liaison its firms', staff the park's.
	for _, c := range []struct {
		who  context.Context
		want int
	}{{as(firmUser(eligible.ID)), 1}, {as(liaisonUser("officer-3")), 1}, {as(window), 2}, {as(firmUser(low.ID)), 0}} {
		as, err := e.svc.Applications(c.who, policy.ApplicationQuery{})
		if err != nil || len(as) != c.want {
			t.Fatalf("list %d (%v), want %d", len(as), err, c.want)
		}
	}
	// After the window, nothing more.
	e.clk.Set(at(t, "2027-01-01 09:00"))
	_, err = e.svc.Apply(as(firmUser(low.ID)), policy.ApplicationInput{PolicyID: pol.ID, Materials: both})
	wantKind(t, err, fault.ErrConflict)
}

// TestConcurrentApprovalsBudget: 100 approvals decided at once against a
// budget that fits 60: exactly 60 are reserved, 40 refused with a reason
// that says the budget is exhausted, and the ledger balances.
func TestConcurrentApprovalsBudget(t *testing.T) {
	e := newEnv(t)
	in := input("wc-echelon")
	in.Benefit, in.PerFirmCapFen, in.Materials = policy.Benefit{Kind: policy.BenefitFixed, AmountFen: 10_000_000}, 0, nil
	in.BudgetFen = 60 * 10_000_000
	pol := e.publish(in)
	apps := make([]*policy.Application, 100)
	for i := range apps {
		f := firmN(100 + i)
		e.register(f)
		a, err := e.svc.Apply(as(firmUser(f.ID)), policy.ApplicationInput{PolicyID: pol.ID})
		if err != nil {
			t.Fatal(err)
		}
		apps[i] = a
	}
	evs := make([]event.Event, len(apps))
	for i, a := range apps {
		evs[i] = e.decided(a, fmt.Sprintf("wf-%03d", i), "approved", fmt.Sprintf("望经开审〔2026〕%04d号", i+1))
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, len(evs))
	for i := range evs {
		wg.Go(func() {
			<-start
			errs[i] = e.apply(evs[i])
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("decision %d: %v", i, err)
		}
	}
	states := map[string]int{}
	for _, a := range apps {
		got, err := e.repo.Application(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		states[got.State]++
		switch got.State {
		case policy.AppApproved:
			if len(got.Ledger) != 1 || got.Ledger[0].Kind != policy.LedgerReserve || got.DecisionNumber == "" {
				t.Fatalf("approved without its reservation: %+v", got.Ledger)
			}
		case policy.AppRefused:
			if !strings.Contains(got.Reason, "budget exhausted") || !strings.Contains(got.Reason, "10万元 needed, 0元 remaining of 600万元") {
				t.Fatalf("refused with %q", got.Reason)
			}
		}
	}
	if states[policy.AppApproved] != 60 || states[policy.AppRefused] != 40 {
		t.Fatalf("states %v, want 60 approved and 40 refused", states)
	}
	b, err := e.repo.Balance(context.Background(), pol.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Balanced || b.ReservedFen != in.BudgetFen || b.RemainingFen != 0 || b.ReservesFen != in.BudgetFen {
		t.Fatalf("balance %+v", b)
	}
	if r, f := len(e.outboxed(event.DisbursementReserved)), len(e.outboxed(event.DisbursementRefused)); r != 60 || f != 40 {
		t.Fatalf("%d reserved and %d refused events", r, f)
	}
	// A decision delivered again changes nothing.
	e.mustApply(evs[0])
	if b2, _ := e.repo.Balance(context.Background(), pol.ID); b2.ReservedFen != b.ReservedFen || b2.ReservesFen != b.ReservesFen || !b2.Balanced {
		t.Fatalf("balance moved on a redelivery: %+v", b2)
	}
}

// TestOfferConfirmedApprovedPaid: a firm confirms its offer in one step,
// the application is approved (budget reserved) and paid out (拨付) with a
// reference; the firm's view, the manager's overview and the ledger show it.
func TestOfferConfirmedApprovedPaid(t *testing.T) {
	e := newEnv(t)
	f := firmN(1)
	e.register(f)
	pol := e.publish(proactive("wc-hitech", 500_000_000))
	view, err := e.svc.FirmView(as(firmUser(f.ID)), "")
	if err != nil || len(view.Offers) != 1 {
		t.Fatalf("offers %+v %v", view.Offers, err)
	}
	offer := view.Offers[0]
	a, err := e.svc.Apply(as(firmUser(f.ID)), policy.ApplicationInput{OfferID: offer.ID})
	if err != nil {
		t.Fatal(err)
	}
	if a.Channel != policy.ChannelOffer || a.OfferID != offer.ID || a.PolicyID != pol.ID || a.AmountFen != 20_000_000 {
		t.Fatalf("application %+v", a)
	}
	_, err = e.svc.Apply(as(firmUser(f.ID)), policy.ApplicationInput{OfferID: offer.ID})
	wantKind(t, err, fault.ErrConflict)
	conf := e.outboxed(event.PolicyOfferConfirmed)
	if len(conf) != 1 || conf[0].AggregateVersion != 2 || conf[0].Payload.(*policypb.OfferConfirmed).GetApplicationId() != a.ID {
		t.Fatalf("confirmed %v", conf)
	}
	// Disbursing before the approval is refused.
	_, err = e.svc.Disburse(as(finance), a.ID, policy.DisbursementInput{Reference: "WC-PAY-2026-0001"})
	wantKind(t, err, fault.ErrConflict)

	wf := e.approve(a, "望经开审〔2026〕0001号")
	got, _ := e.svc.Application(as(firmUser(f.ID)), a.ID)
	if got.State != policy.AppApproved || got.WorkflowID != wf || got.Stage != "初审" || got.DecisionNumber != "望经开审〔2026〕0001号" {
		t.Fatalf("after approval %s %q %q %q", got.State, got.WorkflowID, got.Stage, got.DecisionNumber)
	}
	e.clk.Set(at(t, "2026-03-20 10:00"))
	for _, who := range []struct {
		name string
		ctx  context.Context
		kind error
	}{{"the firm", as(firmUser(f.ID)), fault.ErrForbidden}, {"window staff", as(window), fault.ErrForbidden}} {
		_, err := e.svc.Disburse(who.ctx, a.ID, policy.DisbursementInput{Reference: "X"})
		wantKind(t, err, who.kind)
	}
	_, err = e.svc.Disburse(as(finance), a.ID, policy.DisbursementInput{Reference: " "})
	wantKind(t, err, fault.ErrInvalid)
	paid, err := e.svc.Disburse(as(finance), a.ID, policy.DisbursementInput{Reference: "WC-PAY-2026-0001"})
	if err != nil || paid.State != policy.AppPaid || paid.PaymentReference != "WC-PAY-2026-0001" || len(paid.Ledger) != 2 {
		t.Fatalf("paid %+v %v", paid, err)
	}
	if again, err := e.svc.Disburse(as(finance), a.ID, policy.DisbursementInput{Reference: "WC-PAY-2026-0001"}); err != nil || again.Version != paid.Version {
		t.Fatalf("paying again with the same reference: %v", err)
	}
	_, err = e.svc.Disburse(as(finance), a.ID, policy.DisbursementInput{Reference: "WC-PAY-2026-0002"})
	wantKind(t, err, fault.ErrConflict)
	_, err = e.svc.Release(as(manager), a.ID, policy.ReleaseInput{Reason: "撤销"})
	wantKind(t, err, fault.ErrConflict)

	lv, err := e.svc.Ledger(as(finance), pol.ID)
	if err != nil || !lv.Balance.Balanced || lv.Balance.PaidFen != 20_000_000 || lv.Balance.ReservedFen != 0 ||
		lv.Balance.RemainingFen != 480_000_000 || len(lv.Entries) != 2 || lv.Entries[1].Reference != "WC-PAY-2026-0001" {
		t.Fatalf("ledger %+v %v", lv, err)
	}
	_, err = e.svc.Ledger(as(firmUser(f.ID)), pol.ID)
	wantKind(t, err, fault.ErrForbidden)
	view, _ = e.svc.FirmView(as(firmUser(f.ID)), "")
	if view.ReceivedFen != 20_000_000 || len(view.Payments) != 1 || view.Offers[0].State != policy.OfferConfirmed ||
		view.Applications[0].State != policy.AppPaid {
		t.Fatalf("firm view %+v", view)
	}
	ov, err := e.svc.Overview(as(manager), policy.OverviewQuery{})
	if err != nil {
		t.Fatal(err)
	}
	pf := ov.Policies[0]
	// Submitted Tuesday 2026-03-10 10:00, paid Friday 03-20 10:00: 8 working days.
	if pf.EligibleFirms != 1 || pf.Beneficiaries != 1 || pf.Paid != 1 || pf.UptakePercent != 100 || pf.PaidFen != 20_000_000 ||
		pf.RemainingFen != 480_000_000 || pf.UsedPercent != 4 || pf.AvgWorkingDaysToPayment == nil || *pf.AvgWorkingDaysToPayment != 8 {
		t.Fatalf("overview %+v (avg %v)", pf, pf.AvgWorkingDaysToPayment)
	}
	ev := e.outboxed(event.DisbursementPaid)
	if len(ev) != 1 || ev[0].Payload.(*policypb.DisbursementPaid).GetReference() != "WC-PAY-2026-0001" || ev[0].AggregateVersion != 3 {
		t.Fatalf("paid events %v", ev)
	}
}

// TestDecisionsWithdrawalsAndRelease: denied, withdrawn and released
// applications; one benefit per firm, policy and period holds after a
// release; the constraints hold in the database itself.
func TestDecisionsWithdrawalsAndRelease(t *testing.T) {
	e := newEnv(t)
	in := input("wc-rd")
	in.Materials = nil
	pol := e.publish(in)
	a1, a2, a3 := firmN(1), firmN(2), firmN(3)
	for _, f := range []policy.Firm{a1, a2, a3} {
		e.register(f)
	}
	apply := func(f policy.Firm) *policy.Application {
		t.Helper()
		a, err := e.svc.Apply(as(firmUser(f.ID)), policy.ApplicationInput{PolicyID: pol.ID})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// Denied: the firm may apply again.
	d := apply(a1)
	e.mustApply(e.decided(d, "wf-d", "denied", ""))
	if got, _ := e.repo.Application(context.Background(), d.ID); got.State != policy.AppDenied || got.Reason != "符合条件" {
		t.Fatalf("denied: %s %q", got.State, got.Reason)
	}
	again := apply(a1)
	// Withdrawn while undecided; approval's later "withdrawn" changes nothing.
	w, err := e.svc.Withdraw(as(firmUser(a1.ID)), again.ID, policy.WithdrawInput{Reason: "补充材料后再申报"})
	if err != nil || w.State != policy.AppWithdrawn {
		t.Fatalf("withdraw %v %v", w, err)
	}
	e.mustApply(e.decided(again, "wf-w", "withdrawn", ""))
	wd := e.outboxed(event.PolicyApplicationWithdrawn)
	if len(wd) != 1 || wd[0].AggregateVersion != 2 {
		t.Fatalf("withdrawn events %v", wd)
	}
	// Released: the benefit of the period is spent all the same.
	r := apply(a2)
	e.approve(r, "望经开审〔2026〕0002号")
	_, err = e.svc.Withdraw(as(firmUser(a2.ID)), r.ID, policy.WithdrawInput{})
	wantKind(t, err, fault.ErrConflict)
	_, err = e.svc.Release(as(manager), r.ID, policy.ReleaseInput{})
	wantKind(t, err, fault.ErrInvalid)
	rel, err := e.svc.Release(as(manager), r.ID, policy.ReleaseInput{Reason: "企业放弃"})
	if err != nil || rel.State != policy.AppReleased {
		t.Fatalf("release %v %v", rel, err)
	}
	_, err = e.svc.Apply(as(firmUser(a2.ID)), policy.ApplicationInput{PolicyID: pol.ID})
	wantKind(t, err, fault.ErrConflict)
	b, err := e.repo.Balance(context.Background(), pol.ID)
	if err != nil || !b.Balanced || b.ReservedFen != 0 || b.ReleasesFen != r.AmountFen || b.ReservesFen != r.AmountFen {
		t.Fatalf("balance %+v %v", b, err)
	}
	// The database refuses a second benefit and an over-commitment whatever the code does.
	ok := apply(a3)
	e.approve(ok, "望经开审〔2026〕0003号")
	err = db.InTx(context.Background(), e.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`INSERT INTO ledger (policy_id, application_id, enterprise_id, period, kind, amount_fen, at)
			VALUES ($1, $2, $3, '2026', 'reserve', 1, now())`, pol.ID, ok.ID, a3.ID)
		return err
	})
	if !db.IsUniqueViolation(err, "ledger_one_benefit") {
		t.Fatalf("second reserve: %v", err)
	}
	_, err = e.db.Exec(`UPDATE policies SET reserved_fen = budget_fen + 1 WHERE id = $1`, pol.ID)
	if err == nil || !strings.Contains(err.Error(), "budget_never_overcommitted") {
		t.Fatalf("over-commit: %v", err)
	}
}

// TestPolicyLifecycle: drafts are validated on save and changed only as
// drafts; only managers and admins manage policies; closing lapses offers.
func TestPolicyLifecycle(t *testing.T) {
	e := newEnv(t)
	e.register(firmN(1))
	bad := input("wc-bad")
	bad.Eligibility = []policy.Rule{{Label: "研发", Expr: "rd_ratio >= 3万元"}}
	_, err := e.svc.CreatePolicy(as(manager), bad)
	wantKind(t, err, fault.ErrInvalid)
	if !strings.Contains(fields(err)["eligibility[0].rule"], "at 12: rd_ratio is a number, not money") {
		t.Fatalf("fields %v", fields(err))
	}
	_, err = e.svc.CreatePolicy(as(firmUser(firmID(1))), input("wc-x"))
	wantKind(t, err, fault.ErrForbidden)
	_, err = e.svc.CreatePolicy(as(admin), input("wc-x"))
	wantKind(t, err, fault.ErrInvalid) // an admin names the park
	draft, err := e.svc.CreatePolicy(as(manager), proactive("wc-hitech", 100_000_000))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CreatePolicy(as(manager), proactive("wc-hitech", 100_000_000))
	wantKind(t, err, fault.ErrConflict)
	changed := proactive("wc-hitech", 200_000_000)
	if p, err := e.svc.UpdatePolicy(as(manager), draft.ID, changed); err != nil || p.BudgetFen != 200_000_000 || p.Version != 2 {
		t.Fatalf("update draft %v %v", p, err)
	}
	ps, _ := e.svc.Policies(as(firmUser(firmID(1))), policy.PolicyQuery{})
	if len(ps) != 0 {
		t.Fatalf("a firm sees %d drafts", len(ps))
	}
	if _, err := e.svc.PublishPolicy(as(manager), draft.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.UpdatePolicy(as(manager), draft.ID, changed)
	wantKind(t, err, fault.ErrConflict)
	_, err = e.svc.PublishPolicy(as(manager), draft.ID)
	wantKind(t, err, fault.ErrConflict)
	other := auth.Principal{Subject: "mgr-ll", Role: auth.RoleManager, Park: "liling"}
	_, err = e.svc.ClosePolicy(as(other), draft.ID, policy.CloseInput{Reason: "x"})
	wantKind(t, err, fault.ErrNotFound)
	closed, err := e.svc.ClosePolicy(as(manager), draft.ID, policy.CloseInput{Reason: "预算已用完"})
	if err != nil || closed.Status != policy.StatusClosed {
		t.Fatalf("close %v %v", closed, err)
	}
	if n := len(e.outboxed(event.PolicyOfferLapsed)); n != 1 {
		t.Fatalf("%d offers lapsed at closing", n)
	}
	view, _ := e.svc.FirmView(as(firmUser(firmID(1))), "")
	_, err = e.svc.Apply(as(firmUser(firmID(1))), policy.ApplicationInput{OfferID: view.Offers[0].ID})
	wantKind(t, err, fault.ErrConflict)
	types := []string{}
	for _, ev := range e.outboxed(event.PolicySaved, event.PolicyPublished, event.PolicyClosed) {
		if ev.AggregateID == draft.ID {
			types = append(types, fmt.Sprintf("%s v%d", ev.Type, ev.AggregateVersion))
		}
	}
	if strings.Join(types, ",") != "policy.policy.saved v1,policy.policy.saved v2,policy.policy.published v3,policy.policy.closed v4" {
		t.Fatalf("policy events %v", types)
	}
}
