package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// FlagSampled is the W3C trace-flags bit saying the caller may have recorded
// the trace.
const FlagSampled byte = 0x01

// Traceparent is a W3C Trace Context traceparent: the trace a request or an
// event belongs to and the span that caused it. Events carry its String form.
type Traceparent struct {
	// TraceID identifies the whole trace; never all zero when valid.
	TraceID [16]byte
	// SpanID identifies the parent span; never all zero when valid.
	SpanID [8]byte
	// Flags are the trace flags; see FlagSampled.
	Flags byte
}

// NewTraceparent starts a new trace with a random trace and span id. It is
// not marked sampled: parkdesk records no spans of its own.
func NewTraceparent() Traceparent {
	var tp Traceparent
	fillNonZero(tp.TraceID[:])
	fillNonZero(tp.SpanID[:])
	return tp
}

// Child returns the traceparent for work caused by tp: the same trace and
// flags with a new span id.
func (tp Traceparent) Child() Traceparent {
	fillNonZero(tp.SpanID[:])
	return tp
}

// IsValid reports whether both ids are non-zero.
func (tp Traceparent) IsValid() bool {
	return tp.TraceID != [16]byte{} && tp.SpanID != [8]byte{}
}

// TraceIDString returns the trace id as 32 lowercase hex digits.
func (tp Traceparent) TraceIDString() string {
	return hex.EncodeToString(tp.TraceID[:])
}

// String returns the version-00 header form:
// 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>.
func (tp Traceparent) String() string {
	var b [55]byte
	copy(b[:], "00-")
	hex.Encode(b[3:35], tp.TraceID[:])
	b[35] = '-'
	hex.Encode(b[36:52], tp.SpanID[:])
	b[52] = '-'
	hex.Encode(b[53:55], []byte{tp.Flags})
	return string(b[:])
}

var errTraceparent = errors.New("invalid traceparent")

// ParseTraceparent parses a traceparent header value. It follows the W3C
// rules: lowercase hex only, version ff rejected, version 00 exactly 55
// characters, later versions parsed by their version-00 prefix.
func ParseTraceparent(s string) (Traceparent, error) {
	var tp Traceparent
	if len(s) < 55 {
		return tp, fmt.Errorf("parse traceparent: %w: too short", errTraceparent)
	}
	var version [1]byte
	if err := decodeLowerHex(version[:], s[0:2]); err != nil || version[0] == 0xff {
		return tp, fmt.Errorf("parse traceparent: %w: bad version", errTraceparent)
	}
	if version[0] == 0 && len(s) != 55 {
		return tp, fmt.Errorf("parse traceparent: %w: version 00 must be 55 characters", errTraceparent)
	}
	if len(s) > 55 && s[55] != '-' {
		return tp, fmt.Errorf("parse traceparent: %w: bad trailing field", errTraceparent)
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return tp, fmt.Errorf("parse traceparent: %w: bad separators", errTraceparent)
	}
	var flags [1]byte
	if decodeLowerHex(tp.TraceID[:], s[3:35]) != nil ||
		decodeLowerHex(tp.SpanID[:], s[36:52]) != nil ||
		decodeLowerHex(flags[:], s[53:55]) != nil {
		return Traceparent{}, fmt.Errorf("parse traceparent: %w: not lowercase hex", errTraceparent)
	}
	tp.Flags = flags[0]
	if !tp.IsValid() {
		return Traceparent{}, fmt.Errorf("parse traceparent: %w: zero id", errTraceparent)
	}
	return tp, nil
}

// WithTrace returns a copy of ctx carrying tp.
func WithTrace(ctx context.Context, tp Traceparent) context.Context {
	return context.WithValue(ctx, traceKey, tp)
}

// TraceFrom returns the traceparent in ctx and whether there is a valid one.
func TraceFrom(ctx context.Context) (Traceparent, bool) {
	tp, ok := ctx.Value(traceKey).(Traceparent)
	return tp, ok && tp.IsValid()
}

func decodeLowerHex(dst []byte, s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return errTraceparent
		}
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

func fillNonZero(b []byte) {
	for {
		_, _ = rand.Read(b)
		for _, c := range b {
			if c != 0 {
				return
			}
		}
	}
}
