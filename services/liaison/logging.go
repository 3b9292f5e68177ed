package liaison

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
		panic("liaison.LoggingMiddleware: logger is required")
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
		l.log.DebugContext(ctx, "liaison call", attrs...)
	case httpx.StatusOf(err) >= 500:
		l.log.ErrorContext(ctx, "liaison call failed", append(attrs, "err", err)...)
	default:
		l.log.DebugContext(ctx, "liaison call refused", append(attrs, "err", err)...)
	}
}

func (l *logging) Officers(ctx context.Context, q OfficerQuery) (out []Officer, err error) {
	defer func(begin time.Time) { l.done(ctx, "Officers", begin, err, "park", q.Park) }(time.Now())
	return l.next.Officers(ctx, q)
}

func (l *logging) Officer(ctx context.Context, id string) (out Officer, err error) {
	defer func(begin time.Time) { l.done(ctx, "Officer", begin, err, "officer", id) }(time.Now())
	return l.next.Officer(ctx, id)
}

func (l *logging) CreateOfficer(ctx context.Context, in OfficerInput) (out Officer, err error) {
	defer func(begin time.Time) { l.done(ctx, "CreateOfficer", begin, err, "park", in.Park) }(time.Now())
	return l.next.CreateOfficer(ctx, in)
}

func (l *logging) UpdateOfficer(ctx context.Context, id string, patch OfficerPatch) (out OfficerChange, err error) {
	defer func(begin time.Time) { l.done(ctx, "UpdateOfficer", begin, err, "officer", id) }(time.Now())
	return l.next.UpdateOfficer(ctx, id, patch)
}

func (l *logging) Firms(ctx context.Context, q FirmQuery) (out []Firm, err error) {
	defer func(begin time.Time) { l.done(ctx, "Firms", begin, err, "park", q.Park, "officer", q.OfficerID) }(time.Now())
	return l.next.Firms(ctx, q)
}

func (l *logging) Firm(ctx context.Context, id string) (out Firm, err error) {
	defer func(begin time.Time) { l.done(ctx, "Firm", begin, err, "firm", id) }(time.Now())
	return l.next.Firm(ctx, id)
}

func (l *logging) Reassign(ctx context.Context, id string, r Reassignment) (out Firm, err error) {
	defer func(begin time.Time) { l.done(ctx, "Reassign", begin, err, "firm", id, "officer", r.OfficerID) }(time.Now())
	return l.next.Reassign(ctx, id, r)
}

func (l *logging) Queue(ctx context.Context) (out []Request, err error) {
	defer func(begin time.Time) { l.done(ctx, "Queue", begin, err) }(time.Now())
	return l.next.Queue(ctx)
}

func (l *logging) Requests(ctx context.Context, q RequestQuery) (out []Request, err error) {
	defer func(begin time.Time) { l.done(ctx, "Requests", begin, err, "park", q.Park, "state", q.State) }(time.Now())
	return l.next.Requests(ctx, q)
}

func (l *logging) Request(ctx context.Context, id string) (out Request, err error) {
	defer func(begin time.Time) { l.done(ctx, "Request", begin, err, "request", id) }(time.Now())
	return l.next.Request(ctx, id)
}

func (l *logging) Acknowledge(ctx context.Context, id string) (out Request, err error) {
	defer func(begin time.Time) { l.done(ctx, "Acknowledge", begin, err, "request", id) }(time.Now())
	return l.next.Acknowledge(ctx, id)
}

func (l *logging) Return(ctx context.Context, id string, in ReturnInput) (out Request, err error) {
	defer func(begin time.Time) { l.done(ctx, "Return", begin, err, "request", id) }(time.Now())
	return l.next.Return(ctx, id, in)
}

func (l *logging) Chase(ctx context.Context, id string, in ChaseInput) (out Chase, err error) {
	defer func(begin time.Time) { l.done(ctx, "Chase", begin, err, "request", id) }(time.Now())
	return l.next.Chase(ctx, id, in)
}

func (l *logging) Redispatch(ctx context.Context, id string, in RedispatchInput) (out Request, err error) {
	defer func(begin time.Time) { l.done(ctx, "Redispatch", begin, err, "request", id, "officer", in.OfficerID) }(time.Now())
	return l.next.Redispatch(ctx, id, in)
}

func (l *logging) LogVisit(ctx context.Context, in VisitInput) (out Visit, err error) {
	defer func(begin time.Time) { l.done(ctx, "LogVisit", begin, err, "firm", in.EnterpriseID) }(time.Now())
	return l.next.LogVisit(ctx, in)
}

func (l *logging) Visits(ctx context.Context, q VisitQuery) (out []Visit, err error) {
	defer func(begin time.Time) { l.done(ctx, "Visits", begin, err, "park", q.Park, "firm", q.EnterpriseID) }(time.Now())
	return l.next.Visits(ctx, q)
}

func (l *logging) MakePromise(ctx context.Context, in PromiseInput) (p Promise, err error) {
	defer func(begin time.Time) { l.done(ctx, "MakePromise", begin, err, "firm", in.EnterpriseID) }(time.Now())
	return l.next.MakePromise(ctx, in)
}

func (l *logging) ClosePromise(ctx context.Context, id string, out PromiseOutcome) (p Promise, err error) {
	defer func(begin time.Time) { l.done(ctx, "ClosePromise", begin, err, "promise", id, "outcome", out.Outcome) }(time.Now())
	return l.next.ClosePromise(ctx, id, out)
}

func (l *logging) Promises(ctx context.Context, q PromiseQuery) (out []Promise, err error) {
	defer func(begin time.Time) { l.done(ctx, "Promises", begin, err, "park", q.Park, "state", q.State) }(time.Now())
	return l.next.Promises(ctx, q)
}

func (l *logging) Overview(ctx context.Context, q OverviewQuery) (out Overview, err error) {
	defer func(begin time.Time) { l.done(ctx, "Overview", begin, err, "park", q.Park) }(time.Now())
	return l.next.Overview(ctx, q)
}
