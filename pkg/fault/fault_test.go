package fault_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

func TestConstructorsKind(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		kind    error
		wantMsg string
	}{
		{"Invalid", fault.Invalid("uscc", "must be 18 characters"), fault.ErrInvalid, "invalid: uscc: must be 18 characters"},
		{"Invalidf", fault.Invalidf("working_days", "must be at most %d", 60), fault.ErrInvalid, "invalid: working_days: must be at most 60"},
		{"Fields", fault.Fields(fault.ErrUnprocessable, fault.FieldError{"materials.licence", "missing"}, fault.FieldError{"materials.lease", "missing"}), fault.ErrUnprocessable, "unprocessable: materials.licence: missing; materials.lease: missing"},
		{"Fields nil kind", fault.Fields(nil), fault.ErrInvalid, "invalid"},
		{"NotFound", fault.NotFound("ticket"), fault.ErrNotFound, "ticket not found"},
		{"Conflict", fault.Conflict("ticket already closed"), fault.ErrConflict, "ticket already closed"},
		{"Forbidden", fault.Forbidden("not your firm"), fault.ErrForbidden, "not your firm"},
		{"Unauthenticated", fault.Unauthenticated("token expired"), fault.ErrUnauthenticated, "token expired"},
		{"Precondition", fault.Precondition("stale version"), fault.ErrPrecondition, "stale version"},
		{"TooLarge", fault.TooLarge("too many materials"), fault.ErrTooLarge, "too many materials"},
		{"Unavailable", fault.Unavailable("calendar unavailable", io.ErrUnexpectedEOF), fault.ErrUnavailable, "calendar unavailable: unexpected EOF"},
		{"New", fault.New(fault.ErrConflict, "x"), fault.ErrConflict, "x"},
		{"Newf", fault.Newf(fault.ErrNotFound, "matter %s not found", "M-1"), fault.ErrNotFound, "matter M-1 not found"},
		{"New empty message", fault.New(fault.ErrConflict, ""), fault.ErrConflict, "conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.kind) {
				t.Fatalf("errors.Is(%v, %v) = false", tt.err, tt.kind)
			}
			wrapped := fmt.Errorf("intake: submit ticket: %w", tt.err)
			if got := fault.KindOf(wrapped); got != tt.kind {
				t.Fatalf("KindOf(wrapped) = %v, want %v", got, tt.kind)
			}
			if tt.err.Error() != tt.wantMsg {
				t.Fatalf("Error() = %q, want %q", tt.err.Error(), tt.wantMsg)
			}
		})
	}
}

func TestKindOfUnknown(t *testing.T) {
	for _, err := range []error{nil, io.EOF, errors.New("boom"), fmt.Errorf("wrap: %w", io.EOF)} {
		if got := fault.KindOf(err); got != nil {
			t.Errorf("KindOf(%v) = %v, want nil", err, got)
		}
	}
}

func TestWrapKeepsCauseHidden(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.7:5432: connection refused")
	err := fault.Wrap(fault.ErrUnavailable, "database unavailable", cause)
	if !errors.Is(err, cause) || !errors.Is(err, fault.ErrUnavailable) {
		t.Fatal("Wrap: errors.Is must match both kind and cause")
	}
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Msg != "database unavailable" {
		t.Fatalf("errors.As *Error: Msg = %q, want the caller-facing message only", fe.Msg)
	}
}

func TestValidationErrorAs(t *testing.T) {
	err := fmt.Errorf("policy: apply: %w", fault.Invalid("amount_fen", "must be positive"))
	var ve *fault.ValidationError
	if !errors.As(err, &ve) {
		t.Fatal("errors.As *ValidationError = false")
	}
	if len(ve.Fields) != 1 || ve.Fields[0] != (fault.FieldError{Field: "amount_fen", Reason: "must be positive"}) {
		t.Fatalf("Fields = %+v", ve.Fields)
	}
	if errors.Is(err, fault.ErrUnprocessable) {
		t.Fatal("an ErrInvalid validation error matched ErrUnprocessable")
	}
}

func TestViolations(t *testing.T) {
	var v fault.Violations
	if err := v.Err(fault.ErrUnprocessable); err != nil {
		t.Fatalf("empty Violations.Err = %v, want nil", err)
	}
	v.Add("name", "required")
	v.Addf("working_days", "must be between %d and %d", 1, 60)
	err := v.Err(nil)
	if !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("Err(nil) kind: %v, want ErrInvalid", err)
	}
	var ve *fault.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("Err(nil) = %v, want a ValidationError with 2 fields", err)
	}
	if ve.Fields[1].Reason != "must be between 1 and 60" {
		t.Fatalf("Addf reason = %q", ve.Fields[1].Reason)
	}
}
