package intake

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/intakepb"
)

// What intake publishes (stream INTAKE, subjects intake.<aggregate>.<verb>.<park>):
//
//	intake.enterprise.registered      aggregate enterprise, on registration (and seeding)
//	intake.enterprise.profile_changed aggregate enterprise, on a profile change, with the whole profile
//	intake.ticket.submitted           aggregate ticket, with the catalog terms of every matter
//	intake.ticket.materials_supplied  aggregate ticket, a correction answered or 容缺 materials supplied
//	intake.ticket.closed              aggregate ticket, every matter decided, or a demand/rectification resolved
//	intake.ticket.withdrawn           aggregate ticket, withdrawn by the firm
//	intake.ticket.rated               aggregate ticket (the rated one), with the rectification ticket opened by a bad rating
//
// Versions of each aggregate run 1, 2, 3… without gaps (consumers apply
// them strictly in order). What intake consumes is in consume.go.

// Emit is an event to publish with the next version of its aggregate.
type Emit struct {
	Type    string
	Payload proto.Message
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func tsPtr(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func figuresPB(f *Figures) *intakepb.DeclaredFigures {
	if f == nil {
		return nil
	}
	return &intakepb.DeclaredFigures{Year: int32(f.Year), RevenueFen: f.RevenueFen, TaxPaidFen: f.TaxPaidFen,
		RdRatioPercent: f.RDRatioPercent, LandAreaMu: f.LandAreaMu, Headcount: int32(f.Headcount)}
}

func registeredEvent(e Enterprise) Emit {
	return Emit{event.EnterpriseRegistered, &intakepb.EnterpriseRegistered{
		EnterpriseId: e.ID, Uscc: e.USCC, Name: e.Name, IndustryCode: e.IndustryCode, Scale: e.Scale,
		Flags: e.Flags, KeyEnterprise: e.KeyEnterprise, Figures: figuresPB(e.Figures),
	}}
}

func profileChangedEvent(e Enterprise, changed []string) Emit {
	return Emit{event.EnterpriseProfileChanged, &intakepb.EnterpriseProfileChanged{
		EnterpriseId: e.ID, ChangedFields: changed, Uscc: e.USCC, Name: e.Name, IndustryCode: e.IndustryCode,
		Scale: e.Scale, Flags: e.Flags, KeyEnterprise: e.KeyEnterprise, Figures: figuresPB(e.Figures),
	}}
}

var kindPB = map[string]intakepb.TicketKind{
	KindMatter:        intakepb.TicketKind_TICKET_KIND_MATTER,
	KindBundle:        intakepb.TicketKind_TICKET_KIND_BUNDLE,
	KindDemand:        intakepb.TicketKind_TICKET_KIND_DEMAND,
	KindRectification: intakepb.TicketKind_TICKET_KIND_RECTIFICATION,
}

var channelPB = map[string]intakepb.Channel{
	ChannelOnline: intakepb.Channel_CHANNEL_ONLINE,
	ChannelWindow: intakepb.Channel_CHANNEL_WINDOW,
	ChannelProxy:  intakepb.Channel_CHANNEL_PROXY,
}

func materialsPB(ms []Material) []*intakepb.Material {
	out := make([]*intakepb.Material, len(ms))
	for i, m := range ms {
		out[i] = &intakepb.Material{Code: m.Code, Name: m.Name, Sha256: m.SHA256, Size: m.Size, MediaType: m.MediaType, Ref: m.Ref}
	}
	return out
}

func submittedEvent(t Ticket) Emit {
	p := &intakepb.TicketSubmitted{
		TicketId: t.ID, Number: t.Number, EnterpriseId: t.EnterpriseID, Kind: kindPB[t.Kind], Channel: channelPB[t.Channel],
		MatterCodes: t.MatterCodes(), BundleCode: t.BundleCode, Departments: t.Departments,
		CommitmentWorkingDays: int32(t.CommitmentDays), LegalWorkingDays: int32(t.LegalDays), WarnWorkingDays: int32(t.WarnDays),
		Title: t.Title, SubmittedAt: ts(t.SubmittedAt), Materials: materialsPB(t.Materials),
		Description: t.Description, SubmittedBy: t.SubmittedBy, BadCredit: t.badCredit, OfficerId: t.Liaison.OfficerID,
	}
	if t.Supplement != nil {
		p.MissingNonKeyMaterials = t.Supplement.Materials
		p.SupplementDueWorkingDays = int32(t.Supplement.WorkingDays)
		p.SupplementDueAt = tsPtr(t.Supplement.DueAt)
	}
	for _, it := range t.Items {
		p.Items = append(p.Items, &intakepb.MatterItem{
			MatterCode: it.MatterCode, MatterName: it.MatterName, Department: it.Department,
			CommitmentWorkingDays: int32(it.CommitmentDays), LegalWorkingDays: int32(it.LegalDays), WarnWorkingDays: int32(it.WarnDays),
			TolerantAcceptance: it.TolerantAcceptance, CommitmentApproval: it.CommitmentApproval,
			MissingNonKeyMaterials: it.MissingMaterials,
		})
	}
	return Emit{event.TicketSubmitted, p}
}

func suppliedEvent(t Ticket, ms []Material, workflows []string, supplement bool) Emit {
	codes := make([]string, len(ms))
	for i, m := range ms {
		codes[i] = m.Code
	}
	return Emit{event.TicketMaterialsSupplied, &intakepb.TicketMaterialsSupplied{
		TicketId: t.ID, Materials: codes, Supplied: materialsPB(ms), WorkflowIds: workflows, Supplement: supplement,
	}}
}

func closedEvent(t Ticket) Emit {
	var numbers []string
	for _, it := range t.Items {
		if it.DecisionNumber != "" {
			numbers = append(numbers, it.DecisionNumber)
		}
	}
	return Emit{event.TicketClosed, &intakepb.TicketClosed{
		TicketId: t.ID, Outcome: t.Outcome, ClosedAt: tsPtr(t.CompletedAt), Kind: kindPB[t.Kind],
		DecisionNumbers: numbers, RelatedTicketId: t.RelatedTicketID,
	}}
}

func withdrawnEvent(t Ticket, reason string) Emit {
	return Emit{event.TicketWithdrawn, &intakepb.TicketWithdrawn{TicketId: t.ID, Reason: reason}}
}

func ratedEvent(t Ticket) Emit {
	p := &intakepb.TicketRated{
		TicketId: t.ID, Score: int32(t.Rating.Score), Comment: t.Rating.Comment, OfficerId: t.Liaison.OfficerID,
		MatterCode: t.MatterCode, RectificationTicketId: t.Rating.RectificationTicketID, Departments: t.Departments,
	}
	if p.MatterCode == "" {
		p.MatterCode = t.BundleCode
	}
	if len(t.Departments) > 0 {
		p.Department = t.Departments[0]
	}
	return Emit{event.TicketRated, p}
}
