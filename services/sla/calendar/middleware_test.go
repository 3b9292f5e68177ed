package calendar_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/telemetry"
	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

func TestLoggingAndInstrumentingMiddlewares(t *testing.T) {
	e := newEnv(t, nil)
	reg := telemetry.NewRegistry()
	var logs bytes.Buffer
	svc := calendar.LoggingMiddleware(slog.New(slog.NewJSONHandler(&logs, nil)))(
		calendar.InstrumentingMiddleware(calendar.NewMetrics(reg))(e.Svc))

	start := time.Date(2026, 9, 18, 10, 0, 0, 0, time.UTC)
	if _, err := svc.Due(asCaller(manager), "wangcheng", start, 3, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Due(asCaller(manager), "wangcheng", start.AddDate(1, 0, 0), 3, 0); err == nil {
		t.Fatal("due into 2027 succeeded")
	}
	if _, err := svc.Get(asCaller(enterprise), "wangcheng"); err == nil {
		t.Fatal("enterprise read the calendar")
	}

	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	metrics, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`parkdesk_sla_calendar_requests_total{method="due",outcome="ok"} 1`,
		`parkdesk_sla_calendar_requests_total{method="due",outcome="unprocessable"} 1`,
		`parkdesk_sla_calendar_requests_total{method="get",outcome="forbidden"} 1`,
		`parkdesk_sla_calendar_request_duration_seconds_count{method="due",outcome="ok"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, want := range []string{`"method":"due"`, `"park":"wangcheng"`, `"err":"calendar year 2027 is not loaded`, `"method":"get"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}
