package event

import (
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/proto/slapb"
)

// Event types published by the sla service; the payload of each is named beside it.
const (
	ClockStarted         = "sla.clock.started"          // slapb.ClockEvent
	ClockPaused          = "sla.clock.paused"           // slapb.ClockEvent
	ClockResumed         = "sla.clock.resumed"          // slapb.ClockEvent
	ClockWarned          = "sla.clock.warned"           // slapb.ClockEvent
	ClockBreached        = "sla.clock.breached"         // slapb.ClockEvent
	ClockStopped         = "sla.clock.stopped"          // slapb.ClockEvent
	ClockCancelled       = "sla.clock.cancelled"        // slapb.ClockEvent
	ClockReset           = "sla.clock.reset"            // slapb.ClockEvent
	ClockDeadlineChanged = "sla.clock.deadline_changed" // slapb.DeadlineChanged
	ClockEscalated       = "sla.clock.escalated"        // slapb.Escalated
	CardIssued           = "sla.card.issued"            // slapb.CardIssued
)

var slaTypes = map[string]proto.Message{
	ClockStarted:         (*slapb.ClockEvent)(nil),
	ClockPaused:          (*slapb.ClockEvent)(nil),
	ClockResumed:         (*slapb.ClockEvent)(nil),
	ClockWarned:          (*slapb.ClockEvent)(nil),
	ClockBreached:        (*slapb.ClockEvent)(nil),
	ClockStopped:         (*slapb.ClockEvent)(nil),
	ClockCancelled:       (*slapb.ClockEvent)(nil),
	ClockReset:           (*slapb.ClockEvent)(nil),
	ClockDeadlineChanged: (*slapb.DeadlineChanged)(nil),
	ClockEscalated:       (*slapb.Escalated)(nil),
	CardIssued:           (*slapb.CardIssued)(nil),
}
