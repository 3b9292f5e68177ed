package policy

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
		panic("policy.LoggingMiddleware: logger is required")
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
		l.log.DebugContext(ctx, "policy call", attrs...)
	case httpx.StatusOf(err) >= 500:
		l.log.ErrorContext(ctx, "policy call failed", append(attrs, "err", err)...)
	default:
		l.log.DebugContext(ctx, "policy call refused", append(attrs, "err", err)...)
	}
}

func (l *logging) Policies(ctx context.Context, q PolicyQuery) (out []*Policy, err error) {
	defer func(begin time.Time) { l.done(ctx, "Policies", begin, err, "park", q.Park) }(time.Now())
	return l.next.Policies(ctx, q)
}

func (l *logging) Policy(ctx context.Context, id string) (out *Policy, err error) {
	defer func(begin time.Time) { l.done(ctx, "Policy", begin, err, "policy", id) }(time.Now())
	return l.next.Policy(ctx, id)
}

func (l *logging) CreatePolicy(ctx context.Context, in PolicyInput) (out *Policy, err error) {
	defer func(begin time.Time) { l.done(ctx, "CreatePolicy", begin, err, "code", in.Code) }(time.Now())
	return l.next.CreatePolicy(ctx, in)
}

func (l *logging) UpdatePolicy(ctx context.Context, id string, in PolicyInput) (out *Policy, err error) {
	defer func(begin time.Time) { l.done(ctx, "UpdatePolicy", begin, err, "policy", id) }(time.Now())
	return l.next.UpdatePolicy(ctx, id, in)
}

func (l *logging) PublishPolicy(ctx context.Context, id string) (out PublishResult, err error) {
	defer func(begin time.Time) { l.done(ctx, "PublishPolicy", begin, err, "policy", id) }(time.Now())
	return l.next.PublishPolicy(ctx, id)
}

func (l *logging) ClosePolicy(ctx context.Context, id string, in CloseInput) (out *Policy, err error) {
	defer func(begin time.Time) { l.done(ctx, "ClosePolicy", begin, err, "policy", id) }(time.Now())
	return l.next.ClosePolicy(ctx, id, in)
}

func (l *logging) Ledger(ctx context.Context, policyID string) (out LedgerView, err error) {
	defer func(begin time.Time) { l.done(ctx, "Ledger", begin, err, "policy", policyID) }(time.Now())
	return l.next.Ledger(ctx, policyID)
}

func (l *logging) Overview(ctx context.Context, q OverviewQuery) (out Overview, err error) {
	defer func(begin time.Time) { l.done(ctx, "Overview", begin, err, "park", q.Park) }(time.Now())
	return l.next.Overview(ctx, q)
}

func (l *logging) Matches(ctx context.Context, q MatchQuery) (out MatchesView, err error) {
	defer func(begin time.Time) { l.done(ctx, "Matches", begin, err, "enterprise", q.EnterpriseID) }(time.Now())
	return l.next.Matches(ctx, q)
}

func (l *logging) Apply(ctx context.Context, in ApplicationInput) (out *Application, err error) {
	defer func(begin time.Time) { l.done(ctx, "Apply", begin, err, "policy", in.PolicyID, "offer", in.OfferID) }(time.Now())
	return l.next.Apply(ctx, in)
}

func (l *logging) Applications(ctx context.Context, q ApplicationQuery) (out []*Application, err error) {
	defer func(begin time.Time) { l.done(ctx, "Applications", begin, err, "enterprise", q.EnterpriseID) }(time.Now())
	return l.next.Applications(ctx, q)
}

func (l *logging) Application(ctx context.Context, id string) (out *Application, err error) {
	defer func(begin time.Time) { l.done(ctx, "Application", begin, err, "application", id) }(time.Now())
	return l.next.Application(ctx, id)
}

func (l *logging) Withdraw(ctx context.Context, id string, in WithdrawInput) (out *Application, err error) {
	defer func(begin time.Time) { l.done(ctx, "Withdraw", begin, err, "application", id) }(time.Now())
	return l.next.Withdraw(ctx, id, in)
}

func (l *logging) Disburse(ctx context.Context, id string, in DisbursementInput) (out *Application, err error) {
	defer func(begin time.Time) { l.done(ctx, "Disburse", begin, err, "application", id) }(time.Now())
	return l.next.Disburse(ctx, id, in)
}

func (l *logging) Release(ctx context.Context, id string, in ReleaseInput) (out *Application, err error) {
	defer func(begin time.Time) { l.done(ctx, "Release", begin, err, "application", id) }(time.Now())
	return l.next.Release(ctx, id, in)
}

func (l *logging) FirmView(ctx context.Context, enterpriseID string) (out FirmView, err error) {
	defer func(begin time.Time) { l.done(ctx, "FirmView", begin, err, "enterprise", enterpriseID) }(time.Now())
	return l.next.FirmView(ctx, enterpriseID)
}
