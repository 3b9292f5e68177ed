package approval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/parkdesk/parkdesk/pkg/clock"
)

// NoticeScheduler ends public notices (公示) when their working days are
// over: the workflow resumes and its next stage opens.
type NoticeScheduler struct {
	repo     *Repository
	clock    clock.Clock
	logger   *slog.Logger
	interval time.Duration
}

// NewNoticeScheduler returns a scheduler polling every interval (default 30 s).
func NewNoticeScheduler(repo *Repository, clk clock.Clock, logger *slog.Logger, interval time.Duration) (*NoticeScheduler, error) {
	if repo == nil {
		return nil, errors.New("notice scheduler: repo is required")
	}
	if clk == nil {
		clk = clock.System()
	}
	if logger == nil {
		logger = slog.Default()
	}
	if interval <= 0 {
		interval = 30 * time.Second
	}
	return &NoticeScheduler{repo: repo, clock: clk, logger: logger, interval: interval}, nil
}

// RunOnce ends every notice due now and returns how many it ended.
func (s *NoticeScheduler) RunOnce(ctx context.Context) (int, error) {
	now := s.clock.Now().UTC()
	var due []struct {
		ID         string `db:"id"`
		WorkflowID string `db:"workflow_id"`
	}
	if err := s.repo.db.SelectContext(ctx, &due, `SELECT id, workflow_id FROM tasks
		WHERE state = 'open' AND kind = 'public_notice' AND due_at <= $1 ORDER BY due_at LIMIT 200`, now); err != nil {
		return 0, fmt.Errorf("due notices: %w", err)
	}
	n := 0
	for _, d := range due {
		ended := false
		_, err := s.repo.Mutate(ctx, d.WorkflowID, func(env Env, w *Workflow) (bool, error) {
			ok, err := w.EndNotice(ctx, env, d.ID, now)
			ended = ok && err == nil
			return ok, err
		})
		if err != nil {
			s.logger.ErrorContext(ctx, "ending a public notice failed", "task", d.ID, "workflow", d.WorkflowID, "err", err)
			continue
		}
		if ended {
			n++
		}
	}
	return n, nil
}

// Run ends due notices until ctx is done.
func (s *NoticeScheduler) Run(ctx context.Context) error {
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.logger.ErrorContext(ctx, "notice scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(s.interval):
		}
	}
}
