package bootstrap

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/parkdesk/parkdesk/pkg/clock"
)

// DevClockPath is where a service of the dev stack tells the time it
// follows (GET, dev mode only, not under /v1 so the gateway never routes
// it), so that whoever moves the shared dev clock can wait until every
// service has followed: each one applies a change of the clock's stored
// offset asynchronously, and a request made at once could otherwise still
// run at the old time.
const DevClockPath = "/dev/clock"

// DevClockState is the body of GET DevClockPath.
type DevClockState struct {
	// Now is the service's time.
	Now time.Time `json:"now"`
	// OffsetNS is the service's dev clock offset from real time, in nanoseconds.
	OffsetNS int64 `json:"offset_ns"`
}

func devClockHandler(off *clock.Offset) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(DevClockState{Now: off.Now(), OffsetNS: int64(off.Offset())})
	})
}
