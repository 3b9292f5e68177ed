package liaison_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/liaison"
)

func TestVisitIsLoggedAndAsksForProxyTickets(t *testing.T) {
	tm := newTeam(t) // firm 1 is a key firm
	ctx := as(officerP(tm.primary))
	// sla reported the key firm's visit cadence breached.
	tm.mustApply(versions{}.ev(t, event.ClockBreached, park, "clock", "c-visit", tm.clk.Now(), &slapb.ClockEvent{
		Clock: &slapb.Clock{Kind: "visit_cadence", SubjectId: firmID(1), StartedAt: timestamppb.New(tm.clk.Now().Add(-time.Hour)),
			Deadline: timestamppb.New(tm.clk.Now())}}))
	if !tm.firm(firmID(1)).VisitOverdue {
		t.Fatal("the cadence breach was not recorded")
	}
	long := "企业反映园区道路夜间照明不足，员工下班通行存在安全隐患，希望尽快加装路灯"
	v, err := tm.svc.LogVisit(ctx, liaison.VisitInput{EnterpriseID: firmID(1), VisitedAt: "2026-03-02T08:30:00+08:00",
		PeopleMet: []string{"张伟 (总经理)", " ", "李娜 (行政主管)"}, Notes: "季度走访",
		Issues: []liaison.IssueInput{
			{Description: "用电负荷不足，申请增容", Title: "电力增容", OpenTicket: true},
			{Description: "招工难"},
			{Description: long, OpenTicket: true},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.PeopleMet) != 2 || v.CadenceWorkingDays != 20 || len(v.Issues) != 3 || v.Park != park {
		t.Fatalf("visit %+v", v)
	}
	f := tm.firm(firmID(1))
	if f.VisitOverdue || !f.LastVisitAt.Equal(at(t, "2026-03-02 08:30")) {
		t.Fatalf("firm after the visit %+v", f)
	}
	evs := tm.outboxed(v.ID)
	if len(evs) != 3 || evs[0].Type != event.VisitLogged || evs[1].Type != event.VisitTicketRequested || evs[2].Type != event.VisitTicketRequested {
		t.Fatalf("events %v", tm.outboxTypes(v.ID))
	}
	logged := evs[0].Payload.(*liaisonpb.VisitLogged)
	if logged.GetEnterpriseId() != firmID(1) || logged.GetOfficerId() != tm.primary || logged.GetCadenceWorkingDays() != 20 ||
		!logged.GetVisitedAt().AsTime().Equal(at(t, "2026-03-02 08:30")) || len(logged.GetIssues()) != 3 {
		t.Fatalf("visit logged %+v", logged)
	}
	first, third := evs[1].Payload.(*liaisonpb.VisitTicketRequested), evs[2].Payload.(*liaisonpb.VisitTicketRequested)
	if first.GetTitle() != "电力增容" || first.GetRequestId() != v.Issues[0].ID || first.GetEnterpriseId() != firmID(1) {
		t.Fatalf("ticket request %+v", first)
	}
	if third.GetTitle() != string([]rune(long)[:30])+"…" {
		t.Fatalf("default title %q", third.GetTitle())
	}
	// A firm that is not key has no cadence.
	tm.mustApply(registered(t, park, firmID(2), "C3911", false, tm.clk.Now()))
	officer := tm.firm(firmID(2)).OfficerID
	v2, err := tm.svc.LogVisit(as(officerP(officer)), liaison.VisitInput{EnterpriseID: firmID(2), VisitedAt: "2026-03-01", PeopleMet: []string{"王芳"}})
	if err != nil || v2.CadenceWorkingDays != 0 {
		t.Fatalf("visit of a firm that is not key: %+v, %v", v2, err)
	}
	vs, err := tm.svc.Visits(ctx, liaison.VisitQuery{})
	// The officer backs firm 2, so its visit is theirs to see too; newest first.
	if err != nil || len(vs) != 2 || vs[0].ID != v.ID || len(vs[0].Issues) != 3 || vs[1].ID != v2.ID {
		t.Fatalf("the officer's visits %+v, %v", vs, err)
	}
	if vs, err := tm.svc.Visits(as(officerP(tm.other)), liaison.VisitQuery{}); err != nil || len(vs) != 0 {
		t.Fatalf("another officer's visits %+v, %v", vs, err)
	}
	tm.checkVersions()
}

func TestBadVisitsAndPromisesAreRefusedNamingTheFields(t *testing.T) {
	tm := newTeam(t)
	ctx := as(officerP(tm.primary))
	visits := []struct {
		name   string
		in     liaison.VisitInput
		fields []string
	}{
		{"empty", liaison.VisitInput{}, []string{"enterprise_id", "visited_at", "people_met"}},
		{"future", liaison.VisitInput{EnterpriseID: firmID(1), VisitedAt: "2026-03-05", PeopleMet: []string{"a"}}, []string{"visited_at"}},
		{"not a date", liaison.VisitInput{EnterpriseID: firmID(1), VisitedAt: "02/03/2026", PeopleMet: []string{"a"}}, []string{"visited_at"}},
		{"issue without description", liaison.VisitInput{EnterpriseID: firmID(1), VisitedAt: "2026-03-01", PeopleMet: []string{"a"},
			Issues: []liaison.IssueInput{{Title: "t"}}}, []string{"issues[0].description"}},
	}
	for _, tt := range visits {
		t.Run("visit "+tt.name, func(t *testing.T) {
			_, err := tm.svc.LogVisit(ctx, tt.in)
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("got %v", err)
			}
			for _, f := range tt.fields {
				if !isField(err, f) {
					t.Errorf("%v does not name %s", err, f)
				}
			}
		})
	}
	if _, err := tm.svc.LogVisit(ctx, liaison.VisitInput{EnterpriseID: firmID(7), VisitedAt: "2026-03-01", PeopleMet: []string{"a"}}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("visit of an unknown firm: %v", err)
	}
	promises := []struct {
		name   string
		in     liaison.PromiseInput
		fields []string
	}{
		{"empty", liaison.PromiseInput{}, []string{"enterprise_id", "content", "due_on"}},
		{"past", liaison.PromiseInput{EnterpriseID: firmID(1), Content: "x", DueOn: "2026-03-01"}, []string{"due_on"}},
		{"not a date", liaison.PromiseInput{EnterpriseID: firmID(1), Content: "x", DueOn: "next week"}, []string{"due_on"}},
	}
	for _, tt := range promises {
		t.Run("promise "+tt.name, func(t *testing.T) {
			_, err := tm.svc.MakePromise(ctx, tt.in)
			for _, f := range tt.fields {
				if !isField(err, f) {
					t.Errorf("%v does not name %s", err, f)
				}
			}
		})
	}
	if n := tm.count(`SELECT (SELECT count(*) FROM visits) + (SELECT count(*) FROM promises)`); n != 0 {
		t.Fatalf("%d rows written by refused requests", n)
	}
}

// TestPromiseIsTrackedToItsDueAndClosed: a promise goes overdue once when
// the controllable clock passes its due instant, and closes with an outcome.
func TestPromiseIsTrackedToItsDueAndClosed(t *testing.T) {
	tm := newTeam(t)
	sched, err := liaison.NewScheduler(liaison.SchedulerConfig{Repository: tm.repo, Clock: tm.clk})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := liaison.NewService(liaison.ServiceConfig{Store: tm.repo, Clock: tm.clk, Wake: sched.Poke})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = sched.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	p, err := svc.MakePromise(as(officerP(tm.primary)), liaison.PromiseInput{EnterpriseID: firmID(1),
		Content: "一周内协调供电公司上门勘察", DueOn: "2026-03-03"})
	if err != nil {
		t.Fatal(err)
	}
	due := at(t, "2026-03-04 00:00")
	if !p.DueAt.Equal(due) || p.State != liaison.PromiseOpen || p.Park != park {
		t.Fatalf("promise %+v", p)
	}
	overdue := func() int { return tm.count(`SELECT count(*) FROM outbox WHERE event_type = $1`, event.PromiseOverdue) }
	if err := tm.clk.BlockUntil(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	tm.clk.Set(due.Add(-time.Minute))
	if err := tm.clk.BlockUntil(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if n := overdue(); n != 0 {
		t.Fatalf("%d overdue before the due instant", n)
	}
	tm.clk.Set(due)
	waitFor(t, "the promise to go overdue", func() bool { return overdue() == 1 })
	tm.clk.Advance(48 * time.Hour)
	if err := tm.clk.BlockUntil(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if n := overdue(); n != 1 {
		t.Fatalf("overdue published %d times", n)
	}
	ov, err := svc.Overview(as(managerOf(park)), liaison.OverviewQuery{})
	if err != nil || stats(ov, tm.primary).OverduePromises != 1 {
		t.Fatalf("overview %+v, %v", ov, err)
	}
	// Closing: outcome checked, a note unless kept, once only; late is recorded.
	if _, err := svc.ClosePromise(as(officerP(tm.primary)), p.ID, liaison.PromiseOutcome{Outcome: "done"}); !isField(err, "outcome") {
		t.Fatalf("bad outcome: %v", err)
	}
	if _, err := svc.ClosePromise(as(officerP(tm.primary)), p.ID, liaison.PromiseOutcome{Outcome: liaison.PromiseNotKept}); !isField(err, "note") {
		t.Fatalf("not kept without a note: %v", err)
	}
	c, err := svc.ClosePromise(as(managerOf(park)), p.ID, liaison.PromiseOutcome{Outcome: liaison.PromiseKept})
	if err != nil || c.State != liaison.PromiseKept || !c.Late || c.ClosedBy != managerOf(park).Subject {
		t.Fatalf("closed %+v, %v", c, err)
	}
	if _, err := svc.ClosePromise(as(officerP(tm.primary)), p.ID, liaison.PromiseOutcome{Outcome: liaison.PromiseKept}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("closed twice: %v", err)
	}
	closed := tm.ofType(event.PromiseClosed)
	if len(closed) != 1 || !closed[0].Payload.(*liaisonpb.PromiseClosed).GetLate() {
		t.Fatalf("closed events %v", closed)
	}
	if got := tm.outboxTypes(p.ID); len(got) != 3 || got[0] != event.PromiseMade || got[1] != event.PromiseOverdue || got[2] != event.PromiseClosed {
		t.Fatalf("promise events %v", got)
	}
	tm.checkVersions()
}

func stats(ov liaison.Overview, officer string) liaison.OfficerStats {
	for _, s := range ov.Officers {
		if s.OfficerID == officer {
			return s
		}
	}
	return liaison.OfficerStats{}
}

func TestManagerOverview(t *testing.T) {
	tm := newTeam(t)
	mctx := as(managerOf(park))
	tm.mustApply(demand(t, "t-1", firmID(1), tm.clk.Now()), demand(t, "t-2", firmID(1), tm.clk.Now()))
	tm.clk.Advance(30 * time.Minute)
	if _, err := tm.svc.Acknowledge(as(officerP(tm.primary)), tm.requestOf("t-1").ID); err != nil {
		t.Fatal(err)
	}
	tm.mustApply(breach(t, tm.requestOf("t-2").ID, tm.primary, tm.clk.Now()))
	if _, err := tm.svc.Chase(mctx, tm.requestOf("t-2").ID, liaison.ChaseInput{}); err != nil {
		t.Fatal(err)
	}
	tm.mustApply(breach(t, tm.requestOf("t-2").Dispatches[1].ID, tm.backup, tm.clk.Now()))
	if _, err := tm.svc.LogVisit(as(officerP(tm.primary)), liaison.VisitInput{EnterpriseID: firmID(1), VisitedAt: "2026-03-02", PeopleMet: []string{"张伟"}}); err != nil {
		t.Fatal(err)
	}
	tm.mustApply(registered(t, park, firmID(2), "C3911", true, tm.clk.Now())) // a key firm not yet visited
	ov, err := tm.svc.Overview(mctx, liaison.OverviewQuery{})
	if err != nil {
		t.Fatal(err)
	}
	p, b := stats(ov, tm.primary), stats(ov, tm.backup)
	if p.Acknowledged != 1 || p.AvgResponseMinutes == nil || *p.AvgResponseMinutes != 30 || p.BreachedDispatches != 1 ||
		p.OpenRequests != 1 || p.PendingAcks != 0 || p.Visits != 1 {
		t.Fatalf("primary %+v", p)
	}
	if b.BreachedDispatches != 1 || b.Chases != 1 {
		t.Fatalf("backup %+v", b)
	}
	keyVisited, keyFirms := p.KeyFirmsVisited+b.KeyFirmsVisited, p.KeyFirms+b.KeyFirms
	if keyFirms != 2 || keyVisited != 1 {
		t.Fatalf("key firms %d visited %d", keyFirms, keyVisited)
	}
	if ov.AtManager != 1 || len(ov.Unassigned) != 0 {
		t.Fatalf("overview %+v", ov)
	}
	if _, err := tm.svc.Overview(as(managerOf("liling")), liaison.OverviewQuery{Park: park}); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("another park's manager: %v", err)
	}
}
