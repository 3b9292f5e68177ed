package liaison

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
		panic("liaison.InstrumentingMiddleware: counter and histogram are required")
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

func (m *instrumenting) Officers(ctx context.Context, q OfficerQuery) (out []Officer, err error) {
	defer func(begin time.Time) { m.observe("Officers", begin, err) }(time.Now())
	return m.next.Officers(ctx, q)
}

func (m *instrumenting) Officer(ctx context.Context, id string) (out Officer, err error) {
	defer func(begin time.Time) { m.observe("Officer", begin, err) }(time.Now())
	return m.next.Officer(ctx, id)
}

func (m *instrumenting) CreateOfficer(ctx context.Context, in OfficerInput) (out Officer, err error) {
	defer func(begin time.Time) { m.observe("CreateOfficer", begin, err) }(time.Now())
	return m.next.CreateOfficer(ctx, in)
}

func (m *instrumenting) UpdateOfficer(ctx context.Context, id string, patch OfficerPatch) (out OfficerChange, err error) {
	defer func(begin time.Time) { m.observe("UpdateOfficer", begin, err) }(time.Now())
	return m.next.UpdateOfficer(ctx, id, patch)
}

func (m *instrumenting) Firms(ctx context.Context, q FirmQuery) (out []Firm, err error) {
	defer func(begin time.Time) { m.observe("Firms", begin, err) }(time.Now())
	return m.next.Firms(ctx, q)
}

func (m *instrumenting) Firm(ctx context.Context, id string) (out Firm, err error) {
	defer func(begin time.Time) { m.observe("Firm", begin, err) }(time.Now())
	return m.next.Firm(ctx, id)
}

func (m *instrumenting) Reassign(ctx context.Context, id string, r Reassignment) (out Firm, err error) {
	defer func(begin time.Time) { m.observe("Reassign", begin, err) }(time.Now())
	return m.next.Reassign(ctx, id, r)
}

func (m *instrumenting) Queue(ctx context.Context) (out []Request, err error) {
	defer func(begin time.Time) { m.observe("Queue", begin, err) }(time.Now())
	return m.next.Queue(ctx)
}

func (m *instrumenting) Requests(ctx context.Context, q RequestQuery) (out []Request, err error) {
	defer func(begin time.Time) { m.observe("Requests", begin, err) }(time.Now())
	return m.next.Requests(ctx, q)
}

func (m *instrumenting) Request(ctx context.Context, id string) (out Request, err error) {
	defer func(begin time.Time) { m.observe("Request", begin, err) }(time.Now())
	return m.next.Request(ctx, id)
}

func (m *instrumenting) Acknowledge(ctx context.Context, id string) (out Request, err error) {
	defer func(begin time.Time) { m.observe("Acknowledge", begin, err) }(time.Now())
	return m.next.Acknowledge(ctx, id)
}

func (m *instrumenting) Return(ctx context.Context, id string, in ReturnInput) (out Request, err error) {
	defer func(begin time.Time) { m.observe("Return", begin, err) }(time.Now())
	return m.next.Return(ctx, id, in)
}

func (m *instrumenting) Chase(ctx context.Context, id string, in ChaseInput) (out Chase, err error) {
	defer func(begin time.Time) { m.observe("Chase", begin, err) }(time.Now())
	return m.next.Chase(ctx, id, in)
}

func (m *instrumenting) Redispatch(ctx context.Context, id string, in RedispatchInput) (out Request, err error) {
	defer func(begin time.Time) { m.observe("Redispatch", begin, err) }(time.Now())
	return m.next.Redispatch(ctx, id, in)
}

func (m *instrumenting) LogVisit(ctx context.Context, in VisitInput) (out Visit, err error) {
	defer func(begin time.Time) { m.observe("LogVisit", begin, err) }(time.Now())
	return m.next.LogVisit(ctx, in)
}

func (m *instrumenting) Visits(ctx context.Context, q VisitQuery) (out []Visit, err error) {
	defer func(begin time.Time) { m.observe("Visits", begin, err) }(time.Now())
	return m.next.Visits(ctx, q)
}

func (m *instrumenting) MakePromise(ctx context.Context, in PromiseInput) (p Promise, err error) {
	defer func(begin time.Time) { m.observe("MakePromise", begin, err) }(time.Now())
	return m.next.MakePromise(ctx, in)
}

func (m *instrumenting) ClosePromise(ctx context.Context, id string, out PromiseOutcome) (p Promise, err error) {
	defer func(begin time.Time) { m.observe("ClosePromise", begin, err) }(time.Now())
	return m.next.ClosePromise(ctx, id, out)
}

func (m *instrumenting) Promises(ctx context.Context, q PromiseQuery) (out []Promise, err error) {
	defer func(begin time.Time) { m.observe("Promises", begin, err) }(time.Now())
	return m.next.Promises(ctx, q)
}

func (m *instrumenting) Overview(ctx context.Context, q OverviewQuery) (out Overview, err error) {
	defer func(begin time.Time) { m.observe("Overview", begin, err) }(time.Now())
	return m.next.Overview(ctx, q)
}
