package approval

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
)

// What approval publishes: every change of a workflow as one approval.*
// event of the aggregate "workflow" (versions 1, 2, 3... without gaps, so
// sla can apply them strictly in order), each carrying a Transition with the
// actor, the reason and the state before and after. The same payload, as
// JSON, is the workflow's history row.
//
// What approval consumes is in consume.go.

// AggregateType is the aggregate of every approval event.
const AggregateType = "workflow"

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func transitionPB(t Transition) *approvalpb.Transition {
	return &approvalpb.Transition{Actor: t.Actor, ActorRole: t.ActorRole, Action: t.Action, Reason: t.Reason,
		FromState: string(t.From), ToState: string(t.To), TaskId: t.TaskID, StageCode: t.StageCode, At: ts(t.At)}
}

var pauseReasonPB = map[string]approvalpb.PauseReason{
	correctionPauseName: approvalpb.PauseReason_PAUSE_REASON_CORRECTION,
	noticePauseName:     approvalpb.PauseReason_PAUSE_REASON_PUBLIC_NOTICE,
}

// changePayload builds the protobuf payload of change c of w.
func changePayload(w *Workflow, c Change) (proto.Message, error) {
	tr, at := transitionPB(c.Transition), c.Transition.At
	task := c.Task
	if task == nil {
		task = &Task{}
	}
	switch c.Type {
	case event.WorkflowOpened:
		return &approvalpb.WorkflowOpened{WorkflowId: w.ID, TicketId: w.TicketID, SubjectType: w.SubjectType,
			SubjectId: w.SubjectID, EnterpriseId: w.EnterpriseID, MatterCode: w.MatterCode, DefinitionCode: w.Definition.Code,
			DefinitionVersion: int32(w.Definition.Version), Department: w.Definition.Department,
			AcceptanceDepartment: w.Definition.Acceptance.Department, AcceptanceTaskId: task.ID, OpenedAt: ts(at),
			Transition: tr, BundleCode: w.BundleCode}, nil
	case event.WorkflowAccepted:
		p := &approvalpb.WorkflowAccepted{WorkflowId: w.ID, TicketId: w.TicketID, MatterCode: w.MatterCode,
			Department: w.Definition.Department, HandlerId: w.HandlerID, CommitmentWorkingDays: int32(w.CommitmentDays),
			LegalWorkingDays: int32(w.LegalDays), WarnWorkingDays: int32(w.WarnDays), AcceptedAt: ts(at), Transition: tr,
			EnterpriseId: w.EnterpriseID, SubjectType: w.SubjectType, SubjectId: w.SubjectID}
		if len(w.MissingMaterials) > 0 && w.Definition.TolerantAcceptance != nil {
			p.SupplementDueWorkingDays = int32(w.Definition.TolerantAcceptance.SupplementDays)
			p.MissingMaterials = w.MissingMaterials
		}
		if w.CommitmentApproval && w.Definition.CommitmentApproval != nil {
			p.VerificationWorkingDays = int32(w.Definition.CommitmentApproval.VerificationDays)
		}
		return p, nil
	case event.WorkflowNotAccepted:
		return &approvalpb.WorkflowNotAccepted{WorkflowId: w.ID, TicketId: w.TicketID, Reason: c.Transition.Reason,
			Transition: tr, EnterpriseId: w.EnterpriseID, DecidedAt: ts(at)}, nil
	case event.WorkflowCorrectionRequested, event.WorkflowPaused:
		return &approvalpb.WorkflowPaused{WorkflowId: w.ID, TicketId: w.TicketID, Reason: pauseReasonPB[c.PauseReason],
			Items: c.Items, PausedAt: ts(at), Transition: tr, StageCode: task.StageCode, ResumeDueAt: ts(c.ResumeDueAt)}, nil
	case event.WorkflowResumed:
		return &approvalpb.WorkflowResumed{WorkflowId: w.ID, TicketId: w.TicketID, ResumedAt: ts(at), Transition: tr}, nil
	case event.StageOpened:
		st := w.Definition.Stages[task.StageIndex]
		p := &approvalpb.StageOpened{WorkflowId: w.ID, TicketId: w.TicketID, StageId: task.ID, StageName: task.StageName,
			Department: task.Department, ShareWorkingDays: int32(task.ShareDays), OpenedAt: ts(at), Transition: tr,
			StageCode: task.StageCode, Mode: task.Mode, Round: int32(task.Round)}
		if st.Countersign != nil && st.Countersign.Mode == ModeQuorum {
			p.Quorum = int32(st.Countersign.Quorum)
		}
		return p, nil
	case event.StageCompleted:
		return &approvalpb.StageCompleted{WorkflowId: w.ID, StageId: task.ID, Outcome: c.Outcome, Deemed: c.Deemed,
			CompletedAt: ts(at), Transition: tr, TicketId: w.TicketID, Department: task.Department, StageCode: task.StageCode}, nil
	case event.WorkflowDecided:
		return &approvalpb.WorkflowDecided{WorkflowId: w.ID, TicketId: w.TicketID, Outcome: c.Outcome,
			DecisionNumber: map[bool]string{true: w.DecisionNumber}[c.Outcome == OutcomeApproved], DecidedAt: ts(at),
			CorrectionNeeded: len(w.Corrections) > 0, Transition: tr, EnterpriseId: w.EnterpriseID, SubjectType: w.SubjectType,
			SubjectId: w.SubjectID, MatterCode: w.MatterCode, CommitmentApproval: w.CommitmentApproval && c.Outcome == OutcomeApproved}, nil
	case event.WorkflowRevoked:
		return &approvalpb.WorkflowRevoked{WorkflowId: w.ID, TicketId: w.TicketID, EnterpriseId: w.EnterpriseID,
			DecisionNumber: w.DecisionNumber, Reason: c.Transition.Reason, RevokedAt: ts(at), Transition: tr}, nil
	case event.TaskDelegated:
		return &approvalpb.TaskDelegated{WorkflowId: w.ID, TaskId: task.ID, Department: task.Department,
			FromAssignee: c.FromAssignee, ToAssignee: task.Assignee, Transition: tr}, nil
	case event.ExtensionRequested:
		return &approvalpb.ExtensionRequested{WorkflowId: w.ID, TicketId: w.TicketID, WorkingDays: int32(c.WorkingDays),
			Reason: c.Transition.Reason, RequestedBy: c.Transition.Actor, Transition: tr}, nil
	case event.VerificationCompleted:
		return &approvalpb.VerificationCompleted{WorkflowId: w.ID, TicketId: w.TicketID, EnterpriseId: w.EnterpriseID,
			Passed: c.Passed, Reason: c.Transition.Reason, CompletedAt: ts(at), Transition: tr, TaskId: task.ID}, nil
	case event.EnterpriseCreditFlagged:
		return &approvalpb.EnterpriseCreditFlagged{EnterpriseId: w.EnterpriseID, Flag: badCreditFlag,
			Reason: "false commitment found at verification: " + c.Transition.Reason, WorkflowId: w.ID,
			DecisionNumber: w.DecisionNumber, FlaggedAt: ts(at), Transition: tr}, nil
	}
	return nil, fmt.Errorf("approval: no payload for change %s", c.Type)
}

var historyJSON = protojson.MarshalOptions{UseProtoNames: true}

// changeEvent builds the event of change c of w and the JSON of its payload.
func changeEvent(w *Workflow, c Change) (event.Event, []byte, error) {
	p, err := changePayload(w, c)
	if err != nil {
		return event.Event{}, nil, err
	}
	ev, err := event.New(c.Type, w.Park, event.Aggregate{Type: AggregateType, ID: w.ID, Version: c.Version}, c.Transition.At, p)
	if err != nil {
		return event.Event{}, nil, fmt.Errorf("build %s event of workflow %s: %w", c.Type, w.ID, err)
	}
	js, err := historyJSON.Marshal(p)
	if err != nil {
		return event.Event{}, nil, err
	}
	return ev, js, nil
}
