package telemetry

import (
	"errors"
	"fmt"
	"net/http"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is a Prometheus registry that hands out go-kit metrics. Each
// service owns one, so several services can run in one process (the dev
// stack, tests) without clashing in the global registry.
type Registry struct {
	reg *prometheus.Registry
}

// NewRegistry returns a Registry that already exports the Go runtime and
// process collectors.
func NewRegistry() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Registry{reg: reg}
}

// NewCounter returns a counter named ns_subsystem_name with the given label
// names. Asking twice for the same counter returns the same series. It
// panics when the name is taken by a different metric, as a wiring error.
func (r *Registry) NewCounter(ns, subsystem, name, help string, labels ...string) *kitprometheus.Counter {
	cv := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Subsystem: subsystem, Name: name, Help: help,
	}, labels)
	return kitprometheus.NewCounter(register(r.reg, cv))
}

// NewGauge returns a gauge named ns_subsystem_name; see NewCounter.
func (r *Registry) NewGauge(ns, subsystem, name, help string, labels ...string) *kitprometheus.Gauge {
	gv := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: ns, Subsystem: subsystem, Name: name, Help: help,
	}, labels)
	return kitprometheus.NewGauge(register(r.reg, gv))
}

// NewHistogram returns a histogram named ns_subsystem_name with the default
// Prometheus buckets, which suit request durations in seconds; see
// NewCounter.
func (r *Registry) NewHistogram(ns, subsystem, name, help string, labels ...string) *kitprometheus.Histogram {
	hv := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: ns, Subsystem: subsystem, Name: name, Help: help, Buckets: prometheus.DefBuckets,
	}, labels)
	return kitprometheus.NewHistogram(register(r.reg, hv))
}

// Register adds a collector of the caller's own, e.g. one that reads the
// outbox backlog at scrape time.
func (r *Registry) Register(c prometheus.Collector) error {
	if err := r.reg.Register(c); err != nil {
		return fmt.Errorf("telemetry: register collector: %w", err)
	}
	return nil
}

// Handler serves the registry in the Prometheus exposition format, for
// mounting at /metrics.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}

func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(fmt.Sprintf("telemetry: register metric: %v", err))
}
