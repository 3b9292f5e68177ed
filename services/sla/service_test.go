package sla_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/sla"
)

func (e *env) service() sla.Service {
	e.t.Helper()
	s, err := sla.NewService(sla.ServiceConfig{Store: e.repo, Source: e.src, Clock: e.clk})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestExtensionGrantMovesTheDeadline(t *testing.T) {
	e := newEnv(t, at(t, "2026-09-18 09:00"))
	e.mustApply(accepted(t, versions{}, "wf-1", "t-1", at(t, "2026-09-18 10:00"), 3))
	c := e.clockOf("t-1", sla.KindResolution)
	svc := e.service()
	e.clk.Set(at(t, "2026-09-21 10:00"))
	req := sla.ExtensionRequest{WorkingDays: 2, Reason: "需组织专家论证"}

	otherDept := staff
	otherDept.Departments = []string{"环保局"}
	if _, err := svc.RequestExtension(as(otherDept), c.ID, req); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("staff of another department: %v, want forbidden", err)
	}
	x, err := svc.RequestExtension(as(staff), c.ID, req)
	if err != nil || x.State != sla.ExtensionPending || x.RequestedBy != staff.Subject {
		t.Fatalf("request: %+v, %v", x, err)
	}
	if _, err := svc.RequestExtension(as(staff), c.ID, req); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second request: %v, want conflict (once per clock)", err)
	}
	grant := sla.ExtensionDecision{Decision: sla.DecisionGrant}
	otherPark := auth.Principal{Subject: "m-2", Role: auth.RoleManager, Park: "liling"}
	if _, err := svc.DecideExtension(as(otherPark), x.ID, grant); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("manager of another park: %v, want not found", err)
	}
	if _, err := svc.DecideExtension(as(staff), x.ID, grant); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("staff deciding: %v, want forbidden", err)
	}
	x, err = svc.DecideExtension(as(manager), x.ID, grant)
	if err != nil || x.State != sla.ExtensionGranted || !x.PreviousDeadline.Equal(at(t, "2026-09-22 17:30")) ||
		!x.NewDeadline.Equal(at(t, "2026-09-24 17:30")) {
		t.Fatalf("grant: %+v, %v", x, err)
	}
	if _, err := svc.DecideExtension(as(manager), x.ID, grant); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second decision: %v, want conflict", err)
	}
	after := e.clockOf("t-1", sla.KindResolution)
	if after.ExtensionDays != 2 || !after.Deadline.Equal(at(t, "2026-09-24 17:30")) || !after.NextFireAt.Equal(after.WarnAt) {
		t.Fatalf("clock after the grant: %+v", after)
	}
	evs := e.outbox(c.ID)
	dc, ok := evs[len(evs)-1].ev.Payload.(*slapb.DeadlineChanged)
	if !ok || dc.GetCause() != sla.CauseExtension || !dc.GetClock().GetDeadline().AsTime().Equal(after.Deadline) {
		t.Fatalf("last event %+v", evs[len(evs)-1].ev)
	}
	list, err := svc.Extensions(as(manager), sla.ExtensionQuery{State: sla.ExtensionGranted})
	if err != nil || len(list) != 1 || list[0].ID != x.ID {
		t.Fatalf("extensions %+v, %v", list, err)
	}
}

