package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
)

// OffsetStore persists the dev stack's shared time offset (a JetStream KV
// bucket in the dev stack) so every service follows it.
type OffsetStore interface {
	SetOffset(ctx context.Context, d time.Duration) error
}

// ClockRequest moves the dev stack's time: Advance by a duration such as
// "36h", or Set to an RFC 3339 instant. Time only ever moves forward.
type ClockRequest struct {
	Advance string `json:"advance,omitempty"`
	Set     string `json:"set,omitempty"`
}

// ClockResponse tells the dev stack's time after the change.
type ClockResponse struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"`
}

// DevClock serves GET and POST /v1/dev/clock for admins and managers. It is
// mounted only in the dev stack (PARKDESK_DEV=1); production has no route.
func DevClock(v *auth.Verifier, off *clock.Offset, store OffsetStore) http.Handler {
	mux := http.NewServeMux()
	respond := func(w http.ResponseWriter, r *http.Request) {
		_ = httpx.EncodeJSON(r.Context(), w, ClockResponse{Now: off.Now(), Offset: off.Offset().String()})
	}
	mux.HandleFunc("GET /v1/dev/clock", respond)
	mux.HandleFunc("POST /v1/dev/clock", func(w http.ResponseWriter, r *http.Request) {
		p, err := auth.Authenticated(r.Context())
		if err == nil {
			err = p.Require(auth.RoleAdmin, auth.RoleManager)
		}
		if err != nil {
			httpx.WriteProblem(w, r, err)
			return
		}
		var req ClockRequest
		if err := httpx.DecodeJSON(r, &req); err != nil {
			httpx.WriteProblem(w, r, err)
			return
		}
		target, err := req.target(off)
		if err != nil {
			httpx.WriteProblem(w, r, err)
			return
		}
		if err := store.SetOffset(r.Context(), target); err != nil {
			httpx.WriteProblem(w, r, fault.Unavailable("dev clock store", err))
			return
		}
		off.SetOffset(target)
		respond(w, r)
	})
	return auth.HTTPMiddleware(v, mux)
}

func (c ClockRequest) target(off *clock.Offset) (time.Duration, error) {
	switch {
	case c.Advance != "" && c.Set != "":
		return 0, fault.Invalid("advance", "give advance or set, not both")
	case c.Advance != "":
		d, err := time.ParseDuration(c.Advance)
		if err != nil || d <= 0 {
			return 0, fault.Invalid("advance", "must be a positive duration such as 36h")
		}
		return off.Offset() + d, nil
	case c.Set != "":
		t, err := time.Parse(time.RFC3339, c.Set)
		if err != nil {
			return 0, fault.Invalid("set", "must be an RFC 3339 instant")
		}
		if t.Before(off.Now()) {
			return 0, fault.Invalid("set", "time only moves forward in the dev stack")
		}
		return off.Offset() + t.Sub(off.Now()), nil
	default:
		return 0, fault.Invalid("advance", "give advance (a duration) or set (an RFC 3339 instant)")
	}
}
