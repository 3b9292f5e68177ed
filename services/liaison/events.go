package liaison

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// What liaison publishes (pkg/event/types_liaison.go, payloads in
// proto/parkdesk/liaison/v1), each aggregate's events numbered without gaps:
//
//   - aggregate "assignment" (enterprise id): liaison.assignment.changed,
//     liaison.assignment.flagged;
//   - aggregate "request": liaison.request.dispatched (one per dispatch:
//     routing, escalation to the backup and the manager, re-dispatch),
//     .acknowledged (one per dispatch still timed), .returned, .chased, .closed;
//   - aggregate "officer": liaison.officer.updated, liaison.officer.handover;
//   - aggregate "visit": liaison.visit.logged, liaison.visit.ticket_requested;
//   - aggregate "promise": liaison.promise.made, .overdue, .closed.
//
// What liaison consumes: intake.enterprise.registered (assignment),
// intake.ticket.submitted (demands and proxy filings are dispatched),
// intake.ticket.closed and .withdrawn (the request closes), and
// sla.clock.breached of liaison_response clocks (escalation) and of
// visit_cadence clocks (a key firm's visit is overdue).

// Consumer names: the durable JetStream consumers and inbox scopes.
const (
	ConsumerIntake = "liaison-intake"
	ConsumerSLA    = "liaison-sla"
)

// Kinds of the sla clocks liaison reacts to.
const (
	clockLiaisonResponse = "liaison_response"
	clockVisitCadence    = "visit_cadence"
)

// ConsumerConfig tunes the consumers.
type ConsumerConfig struct {
	// MaxDeliver bounds the tries of a failing event. Default 20.
	MaxDeliver int
	// Concurrency is how many events each consumer handles at once. Default 4.
	Concurrency int
	// Logger receives handler failures. Default the repository's.
	Logger *slog.Logger
}

