package sla

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

// EngineConfig configures an Engine.
type EngineConfig struct {
	// DB is the sla schema's pool. Required.
	DB *sqlx.DB
	// Source gives each park's calendar. Required.
	Source calendar.Source
	// Clock tells the time of changes. Default clock.System().
	Clock clock.Clock
	// Logger receives warnings, e.g. a deadline a calendar cannot compute yet.
	// Default slog.Default().
	Logger *slog.Logger
	// Wake tells the scheduler that a clock may now fire at the given
	// instant (Scheduler.Poke). Default: nobody is told; the scheduler's
	// short maximum sleep finds the clock anyway.
	Wake func(time.Time)
	// AcceptanceDays is the acceptance commitment. Default 1.
	AcceptanceDays int
	// AcceptanceLegalDays is the legal limit of acceptance (行政许可法 §32:
	// five days, working days by §82). Default 5.
	AcceptanceLegalDays int
	// RectificationDays is the time to rectify a bad rating. Default 15.
	RectificationDays int
	// ResponseHours is the liaison response budget when the dispatch does not
	// carry one. Default 4.
	ResponseHours int
	// MaxDeliver bounds the tries of a failing event before it is
	// dead-lettered, an event waiting for an earlier one included. Default 20.
	MaxDeliver int
}

// Validate fills defaults and checks the config.
func (c *EngineConfig) Validate() error {
	if c.DB == nil || c.Source == nil {
		return errors.New("sla engine config: DB and Source are required")
	}
	if c.Clock == nil {
		c.Clock = clock.System()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Wake == nil {
		c.Wake = func(time.Time) {}
	}
	for _, d := range []struct {
		v   *int
		def int
	}{{&c.AcceptanceDays, 1}, {&c.AcceptanceLegalDays, 5}, {&c.RectificationDays, 15}, {&c.ResponseHours, 4}, {&c.MaxDeliver, 20}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	return nil
}

// Engine applies the events of intake, approval and liaison to clocks, and
// recomputes a park's clocks when its calendar changes.
type Engine struct {
	cfg EngineConfig
}

// NewEngine returns an Engine.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg}, nil
}

// Consumer names: the durable JetStream consumers and inbox scopes.
const (
	ConsumerIntake   = "sla-intake"
	ConsumerApproval = "sla-approval"
	ConsumerLiaison  = "sla-liaison"
)

// Consumers declares the durable consumers of the intake, approval and
// liaison streams. Each takes every subject of its stream, so that each
// aggregate's versions arrive without gaps and can be applied strictly in
// order; the event types sla has no use for only advance the version.
func (e *Engine) Consumers(ctx context.Context, js jetstream.JetStream) ([]*inbox.Consumer, error) {
	var out []*inbox.Consumer
	for _, s := range []struct{ name, stream string }{
		{ConsumerIntake, event.StreamIntake}, {ConsumerApproval, event.StreamApproval}, {ConsumerLiaison, event.StreamLiaison},
	} {
		c, err := inbox.New(ctx, e.cfg.DB, js, inbox.Config{
			Name: s.name, Stream: s.stream, MaxDeliver: e.cfg.MaxDeliver, Logger: e.cfg.Logger,
		}, e.Handler(s.name))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Handler returns the inbox handler of the consumer named scope: it orders
// each aggregate's events strictly by version (a gap is retried later, a
// stale version ignored) and applies the event.
func (e *Engine) Handler(scope string) inbox.Handler {
	return func(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
		if ev.AggregateID != "" && ev.AggregateVersion > 0 {
			fresh, err := inbox.Advance(ctx, tx, scope, ev, true)
			if err != nil || !fresh {
				return err
			}
		}
		a := &apply{e: e, tx: tx, ev: ev, now: e.cfg.Clock.Now().UTC(),
			origin: origin{traceparent: ev.Traceparent, causation: ev.ID}}
		if err := a.dispatch(ctx); err != nil {
			return fmt.Errorf("apply %s %s: %w", ev.Type, ev.ID, err)
		}
		return nil
	}
}

// apply is the application of one incoming event inside its transaction.
type apply struct {
	e      *Engine
	tx     *sqlx.Tx
	ev     event.Event
	now    time.Time
	origin origin
	cals   map[string]*workday.Calendar
}

func (a *apply) dispatch(ctx context.Context) error {
	if h, ok := intakeHandlers[a.ev.Type]; ok {
		return h(a, ctx)
	}
	if h, ok := approvalHandlers[a.ev.Type]; ok {
		return h(a, ctx)
	}
	if h, ok := liaisonHandlers[a.ev.Type]; ok {
		return h(a, ctx)
	}
	return nil
}

// calendar returns the park's calendar, or nil when the park has none yet:
// its clocks then wait without deadlines for the calendar to be created.
func (a *apply) calendar(ctx context.Context, park string) (*workday.Calendar, error) {
	if cal, ok := a.cals[park]; ok {
		return cal, nil
	}
	cal, err := a.e.cfg.Source.ForPark(ctx, park)
	if errors.Is(err, fault.ErrNotFound) {
		cal, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("calendar of %s: %w", park, err)
	}
	if a.cals == nil {
		a.cals = map[string]*workday.Calendar{}
	}
	a.cals[park] = cal
	return cal, nil
}

// at returns the instant a payload gives, or the event's when it gives none.
func (a *apply) at(t *timestamppb.Timestamp) time.Time {
	if t == nil || !t.IsValid() || (t.GetSeconds() == 0 && t.GetNanos() == 0) {
		return a.ev.OccurredAt.UTC()
	}
	return t.AsTime().UTC()
}

// derived logs a deadline the calendar cannot compute yet; the clock keeps
// running without one until the park's calendar changes.
func (a *apply) derived(ctx context.Context, c *Clock, err error) {
	if err != nil {
		a.e.cfg.Logger.WarnContext(ctx, "clock deadline unknown until the calendar changes",
			"clock", c.ID, "park", c.Park, "kind", c.Kind, "err", err)
	}
}

// save stores the clocks and writes the events of changes to the outbox.
func (a *apply) save(ctx context.Context, clocks []*Clock, changes []Change) error {
	if len(clocks) == 0 {
		return nil
	}
	vals := make([]Clock, len(clocks))
	var wake time.Time
	for i, c := range clocks {
		vals[i] = *c
		if !c.NextFireAt.IsZero() && (wake.IsZero() || c.NextFireAt.Before(wake)) {
			wake = c.NextFireAt
		}
	}
	if err := saveClocks(ctx, a.tx, vals); err != nil {
		return err
	}
	evs, err := changeEvents(changes, a.now, a.origin)
	if err != nil {
		return err
	}
	if err := outbox.Add(ctx, a.tx, evs...); err != nil {
		return err
	}
	if !wake.IsZero() {
		a.e.cfg.Wake(wake)
	}
	return nil
}

// start creates c, derives its deadlines and saves it with its started event.
func (a *apply) start(ctx context.Context, c *Clock) error {
	c.ID = uuid.Must(uuid.NewV7()).String()
	cal, err := a.calendar(ctx, c.Park)
	if err != nil {
		return err
	}
	ch, err := c.Start(cal)
	a.derived(ctx, c, err)
	return a.save(ctx, []*Clock{c}, []Change{ch})
}

// permanent reports a malformed event that no retry can fix.
func permanent(ev event.Event, format string, args ...any) error {
	return fmt.Errorf("%s %s: %s: %w", ev.Type, ev.ID, fmt.Sprintf(format, args...), inbox.ErrPermanent)
}
