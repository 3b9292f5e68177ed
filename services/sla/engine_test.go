package sla_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/sla"
)

func accepted(t testing.TB, v versions, wf, ticket string, when time.Time, days int32) event.Event {
	return v.ev(t, event.WorkflowAccepted, "workflow", wf, when, &approvalpb.WorkflowAccepted{
		WorkflowId: wf, TicketId: ticket, MatterCode: "JS-001", Department: "建设局", HandlerId: "h-1", OfficerId: "o-1",
		CommitmentWorkingDays: days, LegalWorkingDays: 20, AcceptedAt: pbts(when)})
}

func submitted(t testing.TB, v versions, ticket string, when time.Time, channel intakepb.Channel) event.Event {
	return v.ev(t, event.TicketSubmitted, "ticket", ticket, when, &intakepb.TicketSubmitted{
		TicketId: ticket, EnterpriseId: "firm-1", Kind: intakepb.TicketKind_TICKET_KIND_MATTER, Channel: channel,
		MatterCodes: []string{"JS-001"}, Departments: []string{"建设局"}, SubmittedAt: pbts(when)})
}

func TestCorrectionAcrossNationalDayMovesTheDeadlineByThePausedOfficeTime(t *testing.T) {
	e := newEnv(t, at(t, "2026-09-21 09:00"))
	v := versions{}
	e.mustApply(
		submitted(t, v, "t-1", at(t, "2026-09-21 09:30"), intakepb.Channel_CHANNEL_ONLINE),
		accepted(t, v, "wf-1", "t-1", at(t, "2026-09-21 10:00"), 10),
		v.ev(t, event.WorkflowCorrectionRequested, "workflow", "wf-1", at(t, "2026-09-30 15:00"),
			&approvalpb.WorkflowPaused{WorkflowId: "wf-1", TicketId: "t-1", Items: []string{"营业执照"}, PausedAt: pbts(at(t, "2026-09-30 15:00"))}),
	)
	paused := e.clockOf("t-1", sla.KindResolution)
	if !paused.Paused() || !paused.Deadline.Equal(at(t, "2026-10-12 17:30")) {
		t.Fatalf("paused clock: paused %v deadline %v", paused.Paused(), paused.Deadline.In(shanghai))
	}
	if n := e.count(`SELECT count(*) FROM clocks WHERE next_fire_at IS NOT NULL AND paused`); n != 0 {
		t.Fatalf("%d paused clocks are scheduled", n)
	}
	e.mustApply(v.ev(t, event.TicketMaterialsSupplied, "ticket", "t-1", at(t, "2026-10-09 10:00"),
		&intakepb.TicketMaterialsSupplied{TicketId: "t-1", Materials: []string{"营业执照"}}))

	c := e.clockOf("t-1", sla.KindResolution)
	if c.Paused() || !c.Deadline.Equal(at(t, "2026-10-14 14:00")) {
		t.Fatalf("resumed clock: paused %v deadline %v, want 2026-10-14 14:00 (10.5 office hours later)", c.Paused(), c.Deadline.In(shanghai))
	}
	if len(c.Pauses) != 1 || c.Pauses[0].Reason != sla.PauseCorrection || !c.Pauses[0].To.Equal(at(t, "2026-10-09 10:00")) {
		t.Fatalf("pause history %+v", c.Pauses)
	}
	if !c.NextFireAt.IsZero() && !c.NextFireAt.Equal(c.WarnAt) {
		t.Fatalf("next fire %v, want the warning %v", c.NextFireAt, c.WarnAt)
	}
	want := []string{event.ClockStarted, event.ClockPaused, event.ClockResumed}
	if got := e.outboxTypes(c.ID); !equal(got, want) {
		t.Fatalf("outbox %v, want %v", got, want)
	}
	acc := e.clockOf("t-1", sla.KindAcceptance)
	if acc.State != sla.StateStopped || acc.StoppedLate || !acc.StoppedAt.Equal(at(t, "2026-09-21 10:00")) || acc.EnterpriseID != "firm-1" {
		t.Fatalf("acceptance clock %+v", acc)
	}
}