func TestExtensionRules(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	v := versions{}
	e.mustApply(accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 3),
		accepted(t, v, "wf-2", "t-2", at(t, "2026-03-02 10:00"), 10))
	e.clk.Set(at(t, "2026-03-06 10:00"))
	if _, err := e.scheduler(10).FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	red, green := e.clockOf("t-1", sla.KindResolution), e.clockOf("t-2", sla.KindResolution)
	svc := e.service()
	tests := []struct {
		name  string
		clock string
		req   sla.ExtensionRequest
		want  error
	}{
		{"no days", green.ID, sla.ExtensionRequest{Reason: "x"}, fault.ErrInvalid},
		{"too many days", green.ID, sla.ExtensionRequest{WorkingDays: sla.MaxExtensionDays + 1, Reason: "x"}, fault.ErrInvalid},
		{"no reason", green.ID, sla.ExtensionRequest{WorkingDays: 1}, fault.ErrInvalid},
		{"already breached", red.ID, sla.ExtensionRequest{WorkingDays: 1, Reason: "x"}, fault.ErrConflict},
		{"unknown clock", "0190f0a0-0000-7000-8000-000000000000", sla.ExtensionRequest{WorkingDays: 1, Reason: "x"}, fault.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := svc.RequestExtension(as(staff), tt.clock, tt.req); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	x, err := svc.RequestExtension(as(staff), green.ID, sla.ExtensionRequest{WorkingDays: 1, Reason: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DecideExtension(as(manager), x.ID, sla.ExtensionDecision{Decision: sla.DecisionRefuse}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("refusal without a reason: %v", err)
	}
	x, err = svc.DecideExtension(as(manager), x.ID, sla.ExtensionDecision{Decision: sla.DecisionRefuse, Reason: "理由不充分"})
	if err != nil || x.State != sla.ExtensionRefused {
		t.Fatalf("refuse: %+v %v", x, err)
	}
	if c := e.clockOf("t-2", sla.KindResolution); c.ExtensionDays != 0 || !c.Deadline.Equal(green.Deadline) {
		t.Fatalf("a refusal moved the deadline: %+v", c)
	}
}

func TestExtensionRequestedThroughApproval(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	v := versions{}
	ask := func() event.Event {
		return v.ev(t, event.ExtensionRequested, "workflow", "wf-1", at(t, "2026-03-03 10:00"), &approvalpb.ExtensionRequested{
			WorkflowId: "wf-1", TicketId: "t-1", WorkingDays: 3, Reason: "听证", RequestedBy: "h-1"})
	}
	e.mustApply(accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 5), ask(), ask())
	xs, err := e.service().Extensions(as(manager), sla.ExtensionQuery{})
	if err != nil || len(xs) != 1 || xs[0].WorkingDays != 3 || xs[0].RequestedBy != "h-1" || xs[0].State != sla.ExtensionPending {
		t.Fatalf("extensions %+v, %v", xs, err)
	}
}

func TestOverviewFigures(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	v := versions{}
	decided := func(wf string, when string) event.Event {
		return v.ev(t, event.WorkflowDecided, "workflow", wf, at(t, when), &approvalpb.WorkflowDecided{WorkflowId: wf, Outcome: "approved", DecidedAt: pbts(at(t, when))})
	}
	rated := func(ticket string, score int32) event.Event {
		return v.ev(t, event.TicketRated, "ticket", ticket, at(t, "2026-03-09 10:00"), &intakepb.TicketRated{TicketId: ticket, Score: score})
	}
	e.mustApply(
		submitted(t, v, "t-1", at(t, "2026-03-02 09:30"), intakepb.Channel_CHANNEL_ONLINE),
		accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 5),
		submitted(t, v, "t-2", at(t, "2026-03-02 09:30"), intakepb.Channel_CHANNEL_WINDOW),
		accepted(t, v, "wf-2", "t-2", at(t, "2026-03-02 10:00"), 1),
		v.ev(t, event.WorkflowCorrectionRequested, "workflow", "wf-2", at(t, "2026-03-03 10:00"), &approvalpb.WorkflowPaused{WorkflowId: "wf-2"}),
		v.ev(t, event.WorkflowResumed, "workflow", "wf-2", at(t, "2026-03-03 11:00"), &approvalpb.WorkflowResumed{WorkflowId: "wf-2"}),
		decided("wf-1", "2026-03-04 10:00"),
	)
	e.clk.Set(at(t, "2026-03-06 09:00"))
	if _, err := e.scheduler(10).FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.mustApply(decided("wf-2", "2026-03-06 10:00"), rated("t-1", 5), rated("t-2", 2))
	e.clk.Set(at(t, "2026-03-10 09:00"))

	o, err := e.service().Overview(as(manager), sla.OverviewQuery{By: sla.ByDepartment})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Groups) != 1 || o.Groups[0].Key != "建设局" || !o.From.Equal(at(t, "2026-03-01 00:00")) {
		t.Fatalf("overview %+v", o)
	}
	g := o.Groups[0]
	checks := []struct {
		name      string
		got, want *float64
	}{
		{"on-time rate", g.OnTimeRate, f(0.5)}, {"early rate", g.EarlyRate, f(0.5)}, {"once-only rate", g.OnceOnlyRate, f(0.5)},
		{"online rate", g.OnlineRate, f(0.5)}, {"satisfaction", g.Satisfaction, f(0.5)}, {"average rating", g.AvgRating, f(3.5)},
		{"commitment compression", g.CommitmentCompression, f(0.85)}, {"average commitment", g.AvgCommitmentDays, f(3)},
		{"score", g.Score, f(50 - sla.RedCardPenalty)},
	}
	for _, c := range checks {
		if c.got == nil || *c.got != *c.want {
			t.Errorf("%s = %v, want %v", c.name, deref(c.got), *c.want)
		}
	}
	if g.Completed != 2 || g.OnTime != 1 || g.RedCards != 1 || g.Rated != 2 {
		t.Errorf("counts %+v", g)
	}
	if _, err := e.service().Overview(as(staff), sla.OverviewQuery{}); !errors.Is(err, fault.ErrForbidden) {
		t.Errorf("staff overview: %v, want forbidden", err)
	}
	if _, err := e.service().Overview(as(manager), sla.OverviewQuery{Park: "liling"}); !errors.Is(err, fault.ErrForbidden) {
		t.Errorf("manager asking for another park: %v, want forbidden", err)
	}
	if _, err := e.service().Overview(as(manager), sla.OverviewQuery{By: "weekday"}); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("unknown grouping: %v, want invalid", err)
	}
}

