package sla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// StreamConfig configures NewStreamHandler.
type StreamConfig struct {
	// Conn subscribes to the park's sla subjects with core NATS (JetStream
	// delivers stored messages to core subscribers too). Required.
	Conn *nats.Conn
	// Verifier checks bearer tokens. Required.
	Verifier *auth.Verifier
	// Shutdown ends every stream when done, so server shutdown need not wait
	// for clients to leave. Required.
	Shutdown context.Context
	// Heartbeat is the interval of comment lines keeping proxies from
	// closing an idle stream. Default 15s.
	Heartbeat time.Duration
	// Logger receives subscription errors. Default slog.Default().
	Logger *slog.Logger
}

// Validate fills defaults and checks the config.
func (c *StreamConfig) Validate() error {
	if c.Conn == nil || c.Verifier == nil || c.Shutdown == nil {
		return errors.New("sla stream config: Conn, Verifier and Shutdown are required")
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// StreamItem is the data of one Server-Sent Event of GET /v1/sla/stream.
type StreamItem struct {
	// ID is the event id (also the SSE id); Type its type.
	ID   string `json:"id"`
	Type string `json:"type"`
	// Park and OccurredAt come from the event.
	Park       string    `json:"park"`
	OccurredAt time.Time `json:"occurred_at"`
	// ClockID, Kind, TicketID, Department, State and Deadline describe the clock.
	ClockID    string    `json:"clock_id"`
	Kind       string    `json:"kind"`
	TicketID   string    `json:"ticket_id,omitempty"`
	Department string    `json:"department,omitempty"`
	State      string    `json:"state"`
	Deadline   time.Time `json:"deadline,omitzero"`
	// Level and Notify describe an escalation.
	Level  int      `json:"level,omitempty"`
	Notify []string `json:"notify,omitempty"`
}

// streamTypes are the events a manager's stream carries.
var streamTypes = []string{event.ClockWarned, event.ClockBreached, event.ClockEscalated}

// NewStreamHandler serves GET /v1/sla/stream: live warnings, breaches and
// escalations of the manager's park (an admin names one with ?park=, or
// sees every park) as Server-Sent Events, with a heartbeat comment.
func NewStreamHandler(cfg StreamConfig) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return auth.HTTPMiddleware(cfg.Verifier, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		park, err := managerPark(r.Context(), r.URL.Query().Get("park"))
		if err == nil && park != "" && !event.ValidPark(park) {
			err = fault.Invalid("park", "not a park")
		}
		if err != nil {
			httpx.WriteProblem(w, r, err)
			return
		}
		serveStream(w, r, cfg, park)
	})), nil
}

func serveStream(w http.ResponseWriter, r *http.Request, cfg StreamConfig, park string) {
	token := park
	if token == "" {
		token = "*"
	}
	msgs := make(chan *nats.Msg, 256)
	for _, typ := range streamTypes {
		sub, err := cfg.Conn.ChanSubscribe(typ+"."+token, msgs)
		if err != nil {
			httpx.WriteProblem(w, r, fault.Unavailable("live feed unavailable", err))
			return
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	if err := cfg.Conn.FlushTimeout(5 * time.Second); err != nil {
		httpx.WriteProblem(w, r, fault.Unavailable("live feed unavailable", err))
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": connected\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	beat := time.NewTicker(cfg.Heartbeat)
	defer beat.Stop()
	seen := newRecent(512)
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-cfg.Shutdown.Done():
			return
		case <-beat.C:
			_, err = fmt.Fprint(w, ": heartbeat\n\n")
		case m := <-msgs:
			item, ok := streamItem(m.Data)
			if !ok || !seen.add(item.ID) {
				continue
			}
			data, _ := json.Marshal(item)
			_, err = fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", item.ID, item.Type, data)
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

// streamItem decodes a published sla event into its stream form.
func streamItem(data []byte) (StreamItem, bool) {
	ev, err := event.Unmarshal(data)
	if err != nil {
		return StreamItem{}, false
	}
	it := StreamItem{ID: ev.ID, Type: ev.Type, Park: ev.Park, OccurredAt: ev.OccurredAt.UTC()}
	var c *slapb.Clock
	switch p := ev.Payload.(type) {
	case *slapb.ClockEvent:
		c = p.GetClock()
	case *slapb.Escalated:
		c, it.Level, it.Notify = p.GetClock(), int(p.GetLevel()), p.GetNotify()
	default:
		return StreamItem{}, false
	}
	it.ClockID, it.Kind, it.TicketID, it.Department = c.GetClockId(), c.GetKind(), c.GetTicketId(), c.GetDepartment()
	for s, pb := range statePB {
		if pb == c.GetState() {
			it.State = string(s)
		}
	}
	if c.GetDeadline() != nil {
		it.Deadline = c.GetDeadline().AsTime()
	}
	return it, true
}

// recent remembers the last n event ids, so a re-published event (the
// relay's at-least-once delivery reaches core subscribers twice) is sent once.
type recent struct {
	ids  map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{ids: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (r *recent) add(id string) bool {
	if _, ok := r.ids[id]; ok {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.ids, old)
	}
	r.ring[r.next], r.ids[id] = id, struct{}{}
	r.next = (r.next + 1) % len(r.ring)
	return true
}
