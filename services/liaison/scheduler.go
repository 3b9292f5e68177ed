package liaison

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/parkdesk/parkdesk/pkg/clock"
)

// SchedulerConfig configures a Scheduler.
type SchedulerConfig struct {
	// Repository fires the overdue promises. Required.
	Repository *Repository
	// Clock tells the time and wakes the scheduler. Default clock.System().
	Clock clock.Clock
	// Logger receives failures. Default slog.Default().
	Logger *slog.Logger
	// BatchSize bounds the promises marked per transaction. Default 100.
	BatchSize int
	// MaxSleep bounds a sleep, so that a due instant set by another replica
	// is found without a poke. Default 1 minute.
	MaxSleep time.Duration
}

// Scheduler tracks promises (说到做到) to their due instant: each open
// promise past due is marked overdue once, with liaison.promise.overdue.
// Several replicas may run it: rows are claimed with SKIP LOCKED.
type Scheduler struct {
	cfg  SchedulerConfig
	poke chan struct{}
}

// NewScheduler returns a Scheduler.
func NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	if cfg.Repository == nil {
		return nil, errors.New("liaison scheduler config: Repository is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	if cfg.MaxSleep <= 0 {
		cfg.MaxSleep = time.Minute
	}
	return &Scheduler{cfg: cfg, poke: make(chan struct{}, 1)}, nil
}

// Poke wakes the scheduler: a promise falls due at the given instant.
func (s *Scheduler) Poke(time.Time) {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Run fires overdue promises until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		n, next, err := s.cfg.Repository.FireOverdue(ctx, s.cfg.BatchSize)
		if ctx.Err() != nil {
			return nil
		}
		wait := s.cfg.MaxSleep
		switch {
		case err != nil:
			s.cfg.Logger.ErrorContext(ctx, "promise scheduler", "err", err)
			wait = time.Second
		case n == s.cfg.BatchSize:
			continue
		case !next.IsZero():
			if d := next.Sub(s.cfg.Clock.Now()); d < wait {
				wait = max(d, 0)
			}
		}
		if !s.sleep(ctx, wait) {
			return nil
		}
	}
}

// sleep waits d on the clock, or a poke; it reports false when ctx ended.
func (s *Scheduler) sleep(ctx context.Context, d time.Duration) bool {
	wake := make(chan struct{}, 1)
	if af, ok := s.cfg.Clock.(clock.AfterFuncer); ok {
		stop := af.AfterFunc(d, func() { wake <- struct{}{} })
		defer stop()
	} else {
		ch := s.cfg.Clock.After(d)
		go func() {
			select {
			case <-ch:
				wake <- struct{}{}
			case <-ctx.Done():
			}
		}()
	}
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-s.poke:
	}
	return true
}
