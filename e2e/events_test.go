package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/eventpb"
)

// streams are the subjects of every publishing service's stream.
var streams = []string{"intake.>", "approval.>", "liaison.>", "sla.>", "policy.>"}

// seen is one event that crossed NATS.
type seen struct {
	ID, Type, Subject, Park string
	AggregateID             string
	Version                 int64
	OccurredAt              time.Time
	// Payload is the decoded payload; nil for a type pkg/event does not know.
	Payload proto.Message
}

func (e seen) String() string {
	return fmt.Sprintf("%s %s v%d at %s", e.Type, e.AggregateID, e.Version, local(e.OccurredAt))
}

// recorder keeps every event published on the streams, once each (the
// relay publishes at least once), in arrival order.
type recorder struct {
	mu      sync.Mutex
	nc      *nats.Conn
	events  []seen
	ids     map[string]bool
	changed chan struct{}
	errs    []string
}

func newRecorder() *recorder {
	return &recorder{ids: map[string]bool{}, changed: make(chan struct{})}
}

// subscribe opens core NATS subscriptions on every stream's subjects.
func (r *recorder) subscribe(url string) error {
	nc, err := nats.Connect(url, nats.Name("e2e-recorder"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("e2e recorder: %w", err)
	}
	r.nc = nc
	for _, subj := range streams {
		if _, err := nc.Subscribe(subj, r.add); err != nil {
			return fmt.Errorf("e2e recorder: subscribe %s: %w", subj, err)
		}
	}
	return nc.Flush()
}

func (r *recorder) close() {
	if r.nc != nil {
		r.nc.Close()
	}
}

func (r *recorder) add(m *nats.Msg) {
	var env eventpb.Envelope
	if err := proto.Unmarshal(m.Data, &env); err != nil || env.GetId() == "" {
		r.mu.Lock()
		r.errs = append(r.errs, fmt.Sprintf("%s: not an event envelope: %v", m.Subject, err))
		r.mu.Unlock()
		return
	}
	e := seen{ID: env.GetId(), Type: env.GetType(), Subject: m.Subject, Park: env.GetPark(),
		AggregateID: env.GetAggregateId(), Version: env.GetAggregateVersion(), OccurredAt: env.GetOccurredAt().AsTime()}
	if ev, err := event.Unmarshal(m.Data); err == nil {
		e.Payload = ev.Payload
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids[e.ID] {
		return
	}
	r.ids[e.ID] = true
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
}

// all returns the events of typ (every type when empty) for which match holds.
func (r *recorder) all(typ string, match func(seen) bool) []seen {
	r.mu.Lock()
	events := r.events[:len(r.events):len(r.events)]
	r.mu.Unlock()
	var out []seen
	for _, e := range events {
		if (typ == "" || e.Type == typ) && (match == nil || match(e)) {
			out = append(out, e)
		}
	}
	return out
}

// wait waits until n events of typ match, and returns them.
func (r *recorder) wait(t *testing.T, n int, typ, what string, match func(seen) bool) []seen {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if got := r.all(typ, match); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			got := r.all(typ, match)
			t.Fatalf("timed out waiting for %d %s event(s) (%s) on NATS; matching: %v; last events: %v",
				n, typ, what, got, r.last(15))
		}
	}
}

// one waits for the first event of typ that matches.
func (r *recorder) one(t *testing.T, typ, what string, match func(seen) bool) seen {
	t.Helper()
	return r.wait(t, 1, typ, what, match)[0]
}

func (r *recorder) last(n int) []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.events[max(0, len(r.events)-n):]...)
}

// sseItem is one Server-Sent Event of GET /v1/sla/stream.
type sseItem struct {
	Event string
	ID    string `json:"id"`
	Type  string `json:"type"`
	// The clock the event is about.
	ClockID    string    `json:"clock_id"`
	Kind       string    `json:"kind"`
	TicketID   string    `json:"ticket_id"`
	Department string    `json:"department"`
	State      string    `json:"state"`
	Deadline   time.Time `json:"deadline"`
	Level      int       `json:"level"`
	Notify     []string  `json:"notify"`
	OccurredAt time.Time `json:"occurred_at"`
}

// sse follows a manager's live stream through the gateway.
type sse struct {
	mu      sync.Mutex
	items   []sseItem
	changed chan struct{}
	err     error
	cancel  context.CancelFunc
}

// follow opens GET /v1/sla/stream as c and reads it until the test ends.
func (c caller) follow(t *testing.T) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.s.base+"/v1/sla/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /v1/sla/stream: %v", err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		cancel()
		t.Fatalf("GET /v1/sla/stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sse{changed: make(chan struct{}), cancel: cancel}
	connected := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		var name, data string
		first := true
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ":"):
				if first {
					first = false
					close(connected)
				}
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && data != "":
				var it sseItem
				err := json.Unmarshal([]byte(data), &it)
				it.Event = name
				s.mu.Lock()
				if err != nil && s.err == nil {
					s.err = fmt.Errorf("bad SSE data %q: %v", data, err)
				}
				s.items = append(s.items, it)
				close(s.changed)
				s.changed = make(chan struct{})
				s.mu.Unlock()
				name, data = "", ""
			}
		}
	}()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("GET /v1/sla/stream: no ': connected' comment within 10s")
	}
	t.Cleanup(cancel)
	return s
}

// wait waits for an item that matches.
func (s *sse) wait(t *testing.T, what string, match func(sseItem) bool) sseItem {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		changed, items, err := s.changed, append([]sseItem(nil), s.items...), s.err
		s.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if match(it) {
				return it
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("the manager's live stream did not show %s within 30s; it showed %d items: %+v", what, len(items), items)
		}
	}
}
