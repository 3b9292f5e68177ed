package liaison_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/liaison"
)

// slaTimer times liaison's dispatches as the sla service does
// (services/sla/consume_liaison.go): a liaison_response clock per
// liaison.request.dispatched, keyed by its request_id, due after its
// response_working_hours of office time on the park's calendar, stopped by
// liaison.request.acknowledged of that request_id. When the controllable
// clock reaches a deadline it publishes sla.clock.breached, as sla's
// scheduler does.
type slaTimer struct {
	t   testing.TB
	nt  *testenv.NATS
	clk *clock.Manual
	cal *workday.Calendar

	mu        sync.Mutex
	stops     map[string]func() bool
	deadlines map[string]time.Time
	dispatch  []*liaisonpb.RequestDispatched
	acked     int
	breaches  int
}

func startSLATimer(t testing.TB, nt *testenv.NATS, clk *clock.Manual) *slaTimer {
	t.Helper()
	y, err := workday.LoadYearFile("../../seeds/calendars/cn-2026.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := workday.New(park, shanghai, nil, y)
	if err != nil {
		t.Fatal(err)
	}
	s := &slaTimer{t: t, nt: nt, clk: clk, cal: cal, stops: map[string]func() bool{}, deadlines: map[string]time.Time{}}
	cons, err := nt.JS.OrderedConsumer(context.Background(), event.StreamLiaison, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"liaison.request.>"}})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		ev, err := event.Unmarshal(msg.Data())
		if err != nil {
			t.Error(err)
			return
		}
		s.apply(ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
	return s
}

func (s *slaTimer) apply(ev event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch p := ev.Payload.(type) {
	case *liaisonpb.RequestDispatched:
		deadline, err := s.cal.AddWorkingTime(p.GetDispatchedAt().AsTime(), time.Duration(p.GetResponseWorkingHours())*time.Hour)
		if err != nil {
			s.t.Error(err)
			return
		}
		id := p.GetRequestId()
		s.dispatch = append(s.dispatch, p)
		s.deadlines[id] = deadline
		s.stops[id] = s.clk.AfterFunc(deadline.Sub(s.clk.Now()), func() { s.breach(ev.Park, id, p.GetOfficerId(), deadline) })
	case *liaisonpb.RequestAcknowledged:
		if stop, ok := s.stops[p.GetRequestId()]; ok {
			stop()
			s.acked++
		}
	}
}

func (s *slaTimer) breach(p, id, officer string, deadline time.Time) {
	s.mu.Lock()
	s.breaches++
	s.mu.Unlock()
	ev, err := event.New(event.ClockBreached, p, event.Aggregate{Type: "clock", ID: "clock-" + id, Version: 2}, deadline,
		&slapb.ClockEvent{Clock: &slapb.Clock{ClockId: "clock-" + id, Kind: "liaison_response", SubjectId: id,
			OfficerId: officer, State: slapb.ClockState_CLOCK_STATE_RED, Deadline: timestamppb.New(deadline)}, Reason: "breached"})
	if err != nil {
		s.t.Error(err)
		return
	}
	b, _ := event.Marshal(ev)
	if _, err := s.nt.JS.Publish(context.Background(), ev.Subject, b, jetstream.WithMsgID(ev.ID)); err != nil {
		s.t.Error(err)
	}
}

func (s *slaTimer) dispatches() []*liaisonpb.RequestDispatched {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*liaisonpb.RequestDispatched(nil), s.dispatch...)
}

func (s *slaTimer) deadline(id string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deadlines[id]
}

func (s *slaTimer) ackCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

func (s *slaTimer) breachCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.breaches
}