// Consumers declares the durable consumers of intake's and sla's events.
// Each takes only the subjects liaison uses, so versions are not checked
// strictly: every handler is idempotent and order-tolerant on its own.
func (r *Repository) Consumers(ctx context.Context, js jetstream.JetStream, cfg ConsumerConfig) ([]*inbox.Consumer, error) {
	if cfg.MaxDeliver <= 0 {
		cfg.MaxDeliver = 20
	}
	if cfg.Logger == nil {
		cfg.Logger = r.cfg.Logger
	}
	specs := []struct {
		name, stream string
		subjects     []string
		h            inbox.Handler
	}{
		{ConsumerIntake, event.StreamIntake, []string{event.EnterpriseRegistered + ".>", event.TicketSubmitted + ".>",
			event.TicketClosed + ".>", event.TicketWithdrawn + ".>"}, r.IntakeHandler()},
		{ConsumerSLA, event.StreamSLA, []string{event.ClockBreached + ".>"}, r.SLAHandler()},
	}
	var out []*inbox.Consumer
	for _, s := range specs {
		c, err := inbox.New(ctx, r.cfg.DB, js, inbox.Config{Name: s.name, Stream: s.stream, Subjects: s.subjects,
			MaxDeliver: cfg.MaxDeliver, Concurrency: cfg.Concurrency, Logger: cfg.Logger}, s.h)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func permanent(ev event.Event, format string, args ...any) error {
	return fmt.Errorf("%s %s: %s: %w", ev.Type, ev.ID, fmt.Sprintf(format, args...), inbox.ErrPermanent)
}

// instant returns a payload's instant, or the event's when it gives none.
func instant(ev event.Event, t *timestamppb.Timestamp) time.Time {
	if t == nil || !t.IsValid() || (t.GetSeconds() == 0 && t.GetNanos() == 0) {
		return ev.OccurredAt.UTC()
	}
	return t.AsTime().UTC()
}

// IntakeHandler applies intake's events: a registered firm is assigned; a
// demand (诉求) or proxy filing (代办) is dispatched to the firm's officer; a
// closed or withdrawn ticket closes its request.
func (r *Repository) IntakeHandler() inbox.Handler {
	return func(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
		o := origin{traceparent: ev.Traceparent, causation: ev.ID}
		switch p := ev.Payload.(type) {
		case *intakepb.EnterpriseRegistered:
			if p.GetEnterpriseId() == "" {
				return permanent(ev, "enterprise id is required")
			}
			return r.within(ctx, tx, o, func(t *txn) error {
				return t.register(ctx, Registration{EnterpriseID: p.GetEnterpriseId(), Park: ev.Park, Name: p.GetName(),
					USCC: p.GetUscc(), IndustryCode: strings.ToUpper(strings.TrimSpace(p.GetIndustryCode())),
					KeyEnterprise: p.GetKeyEnterprise(), RegisteredAt: ev.OccurredAt.UTC()})
			})
		case *intakepb.TicketSubmitted:
			kind := ""
			switch {
			case p.GetKind() == intakepb.TicketKind_TICKET_KIND_DEMAND:
				kind = "demand"
			case p.GetChannel() == intakepb.Channel_CHANNEL_PROXY:
				kind = "proxy"
			default:
				return nil
			}
			if p.GetTicketId() == "" || p.GetEnterpriseId() == "" {
				return permanent(ev, "ticket id and enterprise id are required")
			}
			return r.within(ctx, tx, o, func(t *txn) error {
				return t.submit(ctx, Submission{TicketID: p.GetTicketId(), Number: p.GetNumber(),
					EnterpriseID: p.GetEnterpriseId(), Park: ev.Park, Kind: kind, Title: p.GetTitle(), Description: p.GetDescription(),
					SubmittedAt: instant(ev, p.GetSubmittedAt())})
			})
		case *intakepb.TicketClosed:
			if p.GetTicketId() == "" {
				return permanent(ev, "ticket id is required")
			}
			reason := "ticket closed"
			if p.GetOutcome() != "" {
				reason += ": " + p.GetOutcome()
			}
			return r.within(ctx, tx, o, func(t *txn) error {
				return t.ticketEnded(ctx, p.GetTicketId(), reason, instant(ev, p.GetClosedAt()))
			})
		case *intakepb.TicketWithdrawn:
			if p.GetTicketId() == "" {
				return permanent(ev, "ticket id is required")
			}
			reason := "ticket withdrawn"
			if p.GetReason() != "" {
				reason += ": " + p.GetReason()
			}
			return r.within(ctx, tx, o, func(t *txn) error {
				return t.ticketEnded(ctx, p.GetTicketId(), reason, ev.OccurredAt.UTC())
			})
		}
		return nil
	}
}

// SLAHandler applies sla's breaches: a liaison response clock breached
// escalates its request (backup, then manager); a visit cadence clock
// breached marks the key firm's visit overdue.
func (r *Repository) SLAHandler() inbox.Handler {
	return func(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
		if ev.Type != event.ClockBreached {
			return nil
		}
		p, ok := ev.Payload.(*slapb.ClockEvent)
		if !ok || p.GetClock() == nil {
			return permanent(ev, "clock is required")
		}
		c := p.GetClock()
		at := ev.OccurredAt.UTC()
		if c.GetDeadline().IsValid() && c.GetDeadline().GetSeconds() != 0 {
			at = c.GetDeadline().AsTime().UTC()
		}
		o := origin{traceparent: ev.Traceparent, causation: ev.ID}
		switch c.GetKind() {
		case clockLiaisonResponse:
			if c.GetSubjectId() == "" {
				return permanent(ev, "the clock's subject (the dispatch) is required")
			}
			return r.within(ctx, tx, o, func(t *txn) error { return t.breached(ctx, c.GetSubjectId(), at) })
		case clockVisitCadence:
			started := instant(ev, c.GetStartedAt())
			_, err := tx.ExecContext(ctx, `UPDATE firms SET visit_overdue_at = coalesce(visit_overdue_at, $2)
				WHERE enterprise_id = $1 AND (last_visit_at IS NULL OR last_visit_at <= $3)`, c.GetSubjectId(), at, started)
			if err != nil {
				return fmt.Errorf("visit overdue: %w", err)
			}
		}
		return nil
	}
}
