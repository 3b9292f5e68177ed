package telemetry

import (
	"context"
	"io"
	"log/slog"
)

// Log attribute keys added by the logger.
const (
	KeyService   = "service"
	KeyRequestID = "request_id"
	KeyTraceID   = "trace_id"
)

// NewLogger returns a JSON logger writing to w at level and above. Every
// record carries service, its time in UTC, and, when its context has them,
// request_id and trace_id (unless the record already sets that key).
// It panics when w is nil or service is empty.
func NewLogger(service string, level slog.Level, w io.Writer) *slog.Logger {
	if w == nil {
		panic("telemetry: NewLogger: nil writer")
	}
	if service == "" {
		panic("telemetry: NewLogger: empty service name")
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
				a.Value = slog.TimeValue(a.Value.Time().UTC())
			}
			return a
		},
	})
	return slog.New(contextHandler{Handler: h}).With(KeyService, service)
}

// contextHandler adds the request and trace ids found in the record's
// context. Under WithGroup they land inside the group, like any record attr.
type contextHandler struct {
	slog.Handler
}

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if id := RequestIDFrom(ctx); id != "" && !hasAttr(r, KeyRequestID) {
			r.AddAttrs(slog.String(KeyRequestID, id))
		}
		if tp, ok := TraceFrom(ctx); ok && !hasAttr(r, KeyTraceID) {
			r.AddAttrs(slog.String(KeyTraceID, tp.TraceIDString()))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{Handler: h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{Handler: h.Handler.WithGroup(name)}
}

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}
