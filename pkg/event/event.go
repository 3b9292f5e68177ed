// Package event defines parkdesk's event envelope: identity, naming, subjects
// and the encoding every service publishes to JetStream and consumes from it.
package event

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/proto/eventpb"
)

// Header names set on every published message besides Nats-Msg-Id.
const (
	HeaderType        = "Parkdesk-Type"
	HeaderPark        = "Parkdesk-Park"
	HeaderTraceparent = "traceparent"
	// HeaderError carries the last handler error on a dead-lettered message.
	HeaderError = "Parkdesk-Error"
	// HeaderOriginalSubject carries a dead-lettered message's original subject.
	HeaderOriginalSubject = "Parkdesk-Original-Subject"
	// HeaderDeliveries carries how many times a dead-lettered message was tried.
	HeaderDeliveries = "Parkdesk-Deliveries"
)

// ErrUnknownType is returned when decoding an event whose type is not registered.
var ErrUnknownType = errors.New("event: unknown type")

// Event is one domain event with its envelope fields and decoded payload.
type Event struct {
	// ID is a UUIDv7; it is also the JetStream message id.
	ID string
	// Type names the payload, e.g. TicketSubmitted.
	Type string
	// Subject is the NATS subject: Type followed by the park token.
	Subject string
	// OccurredAt is when the state change happened, UTC.
	OccurredAt time.Time
	// Park is the tenant the event belongs to.
	Park string
	// AggregateType names the aggregate ("ticket", "clock", ...).
	AggregateType string
	// AggregateID identifies the aggregate instance.
	AggregateID string
	// AggregateVersion increases by one per event of the aggregate.
	AggregateVersion int64
	// Traceparent is the W3C trace context, if any.
	Traceparent string
	// CausationID is the id of the event that caused this one, if any.
	CausationID string
	// Payload is the typed protobuf message named by Type.
	Payload proto.Message
}

// Aggregate identifies the aggregate an event belongs to and its new version.
type Aggregate struct {
	Type    string
	ID      string
	Version int64
}

// New builds an event with a fresh UUIDv7 id and its subject derived from
// typ and park. It checks that the payload's Go type matches the registered type.
func New(typ, park string, agg Aggregate, at time.Time, payload proto.Message) (Event, error) {
	subject, err := Subject(typ, park)
	if err != nil {
		return Event{}, err
	}
	if err := checkPayload(typ, payload); err != nil {
		return Event{}, err
	}
	if agg.Type == "" || agg.ID == "" {
		return Event{}, fmt.Errorf("event %s: aggregate type and id are required", typ)
	}
	if agg.Version < 1 {
		return Event{}, fmt.Errorf("event %s: aggregate version must be >= 1, got %d", typ, agg.Version)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Event{}, fmt.Errorf("event %s: new id: %w", typ, err)
	}
	return Event{
		ID:               id.String(),
		Type:             typ,
		Subject:          subject,
		OccurredAt:       at.UTC(),
		Park:             park,
		AggregateType:    agg.Type,
		AggregateID:      agg.ID,
		AggregateVersion: agg.Version,
		Payload:          payload,
	}, nil
}

// Marshal encodes e as a protobuf Envelope.
func Marshal(e Event) ([]byte, error) {
	if e.Payload == nil {
		return nil, fmt.Errorf("marshal event %s: nil payload", e.Type)
	}
	payload, err := proto.Marshal(e.Payload)
	if err != nil {
		return nil, fmt.Errorf("marshal event %s payload: %w", e.Type, err)
	}
	env := &eventpb.Envelope{
		Id:               e.ID,
		Type:             e.Type,
		Subject:          e.Subject,
		OccurredAt:       timestamppb.New(e.OccurredAt),
		Park:             e.Park,
		AggregateType:    e.AggregateType,
		AggregateId:      e.AggregateID,
		AggregateVersion: e.AggregateVersion,
		Traceparent:      e.Traceparent,
		CausationId:      e.CausationID,
		Payload:          payload,
	}
	b, err := proto.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("marshal event %s: %w", e.Type, err)
	}
	return b, nil
}

// Unmarshal decodes an Envelope and its payload. An unregistered type yields
// ErrUnknownType; malformed bytes yield a decode error. Both can never succeed
// on retry, so consumers dead-letter them.
func Unmarshal(data []byte) (Event, error) {
	var env eventpb.Envelope
	if err := proto.Unmarshal(data, &env); err != nil {
		return Event{}, fmt.Errorf("unmarshal envelope: %w", err)
	}
	if env.GetId() == "" || env.GetType() == "" {
		return Event{}, errors.New("unmarshal envelope: id and type are required")
	}
	msg, err := newPayload(env.GetType())
	if err != nil {
		return Event{}, err
	}
	if err := proto.Unmarshal(env.GetPayload(), msg); err != nil {
		return Event{}, fmt.Errorf("unmarshal %s payload: %w", env.GetType(), err)
	}
	return Event{
		ID:               env.GetId(),
		Type:             env.GetType(),
		Subject:          env.GetSubject(),
		OccurredAt:       env.GetOccurredAt().AsTime(),
		Park:             env.GetPark(),
		AggregateType:    env.GetAggregateType(),
		AggregateID:      env.GetAggregateId(),
		AggregateVersion: env.GetAggregateVersion(),
		Traceparent:      env.GetTraceparent(),
		CausationID:      env.GetCausationId(),
		Payload:          msg,
	}, nil
}
