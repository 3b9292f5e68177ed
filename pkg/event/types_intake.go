package event

import (
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/proto/intakepb"
)

// Event types published by the intake service; the payload of each is named beside it.
const (
	EnterpriseRegistered     = "intake.enterprise.registered"      // intakepb.EnterpriseRegistered
	EnterpriseProfileChanged = "intake.enterprise.profile_changed" // intakepb.EnterpriseProfileChanged
	TicketSubmitted          = "intake.ticket.submitted"           // intakepb.TicketSubmitted
	TicketMaterialsSupplied  = "intake.ticket.materials_supplied"  // intakepb.TicketMaterialsSupplied
	TicketClosed             = "intake.ticket.closed"              // intakepb.TicketClosed
	TicketWithdrawn          = "intake.ticket.withdrawn"           // intakepb.TicketWithdrawn
	TicketRated              = "intake.ticket.rated"               // intakepb.TicketRated
)

var intakeTypes = map[string]proto.Message{
	EnterpriseRegistered:     (*intakepb.EnterpriseRegistered)(nil),
	EnterpriseProfileChanged: (*intakepb.EnterpriseProfileChanged)(nil),
	TicketSubmitted:          (*intakepb.TicketSubmitted)(nil),
	TicketMaterialsSupplied:  (*intakepb.TicketMaterialsSupplied)(nil),
	TicketClosed:             (*intakepb.TicketClosed)(nil),
	TicketWithdrawn:          (*intakepb.TicketWithdrawn)(nil),
	TicketRated:              (*intakepb.TicketRated)(nil),
}
