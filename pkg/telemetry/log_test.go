package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

func decodeLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		recs = append(recs, m)
	}
	return recs
}

func TestNewLoggerAddsContext(t *testing.T) {
	tp := telemetry.NewTraceparent()
	ctxAll := telemetry.WithTrace(telemetry.WithRequestID(context.Background(), "req-1"), tp)

	tests := []struct {
		name      string
		ctx       context.Context
		attrs     []any
		wantReqID any
		wantTrace any
	}{
		{name: "no ids", ctx: context.Background()},
		{name: "request id only", ctx: telemetry.WithRequestID(context.Background(), "req-1"), wantReqID: "req-1"},
		{name: "both", ctx: ctxAll, wantReqID: "req-1", wantTrace: tp.TraceIDString()},
		{name: "explicit request id wins", ctx: ctxAll, attrs: []any{"request_id", "explicit"}, wantReqID: "explicit", wantTrace: tp.TraceIDString()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := telemetry.NewLogger("intake", slog.LevelInfo, &buf)
			log.InfoContext(tt.ctx, "hello", tt.attrs...)
			recs := decodeLines(t, &buf)
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			rec := recs[0]
			if rec["service"] != "intake" || rec["msg"] != "hello" {
				t.Fatalf("record = %v", rec)
			}
			if rec["request_id"] != tt.wantReqID || rec["trace_id"] != tt.wantTrace {
				t.Fatalf("request_id = %v, trace_id = %v; want %v, %v", rec["request_id"], rec["trace_id"], tt.wantReqID, tt.wantTrace)
			}
			if n := strings.Count(buf.String(), `"request_id"`); n > 1 {
				t.Fatalf("request_id appears %d times: %s", n, buf.String())
			}
		})
	}
}

func TestNewLoggerLevelAndUTC(t *testing.T) {
	var buf bytes.Buffer
	log := telemetry.NewLogger("sla", slog.LevelWarn, &buf).With("component", "clock")
	log.Info("dropped")
	log.Warn("kept")
	recs := decodeLines(t, &buf)
	if len(recs) != 1 || recs[0]["msg"] != "kept" || recs[0]["component"] != "clock" {
		t.Fatalf("records = %v, want only the warning with its attrs", recs)
	}
	ts, err := time.Parse(time.RFC3339Nano, recs[0]["time"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if _, off := ts.Zone(); off != 0 || !strings.HasSuffix(recs[0]["time"].(string), "Z") {
		t.Fatalf("time %q is not UTC", recs[0]["time"])
	}
}

func TestNewLoggerRejectsNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewLogger with nil writer did not panic")
		}
	}()
	telemetry.NewLogger("x", slog.LevelInfo, nil)
}
