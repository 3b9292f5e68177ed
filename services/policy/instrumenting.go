package policy

import (
	"context"
	"strconv"
	"time"

	"github.com/go-kit/kit/metrics"

	"github.com/parkdesk/parkdesk/pkg/httpx"
)

// InstrumentingMiddleware counts calls and observes their latency, labelled
// by method and status code.
func InstrumentingMiddleware(requests metrics.Counter, latency metrics.Histogram) Middleware {
	if requests == nil || latency == nil {
		panic("policy.InstrumentingMiddleware: counter and histogram are required")
	}
	return func(next Service) Service { return &instrumenting{next: next, requests: requests, latency: latency} }
}

type instrumenting struct {
	next     Service
	requests metrics.Counter
	latency  metrics.Histogram
}

func (m *instrumenting) observe(method string, begin time.Time, err error) {
	lvs := []string{"method", method, "code", strconv.Itoa(httpx.StatusOf(err))}
	m.requests.With(lvs...).Add(1)
	m.latency.With(lvs...).Observe(time.Since(begin).Seconds())
}

func (m *instrumenting) Policies(ctx context.Context, q PolicyQuery) (out []*Policy, err error) {
	defer func(begin time.Time) { m.observe("Policies", begin, err) }(time.Now())
	return m.next.Policies(ctx, q)
}

func (m *instrumenting) Policy(ctx context.Context, id string) (out *Policy, err error) {
	defer func(begin time.Time) { m.observe("Policy", begin, err) }(time.Now())
	return m.next.Policy(ctx, id)
}

func (m *instrumenting) CreatePolicy(ctx context.Context, in PolicyInput) (out *Policy, err error) {
	defer func(begin time.Time) { m.observe("CreatePolicy", begin, err) }(time.Now())
	return m.next.CreatePolicy(ctx, in)
}

func (m *instrumenting) UpdatePolicy(ctx context.Context, id string, in PolicyInput) (out *Policy, err error) {
	defer func(begin time.Time) { m.observe("UpdatePolicy", begin, err) }(time.Now())
	return m.next.UpdatePolicy(ctx, id, in)
}

func (m *instrumenting) PublishPolicy(ctx context.Context, id string) (out PublishResult, err error) {
	defer func(begin time.Time) { m.observe("PublishPolicy", begin, err) }(time.Now())
	return m.next.PublishPolicy(ctx, id)
}

func (m *instrumenting) ClosePolicy(ctx context.Context, id string, in CloseInput) (out *Policy, err error) {
	defer func(begin time.Time) { m.observe("ClosePolicy", begin, err) }(time.Now())
	return m.next.ClosePolicy(ctx, id, in)
}

func (m *instrumenting) Ledger(ctx context.Context, policyID string) (out LedgerView, err error) {
	defer func(begin time.Time) { m.observe("Ledger", begin, err) }(time.Now())
	return m.next.Ledger(ctx, policyID)
}

func (m *instrumenting) Overview(ctx context.Context, q OverviewQuery) (out Overview, err error) {
	defer func(begin time.Time) { m.observe("Overview", begin, err) }(time.Now())
	return m.next.Overview(ctx, q)
}

func (m *instrumenting) Matches(ctx context.Context, q MatchQuery) (out MatchesView, err error) {
	defer func(begin time.Time) { m.observe("Matches", begin, err) }(time.Now())
	return m.next.Matches(ctx, q)
}

func (m *instrumenting) Apply(ctx context.Context, in ApplicationInput) (out *Application, err error) {
	defer func(begin time.Time) { m.observe("Apply", begin, err) }(time.Now())
	return m.next.Apply(ctx, in)
}

func (m *instrumenting) Applications(ctx context.Context, q ApplicationQuery) (out []*Application, err error) {
	defer func(begin time.Time) { m.observe("Applications", begin, err) }(time.Now())
	return m.next.Applications(ctx, q)
}

func (m *instrumenting) Application(ctx context.Context, id string) (out *Application, err error) {
	defer func(begin time.Time) { m.observe("Application", begin, err) }(time.Now())
	return m.next.Application(ctx, id)
}

func (m *instrumenting) Withdraw(ctx context.Context, id string, in WithdrawInput) (out *Application, err error) {
	defer func(begin time.Time) { m.observe("Withdraw", begin, err) }(time.Now())
	return m.next.Withdraw(ctx, id, in)
}

func (m *instrumenting) Disburse(ctx context.Context, id string, in DisbursementInput) (out *Application, err error) {
	defer func(begin time.Time) { m.observe("Disburse", begin, err) }(time.Now())
	return m.next.Disburse(ctx, id, in)
}

func (m *instrumenting) Release(ctx context.Context, id string, in ReleaseInput) (out *Application, err error) {
	defer func(begin time.Time) { m.observe("Release", begin, err) }(time.Now())
	return m.next.Release(ctx, id, in)
}

func (m *instrumenting) FirmView(ctx context.Context, enterpriseID string) (out FirmView, err error) {
	defer func(begin time.Time) { m.observe("FirmView", begin, err) }(time.Now())
	return m.next.FirmView(ctx, enterpriseID)
}
