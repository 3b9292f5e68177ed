package sla

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/kit/metrics"
	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

// SchedulerMetrics observes a scheduler through go-kit metrics.
type SchedulerMetrics struct {
	// Transitions counts fired changes, labelled "type".
	Transitions metrics.Counter
	// Lag observes seconds from a clock's due instant to its firing.
	Lag metrics.Histogram
}

// SchedulerConfig configures a Scheduler.
type SchedulerConfig struct {
	// DB is the sla schema's pool. Required.
	DB *sqlx.DB
	// Source gives each park's calendar, for escalation instants and office
	// hours. Required.
	Source calendar.Source
	// Clock tells the time and sleeps; a clock.Manual or the dev stack's
	// clock.Offset moves the scheduler with it. Default clock.System().
	Clock clock.Clock
	// Logger receives errors. Default slog.Default().
	Logger *slog.Logger
	// BatchSize bounds the clocks claimed per transaction. Default 500.
	BatchSize int
	// Workers is how many batches are fired at once when many clocks are due
	// together; SKIP LOCKED keeps them apart as it does replicas. Default 2.
	Workers int
	// MaxSleep bounds a sleep, on Clock's time and on real time, so clocks
	// another replica made due earlier are found without a poke. Default 1s.
	MaxSleep time.Duration
	// NoticePrefix starts supervision notice numbers. Default "督办".
	NoticePrefix string
	// Metrics observes the scheduler. Optional.
	Metrics *SchedulerMetrics
}

// Validate fills defaults and checks the config.
func (c *SchedulerConfig) Validate() error {
	if c.DB == nil || c.Source == nil {
		return errors.New("sla scheduler config: DB and Source are required")
	}
	if c.Clock == nil {
		c.Clock = clock.System()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.MaxSleep <= 0 {
		c.MaxSleep = time.Second
	}
	if c.NoticePrefix == "" {
		c.NoticePrefix = "督办"
	}
	return nil
}

// Scheduler fires due clocks: it claims clocks whose next_fire_at has come
// (through a partial index, FOR UPDATE SKIP LOCKED, in batches), applies
// their transitions and writes the events, cards and notifications in the
// same transaction, so each transition happens once whatever the number of
// replicas. Between rounds it sleeps until the earliest next_fire_at, a poke
// or MaxSleep.
type Scheduler struct {
	cfg    SchedulerConfig
	wake   chan struct{}
	target atomic.Int64
	trips  atomic.Int64
	fired  atomic.Int64
}

// NewScheduler returns a Scheduler.
func NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Scheduler{cfg: cfg, wake: make(chan struct{}, 1)}
	s.target.Store(math.MaxInt64)
	return s, nil
}

// Poke tells the scheduler a clock may fire at at; it wakes when at is
// before the instant it sleeps until. It never blocks.
func (s *Scheduler) Poke(at time.Time) {
	if at.UnixNano() < s.target.Load() {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// RoundTrips counts the SQL round trips the scheduler made (BEGIN and COMMIT
// included), for benchmarks and metrics.
func (s *Scheduler) RoundTrips() int64 { return s.trips.Load() }

// Fired counts the changes the scheduler fired.
func (s *Scheduler) Fired() int64 { return s.fired.Load() }

// Run fires due clocks until ctx is done; it returns nil then.
func (s *Scheduler) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		s.target.Store(math.MaxInt64)
		claimed, err := s.drain(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.cfg.Logger.ErrorContext(ctx, "sla scheduler round failed", "err", err)
			s.sleep(ctx, s.cfg.MaxSleep)
			continue
		}
		d := s.cfg.MaxSleep
		next, err := s.earliest(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.cfg.Logger.ErrorContext(ctx, "sla scheduler earliest", "err", err)
		} else if !next.IsZero() {
			d = min(d, next.Sub(s.cfg.Clock.Now()))
		}
		if d <= 0 {
			if claimed == 0 {
				// Due clocks are locked by another replica: give it a moment.
				select {
				case <-time.After(20 * time.Millisecond):
				case <-ctx.Done():
				}
			}
			continue
		}
		s.sleep(ctx, d)
	}
	return nil
}

// drain fires batches with Workers transactions at once until each comes
// back short; it returns how many clocks were claimed and the first error.
func (s *Scheduler) drain(ctx context.Context) (int, error) {
	var (
		total atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range s.cfg.Workers {
		wg.Go(func() {
			for {
				n, err := s.FireDue(ctx)
				total.Add(int64(n))
				if err != nil {
					once.Do(func() { first = err })
					return
				}
				if n < s.cfg.BatchSize {
					return
				}
			}
		})
	}
	wg.Wait()
	return int(total.Load()), first
}

// sleep waits d on the clock, a poke or ctx, and at most MaxSleep of real
// time: a poke sent before its transaction committed, or a clock another
// replica scheduled, is found within MaxSleep even while the clock stands
// still (clock.Manual) or jumps (the dev stack's clock.Offset).
func (s *Scheduler) sleep(ctx context.Context, d time.Duration) {
	s.target.Store(s.cfg.Clock.Now().Add(d).UnixNano())
	recheck := time.NewTimer(s.cfg.MaxSleep)
	defer recheck.Stop()
	var due <-chan time.Time
	if af, ok := s.cfg.Clock.(clock.AfterFuncer); ok {
		done := make(chan time.Time, 1)
		stop := af.AfterFunc(d, func() { done <- time.Time{} })
		defer stop()
		due = done
	} else {
		due = s.cfg.Clock.After(d)
	}
	select {
	case <-due:
	case <-recheck.C:
	case <-s.wake:
	case <-ctx.Done():
	}
}

// earliest reads the first next_fire_at from the partial index.
func (s *Scheduler) earliest(ctx context.Context) (time.Time, error) {
	var t sql.NullTime
	s.trips.Add(1)
	if err := s.cfg.DB.GetContext(ctx, &t, `SELECT min(next_fire_at) FROM clocks WHERE next_fire_at IS NOT NULL`); err != nil {
		return time.Time{}, fmt.Errorf("earliest next fire: %w", err)
	}
	return nt(t), nil
}

// calendars caches the parks' calendars for one round; a park without a
// calendar gets nil (its clocks stop escalating until it has one).
type calendars struct {
	src  calendar.Source
	byID map[string]*workday.Calendar
}

func (c *calendars) get(ctx context.Context, park string) (*workday.Calendar, error) {
	if cal, ok := c.byID[park]; ok {
		return cal, nil
	}
	cal, err := c.src.ForPark(ctx, park)
	if errors.Is(err, fault.ErrNotFound) {
		cal, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("calendar of %s: %w", park, err)
	}
	c.byID[park] = cal
	return cal, nil
}

// loc is where a park's notice years are counted.
func (c *calendars) loc(park string) *time.Location {
	if cal := c.byID[park]; cal != nil {
		return cal.Location()
	}
	return shanghai
}
