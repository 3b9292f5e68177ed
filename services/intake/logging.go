package intake

import (
	"context"
	"log/slog"
	"time"

	"github.com/parkdesk/parkdesk/pkg/httpx"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// LoggingMiddleware logs every call with its duration and, on failure, its
// error: server errors at error level, client errors at debug.
func LoggingMiddleware(logger *slog.Logger) Middleware {
	if logger == nil {
		panic("intake.LoggingMiddleware: logger is required")
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
		l.log.DebugContext(ctx, "intake call", attrs...)
	case httpx.StatusOf(err) >= 500:
		l.log.ErrorContext(ctx, "intake call failed", append(attrs, "err", err)...)
	default:
		l.log.DebugContext(ctx, "intake call refused", append(attrs, "err", err)...)
	}
}

func (l *logging) RegisterEnterprise(ctx context.Context, in EnterpriseInput) (e Enterprise, err error) {
	defer func(begin time.Time) {
		l.done(ctx, "RegisterEnterprise", begin, err, "park", in.Park, "enterprise", e.ID)
	}(time.Now())
	return l.next.RegisterEnterprise(ctx, in)
}

func (l *logging) UpdateEnterprise(ctx context.Context, id string, p EnterprisePatch) (e Enterprise, err error) {
	defer func(begin time.Time) { l.done(ctx, "UpdateEnterprise", begin, err, "enterprise", id) }(time.Now())
	return l.next.UpdateEnterprise(ctx, id, p)
}

func (l *logging) Enterprise(ctx context.Context, id string) (e Enterprise, err error) {
	defer func(begin time.Time) { l.done(ctx, "Enterprise", begin, err, "enterprise", id) }(time.Now())
	return l.next.Enterprise(ctx, id)
}

func (l *logging) Enterprises(ctx context.Context, q EnterpriseQuery) (p EnterprisePage, err error) {
	defer func(begin time.Time) { l.done(ctx, "Enterprises", begin, err, "items", len(p.Items)) }(time.Now())
	return l.next.Enterprises(ctx, q)
}

func (l *logging) Matters(ctx context.Context, park string) (ms []Matter, err error) {
	defer func(begin time.Time) { l.done(ctx, "Matters", begin, err, "park", park) }(time.Now())
	return l.next.Matters(ctx, park)
}

func (l *logging) Matter(ctx context.Context, park, code string) (m Matter, err error) {
	defer func(begin time.Time) { l.done(ctx, "Matter", begin, err, "park", park, "code", code) }(time.Now())
	return l.next.Matter(ctx, park, code)
}

func (l *logging) Bundles(ctx context.Context, park string) (bs []Bundle, err error) {
	defer func(begin time.Time) { l.done(ctx, "Bundles", begin, err, "park", park) }(time.Now())
	return l.next.Bundles(ctx, park)
}

func (l *logging) Bundle(ctx context.Context, park, code string) (b Bundle, err error) {
	defer func(begin time.Time) { l.done(ctx, "Bundle", begin, err, "park", park, "code", code) }(time.Now())
	return l.next.Bundle(ctx, park, code)
}

func (l *logging) Upload(ctx context.Context, mediaType string, content []byte) (u Upload, err error) {
	defer func(begin time.Time) {
		l.done(ctx, "Upload", begin, err, "media_type", mediaType, "size", len(content), "sha256", u.SHA256)
	}(time.Now())
	return l.next.Upload(ctx, mediaType, content)
}

func (l *logging) Submit(ctx context.Context, key string, req SubmitRequest) (t Ticket, created bool, err error) {
	defer func(begin time.Time) {
		l.done(ctx, "Submit", begin, err, "ticket", t.ID, "number", t.Number, "created", created)
	}(time.Now())
	return l.next.Submit(ctx, key, req)
}

func (l *logging) Ticket(ctx context.Context, id string) (t Ticket, err error) {
	defer func(begin time.Time) { l.done(ctx, "Ticket", begin, err, "ticket", id) }(time.Now())
	return l.next.Ticket(ctx, id)
}

func (l *logging) Tickets(ctx context.Context, q TicketQuery) (p TicketPage, err error) {
	defer func(begin time.Time) { l.done(ctx, "Tickets", begin, err, "items", len(p.Items)) }(time.Now())
	return l.next.Tickets(ctx, q)
}

func (l *logging) SupplyMaterials(ctx context.Context, id string, req SupplyRequest) (t Ticket, err error) {
	defer func(begin time.Time) {
		l.done(ctx, "SupplyMaterials", begin, err, "ticket", id, "materials", len(req.Materials))
	}(time.Now())
	return l.next.SupplyMaterials(ctx, id, req)
}

func (l *logging) Rate(ctx context.Context, id string, in RatingInput) (t Ticket, err error) {
	defer func(begin time.Time) { l.done(ctx, "Rate", begin, err, "ticket", id, "score", in.Score) }(time.Now())
	return l.next.Rate(ctx, id, in)
}

func (l *logging) Withdraw(ctx context.Context, id string, in WithdrawInput) (t Ticket, err error) {
	defer func(begin time.Time) { l.done(ctx, "Withdraw", begin, err, "ticket", id) }(time.Now())
	return l.next.Withdraw(ctx, id, in)
}

func (l *logging) Resolve(ctx context.Context, id string, in ResolutionInput) (t Ticket, err error) {
	defer func(begin time.Time) { l.done(ctx, "Resolve", begin, err, "ticket", id) }(time.Now())
	return l.next.Resolve(ctx, id, in)
}
