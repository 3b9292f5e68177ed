package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/deploy/check"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// drain waits until every outbox has no unsent row, every declared consumer
// of a running service has nothing pending or unacknowledged, and sla has no
// clock overdue for firing — three polls in a row.
func drain(t *testing.T, ctx context.Context, js jetstream.JetStream, pg *postgres, services []string, d check.Declared, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	quiet := 0
	var pending []string
	for quiet < 3 {
		pending = pending[:0]
		for _, s := range services {
			if _, data := pg.passwords[s]; !data {
				continue
			}
			var n int
			if err := pg.admin.GetContext(ctx, &n, `SELECT count(*) FROM `+s+`.outbox WHERE sent_at IS NULL`); err != nil {
				pending = append(pending, fmt.Sprintf("%s outbox: %v", s, err))
			} else if n > 0 {
				pending = append(pending, fmt.Sprintf("%s outbox: %d unsent", s, n))
			}
		}
		for _, c := range d.Consumers {
			if !slices.Contains(services, c.Service) {
				continue
			}
			cons, err := js.Consumer(ctx, c.Stream, c.Durable)
			if err != nil {
				pending = append(pending, fmt.Sprintf("consumer %s: %v", c.Durable, err))
				continue
			}
			info, err := cons.Info(ctx)
			if err != nil {
				pending = append(pending, fmt.Sprintf("consumer %s: %v", c.Durable, err))
			} else if info.NumPending > 0 || info.NumAckPending > 0 || info.NumRedelivered > 0 {
				pending = append(pending, fmt.Sprintf("consumer %s: %d pending, %d unacknowledged, %d redelivered",
					c.Durable, info.NumPending, info.NumAckPending, info.NumRedelivered))
			}
		}
		var due int
		if err := pg.admin.GetContext(ctx, &due, `SELECT count(*) FROM sla.clocks WHERE next_fire_at <= now()`); err != nil {
			pending = append(pending, fmt.Sprintf("sla clocks: %v", err))
		} else if due > 0 {
			pending = append(pending, fmt.Sprintf("sla: %d clocks overdue for firing", due))
		}
		if len(pending) == 0 {
			quiet++
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			t.Errorf("not drained within %s (outboxes must drain, consumers catch up):\n  %s", timeout, strings.Join(pending, "\n  "))
			return
		}
		time.Sleep(time.Second)
	}
}

