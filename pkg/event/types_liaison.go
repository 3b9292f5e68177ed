package event

import (
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/proto/liaisonpb"
)

// Event types published by the liaison service; the payload of each is named beside it.
const (
	OfficerAssigned      = "liaison.assignment.changed"     // liaisonpb.OfficerAssigned
	AssignmentFlagged    = "liaison.assignment.flagged"     // liaisonpb.AssignmentFlagged
	RequestDispatched    = "liaison.request.dispatched"     // liaisonpb.RequestDispatched
	RequestAcknowledged  = "liaison.request.acknowledged"   // liaisonpb.RequestAcknowledged
	RequestReturned      = "liaison.request.returned"       // liaisonpb.RequestReturned
	RequestChased        = "liaison.request.chased"         // liaisonpb.RequestChased
	RequestClosed        = "liaison.request.closed"         // liaisonpb.RequestClosed
	VisitLogged          = "liaison.visit.logged"           // liaisonpb.VisitLogged
	VisitTicketRequested = "liaison.visit.ticket_requested" // liaisonpb.VisitTicketRequested
	OfficerUpdated       = "liaison.officer.updated"        // liaisonpb.OfficerUpdated
	OfficerHandover      = "liaison.officer.handover"       // liaisonpb.Handover
	PromiseMade          = "liaison.promise.made"           // liaisonpb.PromiseMade
	PromiseOverdue       = "liaison.promise.overdue"        // liaisonpb.PromiseOverdue
	PromiseClosed        = "liaison.promise.closed"         // liaisonpb.PromiseClosed
)

var liaisonTypes = map[string]proto.Message{
	OfficerAssigned:      (*liaisonpb.OfficerAssigned)(nil),
	AssignmentFlagged:    (*liaisonpb.AssignmentFlagged)(nil),
	RequestDispatched:    (*liaisonpb.RequestDispatched)(nil),
	RequestAcknowledged:  (*liaisonpb.RequestAcknowledged)(nil),
	RequestReturned:      (*liaisonpb.RequestReturned)(nil),
	RequestChased:        (*liaisonpb.RequestChased)(nil),
	RequestClosed:        (*liaisonpb.RequestClosed)(nil),
	VisitLogged:          (*liaisonpb.VisitLogged)(nil),
	VisitTicketRequested: (*liaisonpb.VisitTicketRequested)(nil),
	OfficerUpdated:       (*liaisonpb.OfficerUpdated)(nil),
	OfficerHandover:      (*liaisonpb.Handover)(nil),
	PromiseMade:          (*liaisonpb.PromiseMade)(nil),
	PromiseOverdue:       (*liaisonpb.PromiseOverdue)(nil),
	PromiseClosed:        (*liaisonpb.PromiseClosed)(nil),
}
