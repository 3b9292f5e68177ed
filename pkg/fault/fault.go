// Package fault defines the kinds of business error that parkdesk services
// return. Domain code wraps one of the sentinel kinds (directly, or through
// Error and ValidationError); the transport maps kinds to protocol status
// codes in one place (httpx.StatusOf). Domain code never sees HTTP.
package fault

import (
	"errors"
	"fmt"
)

// The kinds of business error. Test for them with errors.Is.
var (
	// ErrInvalid means the request is malformed or a field is invalid.
	ErrInvalid = errors.New("invalid")
	// ErrUnauthenticated means the caller did not prove who it is.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the caller may not do this, or not on this resource.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound means the resource does not exist or is out of scope.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the request conflicts with the resource's state.
	ErrConflict = errors.New("conflict")
	// ErrPrecondition means a stated precondition (version, If-Match) failed.
	ErrPrecondition = errors.New("precondition failed")
	// ErrUnprocessable means the request is well-formed but breaks a rule,
	// such as missing required materials.
	ErrUnprocessable = errors.New("unprocessable")
	// ErrTooLarge means the request is larger than allowed.
	ErrTooLarge = errors.New("too large")
	// ErrUnavailable means a dependency is down; the caller may retry.
	ErrUnavailable = errors.New("unavailable")
)

var kinds = []error{
	ErrInvalid, ErrUnauthenticated, ErrForbidden, ErrNotFound, ErrConflict,
	ErrPrecondition, ErrUnprocessable, ErrTooLarge, ErrUnavailable,
}

// KindOf returns the kind err wraps, or nil when it wraps none.
func KindOf(err error) error {
	if err == nil {
		return nil
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// Error is a business error of a Kind carrying a message fit to show the
// caller, and optionally the Cause for logs.
type Error struct {
	// Kind is one of the sentinel kinds of this package.
	Kind error
	// Msg is shown to the caller; it must not leak internals.
	Msg string
	// Cause is the underlying error, kept for logs and errors.Is.
	Cause error
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" && e.Kind != nil {
		msg = e.Kind.Error()
	}
	if e.Cause != nil {
		return msg + ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap returns the kind and the cause, so errors.Is matches both.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// New returns an error of kind with a caller-facing message.
func New(kind error, msg string) error {
	return &Error{Kind: kind, Msg: msg}
}

// Newf is New with a formatted message. It does not wrap %w arguments; use
// Wrap to keep a cause.
func Newf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind with a caller-facing message that keeps
// cause for logs and errors.Is without showing it to the caller.
func Wrap(kind error, msg string, cause error) error {
	return &Error{Kind: kind, Msg: msg, Cause: cause}
}

// NotFound reports that what (e.g. "ticket") does not exist.
func NotFound(what string) error {
	return &Error{Kind: ErrNotFound, Msg: what + " not found"}
}

// Conflict reports a conflict with the resource's current state.
func Conflict(msg string) error { return New(ErrConflict, msg) }

// Forbidden reports that the caller may not do this.
func Forbidden(msg string) error { return New(ErrForbidden, msg) }

// Unauthenticated reports a missing or invalid credential.
func Unauthenticated(msg string) error { return New(ErrUnauthenticated, msg) }

// Precondition reports a failed precondition such as a stale version.
func Precondition(msg string) error { return New(ErrPrecondition, msg) }

// TooLarge reports a request over a size limit.
func TooLarge(msg string) error { return New(ErrTooLarge, msg) }

// Unavailable reports that a dependency is down; cause is kept for logs.
func Unavailable(msg string, cause error) error { return Wrap(ErrUnavailable, msg, cause) }