// verify checks the invariants and returns how many facts were lost and how
// many doubled.
func verify(t *testing.T, ctx context.Context, js jetstream.JetStream, pg *postgres, l *load, nc *NATSCluster, f *fleet) (lost, dup int) {
	t.Helper()
	errorf, flush := limited(t, 25)
	defer flush()
	l.mu.Lock()
	defer l.mu.Unlock()

	// Nothing dead-lettered.
	dl, err := js.Stream(ctx, event.StreamDeadLetter)
	if err != nil {
		errorf("dead-letter stream: %v", err)
	} else if n := dl.CachedInfo().State.Msgs; n > 0 {
		var sample []string
		_ = scan(ctx, js, event.StreamDeadLetter, func(m jetstream.Msg) {
			if len(sample) < 5 {
				sample = append(sample, fmt.Sprintf("%s: %s", m.Subject(), m.Headers().Get(event.HeaderError)))
			}
		})
		errorf("%d events dead-lettered, e.g.:\n  %s", n, strings.Join(sample, "\n  "))
	}

	// The SLA stream: every started, warned, breached, stopped and cancelled
	// at most once per clock.
	once := []string{event.ClockStarted, event.ClockWarned, event.ClockBreached, event.ClockStopped, event.ClockCancelled}
	counts := map[string]map[string]int{} // type -> clock id -> n
	for _, typ := range once {
		counts[typ] = map[string]int{}
	}
	slaRead := true
	if err := scan(ctx, js, event.StreamSLA, func(m jetstream.Msg) {
		ev, err := event.Unmarshal(m.Data())
		if err != nil {
			errorf("SLA stream message %s: %v", m.Subject(), err)
			return
		}
		if c, ok := counts[ev.Type]; ok {
			if p, ok := ev.Payload.(*slapb.ClockEvent); ok {
				c[p.GetClock().GetClockId()]++
			}
		}
	}); err != nil {
		errorf("read the SLA stream: %v; its invariants are not checked", err)
		slaRead = false
	}
	for _, typ := range once {
		for id, n := range counts[typ] {
			if n > 1 {
				dup += n - 1
				errorf("clock %s: %s %d times in the SLA stream", id, typ, n)
			}
		}
	}

	// Every acknowledged workflow start: exactly one resolution clock, whose
	// start is in the stream once; a warning or breach recorded in sla's
	// table is in the stream exactly once, and a clock accepted 10+ days ago
	// is breached.
	ids := make([]string, 0, len(l.starts))
	back := map[string]int{}
	for _, s := range l.starts {
		ids = append(ids, s.workflow)
		back[s.workflow] = s.back
	}
	var clocks []struct {
		ID       string `db:"id"`
		Workflow string `db:"workflow_id"`
		Warned   bool   `db:"warned"`
		Breached bool   `db:"breached"`
	}
	if err := pg.admin.SelectContext(ctx, &clocks, `SELECT id, workflow_id, warned_at IS NOT NULL AS warned, breached_at IS NOT NULL AS breached
		FROM sla.clocks WHERE kind = 'resolution' AND workflow_id = ANY($1)`, pq.Array(ids)); err != nil {
		t.Fatalf("read sla clocks: %v", err)
	}
	perWorkflow := map[string]int{}
	warned, breached := 0, 0
	for _, c := range clocks {
		perWorkflow[c.Workflow]++
		if slaRead {
			if n := counts[event.ClockStarted][c.ID]; n != 1 {
				errorf("clock %s of workflow %s: started %d times in the SLA stream, want 1", c.ID, c.Workflow, n)
				if n == 0 {
					lost++
				}
			}
			for _, k := range []struct {
				typ string
				set bool
			}{{event.ClockWarned, c.Warned}, {event.ClockBreached, c.Breached}} {
				if k.set && counts[k.typ][c.ID] == 0 {
					lost++
					errorf("clock %s: recorded as %s but not in the SLA stream", c.ID, k.typ)
				}
			}
		}
		if c.Warned {
			warned++
		}
		if c.Breached {
			breached++
		} else if back[c.Workflow] >= 10 {
			lost++
			errorf("clock %s of workflow %s accepted %d days ago is not breached", c.ID, c.Workflow, back[c.Workflow])
		}
	}
	for _, s := range l.starts {
		switch n := perWorkflow[s.workflow]; {
		case n == 0:
			lost++
			if lost <= 10 {
				errorf("workflow %s: acknowledged start, no clock", s.workflow)
			}
		case n > 1:
			dup += n - 1
			errorf("workflow %s: %d clocks", s.workflow, n)
		}
	}
	t.Logf("%d workflow starts: %d clocks, %d warned, %d breached", len(l.starts), len(clocks), warned, breached)

	// Tickets through the gateway: each answered 2xx exists once, under one
	// number, announced once, with one acceptance clock.
	if l.subErrors != nil {
		verifyTickets(t, ctx, js, pg, l, &lost, &dup)
	}

	// No permission refused by NATS, no panic, no process that died unasked.
	for _, n := range nc.Nodes {
		if c, first := grepCount(n.Log, "Violation"); c > 0 {
			errorf("%s: %d permission violations, first: %s", n.Name, c, first)
		}
		if c := n.Crashes.Load(); c > 0 {
			errorf("%s exited %d times unasked", n.Name, c)
		}
	}
	for _, name := range f.names {
		for _, r := range f.services[name].Replicas {
			if c, first := grepCount(r.Log, "panic:", "DATA RACE", "Permissions Violation"); c > 0 {
				errorf("%s: %d lines of panics, races or permission violations, first: %s", r.Name, c, first)
			}
			if c := r.Crashes.Load(); c > 0 {
				errorf("%s exited %d times unasked:\n%s", r.Name, c, r.Tail(30))
			}
		}
	}
	return lost, dup
}

