package liaison_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/services/liaison"
)

// TestOfficerIsDeniedAnotherOfficersFirm: an officer sees and acts only for
// the firms assigned to them (primary or backup).
func TestOfficerIsDeniedAnotherOfficersFirm(t *testing.T) {
	tm := newTeam(t)
	tm.mustApply(demand(t, "t-1", firmID(1), tm.clk.Now()))
	req := tm.requestOf("t-1").ID
	promise, err := tm.svc.MakePromise(as(officerP(tm.primary)), liaison.PromiseInput{EnterpriseID: firmID(1),
		Content: "协调供电公司两周内完成线路改造", DueOn: "2026-03-16"})
	if err != nil {
		t.Fatal(err)
	}
	visit := liaison.VisitInput{EnterpriseID: firmID(1), VisitedAt: "2026-03-02", PeopleMet: []string{"张总"}}
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"firm", func(ctx context.Context) error { _, err := tm.svc.Firm(ctx, firmID(1)); return err }},
		{"firms of the officer", func(ctx context.Context) error {
			_, err := tm.svc.Firms(ctx, liaison.FirmQuery{OfficerID: tm.primary})
			return err
		}},
		{"request", func(ctx context.Context) error { _, err := tm.svc.Request(ctx, req); return err }},
		{"log a visit", func(ctx context.Context) error { _, err := tm.svc.LogVisit(ctx, visit); return err }},
		{"make a promise", func(ctx context.Context) error {
			_, err := tm.svc.MakePromise(ctx, liaison.PromiseInput{EnterpriseID: firmID(1), Content: "x", DueOn: "2026-03-20"})
			return err
		}},
		{"close the promise", func(ctx context.Context) error {
			_, err := tm.svc.ClosePromise(ctx, promise.ID, liaison.PromiseOutcome{Outcome: liaison.PromiseKept})
			return err
		}},
		{"return the request", func(ctx context.Context) error {
			_, err := tm.svc.Return(ctx, req, liaison.ReturnInput{Reason: "不是我的"})
			return err
		}},
		{"sign for the request", func(ctx context.Context) error { _, err := tm.svc.Acknowledge(ctx, req); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(as(officerP(tm.other))); !errors.Is(err, fault.ErrForbidden) {
				t.Fatalf("another officer: %v, want forbidden", err)
			}
			p := officerP(tm.other)
			p.Park = "liling"
			if err := c.call(as(p)); !errors.Is(err, fault.ErrForbidden) && !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("another park's officer: %v", err)
			}
		})
	}
	// Their lists leave the firm out.
	ctx := as(officerP(tm.other))
	if fs, err := tm.svc.Firms(ctx, liaison.FirmQuery{}); err != nil || len(fs) != 0 {
		t.Fatalf("firms %v, %v", fs, err)
	}
	if rs, err := tm.svc.Requests(ctx, liaison.RequestQuery{}); err != nil || len(rs) != 0 {
		t.Fatalf("requests %v, %v", rs, err)
	}
	if q, err := tm.svc.Queue(ctx); err != nil || len(q) != 0 {
		t.Fatalf("queue %v, %v", q, err)
	}
	if ps, err := tm.svc.Promises(ctx, liaison.PromiseQuery{}); err != nil || len(ps) != 0 {
		t.Fatalf("promises %v, %v", ps, err)
	}
	// The firm's own officers may; the backup sees the firm and may sign.
	for _, id := range []string{tm.primary, tm.backup} {
		if _, err := tm.svc.Firm(as(officerP(id)), firmID(1)); err != nil {
			t.Fatalf("officer %s: %v", id, err)
		}
	}
	if q, err := tm.svc.Queue(as(officerP(tm.primary))); err != nil || len(q) != 1 || q[0].ID != req {
		t.Fatalf("primary's queue %v, %v", q, err)
	}
	if _, err := tm.svc.LogVisit(as(officerP(tm.backup)), visit); err != nil {
		t.Fatalf("backup's visit: %v", err)
	}
	if r, err := tm.svc.Acknowledge(as(officerP(tm.backup)), req); err != nil || r.AcknowledgedBy != tm.backup {
		t.Fatalf("backup's signature: %+v, %v", r, err)
	}
	// The firm sees its own officers, not another firm's.
	firm := auth.Principal{Subject: "f", Role: auth.RoleEnterprise, Park: park, EnterpriseID: firmID(1)}
	if f, err := tm.svc.Firm(as(firm), firmID(1)); err != nil || f.Officer == nil || f.Officer.ID != tm.primary {
		t.Fatalf("the firm's view %+v, %v", f, err)
	}
	firm.EnterpriseID = firmID(9)
	if _, err := tm.svc.Firm(as(firm), firmID(1)); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("another firm: %v", err)
	}
	staff := auth.Principal{Subject: "s", Role: auth.RoleStaff, Park: park, Departments: []string{"tax"}}
	if _, err := tm.svc.Firm(as(staff), firmID(1)); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("staff: %v", err)
	}
	if _, err := tm.svc.Overview(as(officerP(tm.primary)), liaison.OverviewQuery{}); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("an officer's overview: %v", err)
	}
	if _, err := tm.svc.Firm(context.Background(), firmID(1)); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Fatalf("nobody: %v", err)
	}
}
