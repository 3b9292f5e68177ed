package event_test

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

func TestRoundTrip(t *testing.T) {
	at := time.Date(2026, 9, 18, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	ev, err := event.New(event.TicketSubmitted, "wangcheng", event.Aggregate{Type: "ticket", ID: "t1", Version: 3}, at,
		&intakepb.TicketSubmitted{TicketId: "t1", Number: "WC-2026-000001", CommitmentWorkingDays: 3})
	if err != nil {
		t.Fatal(err)
	}
	ev.Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	if ev.Subject != "intake.ticket.submitted.wangcheng" {
		t.Errorf("subject %q", ev.Subject)
	}
	b, err := event.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := event.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != ev.ID || got.Type != ev.Type || got.Park != "wangcheng" || got.AggregateVersion != 3 ||
		!got.OccurredAt.Equal(at) || got.OccurredAt.Location() != time.UTC || got.Traceparent != ev.Traceparent {
		t.Errorf("envelope mismatch: %+v", got)
	}
	if !proto.Equal(got.Payload, ev.Payload) {
		t.Errorf("payload mismatch: %v", got.Payload)
	}
}

func TestIDsAreTimeOrderedUUIDv7(t *testing.T) {
	var prev string
	for i := range 100 {
		ev, err := event.New(event.ClockWarned, "p1", event.Aggregate{Type: "clock", ID: "c", Version: int64(i + 1)}, time.Now(), &slapb.ClockEvent{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.ID) != 36 || ev.ID[14] != '7' {
			t.Fatalf("id %q is not a UUIDv7", ev.ID)
		}
		if ev.ID <= prev {
			t.Fatalf("ids not increasing: %s then %s", prev, ev.ID)
		}
		prev = ev.ID
	}
}

func TestNewRejects(t *testing.T) {
	agg := event.Aggregate{Type: "ticket", ID: "t1", Version: 1}
	cases := []struct {
		name    string
		typ     string
		park    string
		agg     event.Aggregate
		payload proto.Message
		unknown bool
	}{
		{"unknown type", "intake.ticket.exploded", "p", agg, &intakepb.TicketSubmitted{}, true},
		{"wrong payload", event.TicketSubmitted, "p", agg, &slapb.ClockEvent{}, false},
		{"nil payload", event.TicketSubmitted, "p", agg, nil, false},
		{"bad park", event.TicketSubmitted, "Wang Cheng", agg, &intakepb.TicketSubmitted{}, false},
		{"park with dot", event.TicketSubmitted, "a.b", agg, &intakepb.TicketSubmitted{}, false},
		{"no aggregate", event.TicketSubmitted, "p", event.Aggregate{Version: 1}, &intakepb.TicketSubmitted{}, false},
		{"version 0", event.TicketSubmitted, "p", event.Aggregate{Type: "ticket", ID: "t"}, &intakepb.TicketSubmitted{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := event.New(c.typ, c.park, c.agg, time.Now(), c.payload)
			if err == nil {
				t.Fatal("accepted")
			}
			if errors.Is(err, event.ErrUnknownType) != c.unknown {
				t.Errorf("ErrUnknownType = %v for %v", !c.unknown, err)
			}
		})
	}
}

func TestEveryTypeHasAStream(t *testing.T) {
	for _, typ := range event.Types() {
		subj, err := event.Subject(typ, "p")
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		found := 0
		for _, s := range event.Streams() {
			for _, pat := range s.Subjects {
				if len(pat) > 2 && subj[:len(pat)-1] == pat[:len(pat)-1] {
					found++
				}
			}
		}
		if found != 1 {
			t.Errorf("%s is captured by %d streams, want 1", typ, found)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	ev, _ := event.New(event.TicketRated, "p", event.Aggregate{Type: "ticket", ID: "t", Version: 1}, time.Now(), &intakepb.TicketRated{Score: 2})
	b, _ := event.Marshal(ev)
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte("\x0a\x01x\x12\x03abc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := event.Unmarshal(data)
		if err != nil {
			return
		}
		if got.ID == "" || got.Type == "" || got.Payload == nil {
			t.Fatalf("accepted an event without id, type or payload: %+v", got)
		}
	})
}
