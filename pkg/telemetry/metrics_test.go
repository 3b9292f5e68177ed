package telemetry_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

func scrape(t *testing.T, r *telemetry.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 {
		t.Fatalf("/metrics status %d: %s", rec.Code, body)
	}
	return string(body)
}

func TestRegistryMetrics(t *testing.T) {
	r := telemetry.NewRegistry()
	c := r.NewCounter("parkdesk", "intake", "tickets_submitted_total", "Tickets submitted.", "park")
	c.With("park", "suzhou-sip").Add(2)
	r.NewCounter("parkdesk", "intake", "tickets_submitted_total", "Tickets submitted.", "park").With("park", "suzhou-sip").Add(1)
	r.NewHistogram("parkdesk", "intake", "request_duration_seconds", "Request latency.", "method").With("method", "submit").Observe(0.2)
	r.NewGauge("parkdesk", "outbox", "backlog", "Unsent outbox rows.").Set(7)

	body := scrape(t, r)
	for _, want := range []string{
		`parkdesk_intake_tickets_submitted_total{park="suzhou-sip"} 3`,
		`parkdesk_intake_request_duration_seconds_count{method="submit"} 1`,
		`parkdesk_outbox_backlog 7`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	a, b := telemetry.NewRegistry(), telemetry.NewRegistry()
	a.NewCounter("parkdesk", "sla", "breaches_total", "Breaches.").Add(1)
	b.NewCounter("parkdesk", "sla", "breaches_total", "Breaches.").Add(0)
	if body := scrape(t, b); !strings.Contains(body, "parkdesk_sla_breaches_total 0") {
		t.Fatal("a counter in one registry leaked into another")
	}
}

func TestRegistryConflictPanics(t *testing.T) {
	r := telemetry.NewRegistry()
	r.NewCounter("parkdesk", "x", "y", "help", "a")
	defer func() {
		if recover() == nil {
			t.Fatal("re-registering a name as a gauge did not panic")
		}
	}()
	r.NewGauge("parkdesk", "x", "y", "help", "a")
}

func TestRegisterCustomCollector(t *testing.T) {
	r := telemetry.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "custom_value", Help: "h"})
	if err := r.Register(g); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(g); err == nil {
		t.Fatal("registering the same collector twice returned nil")
	}
}
