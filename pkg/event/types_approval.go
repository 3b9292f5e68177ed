package event

import (
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/proto/approvalpb"
)

// Event types published by the approval service; the payload of each is named beside it.
const (
	WorkflowAccepted            = "approval.workflow.accepted"             // approvalpb.WorkflowAccepted
	WorkflowNotAccepted         = "approval.workflow.not_accepted"         // approvalpb.WorkflowNotAccepted
	WorkflowCorrectionRequested = "approval.workflow.correction_requested" // approvalpb.WorkflowPaused
	WorkflowPaused              = "approval.workflow.paused"               // approvalpb.WorkflowPaused
	WorkflowResumed             = "approval.workflow.resumed"              // approvalpb.WorkflowResumed
	WorkflowDecided             = "approval.workflow.decided"              // approvalpb.WorkflowDecided
	StageOpened                 = "approval.stage.opened"                  // approvalpb.StageOpened
	StageCompleted              = "approval.stage.completed"               // approvalpb.StageCompleted
	ExtensionRequested          = "approval.extension.requested"           // approvalpb.ExtensionRequested
)

var approvalTypes = map[string]proto.Message{
	WorkflowAccepted:            (*approvalpb.WorkflowAccepted)(nil),
	WorkflowNotAccepted:         (*approvalpb.WorkflowNotAccepted)(nil),
	WorkflowCorrectionRequested: (*approvalpb.WorkflowPaused)(nil),
	WorkflowPaused:              (*approvalpb.WorkflowPaused)(nil),
	WorkflowResumed:             (*approvalpb.WorkflowResumed)(nil),
	WorkflowDecided:             (*approvalpb.WorkflowDecided)(nil),
	StageOpened:                 (*approvalpb.StageOpened)(nil),
	StageCompleted:              (*approvalpb.StageCompleted)(nil),
	ExtensionRequested:          (*approvalpb.ExtensionRequested)(nil),
}
