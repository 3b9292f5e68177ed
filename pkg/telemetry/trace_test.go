package telemetry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

const validTP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParseTraceparent(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"valid", validTP, false},
		{"unsampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", false},
		{"future version with extra field", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false},
		{"future version exact length", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"empty", "", true},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"version 00 too long", validTP + "-x", true},
		{"future version bad trailer", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", true},
		{"uppercase", strings.ToUpper(validTP), true},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", true},
		{"zero span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", true},
		{"bad separator", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"non hex", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", true},
		{"short", validTP[:54], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := telemetry.ParseTraceparent(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseTraceparent(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil && tp.TraceIDString() != "4bf92f3577b34da6a3ce929d0e0e4736" {
				t.Fatalf("trace id = %s", tp.TraceIDString())
			}
		})
	}
}

func TestTraceparentRoundTrip(t *testing.T) {
	tp, err := telemetry.ParseTraceparent(validTP)
	if err != nil {
		t.Fatal(err)
	}
	if tp.String() != validTP || tp.Flags&telemetry.FlagSampled == 0 {
		t.Fatalf("String() = %q, flags %x", tp.String(), tp.Flags)
	}
	child := tp.Child()
	if child.TraceID != tp.TraceID || child.SpanID == tp.SpanID || child.Flags != tp.Flags {
		t.Fatalf("Child() = %v from %v: want same trace and flags, new span", child, tp)
	}
	fresh := telemetry.NewTraceparent()
	again, err := telemetry.ParseTraceparent(fresh.String())
	if err != nil || again != fresh {
		t.Fatalf("NewTraceparent %q does not round-trip: %v", fresh, err)
	}
	if telemetry.NewTraceparent().TraceID == fresh.TraceID {
		t.Fatal("two new traces share a trace id")
	}
}

func TestTraceContext(t *testing.T) {
	if _, ok := telemetry.TraceFrom(context.Background()); ok {
		t.Fatal("TraceFrom(empty ctx) ok")
	}
	if _, ok := telemetry.TraceFrom(telemetry.WithTrace(context.Background(), telemetry.Traceparent{})); ok {
		t.Fatal("TraceFrom with a zero traceparent ok")
	}
	tp := telemetry.NewTraceparent()
	got, ok := telemetry.TraceFrom(telemetry.WithTrace(context.Background(), tp))
	if !ok || got != tp {
		t.Fatalf("TraceFrom = %v, %v", got, ok)
	}
}

func FuzzParseTraceparent(f *testing.F) {
	for _, s := range []string{validTP, "", "ff-" + validTP[3:], strings.ToUpper(validTP), "01-" + validTP[3:] + "-x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := telemetry.ParseTraceparent(s)
		if err != nil {
			if tp != (telemetry.Traceparent{}) {
				t.Fatalf("error with non-zero result %v", tp)
			}
			return
		}
		if !tp.IsValid() {
			t.Fatalf("accepted %q with a zero id", s)
		}
		if s[:2] == "00" && tp.String() != s {
			t.Fatalf("version 00 %q re-encodes as %q", s, tp.String())
		}
		if again, err := telemetry.ParseTraceparent(tp.String()); err != nil || again != tp {
			t.Fatalf("String() of %q does not parse back: %v", s, err)
		}
	})
}
