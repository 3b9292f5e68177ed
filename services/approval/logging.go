package approval

import (
	"context"
	"log/slog"
	"time"

	"github.com/parkdesk/parkdesk/pkg/httpx"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// LoggingMiddleware logs every call with its duration and, on failure, its
// error; server errors at error level, client errors at debug.
func LoggingMiddleware(logger *slog.Logger) Middleware {
	if logger == nil {
		panic("approval.LoggingMiddleware: logger is required")
	}
	return func(next Service) Service { return &logging{next: next, log: logger} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l *logging) done(ctx context.Context, method string, begin time.Time, err error, attrs ...any) {
	attrs = append(attrs, "method", method, "took", time.Since(begin))
	switch {
	case err == nil:
		l.log.DebugContext(ctx, "approval call", attrs...)
	case httpx.StatusOf(err) >= 500:
		l.log.ErrorContext(ctx, "approval call failed", append(attrs, "err", err)...)
	default:
		l.log.DebugContext(ctx, "approval call refused", append(attrs, "err", err)...)
	}
}

func (l *logging) Tasks(ctx context.Context, q TaskQuery) (p TaskPage, err error) {
	defer func(begin time.Time) { l.done(ctx, "Tasks", begin, err, "department", q.Department, "page", q.Page) }(time.Now())
	return l.next.Tasks(ctx, q)
}

func (l *logging) Task(ctx context.Context, id string) (t TaskView, err error) {
	defer func(begin time.Time) { l.done(ctx, "Task", begin, err, "task", id) }(time.Now())
	return l.next.Task(ctx, id)
}

func (l *logging) Decide(ctx context.Context, taskID string, d Decision) (r DecisionResult, err error) {
	defer func(begin time.Time) {
		l.done(ctx, "Decide", begin, err, "task", taskID, "action", d.Action, "replayed", r.Replayed)
	}(time.Now())
	return l.next.Decide(ctx, taskID, d)
}

func (l *logging) Workflows(ctx context.Context, q WorkflowQuery) (p WorkflowPage, err error) {
	defer func(begin time.Time) { l.done(ctx, "Workflows", begin, err, "ticket", q.TicketID, "state", q.State) }(time.Now())
	return l.next.Workflows(ctx, q)
}

func (l *logging) Workflow(ctx context.Context, id string) (w *Workflow, err error) {
	defer func(begin time.Time) { l.done(ctx, "Workflow", begin, err, "workflow", id) }(time.Now())
	return l.next.Workflow(ctx, id)
}

func (l *logging) History(ctx context.Context, id string) (h []HistoryEntry, err error) {
	defer func(begin time.Time) { l.done(ctx, "History", begin, err, "workflow", id) }(time.Now())
	return l.next.History(ctx, id)
}

func (l *logging) Withdraw(ctx context.Context, id string, reason string) (w *Workflow, err error) {
	defer func(begin time.Time) { l.done(ctx, "Withdraw", begin, err, "workflow", id) }(time.Now())
	return l.next.Withdraw(ctx, id, reason)
}

func (l *logging) Definitions(ctx context.Context) (ds []Definition, err error) {
	defer func(begin time.Time) { l.done(ctx, "Definitions", begin, err) }(time.Now())
	return l.next.Definitions(ctx)
}
