package event

import (
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/proto/approvalpb"
)

// Event types published by the approval service; the payload of each is named beside it.
// Every one belongs to the aggregate "workflow" (id = workflow id), whose
// versions run 1, 2, 3... without gaps, and carries a Transition (actor,
// reason, state before and after) for the audit trail.
const (
	WorkflowOpened              = "approval.workflow.opened"               // approvalpb.WorkflowOpened
	WorkflowAccepted            = "approval.workflow.accepted"             // approvalpb.WorkflowAccepted
	WorkflowNotAccepted         = "approval.workflow.not_accepted"         // approvalpb.WorkflowNotAccepted
	WorkflowCorrectionRequested = "approval.workflow.correction_requested" // approvalpb.WorkflowPaused
	WorkflowPaused              = "approval.workflow.paused"               // approvalpb.WorkflowPaused
	WorkflowResumed             = "approval.workflow.resumed"              // approvalpb.WorkflowResumed
	WorkflowDecided             = "approval.workflow.decided"              // approvalpb.WorkflowDecided
	WorkflowRevoked             = "approval.workflow.revoked"              // approvalpb.WorkflowRevoked
	StageOpened                 = "approval.stage.opened"                  // approvalpb.StageOpened
	StageCompleted              = "approval.stage.completed"               // approvalpb.StageCompleted
	TaskDelegated               = "approval.task.delegated"                // approvalpb.TaskDelegated
	ExtensionRequested          = "approval.extension.requested"           // approvalpb.ExtensionRequested
	VerificationCompleted       = "approval.verification.completed"        // approvalpb.VerificationCompleted
	EnterpriseCreditFlagged     = "approval.enterprise.credit_flagged"     // approvalpb.EnterpriseCreditFlagged
)

var approvalTypes = map[string]proto.Message{
	WorkflowOpened:              (*approvalpb.WorkflowOpened)(nil),
	WorkflowAccepted:            (*approvalpb.WorkflowAccepted)(nil),
	WorkflowNotAccepted:         (*approvalpb.WorkflowNotAccepted)(nil),
	WorkflowCorrectionRequested: (*approvalpb.WorkflowPaused)(nil),
	WorkflowPaused:              (*approvalpb.WorkflowPaused)(nil),
	WorkflowResumed:             (*approvalpb.WorkflowResumed)(nil),
	WorkflowDecided:             (*approvalpb.WorkflowDecided)(nil),
	WorkflowRevoked:             (*approvalpb.WorkflowRevoked)(nil),
	StageOpened:                 (*approvalpb.StageOpened)(nil),
	StageCompleted:              (*approvalpb.StageCompleted)(nil),
	TaskDelegated:               (*approvalpb.TaskDelegated)(nil),
	ExtensionRequested:          (*approvalpb.ExtensionRequested)(nil),
	VerificationCompleted:       (*approvalpb.VerificationCompleted)(nil),
	EnterpriseCreditFlagged:     (*approvalpb.EnterpriseCreditFlagged)(nil),
}