func f(v float64) *float64 { return &v }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestBreachesMostUrgentFirst(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	v := versions{}
	e.mustApply(
		accepted(t, v, "wf-red", "t-red", at(t, "2026-03-02 10:00"), 2),
		accepted(t, v, "wf-y1", "t-y1", at(t, "2026-03-02 10:00"), 4),
		warnEarly(accepted(t, v, "wf-y2", "t-y2", at(t, "2026-03-02 10:00"), 5), 2),
		accepted(t, v, "wf-green", "t-green", at(t, "2026-03-02 10:00"), 20),
	)
	e.clk.Set(at(t, "2026-03-06 10:00"))
	if _, err := e.scheduler(10).FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := e.service()
	tests := []struct {
		q     sla.BreachQuery
		want  []string
		total int
	}{
		{sla.BreachQuery{PageSize: 2}, []string{"t-red", "t-y1"}, 3},
		{sla.BreachQuery{PageSize: 2, Page: 2}, []string{"t-y2"}, 3},
		{sla.BreachQuery{State: "yellow"}, []string{"t-y1", "t-y2"}, 2},
		{sla.BreachQuery{State: "red"}, []string{"t-red"}, 1},
	}
	for _, tt := range tests {
		p, err := svc.Breaches(as(manager), tt.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range p.Items {
			got = append(got, c.TicketID)
		}
		if !equal(got, tt.want) || p.Total != tt.total {
			t.Errorf("%+v: %v of %d, want %v of %d", tt.q, got, p.Total, tt.want, tt.total)
		}
	}
	if _, err := svc.Breaches(as(manager), sla.BreachQuery{PageSize: 1000}); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("page size 1000: %v, want invalid", err)
	}
}

// warnEarly sets the matter's warn threshold of an accepted event.
func warnEarly(ev event.Event, days int32) event.Event {
	ev.Payload.(*approvalpb.WorkflowAccepted).WarnWorkingDays = days
	return ev
}

func TestTicketClocksAreScoped(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	v := versions{}
	e.mustApply(
		submitted(t, v, "t-1", at(t, "2026-03-02 09:30"), intakepb.Channel_CHANNEL_PROXY),
		accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 5),
		v.ev(t, event.OfficerAssigned, "assignment", "firm-1", at(t, "2026-03-02 08:00"),
			&liaisonpb.OfficerAssigned{EnterpriseId: "firm-1", OfficerId: "o-1", BackupOfficerId: "o-9"}),
	)
	svc := e.service()
	tests := []struct {
		name string
		p    auth.Principal
		want int
	}{
		{"the firm", auth.Principal{Role: auth.RoleEnterprise, Park: park, EnterpriseID: "firm-1"}, 2},
		{"another firm", auth.Principal{Role: auth.RoleEnterprise, Park: park, EnterpriseID: "firm-2"}, 0},
		{"the clock's liaison", auth.Principal{Role: auth.RoleLiaison, Park: park, OfficerID: "o-1"}, 2},
		{"the firm's backup liaison", auth.Principal{Role: auth.RoleLiaison, Park: park, OfficerID: "o-9"}, 2},
		{"another liaison", auth.Principal{Role: auth.RoleLiaison, Park: park, OfficerID: "o-8"}, 0},
		{"staff of the park", staff, 2},
		{"manager of another park", auth.Principal{Role: auth.RoleManager, Park: "liling"}, 0},
		{"admin", auth.Principal{Role: auth.RoleAdmin}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := svc.TicketClocks(as(tt.p), "t-1")
			if err != nil || len(cs) != tt.want {
				t.Fatalf("%d clocks, %v; want %d", len(cs), err, tt.want)
			}
			if tt.want == 0 {
				return
			}
			if _, err := svc.Clock(as(tt.p), cs[0].ID); err != nil {
				t.Fatalf("clock: %v", err)
			}
		})
	}
	if _, err := svc.TicketClocks(context.Background(), "t-1"); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Fatalf("anonymous: %v", err)
	}
}
