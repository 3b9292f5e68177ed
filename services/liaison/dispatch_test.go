package liaison_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/services/liaison"
)

// team is a park with a firm, its officer, backup and the officers' manager.
type team struct {
	*env
	primary, backup, other string
}

func newTeam(t *testing.T) *team {
	t.Helper()
	e := newEnv(t)
	e.seedManager(mgr, park)
	tm := &team{env: e}
	tm.primary = e.officer(park, 1, 10, "C39")
	tm.backup = e.officer(park, 2, 10, "C39")
	tm.other = e.officer(park, 3, 10, "C27")
	for _, id := range []string{tm.primary, tm.backup, tm.other} {
		m := mgr
		if _, err := e.svc.UpdateOfficer(as(managerOf(park)), id, liaison.OfficerPatch{ManagerID: &m}); err != nil {
			t.Fatal(err)
		}
	}
	e.mustApply(registered(t, park, firmID(1), "C3911", true, e.clk.Now()))
	if f := e.firm(firmID(1)); f.OfficerID != tm.primary || f.BackupOfficerID != tm.backup {
		t.Fatalf("team firm %+v", f)
	}
	return tm
}

func dispatched(t testing.TB, ev event.Event) *liaisonpb.RequestDispatched {
	t.Helper()
	p, ok := ev.Payload.(*liaisonpb.RequestDispatched)
	if !ok {
		t.Fatalf("%s is not a dispatch", ev.Type)
	}
	return p
}

func TestTicketsAreRoutedToTheFirmsOfficer(t *testing.T) {
	tm := newTeam(t)
	// A firm nobody can take: its demands go to the manager.
	if _, err := tm.db.Exec(`INSERT INTO firms (enterprise_id, park, registered_at, flagged_at, flag_reason)
		VALUES ($1, $2, now(), now(), 'test')`, firmID(2), park); err != nil {
		t.Fatal(err)
	}
	tm.mustApply(versions{}.ev(t, event.TicketWithdrawn, park, "ticket", "t-gone", tm.clk.Now(),
		&intakepb.TicketWithdrawn{TicketId: "t-gone"}))
	D, M, B := intakepb.TicketKind_TICKET_KIND_DEMAND, intakepb.TicketKind_TICKET_KIND_MATTER, intakepb.TicketKind_TICKET_KIND_BUNDLE
	online, proxy, window := intakepb.Channel_CHANNEL_ONLINE, intakepb.Channel_CHANNEL_PROXY, intakepb.Channel_CHANNEL_WINDOW
	tests := []struct {
		ticket, firm string
		kind         intakepb.TicketKind
		channel      intakepb.Channel
		wantKind     string // "" = no request
		wantHolder   string
		wantLevel    int
	}{
		{"t-demand", firmID(1), D, online, "demand", tm.primary, liaison.LevelOfficer},
		{"t-proxy", firmID(1), M, proxy, "proxy", tm.primary, liaison.LevelOfficer},
		{"t-proxy-bundle", firmID(1), B, proxy, "proxy", tm.primary, liaison.LevelOfficer},
		{"t-matter", firmID(1), M, online, "", "", 0},
		{"t-window", firmID(1), B, window, "", "", 0},
		{"t-flagged", firmID(2), D, online, "demand", mgr, liaison.LevelManager},
		{"t-gone", firmID(1), D, online, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.ticket, func(t *testing.T) {
			ev := submitted(t, tt.ticket, tt.firm, tt.kind, tt.channel, tm.clk.Now())
			tm.mustApply(ev, ev) // a redelivery changes nothing
			n := tm.count(`SELECT count(*) FROM requests WHERE ticket_id = $1`, tt.ticket)
			if tt.wantKind == "" {
				if n != 0 {
					t.Fatalf("%d requests for a ticket not for the liaison", n)
				}
				return
			}
			r := tm.requestOf(tt.ticket)
			if n != 1 || r.Kind != tt.wantKind || r.Description == "" || r.State != liaison.RequestPending || r.HolderID != tt.wantHolder || r.Level != tt.wantLevel {
				t.Fatalf("request %+v (%d)", r, n)
			}
			evs := tm.outboxed(r.ID)
			if len(evs) != 1 {
				t.Fatalf("events %v", tm.outboxTypes(r.ID))
			}
			p := dispatched(t, evs[0])
			if p.GetRequestId() != r.ID || p.GetOriginRequestId() != r.ID || p.GetOfficerId() != tt.wantHolder ||
				p.GetTicketId() != tt.ticket || p.GetEnterpriseId() != tt.firm || p.GetResponseWorkingHours() != 4 ||
				int(p.GetEscalationLevel()) != tt.wantLevel || p.GetKind() != tt.wantKind || !p.GetDispatchedAt().AsTime().Equal(tm.clk.Now()) {
				t.Fatalf("dispatch %+v", p)
			}
		})
	}
}

