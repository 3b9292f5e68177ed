package intake

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
		panic("intake.InstrumentingMiddleware: counter and histogram are required")
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

func (m *instrumenting) RegisterEnterprise(ctx context.Context, in EnterpriseInput) (e Enterprise, err error) {
	defer func(begin time.Time) { m.observe("RegisterEnterprise", begin, err) }(time.Now())
	return m.next.RegisterEnterprise(ctx, in)
}

func (m *instrumenting) UpdateEnterprise(ctx context.Context, id string, p EnterprisePatch) (e Enterprise, err error) {
	defer func(begin time.Time) { m.observe("UpdateEnterprise", begin, err) }(time.Now())
	return m.next.UpdateEnterprise(ctx, id, p)
}

func (m *instrumenting) Enterprise(ctx context.Context, id string) (e Enterprise, err error) {
	defer func(begin time.Time) { m.observe("Enterprise", begin, err) }(time.Now())
	return m.next.Enterprise(ctx, id)
}

func (m *instrumenting) Enterprises(ctx context.Context, q EnterpriseQuery) (p EnterprisePage, err error) {
	defer func(begin time.Time) { m.observe("Enterprises", begin, err) }(time.Now())
	return m.next.Enterprises(ctx, q)
}

func (m *instrumenting) Matters(ctx context.Context, park string) (ms []Matter, err error) {
	defer func(begin time.Time) { m.observe("Matters", begin, err) }(time.Now())
	return m.next.Matters(ctx, park)
}

func (m *instrumenting) Matter(ctx context.Context, park, code string) (mt Matter, err error) {
	defer func(begin time.Time) { m.observe("Matter", begin, err) }(time.Now())
	return m.next.Matter(ctx, park, code)
}

func (m *instrumenting) Bundles(ctx context.Context, park string) (bs []Bundle, err error) {
	defer func(begin time.Time) { m.observe("Bundles", begin, err) }(time.Now())
	return m.next.Bundles(ctx, park)
}

func (m *instrumenting) Bundle(ctx context.Context, park, code string) (b Bundle, err error) {
	defer func(begin time.Time) { m.observe("Bundle", begin, err) }(time.Now())
	return m.next.Bundle(ctx, park, code)
}

func (m *instrumenting) Upload(ctx context.Context, mediaType string, content []byte) (u Upload, err error) {
	defer func(begin time.Time) { m.observe("Upload", begin, err) }(time.Now())
	return m.next.Upload(ctx, mediaType, content)
}

func (m *instrumenting) Submit(ctx context.Context, key string, req SubmitRequest) (t Ticket, created bool, err error) {
	defer func(begin time.Time) { m.observe("Submit", begin, err) }(time.Now())
	return m.next.Submit(ctx, key, req)
}

func (m *instrumenting) Ticket(ctx context.Context, id string) (t Ticket, err error) {
	defer func(begin time.Time) { m.observe("Ticket", begin, err) }(time.Now())
	return m.next.Ticket(ctx, id)
}

func (m *instrumenting) Tickets(ctx context.Context, q TicketQuery) (p TicketPage, err error) {
	defer func(begin time.Time) { m.observe("Tickets", begin, err) }(time.Now())
	return m.next.Tickets(ctx, q)
}

func (m *instrumenting) SupplyMaterials(ctx context.Context, id string, req SupplyRequest) (t Ticket, err error) {
	defer func(begin time.Time) { m.observe("SupplyMaterials", begin, err) }(time.Now())
	return m.next.SupplyMaterials(ctx, id, req)
}

func (m *instrumenting) Rate(ctx context.Context, id string, in RatingInput) (t Ticket, err error) {
	defer func(begin time.Time) { m.observe("Rate", begin, err) }(time.Now())
	return m.next.Rate(ctx, id, in)
}

func (m *instrumenting) Withdraw(ctx context.Context, id string, in WithdrawInput) (t Ticket, err error) {
	defer func(begin time.Time) { m.observe("Withdraw", begin, err) }(time.Now())
	return m.next.Withdraw(ctx, id, in)
}

func (m *instrumenting) Resolve(ctx context.Context, id string, in ResolutionInput) (t Ticket, err error) {
	defer func(begin time.Time) { m.observe("Resolve", begin, err) }(time.Now())
	return m.next.Resolve(ctx, id, in)
}