// TestUnacknowledgedDemandEscalatesBackupThenManager runs the whole loop
// through JetStream with the controllable clock: intake's registration and
// demand in, liaison's dispatches out through the outbox, the response
// clocks timed in working hours, breaches back in, escalation to the backup
// and then to the manager at exactly the deadlines; the manager's signature
// stops every clock.
func TestUnacknowledgedDemandEscalatesBackupThenManager(t *testing.T) {
	d := testenv.NewDatabase(t, tpl)
	nt := jetStream(t)
	e := newEnvOn(t, d.DB, at(t, "2026-03-02 16:00")) // a Monday
	e.seedManager(mgr, park)
	primary := e.officer(park, 1, 10, "C39")
	backup := e.officer(park, 2, 10, "C39")
	for _, id := range []string{primary, backup} {
		m := mgr
		if _, err := e.svc.UpdateOfficer(as(managerOf(park)), id, liaison.OfficerPatch{ManagerID: &m}); err != nil {
			t.Fatal(err)
		}
	}
	sla := startSLATimer(t, nt, e.clk)
	runConsumers(t, e, nt, 1)
	runRelay(t, e, nt)

	reg := registered(t, park, firmID(1), "C3911", true, e.clk.Now())
	publish(t, nt.JS, reg, reg.ID)
	dem := demand(t, "t-1", firmID(1), e.clk.Now())
	publish(t, nt.JS, dem, dem.ID)

	steps := []struct {
		deadline   string // the response clock of the previous dispatch
		wantTo     string
		wantLevel  int32
		wantReason string
	}{
		{"", primary, liaison.LevelOfficer, "routed"},
		// Monday 16:00 + 4 working hours: 1.5 h on Monday, 2.5 h on Tuesday.
		{"2026-03-03 11:30", backup, liaison.LevelBackup, "escalated: not signed for within 4 working hours"},
		// Tuesday 11:30 + 4 h: half an hour before lunch, 3.5 h after.
		{"2026-03-03 17:00", mgr, liaison.LevelManager, "escalated: not signed for within 4 working hours"},
	}
	for i, s := range steps {
		if s.deadline != "" {
			due := at(t, s.deadline)
			prev := sla.dispatches()[i-1]
			if got := sla.deadline(prev.GetRequestId()); !got.Equal(due) {
				t.Fatalf("step %d: deadline %v, want %v", i, got, due)
			}
			e.clk.Set(due.Add(-time.Minute))
			if n := sla.breachCount(); n != i-1 {
				t.Fatalf("step %d: %d breaches a minute before the deadline", i, n)
			}
			e.clk.Set(due)
		}
		waitFor(t, "dispatch to "+s.wantTo, func() bool { return len(sla.dispatches()) > i })
		p := sla.dispatches()[i]
		if p.GetOfficerId() != s.wantTo || p.GetEscalationLevel() != s.wantLevel || p.GetReason() != s.wantReason ||
			!p.GetDispatchedAt().AsTime().Equal(e.clk.Now()) || p.GetTicketId() != "t-1" {
			t.Fatalf("step %d: dispatch %+v at %v", i, p, e.clk.Now())
		}
		if i > 0 && (p.GetRequestId() == sla.dispatches()[0].GetRequestId() || p.GetOriginRequestId() != sla.dispatches()[0].GetRequestId()) {
			t.Fatalf("step %d: an escalation must be timed under its own id: %+v", i, p)
		}
	}
	r := e.requestOf("t-1")
	if r.Level != liaison.LevelManager || r.HolderID != mgr || r.OverdueAt.IsZero() || len(r.Dispatches) != 3 {
		t.Fatalf("request %+v", r)
	}
	if q, err := e.svc.Queue(as(managerOf(park))); err != nil || len(q) != 1 || q[0].ID != r.ID {
		t.Fatalf("manager's queue %v, %v", q, err)
	}
	// The manager signs: every clock stops and no breach follows.
	if _, err := e.svc.Acknowledge(as(managerOf(park)), r.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the three clocks stopped", func() bool { return sla.ackCount() == 3 })
	e.clk.Advance(72 * time.Hour)
	if n := sla.breachCount(); n != 2 {
		t.Fatalf("%d breaches after the signature", n)
	}
}