func verifyTickets(t *testing.T, ctx context.Context, js jetstream.JetStream, pg *postgres, l *load, lost, dup *int) {
	t.Helper()
	errorf, flush := limited(t, 25)
	defer flush()
	var refusals []string
	for k, n := range l.subErrors {
		if strings.HasPrefix(k, "4") {
			refusals = append(refusals, fmt.Sprintf("%dx %s", n, k))
		}
	}
	sort.Strings(refusals)
	if len(refusals) > 0 {
		errorf("ticket submissions refused:\n  %s", strings.Join(refusals, "\n  "))
	}
	if len(l.submissions) == 0 {
		errorf("no ticket was accepted through the gateway (errors: %v)", l.subErrors)
		return
	}
	keys := make([]string, 0, len(l.submissions))
	for _, s := range l.submissions {
		keys = append(keys, s.key)
	}
	var rows []struct {
		ID  string `db:"id"`
		Key string `db:"idempotency_key"`
	}
	if err := pg.admin.SelectContext(ctx, &rows, `SELECT id, idempotency_key FROM intake.tickets WHERE idempotency_key = ANY($1)`, pq.Array(keys)); err != nil {
		errorf("read intake tickets: %v", err)
		return
	}
	perKey := map[string][]string{}
	for _, r := range rows {
		perKey[r.Key] = append(perKey[r.Key], r.ID)
	}
	var numbers []struct {
		Park   string `db:"park"`
		Number string `db:"number"`
		N      int    `db:"n"`
	}
	if err := pg.admin.SelectContext(ctx, &numbers, `SELECT park, number, count(*) AS n FROM intake.tickets GROUP BY park, number HAVING count(*) > 1`); err != nil {
		errorf("read ticket numbers: %v", err)
	}
	for _, n := range numbers {
		*dup += n.N - 1
		errorf("ticket number %s of %s issued %d times", n.Number, n.Park, n.N)
	}
	submitted := map[string]int{}
	if err := scan(ctx, js, event.StreamIntake, func(m jetstream.Msg) {
		ev, err := event.Unmarshal(m.Data())
		if err == nil && ev.Type == event.TicketSubmitted {
			if p, ok := ev.Payload.(*intakepb.TicketSubmitted); ok {
				submitted[p.GetTicketId()]++
			}
		}
	}); err != nil {
		errorf("read the INTAKE stream: %v", err)
	}
	ids := make([]string, 0, len(l.submissions))
	for _, s := range l.submissions {
		ids = append(ids, s.ticket)
	}
	acceptance, officers := map[string]int{}, map[string]int{}
	var accRows []struct {
		Ticket   string `db:"ticket_id"`
		N        int    `db:"n"`
		Officers int    `db:"officers"`
	}
	if err := pg.admin.SelectContext(ctx, &accRows, `SELECT ticket_id, count(*) AS n,
			count(DISTINCT officer_id) FILTER (WHERE officer_id <> '') AS officers FROM sla.clocks
		WHERE kind = 'acceptance' AND ticket_id = ANY($1) GROUP BY ticket_id`, pq.Array(ids)); err != nil {
		errorf("read acceptance clocks: %v", err)
	}
	for _, r := range accRows {
		acceptance[r.Ticket], officers[r.Ticket] = r.N, r.Officers
	}
	for _, s := range l.submissions {
		got := perKey[s.key]
		switch {
		case len(got) == 0:
			*lost++
			errorf("ticket %s (key %s): answered 2xx, not in intake", s.ticket, s.key)
			continue
		case len(got) > 1:
			*dup += len(got) - 1
			errorf("key %s: %d tickets %v", s.key, len(got), got)
		case got[0] != s.ticket:
			errorf("key %s: answered ticket %s, stored %s", s.key, s.ticket, got[0])
		}
		if n := submitted[s.ticket]; n != 1 {
			if n == 0 {
				*lost++
			} else {
				*dup += n - 1
			}
			errorf("ticket %s: intake.ticket.submitted %d times in the INTAKE stream, want 1", s.ticket, n)
		}
		if n := acceptance[s.ticket]; n != 1 {
			if n == 0 {
				*lost++
			} else {
				*dup += n - 1
			}
			errorf("ticket %s: %d acceptance clocks, want 1", s.ticket, n)
		} else if officers[s.ticket] != 1 {
			*lost++
			errorf("ticket %s: its acceptance clock names %d assigned officers, want 1 (the firm's liaison)", s.ticket, officers[s.ticket])
		}
	}
	t.Logf("%d tickets through the gateway: each stored once, announced once, one acceptance clock with one assigned officer", len(l.submissions))
}

// scan calls fn for every message in stream, oldest first. A read that
// fails part way (a node just back, a leader moving) is started over, for up
// to a minute; fn sees each message of the successful read once.
func scan(ctx context.Context, js jetstream.JetStream, stream string, fn func(jetstream.Msg)) error {
	var err error
	for range 30 {
		var msgs []jetstream.Msg
		if err = scanOnce(ctx, js, stream, func(m jetstream.Msg) { msgs = append(msgs, m) }); err == nil {
			for _, m := range msgs {
				fn(m)
			}
			return nil
		}
		time.Sleep(2 * time.Second)
	}
	return err
}

func scanOnce(ctx context.Context, js jetstream.JetStream, stream string, fn func(jetstream.Msg)) error {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil
	}
	c, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return err
	}
	for {
		batch, err := c.Fetch(1000, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			fn(m)
			md, err := m.Metadata()
			if err == nil && md.Sequence.Stream >= last {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return err
		}
		if n == 0 {
			return fmt.Errorf("stream %s: stopped before sequence %d", stream, last)
		}
	}
}

// limited returns an Errorf that reports the first n errors and a flush
// that reports how many more there were.
func limited(t *testing.T, n int) (func(format string, args ...any), func()) {
	count := 0
	return func(format string, args ...any) {
			t.Helper()
			count++
			if count <= n {
				t.Errorf(format, args...)
			}
		}, func() {
			t.Helper()
			if count > n {
				t.Errorf("... and %d more errors like these", count-n)
			}
		}
}
