// Package httpx is the HTTP plumbing shared by every parkdesk service and the
// gateway: the one mapping from fault kinds to status codes, problem+json
// error bodies (RFC 9457), strict JSON decoding, go-kit encoders,
// middlewares, health endpoints and a graceful server runner.
//
// Services route with the Go 1.22+ http.ServeMux patterns and r.PathValue.
package httpx

import (
	"context"
	"errors"
	"net/http"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// StatusClientClosedRequest is the non-standard status (after nginx) recorded
// when the client went away before the response, i.e. context.Canceled.
const StatusClientClosedRequest = 499

var statusByKind = []struct {
	kind   error
	status int
}{
	{fault.ErrInvalid, http.StatusBadRequest},
	{fault.ErrUnauthenticated, http.StatusUnauthorized},
	{fault.ErrForbidden, http.StatusForbidden},
	{fault.ErrNotFound, http.StatusNotFound},
	{fault.ErrConflict, http.StatusConflict},
	{fault.ErrPrecondition, http.StatusPreconditionFailed},
	{fault.ErrUnprocessable, http.StatusUnprocessableEntity},
	{fault.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{fault.ErrUnavailable, http.StatusServiceUnavailable},
}

// StatusOf is the one mapping from errors to HTTP status codes: fault kinds
// to their 4xx/503 codes, an exceeded deadline to 504, a cancelled request to
// 499, a body over http.MaxBytesReader's limit to 413, and anything else to
// 500. A nil error is 200.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	for _, m := range statusByKind {
		if errors.Is(err, m.kind) {
			return m.status
		}
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return StatusClientClosedRequest
	}
	return http.StatusInternalServerError
}
