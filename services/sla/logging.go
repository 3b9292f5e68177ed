package sla

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
		panic("sla.LoggingMiddleware: logger is required")
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
		l.log.DebugContext(ctx, "sla call", attrs...)
	case httpx.StatusOf(err) >= 500:
		l.log.ErrorContext(ctx, "sla call failed", append(attrs, "err", err)...)
	default:
		l.log.DebugContext(ctx, "sla call refused", append(attrs, "err", err)...)
	}
}

func (l *logging) Clock(ctx context.Context, id string) (c Clock, err error) {
	defer func(begin time.Time) { l.done(ctx, "Clock", begin, err, "clock", id) }(time.Now())
	return l.next.Clock(ctx, id)
}

func (l *logging) TicketClocks(ctx context.Context, ticketID string) (cs []Clock, err error) {
	defer func(begin time.Time) { l.done(ctx, "TicketClocks", begin, err, "ticket", ticketID) }(time.Now())
	return l.next.TicketClocks(ctx, ticketID)
}

func (l *logging) RequestExtension(ctx context.Context, clockID string, req ExtensionRequest) (x Extension, err error) {
	defer func(begin time.Time) {
		l.done(ctx, "RequestExtension", begin, err, "clock", clockID, "working_days", req.WorkingDays)
	}(time.Now())
	return l.next.RequestExtension(ctx, clockID, req)
}

func (l *logging) DecideExtension(ctx context.Context, id string, d ExtensionDecision) (x Extension, err error) {
	defer func(begin time.Time) {
		l.done(ctx, "DecideExtension", begin, err, "extension", id, "decision", d.Decision)
	}(time.Now())
	return l.next.DecideExtension(ctx, id, d)
}

func (l *logging) Extensions(ctx context.Context, q ExtensionQuery) (xs []Extension, err error) {
	defer func(begin time.Time) { l.done(ctx, "Extensions", begin, err, "park", q.Park) }(time.Now())
	return l.next.Extensions(ctx, q)
}

func (l *logging) Overview(ctx context.Context, q OverviewQuery) (o Overview, err error) {
	defer func(begin time.Time) { l.done(ctx, "Overview", begin, err, "park", q.Park, "by", q.By) }(time.Now())
	return l.next.Overview(ctx, q)
}

func (l *logging) Breaches(ctx context.Context, q BreachQuery) (p BreachPage, err error) {
	defer func(begin time.Time) { l.done(ctx, "Breaches", begin, err, "park", q.Park, "page", q.Page) }(time.Now())
	return l.next.Breaches(ctx, q)
}
