package calendar

import (
	"context"
	"strings"
	"time"

	"github.com/go-kit/kit/metrics"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Metrics are the go-kit metrics InstrumentingMiddleware records, both
// labelled by method (get, put_year, due) and outcome ("ok", a fault kind
// such as "not_found", or "error").
type Metrics struct {
	// Requests counts calls.
	Requests metrics.Counter
	// Duration observes call durations in seconds.
	Duration metrics.Histogram
}

// NewMetrics registers the calendar metrics in reg:
// parkdesk_sla_calendar_requests_total and
// parkdesk_sla_calendar_request_duration_seconds.
func NewMetrics(reg *telemetry.Registry) Metrics {
	return Metrics{
		Requests: reg.NewCounter("parkdesk", "sla_calendar", "requests_total",
			"Calendar service calls by method and outcome.", "method", "outcome"),
		Duration: reg.NewHistogram("parkdesk", "sla_calendar", "request_duration_seconds",
			"Calendar service call durations by method and outcome.", "method", "outcome"),
	}
}

// InstrumentingMiddleware records every call in m. It panics when a metric
// is nil.
func InstrumentingMiddleware(m Metrics) Middleware {
	if m.Requests == nil || m.Duration == nil {
		panic("calendar: InstrumentingMiddleware: nil metric")
	}
	return func(next Service) Service { return &instrumentingService{m: m, next: next} }
}

type instrumentingService struct {
	m    Metrics
	next Service
}

func (s *instrumentingService) Get(ctx context.Context, park string) (v View, err error) {
	defer s.observe(time.Now(), "get", &err)
	return s.next.Get(ctx, park)
}

func (s *instrumentingService) PutYear(ctx context.Context, park string, y workday.Year) (v View, err error) {
	defer s.observe(time.Now(), "put_year", &err)
	return s.next.PutYear(ctx, park, y)
}

func (s *instrumentingService) Due(ctx context.Context, park string, start time.Time, workingDays, workingHours int) (d Due, err error) {
	defer s.observe(time.Now(), "due", &err)
	return s.next.Due(ctx, park, start, workingDays, workingHours)
}

func (s *instrumentingService) observe(begin time.Time, method string, err *error) {
	lvs := []string{"method", method, "outcome", outcome(*err)}
	s.m.Requests.With(lvs...).Add(1)
	s.m.Duration.With(lvs...).Observe(time.Since(begin).Seconds())
}

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if kind := fault.KindOf(err); kind != nil {
		return strings.ReplaceAll(kind.Error(), " ", "_")
	}
	return "error"
}
