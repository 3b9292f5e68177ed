package event

import (
	"fmt"
	"reflect"

	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// Event types: "<service>.<aggregate>.<verb>". The payload of each is named beside it.
const (
	EnterpriseRegistered     = "intake.enterprise.registered"      // intakepb.EnterpriseRegistered
	EnterpriseProfileChanged = "intake.enterprise.profile_changed" // intakepb.EnterpriseProfileChanged
	TicketSubmitted          = "intake.ticket.submitted"           // intakepb.TicketSubmitted
	TicketMaterialsSupplied  = "intake.ticket.materials_supplied"  // intakepb.TicketMaterialsSupplied
	TicketClosed             = "intake.ticket.closed"              // intakepb.TicketClosed
	TicketWithdrawn          = "intake.ticket.withdrawn"           // intakepb.TicketWithdrawn
	TicketRated              = "intake.ticket.rated"               // intakepb.TicketRated

	WorkflowAccepted            = "approval.workflow.accepted"             // approvalpb.WorkflowAccepted
	WorkflowNotAccepted         = "approval.workflow.not_accepted"         // approvalpb.WorkflowNotAccepted
	WorkflowCorrectionRequested = "approval.workflow.correction_requested" // approvalpb.WorkflowPaused
	WorkflowPaused              = "approval.workflow.paused"               // approvalpb.WorkflowPaused
	WorkflowResumed             = "approval.workflow.resumed"              // approvalpb.WorkflowResumed
	WorkflowDecided             = "approval.workflow.decided"              // approvalpb.WorkflowDecided
	StageOpened                 = "approval.stage.opened"                  // approvalpb.StageOpened
	StageCompleted              = "approval.stage.completed"               // approvalpb.StageCompleted
	ExtensionRequested          = "approval.extension.requested"           // approvalpb.ExtensionRequested

	OfficerAssigned     = "liaison.assignment.changed"   // liaisonpb.OfficerAssigned
	RequestDispatched   = "liaison.request.dispatched"   // liaisonpb.RequestDispatched
	RequestAcknowledged = "liaison.request.acknowledged" // liaisonpb.RequestAcknowledged
	VisitLogged         = "liaison.visit.logged"         // liaisonpb.VisitLogged

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

var registry = map[string]proto.Message{
	EnterpriseRegistered:     (*intakepb.EnterpriseRegistered)(nil),
	EnterpriseProfileChanged: (*intakepb.EnterpriseProfileChanged)(nil),
	TicketSubmitted:          (*intakepb.TicketSubmitted)(nil),
	TicketMaterialsSupplied:  (*intakepb.TicketMaterialsSupplied)(nil),
	TicketClosed:             (*intakepb.TicketClosed)(nil),
	TicketWithdrawn:          (*intakepb.TicketWithdrawn)(nil),
	TicketRated:              (*intakepb.TicketRated)(nil),

	WorkflowAccepted:            (*approvalpb.WorkflowAccepted)(nil),
	WorkflowNotAccepted:         (*approvalpb.WorkflowNotAccepted)(nil),
	WorkflowCorrectionRequested: (*approvalpb.WorkflowPaused)(nil),
	WorkflowPaused:              (*approvalpb.WorkflowPaused)(nil),
	WorkflowResumed:             (*approvalpb.WorkflowResumed)(nil),
	WorkflowDecided:             (*approvalpb.WorkflowDecided)(nil),
	StageOpened:                 (*approvalpb.StageOpened)(nil),
	StageCompleted:              (*approvalpb.StageCompleted)(nil),
	ExtensionRequested:          (*approvalpb.ExtensionRequested)(nil),

	OfficerAssigned:     (*liaisonpb.OfficerAssigned)(nil),
	RequestDispatched:   (*liaisonpb.RequestDispatched)(nil),
	RequestAcknowledged: (*liaisonpb.RequestAcknowledged)(nil),
	VisitLogged:         (*liaisonpb.VisitLogged)(nil),

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

// Types lists every registered event type.
func Types() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	return out
}

func newPayload(typ string) (proto.Message, error) {
	m, ok := registry[typ]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, typ)
	}
	return m.ProtoReflect().Type().New().Interface(), nil
}

func checkPayload(typ string, payload proto.Message) error {
	m, ok := registry[typ]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownType, typ)
	}
	if payload == nil || reflect.TypeOf(payload) != reflect.TypeOf(m) {
		return fmt.Errorf("event %s: payload must be %T, got %T", typ, m, payload)
	}
	return nil
}