// TestEscalationLadder applies sla's breaches: officer → backup → manager,
// each step a dispatch of its own for sla to time; breaches that no longer
// matter change nothing.
func TestEscalationLadder(t *testing.T) {
	tm := newTeam(t)
	tm.mustApply(demand(t, "t-1", firmID(1), tm.clk.Now()))
	r := tm.requestOf("t-1")
	first := r.ID

	steps := []struct {
		name       string
		breachOf   func() string
		wantLevel  int
		wantHolder string
		newStep    bool
	}{
		{"officer's clock breaches: the backup", func() string { return first }, liaison.LevelBackup, tm.backup, true},
		{"the same breach again", func() string { return first }, liaison.LevelBackup, tm.backup, false},
		{"backup's clock breaches: the manager", func() string { return tm.requestOf("t-1").Dispatches[1].ID }, liaison.LevelManager, mgr, true},
		{"manager's clock breaches: the top", func() string { return tm.requestOf("t-1").Dispatches[2].ID }, liaison.LevelManager, mgr, false},
		{"an unknown dispatch", func() string { return "no-such-dispatch" }, liaison.LevelManager, mgr, false},
	}
	dispatches := 1
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			tm.clk.Advance(time.Hour)
			id := s.breachOf()
			tm.mustApply(breach(t, id, "", tm.clk.Now()))
			r := tm.requestOf("t-1")
			if s.newStep {
				dispatches++
			}
			if r.Level != s.wantLevel || r.HolderID != s.wantHolder || len(r.Dispatches) != dispatches || r.OverdueAt.IsZero() {
				t.Fatalf("request level %d holder %s dispatches %d overdue %v", r.Level, r.HolderID, len(r.Dispatches), r.OverdueAt)
			}
			if !s.newStep {
				return
			}
			evs := tm.ofType(event.RequestDispatched)
			p := dispatched(t, evs[len(evs)-1])
			last := r.Dispatches[len(r.Dispatches)-1]
			if p.GetRequestId() != last.ID || p.GetRequestId() == first || p.GetOriginRequestId() != first ||
				int(p.GetEscalationLevel()) != s.wantLevel || p.GetOfficerId() != s.wantHolder ||
				!p.GetDispatchedAt().AsTime().Equal(tm.clk.Now()) || p.GetReason() == "" {
				t.Fatalf("escalation dispatch %+v", p)
			}
		})
	}
	// The manager signs: the three clocks stop, one event each.
	got, err := tm.svc.Acknowledge(as(managerOf(park)), first)
	if err != nil || got.State != liaison.RequestAcknowledged {
		t.Fatalf("ack: %+v, %v", got, err)
	}
	var acked []string
	for _, ev := range tm.ofType(event.RequestAcknowledged) {
		p := ev.Payload.(*liaisonpb.RequestAcknowledged)
		if p.GetOriginRequestId() != first || p.GetOfficerId() != managerOf(park).Subject {
			t.Fatalf("ack event %+v", p)
		}
		acked = append(acked, p.GetRequestId())
	}
	want := []string{got.Dispatches[0].ID, got.Dispatches[1].ID, got.Dispatches[2].ID}
	if !slices.Equal(acked, want) {
		t.Fatalf("acknowledged %v, want %v", acked, want)
	}
	// A breach that arrives after the signature changes nothing.
	before := len(tm.outboxed(""))
	tm.mustApply(breach(t, got.Dispatches[2].ID, "", tm.clk.Now()))
	if len(tm.outboxed("")) != before {
		t.Fatal("a breach after the signature published something")
	}
	tm.checkVersions()
}

