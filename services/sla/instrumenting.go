package sla

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
		panic("sla.InstrumentingMiddleware: counter and histogram are required")
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

func (m *instrumenting) Clock(ctx context.Context, id string) (c Clock, err error) {
	defer func(begin time.Time) { m.observe("Clock", begin, err) }(time.Now())
	return m.next.Clock(ctx, id)
}

func (m *instrumenting) TicketClocks(ctx context.Context, ticketID string) (cs []Clock, err error) {
	defer func(begin time.Time) { m.observe("TicketClocks", begin, err) }(time.Now())
	return m.next.TicketClocks(ctx, ticketID)
}

func (m *instrumenting) RequestExtension(ctx context.Context, clockID string, req ExtensionRequest) (x Extension, err error) {
	defer func(begin time.Time) { m.observe("RequestExtension", begin, err) }(time.Now())
	return m.next.RequestExtension(ctx, clockID, req)
}

func (m *instrumenting) DecideExtension(ctx context.Context, id string, d ExtensionDecision) (x Extension, err error) {
	defer func(begin time.Time) { m.observe("DecideExtension", begin, err) }(time.Now())
	return m.next.DecideExtension(ctx, id, d)
}

func (m *instrumenting) Extensions(ctx context.Context, q ExtensionQuery) (xs []Extension, err error) {
	defer func(begin time.Time) { m.observe("Extensions", begin, err) }(time.Now())
	return m.next.Extensions(ctx, q)
}

func (m *instrumenting) Overview(ctx context.Context, q OverviewQuery) (o Overview, err error) {
	defer func(begin time.Time) { m.observe("Overview", begin, err) }(time.Now())
	return m.next.Overview(ctx, q)
}

func (m *instrumenting) Breaches(ctx context.Context, q BreachQuery) (p BreachPage, err error) {
	defer func(begin time.Time) { m.observe("Breaches", begin, err) }(time.Now())
	return m.next.Breaches(ctx, q)
}
