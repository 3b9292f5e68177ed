// Package telemetry holds what every parkdesk process needs to be observed:
// a JSON structured logger that stamps each record with the service, the
// request id and the trace id found in its context; W3C trace context
// helpers; and Prometheus metrics for go-kit instrumenting middlewares.
//
// The request id lives here rather than in httpx so that the logger can read
// it without an import cycle; httpx.RequestID stores it with WithRequestID.
package telemetry

import "context"

type ctxKey int

const (
	requestIDKey ctxKey = iota
	traceKey
)

// WithRequestID returns a copy of ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFrom returns the request id in ctx, or "" when there is none.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}