func TestEscalationFollowsTheFirmsCurrentBackup(t *testing.T) {
	leave := func(tm *team, id string) {
		s := liaison.StatusOnLeave
		if _, err := tm.svc.UpdateOfficer(as(managerOf(park)), id, liaison.OfficerPatch{Status: &s}); err != nil {
			tm.t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		setup     func(tm *team)
		wantLevel int
		want      func(tm *team) string
	}{
		{"backup on leave: the backup who replaced them", func(tm *team) { leave(tm, tm.backup) },
			liaison.LevelBackup, func(tm *team) string { return tm.other }},
		{"backup on leave and nobody to replace them: the manager", func(tm *team) {
			zero := 0
			if _, err := tm.svc.UpdateOfficer(as(managerOf(park)), tm.other, liaison.OfficerPatch{Cap: &zero}); err != nil {
				tm.t.Fatal(err)
			}
			leave(tm, tm.backup)
		}, liaison.LevelManager, func(*team) string { return mgr }},
		{"no backup: the manager", func(tm *team) {
			none := ""
			if _, err := tm.svc.Reassign(as(managerOf(park)), firmID(1), liaison.Reassignment{OfficerID: tm.primary, BackupOfficerID: &none}); err != nil {
				tm.t.Fatal(err)
			}
		}, liaison.LevelManager, func(*team) string { return mgr }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := newTeam(t)
			tt.setup(tm)
			tm.mustApply(demand(t, "t-1", firmID(1), tm.clk.Now()))
			r := tm.requestOf("t-1")
			tm.mustApply(breach(t, r.ID, tm.primary, tm.clk.Now()))
			r = tm.requestOf("t-1")
			if r.Level != tt.wantLevel || r.HolderID != tt.want(tm) {
				t.Fatalf("escalated to %s %s level %d", r.HolderRole, r.HolderID, r.Level)
			}
		})
	}
}

