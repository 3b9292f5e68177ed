package approval_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/approval"
)

// publish sends ev to JetStream as its producer's outbox relay would, under msgID.
func publish(t testing.TB, js jetstream.JetStream, ev event.Event, msgID string) {
	t.Helper()
	b, err := event.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(ev.Subject)
	msg.Data = b
	msg.Header.Set(event.HeaderType, ev.Type)
	msg.Header.Set(event.HeaderPark, ev.Park)
	if _, err := js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(msgID)); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// run starts the engine's consumers and the outbox relay until the test ends.
func run(t testing.TB, e *env, nt *testenv.NATS, dsn string) {
	t.Helper()
	cs, err := e.engine.Consumers(context.Background(), nt.JS)
	if err != nil {
		t.Fatal(err)
	}
	relay, err := outbox.NewRelay(e.db, nt.JS, outbox.RelayConfig{Schema: "approval", ListenDSN: dsn, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, len(cs)+1)
	for _, c := range cs {
		go func() { _ = c.Run(ctx); done <- struct{}{} }()
	}
	go func() { _ = relay.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		for range len(cs) + 1 {
			<-done
		}
	})
}

// TestEndToEndThroughJetStream: intake's submission arrives over JetStream;
// the workflow is accepted, corrected (materials over JetStream), countersigned
// with a deemed approval (sla's breach over JetStream) and approved; every
// transition reaches the APPROVAL stream in version order.
func TestEndToEndThroughJetStream(t *testing.T) {
	d := testenv.NewDatabase(t, tpl)
	nt := testenv.JetStream(t)
	e := newEnvOn(t, d.DB)
	run(t, e, nt, d.URL)

	sub := e.submitted(ticket{id: "t-js", matters: []string{"construction-permit"}, commitment: 3})
	for _, id := range []string{sub.ID, sub.ID + "-again"} {
		publish(t, nt.JS, sub, id)
	}
	var wf string
	waitFor(t, "the workflow to open", func() bool {
		page, err := e.repo.Workflows(context.Background(), approval.WorkflowQuery{TicketID: "t-js", Page: 1, PageSize: 5})
		if err == nil && len(page.Items) == 1 {
			wf = page.Items[0].ID
		}
		return wf != ""
	})
	e.accept(wf)
	e.mustDecide(housing, wf, approval.TaskReview, approval.Decision{Action: approval.ActionRequestCorrection, Items: []string{"施工合同"}})
	ms := e.ev(event.TicketMaterialsSupplied, "ticket", "t-js", &intakepb.TicketMaterialsSupplied{TicketId: "t-js", Materials: []string{"施工合同"}})
	publish(t, nt.JS, ms, ms.ID)
	waitFor(t, "the workflow to resume", func() bool { return e.workflow(wf).State == approval.StateInReview })
	e.mustDecide(housing, wf, approval.TaskReview, approve())
	e.mustDecide(planning, wf, approval.TaskReview, approve())
	e.mustDecide(eco, wf, approval.TaskReview, approve())
	late := e.openTask(wf, approval.TaskReview, "police")
	br := e.ev(event.ClockBreached, "clock", "c-police", &slapb.ClockEvent{Clock: &slapb.Clock{ClockId: "c-police", Kind: "stage",
		SubjectId: late.ID, TicketId: "t-js", Department: "police", State: slapb.ClockState_CLOCK_STATE_RED}})
	publish(t, nt.JS, br, br.ID)
	waitFor(t, "the deemed approval", func() bool { return e.workflow(wf).StageIndex == 2 })
	r := e.mustDecide(housing, wf, approval.TaskReview, approve())
	if r.Workflow.DecisionNumber != "望经开审〔2026〕0001号" {
		t.Fatalf("number %q", r.Workflow.DecisionNumber)
	}
	page, _ := e.repo.Workflows(context.Background(), approval.WorkflowQuery{TicketID: "t-js", Page: 1, PageSize: 5})
	if page.Total != 1 {
		t.Fatalf("%d workflows after a redelivered submission", page.Total)
	}

	cons, err := nt.JS.OrderedConsumer(context.Background(), event.StreamApproval, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"approval.>"}})
	if err != nil {
		t.Fatal(err)
	}
	want := len(e.outboxed(wf))
	var got []event.Event
	for len(got) < want {
		msg, err := cons.Next(jetstream.FetchMaxWait(20 * time.Second))
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(got), want, err)
		}
		ev, err := event.Unmarshal(msg.Data())
		if err != nil {
			t.Fatal(err)
		}
		if msg.Subject() != ev.Type+"."+park {
			t.Fatalf("subject %s for %s", msg.Subject(), ev.Type)
		}
		got = append(got, ev)
	}
	var deemed, decided bool
	for i, ev := range got {
		if ev.AggregateID != wf || ev.AggregateVersion != int64(i+1) {
			t.Fatalf("event %d: %s v%d of %s", i, ev.Type, ev.AggregateVersion, ev.AggregateID)
		}
		switch p := ev.Payload.(type) {
		case *approvalpb.StageCompleted:
			deemed = deemed || (p.GetDeemed() && p.GetStageId() == late.ID)
		case *approvalpb.WorkflowDecided:
			decided = p.GetOutcome() == "approved" && p.GetDecisionNumber() == r.Workflow.DecisionNumber
		case *approvalpb.WorkflowResumed:
			if ev.CausationID != ms.ID {
				t.Fatalf("resumed caused by %s, want %s", ev.CausationID, ms.ID)
			}
		}
	}
	if !deemed || !decided {
		t.Fatalf("deemed %v, decided %v in %v", deemed, decided, types(got))
	}
}
