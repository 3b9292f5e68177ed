package event

import (
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/proto/liaisonpb"
)

// Event types published by the liaison service; the payload of each is named beside it.
const (
	OfficerAssigned     = "liaison.assignment.changed"   // liaisonpb.OfficerAssigned
	RequestDispatched   = "liaison.request.dispatched"   // liaisonpb.RequestDispatched
	RequestAcknowledged = "liaison.request.acknowledged" // liaisonpb.RequestAcknowledged
	VisitLogged         = "liaison.visit.logged"         // liaisonpb.VisitLogged
)

var liaisonTypes = map[string]proto.Message{
	OfficerAssigned:     (*liaisonpb.OfficerAssigned)(nil),
	RequestDispatched:   (*liaisonpb.RequestDispatched)(nil),
	RequestAcknowledged: (*liaisonpb.RequestAcknowledged)(nil),
	VisitLogged:         (*liaisonpb.VisitLogged)(nil),
}