func TestReturnChaseAndRedispatch(t *testing.T) {
	tm := newTeam(t)
	tm.mustApply(demand(t, "t-1", firmID(1), tm.clk.Now()))
	id := tm.requestOf("t-1").ID
	mgrCtx, primaryCtx := as(managerOf(park)), as(officerP(tm.primary))

	// Chases are recorded, each counted.
	for i := 1; i <= 2; i++ {
		c, err := tm.svc.Chase(mgrCtx, id, liaison.ChaseInput{Note: "请尽快联系企业"})
		if err != nil || c.Count != i || c.HolderID != tm.primary {
			t.Fatalf("chase %d: %+v, %v", i, c, err)
		}
	}
	if _, err := tm.svc.Chase(primaryCtx, id, liaison.ChaseInput{}); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("an officer chased: %v", err)
	}
	// Sending back needs a reason.
	if _, err := tm.svc.Return(primaryCtx, id, liaison.ReturnInput{}); !isField(err, "reason") {
		t.Fatalf("return without reason: %v", err)
	}
	r, err := tm.svc.Return(primaryCtx, id, liaison.ReturnInput{Reason: "诉求属于供电公司职责"})
	if err != nil || r.State != liaison.RequestReturned || r.HolderRole != liaison.RoleManager || r.HolderID != mgr {
		t.Fatalf("returned %+v, %v", r, err)
	}
	ret := tm.ofType(event.RequestReturned)
	if len(ret) != 1 || !slices.Equal(ret[0].Payload.(*liaisonpb.RequestReturned).GetOpenDispatchIds(), []string{id}) {
		t.Fatalf("returned events %v", ret)
	}
	if _, err := tm.svc.Chase(mgrCtx, id, liaison.ChaseInput{}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("chased a returned request: %v", err)
	}
	if _, err := tm.svc.Acknowledge(primaryCtx, id); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("signed for a returned request: %v", err)
	}
	// The manager dispatches it again: a new clock for the new officer.
	inactive := tm.officer(park, 9, 5)
	s := liaison.StatusLeft
	if _, err := tm.svc.UpdateOfficer(mgrCtx, inactive, liaison.OfficerPatch{Status: &s}); err != nil {
		t.Fatal(err)
	}
	if _, err := tm.svc.Redispatch(mgrCtx, id, liaison.RedispatchInput{OfficerID: inactive}); !isField(err, "officer_id") {
		t.Fatalf("redispatch to an officer who left: %v", err)
	}
	r, err = tm.svc.Redispatch(mgrCtx, id, liaison.RedispatchInput{OfficerID: tm.other, Reason: "转医药专员"})
	if err != nil || r.State != liaison.RequestPending || r.HolderID != tm.other || len(r.Dispatches) != 2 {
		t.Fatalf("redispatched %+v, %v", r, err)
	}
	p := dispatched(t, tm.ofType(event.RequestDispatched)[1])
	if p.GetRequestId() == id || p.GetOriginRequestId() != id || p.GetOfficerId() != tm.other || p.GetPreviousOfficerId() != mgr {
		t.Fatalf("redispatch event %+v", p)
	}
	// The officer it went to may act on it though the firm is not theirs.
	if r, err = tm.svc.Acknowledge(as(officerP(tm.other)), id); err != nil || r.AcknowledgedBy != tm.other {
		t.Fatalf("ack by the new holder: %+v, %v", r, err)
	}
	// Signing again is answered the same; by someone else it conflicts.
	if _, err := tm.svc.Acknowledge(as(officerP(tm.other)), id); err != nil {
		t.Fatalf("second ack: %v", err)
	}
	if _, err := tm.svc.Acknowledge(primaryCtx, id); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("ack of a signed request by another: %v", err)
	}
	if n := len(tm.ofType(event.RequestAcknowledged)); n != 1 {
		t.Fatalf("%d acknowledgements published", n)
	}
	tm.checkVersions()
}

func TestTicketEndingClosesTheRequest(t *testing.T) {
	tests := []struct {
		name string
		ev   func(t *testing.T, when time.Time) event.Event
	}{
		{"withdrawn", func(t *testing.T, when time.Time) event.Event {
			return versions{}.ev(t, event.TicketWithdrawn, park, "ticket", "t-1", when, &intakepb.TicketWithdrawn{TicketId: "t-1", Reason: "企业撤回"})
		}},
		{"closed", func(t *testing.T, when time.Time) event.Event {
			return versions{}.ev(t, event.TicketClosed, park, "ticket", "t-1", when, &intakepb.TicketClosed{TicketId: "t-1", Outcome: "resolved"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := newTeam(t)
			tm.mustApply(demand(t, "t-1", firmID(1), tm.clk.Now()))
			id := tm.requestOf("t-1").ID
			tm.mustApply(tt.ev(t, tm.clk.Now()), tt.ev(t, tm.clk.Now()))
			r := tm.requestOf("t-1")
			if r.State != liaison.RequestClosed || r.ClosedAt.IsZero() {
				t.Fatalf("request %+v", r)
			}
			closed := tm.ofType(event.RequestClosed)
			if len(closed) != 1 || !slices.Equal(closed[0].Payload.(*liaisonpb.RequestClosed).GetOpenDispatchIds(), []string{id}) {
				t.Fatalf("closed events %d", len(closed))
			}
			if _, err := tm.svc.Acknowledge(as(officerP(tm.primary)), id); !errors.Is(err, fault.ErrConflict) {
				t.Fatalf("ack of a closed request: %v", err)
			}
		})
	}
}

// isField reports whether err is a validation error naming field.
func isField(err error, field string) bool {
	var v *fault.ValidationError
	if !errors.As(err, &v) {
		return false
	}
	return slices.ContainsFunc(v.Fields, func(f fault.FieldError) bool { return f.Field == field })
}
