package approval

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
		panic("approval.InstrumentingMiddleware: counter and histogram are required")
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

func (m *instrumenting) Tasks(ctx context.Context, q TaskQuery) (p TaskPage, err error) {
	defer func(begin time.Time) { m.observe("Tasks", begin, err) }(time.Now())
	return m.next.Tasks(ctx, q)
}

func (m *instrumenting) Task(ctx context.Context, id string) (t TaskView, err error) {
	defer func(begin time.Time) { m.observe("Task", begin, err) }(time.Now())
	return m.next.Task(ctx, id)
}

func (m *instrumenting) Decide(ctx context.Context, taskID string, d Decision) (r DecisionResult, err error) {
	defer func(begin time.Time) { m.observe("Decide", begin, err) }(time.Now())
	return m.next.Decide(ctx, taskID, d)
}

func (m *instrumenting) Workflows(ctx context.Context, q WorkflowQuery) (p WorkflowPage, err error) {
	defer func(begin time.Time) { m.observe("Workflows", begin, err) }(time.Now())
	return m.next.Workflows(ctx, q)
}

func (m *instrumenting) Workflow(ctx context.Context, id string) (w *Workflow, err error) {
	defer func(begin time.Time) { m.observe("Workflow", begin, err) }(time.Now())
	return m.next.Workflow(ctx, id)
}

func (m *instrumenting) History(ctx context.Context, id string) (h []HistoryEntry, err error) {
	defer func(begin time.Time) { m.observe("History", begin, err) }(time.Now())
	return m.next.History(ctx, id)
}

func (m *instrumenting) Withdraw(ctx context.Context, id string, reason string) (w *Workflow, err error) {
	defer func(begin time.Time) { m.observe("Withdraw", begin, err) }(time.Now())
	return m.next.Withdraw(ctx, id, reason)
}

func (m *instrumenting) Definitions(ctx context.Context) (ds []Definition, err error) {
	defer func(begin time.Time) { m.observe("Definitions", begin, err) }(time.Now())
	return m.next.Definitions(ctx)
}