func TestMakeUpSundayIsAWorkingDay(t *testing.T) {
	e := newEnv(t, at(t, "2026-09-18 10:00"))
	e.mustApply(accepted(t, versions{}, "wf-1", "t-1", at(t, "2026-09-18 10:00"), 3))
	c := e.clockOf("t-1", sla.KindResolution)
	want := time.Date(2026, 9, 22, 17, 30, 0, 0, time.FixedZone("+08:00", 8*3600))
	if !c.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want %v", c.Deadline, want)
	}
}

func TestEventFlows(t *testing.T) {
	tests := []struct {
		name  string
		run   func(t *testing.T, e *env, v versions)
		check func(t *testing.T, e *env)
	}{
		{"acceptance verdict before the submission still counts the acceptance clock",
			func(t *testing.T, e *env, v versions) {
				e.mustApply(accepted(t, v, "wf-1", "t-1", at(t, "2026-03-03 10:00"), 5),
					submitted(t, v, "t-1", at(t, "2026-03-02 16:00"), intakepb.Channel_CHANNEL_WINDOW))
			},
			func(t *testing.T, e *env) {
				acc := e.clockOf("t-1", sla.KindAcceptance)
				if acc.State != sla.StateStopped || !acc.StoppedAt.Equal(at(t, "2026-03-03 10:00")) || acc.StoppedLate {
					t.Fatalf("acceptance %+v", acc)
				}
				if got := e.outboxTypes(acc.ID); !equal(got, []string{event.ClockStarted, event.ClockStopped}) {
					t.Fatalf("acceptance events %v", got)
				}
				if res := e.clockOf("t-1", sla.KindResolution); res.EnterpriseID != "firm-1" {
					t.Fatalf("resolution clock enterprise %q, want backfilled firm-1", res.EnterpriseID)
				}
			}},
		{"a stage overrun counts while the whole finishes on time; commitment approval starts verification",
			func(t *testing.T, e *env, v versions) {
				acc := accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 10)
				acc.Payload.(*approvalpb.WorkflowAccepted).VerificationWorkingDays = 20
				e.mustApply(acc,
					v.ev(t, event.StageOpened, "workflow", "wf-1", at(t, "2026-03-02 10:00"), &approvalpb.StageOpened{
						WorkflowId: "wf-1", StageId: "s-1", StageName: "初审", Department: "建设局", ShareWorkingDays: 1, OpenedAt: pbts(at(t, "2026-03-02 10:00"))}))
				e.clk.Set(at(t, "2026-03-04 10:00"))
				if _, err := e.scheduler(100).FireDue(context.Background()); err != nil {
					t.Fatal(err)
				}
				e.mustApply(
					v.ev(t, event.StageCompleted, "workflow", "wf-1", at(t, "2026-03-04 10:00"), &approvalpb.StageCompleted{
						WorkflowId: "wf-1", StageId: "s-1", Outcome: "passed", CompletedAt: pbts(at(t, "2026-03-04 10:00"))}),
					v.ev(t, event.WorkflowDecided, "workflow", "wf-1", at(t, "2026-03-05 10:00"), &approvalpb.WorkflowDecided{
						WorkflowId: "wf-1", TicketId: "t-1", Outcome: "approved", DecidedAt: pbts(at(t, "2026-03-05 10:00"))}))
			},
			func(t *testing.T, e *env) {
				st := e.clockOf("t-1", sla.KindStage)
				if st.State != sla.StateStopped || !st.StoppedLate || st.BreachedAt.IsZero() {
					t.Fatalf("stage clock %+v", st)
				}
				res := e.clockOf("t-1", sla.KindResolution)
				if res.State != sla.StateStopped || res.StoppedLate || !res.StoppedEarly {
					t.Fatalf("resolution %+v", res)
				}
				ver := e.clockOf("t-1", sla.KindVerification)
				if ver.State != sla.StateGreen || ver.Budget != 20 || !ver.StartedAt.Equal(at(t, "2026-03-05 10:00")) {
					t.Fatalf("verification %+v", ver)
				}
				if n := e.count(`SELECT count(*) FROM cards WHERE colour = 'red' AND clock_id = $1`, st.ID); n != 1 {
					t.Fatalf("%d red cards for the stage overrun, want 1", n)
				}
			}},
		{"withdrawal cancels every open clock of the ticket",
			func(t *testing.T, e *env, v versions) {
				acc := accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 10)
				acc.Payload.(*approvalpb.WorkflowAccepted).SupplementDueWorkingDays = 5
				e.mustApply(acc, v.ev(t, event.TicketWithdrawn, "ticket", "t-1", at(t, "2026-03-03 10:00"), &intakepb.TicketWithdrawn{TicketId: "t-1"}))
			},
			func(t *testing.T, e *env) {
				for _, k := range []sla.Kind{sla.KindResolution, sla.KindSupplement} {
					if c := e.clockOf("t-1", k); c.State != sla.StateCancelled || !c.NextFireAt.IsZero() {
						t.Fatalf("%s clock %s", k, c.State)
					}
				}
			}},
		{"a bad rating starts a 15-day rectification clock, closed by its ticket",
			func(t *testing.T, e *env, v versions) {
				e.mustApply(v.ev(t, event.TicketRated, "ticket", "t-1", at(t, "2026-03-02 10:00"), &intakepb.TicketRated{
					TicketId: "t-1", Score: 2, Department: "建设局", RectificationTicketId: "t-r"}))
				e.clk.Set(at(t, "2026-03-10 10:00"))
				e.mustApply(v.ev(t, event.TicketClosed, "ticket", "t-r", at(t, "2026-03-10 10:00"), &intakepb.TicketClosed{TicketId: "t-r", Outcome: "rectified"}))
			},
			func(t *testing.T, e *env) {
				c := e.clockOf("t-r", sla.KindRectification)
				if c.Budget != 15 || c.State != sla.StateStopped || c.StoppedLate || !c.Deadline.Equal(at(t, "2026-03-23 17:30")) {
					t.Fatalf("rectification %+v", c)
				}
			}},
		{"a liaison call is answered within working hours; a visit resets the cadence",
			func(t *testing.T, e *env, v versions) {
				e.mustApply(
					v.ev(t, event.RequestDispatched, "request", "r-1", at(t, "2026-03-02 16:00"), &liaisonpb.RequestDispatched{
						RequestId: "r-1", TicketId: "t-1", EnterpriseId: "firm-1", OfficerId: "o-1", ResponseWorkingHours: 2, DispatchedAt: pbts(at(t, "2026-03-02 16:00"))}),
					v.ev(t, event.RequestAcknowledged, "request", "r-1", at(t, "2026-03-03 09:20"), &liaisonpb.RequestAcknowledged{
						RequestId: "r-1", OfficerId: "o-1", AcknowledgedAt: pbts(at(t, "2026-03-03 09:20"))}),
					v.ev(t, event.VisitLogged, "visit", "v-1", at(t, "2026-03-02 10:00"), &liaisonpb.VisitLogged{
						VisitId: "v-1", EnterpriseId: "firm-1", OfficerId: "o-1", CadenceWorkingDays: 10, VisitedAt: pbts(at(t, "2026-03-02 10:00"))}),
					v.ev(t, event.VisitLogged, "visit", "v-2", at(t, "2026-03-09 10:00"), &liaisonpb.VisitLogged{
						VisitId: "v-2", EnterpriseId: "firm-1", OfficerId: "o-2", CadenceWorkingDays: 10, VisitedAt: pbts(at(t, "2026-03-09 10:00"))}))
			},
			func(t *testing.T, e *env) {
				c := e.clockOf("t-1", sla.KindLiaisonResponse)
				if c.State != sla.StateStopped || c.StoppedLate || !c.Deadline.Equal(at(t, "2026-03-03 09:30")) {
					t.Fatalf("response clock %+v, deadline %v", c, c.Deadline.In(shanghai))
				}
				var id string
				if err := e.db.Get(&id, `SELECT id FROM clocks WHERE kind = 'visit_cadence'`); err != nil {
					t.Fatal(err)
				}
				if got := e.outboxTypes(id); !equal(got, []string{event.ClockStarted, event.ClockReset}) {
					t.Fatalf("visit cadence events %v", got)
				}
				if n := e.count(`SELECT count(*) FROM clocks WHERE kind = 'visit_cadence' AND officer_id = 'o-2' AND started_at = $1`, at(t, "2026-03-09 10:00")); n != 1 {
					t.Fatal("visit cadence not restarted from the second visit")
				}
			}},
		{"a workflow withdrawn before acceptance is decided without a resolution clock",
			func(t *testing.T, e *env, v versions) {
				e.mustApply(v.ev(t, event.WorkflowDecided, "workflow", "wf-early", at(t, "2026-03-02 10:00"), &approvalpb.WorkflowDecided{
					WorkflowId: "wf-early", TicketId: "t-early", Outcome: "withdrawn", DecidedAt: pbts(at(t, "2026-03-02 10:00"))}))
			},
			func(t *testing.T, e *env) {
				if n := e.count(`SELECT count(*) FROM clocks WHERE workflow_id = 'wf-early'`); n != 0 {
					t.Fatalf("%d clocks for a workflow never accepted", n)
				}
			}},
		{"a returned request cancels its response clock; a verification verdict stops the verification clock",
			func(t *testing.T, e *env, v versions) {
				acc := accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 5)
				acc.Payload.(*approvalpb.WorkflowAccepted).VerificationWorkingDays = 10
				e.mustApply(acc,
					v.ev(t, event.WorkflowDecided, "workflow", "wf-1", at(t, "2026-03-03 10:00"), &approvalpb.WorkflowDecided{
						WorkflowId: "wf-1", Outcome: "approved", DecidedAt: pbts(at(t, "2026-03-03 10:00"))}),
					v.ev(t, event.VerificationCompleted, "workflow", "wf-1", at(t, "2026-03-05 10:00"), &approvalpb.VerificationCompleted{
						WorkflowId: "wf-1", Passed: true, CompletedAt: pbts(at(t, "2026-03-05 10:00"))}),
					v.ev(t, event.RequestDispatched, "request", "r-1", at(t, "2026-03-02 10:00"), &liaisonpb.RequestDispatched{
						RequestId: "r-1", OriginRequestId: "r-1", TicketId: "t-1", OfficerId: "o-1", ResponseWorkingHours: 2}),
					v.ev(t, event.RequestReturned, "request", "r-1", at(t, "2026-03-02 10:30"), &liaisonpb.RequestReturned{
						RequestId: "r-1", TicketId: "t-1", Reason: "不属于本人", OpenDispatchIds: []string{"r-1"}}))
			},
			func(t *testing.T, e *env) {
				if c := e.clockOf("t-1", sla.KindVerification); c.State != sla.StateStopped || c.StoppedLate {
					t.Fatalf("verification %+v", c)
				}
				if c := e.clockOf("t-1", sla.KindLiaisonResponse); c.State != sla.StateCancelled {
					t.Fatalf("response clock %s", c.State)
				}
			}},
		{"materials marked as a supplement stop the supplement clock, not a correction pause",
			func(t *testing.T, e *env, v versions) {
				acc := accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 10)
				acc.Payload.(*approvalpb.WorkflowAccepted).SupplementDueWorkingDays = 5
				e.mustApply(acc,
					v.ev(t, event.WorkflowCorrectionRequested, "workflow", "wf-1", at(t, "2026-03-03 10:00"), &approvalpb.WorkflowPaused{WorkflowId: "wf-1"}),
					v.ev(t, event.TicketMaterialsSupplied, "ticket", "t-1", at(t, "2026-03-04 10:00"), &intakepb.TicketMaterialsSupplied{
						TicketId: "t-1", Supplement: true}))
			},
			func(t *testing.T, e *env) {
				if c := e.clockOf("t-1", sla.KindSupplement); c.State != sla.StateStopped || !c.StoppedAt.Equal(at(t, "2026-03-04 10:00")) {
					t.Fatalf("supplement %+v", c)
				}
				if c := e.clockOf("t-1", sla.KindResolution); !c.Paused() {
					t.Fatal("the correction pause was answered by supplement materials")
				}
			}},
		{"materials answering another workflow's correction leave this one paused",
			func(t *testing.T, e *env, v versions) {
				e.mustApply(accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 10),
					v.ev(t, event.WorkflowCorrectionRequested, "workflow", "wf-1", at(t, "2026-03-03 10:00"), &approvalpb.WorkflowPaused{WorkflowId: "wf-1"}),
					v.ev(t, event.TicketMaterialsSupplied, "ticket", "t-1", at(t, "2026-03-04 10:00"), &intakepb.TicketMaterialsSupplied{
						TicketId: "t-1", WorkflowIds: []string{"wf-2"}}))
			},
			func(t *testing.T, e *env) {
				if c := e.clockOf("t-1", sla.KindResolution); !c.Paused() {
					t.Fatal("resumed by materials for another workflow")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, at(t, "2026-03-02 09:00"))
			tt.run(t, e, versions{})
			tt.check(t, e)
		})
	}
}

