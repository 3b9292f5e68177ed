package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/bootstrap"
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

// FollowTimeout bounds how long Followed waits for the services.
const FollowTimeout = 10 * time.Second

// Followed wraps store so that a change of the offset returns only once
// every upstream follows it (GET <upstream>/dev/clock tells its offset):
// the services apply a stored offset asynchronously, and a request made
// right after POST /v1/dev/clock must not run at the old time.
func Followed(store OffsetStore, upstreams []*url.URL) OffsetStore {
	return followed{store: store, upstreams: upstreams, client: &http.Client{Timeout: 2 * time.Second}}
}

type followed struct {
	store     OffsetStore
	upstreams []*url.URL
	client    *http.Client
}

func (f followed) SetOffset(ctx context.Context, d time.Duration) error {
	if err := f.store.SetOffset(ctx, d); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, FollowTimeout)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for _, u := range f.upstreams {
		target := u.JoinPath(bootstrap.DevClockPath).String()
		for {
			got, err := f.offset(ctx, target)
			if err == nil && got == d {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s has not followed the dev clock (offset %s) within %s: last answer %s, %v", u.Host, d, FollowTimeout, got, err)
			case <-tick.C:
			}
		}
	}
	return nil
}

func (f followed) offset(ctx context.Context, target string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s answered %d", target, resp.StatusCode)
	}
	var st bootstrap.DevClockState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, err
	}
	return time.Duration(st.OffsetNS), nil
}
