package httpx

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

// Header names used by the middlewares.
const (
	HeaderRequestID   = "X-Request-Id"
	HeaderTraceparent = "Traceparent"
)

const maxRequestIDLen = 128

// RequestIDFrom returns the request id RequestID stored in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	return telemetry.RequestIDFrom(ctx)
}

// RequestID takes the caller's X-Request-Id when it is a short printable
// token, or generates a UUIDv7, echoes it in the response header and stores
// it in the request context (RequestIDFrom, and the telemetry logger).
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(HeaderRequestID, id)
		next.ServeHTTP(w, r.WithContext(telemetry.WithRequestID(r.Context(), id)))
	})
}

func newRequestID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// validRequestID accepts what is safe to log and echo: 1 to 128 visible
// ASCII characters.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// Trace continues the caller's W3C trace when the Traceparent header is
// valid, as a child span, or starts a new trace, and stores it in the request
// context (telemetry.TraceFrom) for logs and outgoing events.
func Trace(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tp, err := telemetry.ParseTraceparent(r.Header.Get(HeaderTraceparent))
		if err != nil {
			tp = telemetry.NewTraceparent()
		} else {
			tp = tp.Child()
		}
		next.ServeHTTP(w, r.WithContext(telemetry.WithTrace(r.Context(), tp)))
	})
}

// Recover turns a panic in next into a logged error (with its stack) and a
// 500 problem response, if nothing was written yet. http.ErrAbortHandler is
// re-panicked, as net/http expects. It panics when logger is nil.
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		panic("httpx: Recover: nil logger")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := wrapWriter(w)
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic serving request",
					"method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !rec.wroteHeader {
					writeProblemBody(rec, NewProblem(r.Context(), fmt.Errorf("panic: %v", v), r.URL.Path))
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// LimitBody rejects requests whose declared length exceeds n bytes with a
// 413 problem and caps the body read by later handlers at n bytes (reading
// past it fails with an error StatusOf maps to 413). It panics when n <= 0.
func LimitBody(n int64) func(http.Handler) http.Handler {
	if n <= 0 {
		panic("httpx: LimitBody: limit must be positive")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				WriteProblem(w, r, fault.TooLarge(fmt.Sprintf("request body exceeds %d bytes", n)))
				return
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// AccessLog logs one record per request after it is served: method, path,
// status, bytes written, duration and request_id. Server errors log at warn
// level. It panics when logger is nil.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		panic("httpx: AccessLog: nil logger")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := wrapWriter(w)
			defer func() {
				level := slog.LevelInfo
				if rec.status >= 500 {
					level = slog.LevelWarn
				}
				logger.LogAttrs(r.Context(), level, "http request",
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.Int("status", rec.status),
					slog.Int64("bytes", rec.bytes),
					slog.Duration("duration", time.Since(start)),
					slog.String(telemetry.KeyRequestID, RequestIDFrom(r.Context())),
				)
			}()
			next.ServeHTTP(rec, r)
		})
	}
}
