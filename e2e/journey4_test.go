package e2e

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/policypb"
)

// The park's specialised SMEs (专精特新) of seeds/enterprises.yaml and 1% of
// their declared tax, capped at 50万元: what the journey's policy offers.
var smeOffers = map[string]int64{
	"0191c0de-0000-7000-8000-00000000000a": 50_000_000, // 黑金刚: 1% of 6200万元, capped
	"0191c0de-0000-7000-8000-00000000000b": 50_000_000, // 泰嘉: 1% of 5800万元, capped
	"0191c0de-0000-7000-8000-00000000000e": 11_000_000, // 衡开: 1% of 1100万元
	"0191c0de-0000-7000-8000-000000000013": 26_000_000, // 华腾: 1% of 2600万元
}

const smeFirm = "0191c0de-0000-7000-8000-00000000000e"

// journeyPolicy is 免申即享: the manager publishes a proactive policy; the
// park's eligible firms get offers with their amounts; one confirms; the
// application passes 初审 (commerce) → 复核 (finance) → 公示 (five working
// days, across National Day's make-up Saturday) → 决定 (finance), is paid
// (拨付); the policy's budget and ledger show it.
func (s *suite) journeyPolicy(t *testing.T) {
	if s.policyErr != nil {
		t.Fatalf("policy service not built: its module is in go.work but does not build:\n%v", s.policyErr)
	}
	if !s.policy {
		t.Fatal("policy service not built: services/policy has no command to run (journey 4 needs it)")
	}
	mgr, firm := s.as(s.manager()), s.as(s.firm(smeFirm))
	commerce, finance := s.as(s.staff("commerce")), s.as(s.staff("finance"))

	const budget = 200_000_000
	var pol struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		BudgetFen   int64  `json:"budget_fen"`
		ReservedFen int64  `json:"reserved_fen"`
		PaidFen     int64  `json:"paid_fen"`
	}
	mgr.post(t, "/v1/policies", map[string]any{
		"code": "e2e-2026-sme-tax-reward", "document_number": "望经开发〔2026〕99号",
		"title": "专精特新企业纳税贡献奖励", "issuer": "望城经济技术开发区管理委员会",
		"period": "2026", "window_from": "2026-09-01", "window_to": "2026-12-31", "mode": "proactive",
		"eligibility": []map[string]string{
			{"label": "专精特新企业", "rule": `flags has "specialized-sme"`},
			{"label": "无失信记录", "rule": `not flags has "bad-credit"`},
		},
		"benefit":          map[string]any{"kind": "rate", "base": "tax_paid", "rate_percent": 1, "cap_fen": 50_000_000},
		"per_firm_cap_fen": 50_000_000, "budget_fen": budget, "materials": []any{},
	}).into(t, 201, &pol)
	s.as(s.firm(firmA)).post(t, "/v1/policies/"+pol.ID+"/publish", nil).want(t, 403)
	var published struct {
		EligibleFirms int `json:"eligible_firms"`
		Offers        int `json:"offers"`
	}
	mgr.post(t, "/v1/policies/"+pol.ID+"/publish", nil).into(t, 200, &published)
	if published.Offers != len(smeOffers) {
		t.Errorf("published: %+v, want %d offers", published, len(smeOffers))
	}
	s.events.one(t, "policy.policy.published", "the policy", func(e seen) bool { return e.AggregateID == pol.ID })
	offers := s.events.wait(t, len(smeOffers), "policy.offer.created", "an offer per eligible firm", func(e seen) bool {
		return e.Payload.(*policypb.OfferCreated).GetPolicyId() == pol.ID
	})
	got := map[string]int64{}
	var offerID string
	for _, e := range offers {
		p := e.Payload.(*policypb.OfferCreated)
		got[p.GetEnterpriseId()] = p.GetAmountFen()
		if p.GetEnterpriseId() == smeFirm {
			offerID = p.GetOfferId()
		}
	}
	if !maps.Equal(got, smeOffers) {
		t.Fatalf("offers %v, want %v", got, smeOffers)
	}

	// The firm sees its offer among its matches, and confirms it in one step.
	type match struct {
		PolicyID  string `json:"policy_id"`
		Eligible  bool   `json:"eligible"`
		AmountFen int64  `json:"amount_fen"`
		Offer     *struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"offer"`
	}
	var matches struct {
		Matches []match `json:"matches"`
	}
	firm.get(t, "/v1/enterprises/"+smeFirm+"/policy-matches").into(t, 200, &matches)
	i := slices.IndexFunc(matches.Matches, func(m match) bool { return m.PolicyID == pol.ID })
	if i < 0 || !matches.Matches[i].Eligible || matches.Matches[i].AmountFen != smeOffers[smeFirm] ||
		matches.Matches[i].Offer == nil || matches.Matches[i].Offer.ID != offerID || matches.Matches[i].Offer.State != "open" {
		t.Fatalf("the firm's matches: %+v", matches.Matches)
	}
	s.as(s.firm(firmA)).post(t, "/v1/policy-applications", map[string]string{"offer_id": offerID}).want(t, 400, 403, 404)
	var app struct {
		ID             string `json:"id"`
		State          string `json:"state"`
		AmountFen      int64  `json:"amount_fen"`
		Channel        string `json:"channel"`
		WorkflowID     string `json:"workflow_id"`
		DecisionNumber string `json:"decision_number"`
	}
	firm.post(t, "/v1/policy-applications", map[string]string{"offer_id": offerID}).into(t, 201, &app)
	if app.AmountFen != smeOffers[smeFirm] || app.Channel != "offer" {
		t.Errorf("application: %+v", app)
	}
	s.events.one(t, "policy.offer.confirmed", "the confirmation", func(e seen) bool {
		return e.Payload.(*policypb.OfferConfirmed).GetApplicationId() == app.ID
	})
	s.events.one(t, "policy.application.submitted", "the application", func(e seen) bool { return e.AggregateID == app.ID })

	// Approval: 初审 by commerce, 复核 by finance, then the public notice.
	step := func(c caller, dept, stage string) {
		t.Helper()
		tk := c.subjectTask(t, app.ID, dept)
		if tk.StageCode != stage {
			t.Fatalf("%s's task is stage %q, want %q", dept, tk.StageCode, stage)
		}
		c.decide(t, tk.ID, map[string]any{"action": "approve", "reason": "材料齐全，符合条件"})
	}
	step(commerce, "commerce", "first-review")
	step(finance, "finance", "second-review")
	wf := s.workflowOf(t, app.ID)
	notice := s.events.one(t, "approval.workflow.paused", "the public notice", func(e seen) bool {
		p := e.Payload.(*approvalpb.WorkflowPaused)
		return p.GetReason() == approvalpb.PauseReason_PAUSE_REASON_PUBLIC_NOTICE && e.AggregateID == wf
	})
	// Five working days from Wednesday 09-30: National Day (10-01..07) does
	// not count, its make-up Saturday 10-10 does: ends Tuesday 10-13 17:30.
	ends := notice.Payload.(*approvalpb.WorkflowPaused).GetResumeDueAt().AsTime()
	if want := at(time.October, 13, 17, 30); !ends.Equal(want) {
		t.Errorf("the public notice ends %s, want %s", local(ends), local(want))
	}
	s.setClock(t, ends.Add(time.Second))
	s.events.one(t, "approval.workflow.resumed", "the notice ends", func(e seen) bool { return e.AggregateID == notice.AggregateID })
	step(finance, "finance", "decision")
	decided := s.events.one(t, "approval.workflow.decided", "the decision", func(e seen) bool { return e.AggregateID == notice.AggregateID })
	if p := decided.Payload.(*approvalpb.WorkflowDecided); p.GetOutcome() != "approved" || p.GetDecisionNumber() == "" {
		t.Errorf("approval.workflow.decided: %v", p)
	}
	reserved := s.events.one(t, "policy.disbursement.reserved", "the reservation", func(e seen) bool {
		return e.Payload.(*policypb.DisbursementReserved).GetApplicationId() == app.ID
	})
	if p := reserved.Payload.(*policypb.DisbursementReserved); p.GetAmountFen() != app.AmountFen || p.GetRemainingFen() != budget-app.AmountFen {
		t.Errorf("policy.disbursement.reserved: %v", p)
	}

	// 拨付: finance pays; the budget and the ledger show it.
	firm.post(t, "/v1/policy-applications/"+app.ID+"/disbursement", map[string]string{"reference": "x"}).want(t, 403, 404)
	eventually(t, 30*time.Second, "the application approved", func() (bool, string) {
		r := firm.get(t, "/v1/policy-applications/"+app.ID)
		r.into(t, 200, &app)
		return app.State == "approved", r.String()
	})
	finance.post(t, "/v1/policy-applications/"+app.ID+"/disbursement", map[string]string{"reference": "GK2026100001"}).into(t, 200, &app)
	if app.State != "paid" || app.DecisionNumber == "" {
		t.Errorf("paid application: %+v", app)
	}
	paid := s.events.one(t, "policy.disbursement.paid", "the payment", func(e seen) bool {
		return e.Payload.(*policypb.DisbursementPaid).GetApplicationId() == app.ID
	})
	if p := paid.Payload.(*policypb.DisbursementPaid); p.GetAmountFen() != app.AmountFen || p.GetReference() != "GK2026100001" {
		t.Errorf("policy.disbursement.paid: %v", p)
	}
	mgr.get(t, "/v1/policies/"+pol.ID).into(t, 200, &pol)
	if pol.PaidFen != app.AmountFen || pol.ReservedFen != 0 || pol.BudgetFen != budget {
		t.Errorf("the policy's budget: %+v (want %d paid, nothing reserved)", pol, app.AmountFen)
	}
	var ledger struct {
		Balance struct {
			PaidFen      int64 `json:"paid_fen"`
			RemainingFen int64 `json:"remaining_fen"`
			Balanced     bool  `json:"balanced"`
		} `json:"balance"`
		Entries []struct {
			ApplicationID string `json:"application_id"`
			Kind          string `json:"kind"`
			AmountFen     int64  `json:"amount_fen"`
		} `json:"entries"`
	}
	mgr.get(t, "/v1/policies/"+pol.ID+"/ledger").into(t, 200, &ledger)
	var kinds []string
	for _, e := range ledger.Entries {
		if e.ApplicationID == app.ID && e.AmountFen == app.AmountFen {
			kinds = append(kinds, e.Kind)
		}
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"pay", "reserve"}) || !ledger.Balance.Balanced ||
		ledger.Balance.PaidFen != app.AmountFen || ledger.Balance.RemainingFen != budget-app.AmountFen {
		t.Errorf("ledger: %+v (entries of the application: %v)", ledger, kinds)
	}
	s.as(s.firm(firmA)).get(t, "/v1/policies/"+pol.ID+"/ledger").want(t, 403, 404)
}

// subjectTask polls the caller's queue for the open task of department on
// subject (a policy application).
func (c caller) subjectTask(t *testing.T, subject, dept string) task {
	t.Helper()
	var out task
	eventually(t, 30*time.Second, fmt.Sprintf("an open %s task on %s in %s's queue", dept, subject, c.who), func() (bool, string) {
		var page struct {
			Items []task `json:"items"`
		}
		c.get(t, "/v1/tasks?page_size=200&department="+dept).into(t, 200, &page)
		for _, tk := range page.Items {
			if tk.SubjectID == subject && tk.State == "open" && tk.Actionable {
				out = tk
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", page.Items)
	})
	return out
}

// workflowOf returns the workflow of a subject (a policy application), as
// approval's events named it.
func (s *suite) workflowOf(t *testing.T, subject string) string {
	t.Helper()
	e := s.events.one(t, "approval.workflow.opened", "the workflow of "+subject, func(e seen) bool {
		return e.Payload.(*approvalpb.WorkflowOpened).GetSubjectId() == subject
	})
	return e.AggregateID
}
