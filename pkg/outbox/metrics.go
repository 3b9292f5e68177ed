package outbox

import (
	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/kit/metrics/discard"
)

// Metrics observes a relay through go-kit metrics.
type Metrics struct {
	// Published counts rows acknowledged by JetStream.
	Published metrics.Counter
	// Duplicates counts rows JetStream reported as already stored.
	Duplicates metrics.Counter
	// Latency observes seconds from the row's creation to its PubAck.
	Latency metrics.Histogram
}

func discardMetrics() *Metrics {
	return &Metrics{Published: discard.NewCounter(), Duplicates: discard.NewCounter(), Latency: discard.NewHistogram()}
}