func TestEventsAreVersionOrdered(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	v := versions{}
	start := accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 5)
	pause := v.ev(t, event.WorkflowPaused, "workflow", "wf-1", at(t, "2026-03-03 10:00"),
		&approvalpb.WorkflowPaused{WorkflowId: "wf-1", Reason: approvalpb.PauseReason_PAUSE_REASON_EXPERT_REVIEW})
	if err := e.apply(pause); !errors.Is(err, inbox.ErrRetryLater) {
		t.Fatalf("pause before start: %v, want ErrRetryLater", err)
	}
	if n := e.count(`SELECT count(*) FROM clocks`); n != 0 {
		t.Fatalf("%d clocks after a refused event", n)
	}
	e.mustApply(start, pause)
	if err := e.apply(start); err != nil {
		t.Fatalf("stale start: %v", err)
	}
	c := e.clockOf("t-1", sla.KindResolution)
	if !c.Paused() || c.Pauses[0].Reason != sla.PauseExpertReview {
		t.Fatalf("clock %+v", c)
	}
	if got := e.outboxTypes(c.ID); !equal(got, []string{event.ClockStarted, event.ClockPaused}) {
		t.Fatalf("events %v: the stale start had an effect", got)
	}
}

func TestCalendarChangeRecomputesOpenClocks(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	v := versions{}
	e.mustApply(accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 5),
		accepted(t, v, "wf-2", "t-2", at(t, "2026-03-02 10:00"), 5),
		v.ev(t, event.WorkflowDecided, "workflow", "wf-2", at(t, "2026-03-03 10:00"), &approvalpb.WorkflowDecided{WorkflowId: "wf-2", Outcome: "approved"}))
	other := v.ev(t, event.WorkflowAccepted, "workflow", "wf-3", at(t, "2026-03-02 10:00"), &approvalpb.WorkflowAccepted{
		WorkflowId: "wf-3", TicketId: "t-3", CommitmentWorkingDays: 5, AcceptedAt: pbts(at(t, "2026-03-02 10:00"))})
	other.Park = "liling"
	e.mustApply(other)
	before := e.clockOf("t-1", sla.KindResolution)
	if !before.Deadline.Equal(at(t, "2026-03-09 17:30")) {
		t.Fatalf("deadline %v", before.Deadline.In(shanghai))
	}

	cal := cnCalendar(t, park)
	y, _ := cal.Year(2026)
	y.Off = append(y.Off, workday.MakeDate(2026, 3, 5))
	changed, err := cal.WithYear(y)
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Set(at(t, "2026-03-04 11:00"))
	if err := db.InTx(context.Background(), e.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		return e.engine.RecomputePark(context.Background(), tx, park, changed)
	}); err != nil {
		t.Fatal(err)
	}
	after := e.clockOf("t-1", sla.KindResolution)
	if !after.Deadline.Equal(at(t, "2026-03-10 17:30")) || !after.NextFireAt.Equal(after.WarnAt) || after.WarnAt.Equal(before.WarnAt) {
		t.Fatalf("after the change: deadline %v warn %v next %v", after.Deadline.In(shanghai), after.WarnAt, after.NextFireAt)
	}
	evs := e.outbox(after.ID)
	last := evs[len(evs)-1].ev
	dc, ok := last.Payload.(*slapb.DeadlineChanged)
	if len(evs) != 2 || last.Type != event.ClockDeadlineChanged || !ok || dc.GetCause() != sla.CauseCalendar ||
		!dc.GetPreviousDeadline().AsTime().Equal(before.Deadline) || !dc.GetClock().GetDeadline().AsTime().Equal(after.Deadline) {
		t.Fatalf("outbox of the clock: %v", evs)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE event_type = $1`, event.ClockDeadlineChanged); n != 1 {
		t.Fatalf("%d deadline_changed events, want 1 (the stopped clock and the other park's are untouched)", n)
	}
}

// Approval's events name no liaison officer; the ladder's first rung still
// tells the firm's officer (as liaison assigned it) along with the handler.
func TestClocksEscalateToTheFirmsOfficer(t *testing.T) {
	e := newEnv(t, at(t, "2026-09-18 09:00"))
	v := versions{}
	acc := accepted(t, v, "wf-1", "t-1", at(t, "2026-09-18 10:00"), 3)
	acc.Payload.(*approvalpb.WorkflowAccepted).OfficerId = ""
	e.mustApply(
		v.ev(t, event.OfficerAssigned, "assignment", "firm-1", at(t, "2026-09-18 08:00"),
			&liaisonpb.OfficerAssigned{EnterpriseId: "firm-1", OfficerId: "o-7", BackupOfficerId: "o-9"}),
		submitted(t, v, "t-1", at(t, "2026-09-18 09:30"), intakepb.Channel_CHANNEL_ONLINE),
		acc,
	)
	for _, k := range []sla.Kind{sla.KindAcceptance, sla.KindResolution} {
		c := e.clockOf("t-1", k)
		if c.OfficerID != "o-7" {
			t.Fatalf("%s clock officer %q, want the firm's o-7", k, c.OfficerID)
		}
		got := sla.Recipients(c, 1)
		if k == sla.KindResolution && (len(got) != 2 || got[0].String() != "handler:h-1" || got[1].String() != "liaison:o-7") {
			t.Fatalf("level 1 of the resolution clock notifies %v, want the handler and the liaison", got)
		}
	}
	// An officer the event names wins.
	named := accepted(t, v, "wf-2", "t-1", at(t, "2026-09-18 10:00"), 3)
	e.mustApply(named)
	for _, c := range e.clocksOf("t-1", sla.KindResolution) {
		if c.WorkflowID == "wf-2" && c.OfficerID != "o-1" {
			t.Fatalf("resolution clock of wf-2: officer %q, want the named o-1", c.OfficerID)
		}
	}
}
