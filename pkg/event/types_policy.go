package event

import (
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/proto/policypb"
)

// Event types published by the policy service; the payload of each is named
// beside it. Aggregates: "policy" (policy.policy.*), "offer" (policy.offer.*)
// and "application" (policy.application.* and policy.disbursement.*), each
// versioned 1, 2, 3... without gaps.
const (
	PolicySaved                = "policy.policy.saved"          // policypb.PolicySaved
	PolicyPublished            = "policy.policy.published"      // policypb.PolicyPublished
	PolicyClosed               = "policy.policy.closed"         // policypb.PolicyClosed
	PolicyOfferCreated         = "policy.offer.created"         // policypb.OfferCreated
	PolicyOfferLapsed          = "policy.offer.lapsed"          // policypb.OfferLapsed
	PolicyOfferConfirmed       = "policy.offer.confirmed"       // policypb.OfferConfirmed
	PolicyApplicationSubmitted = "policy.application.submitted" // policypb.ApplicationSubmitted
	PolicyApplicationWithdrawn = "policy.application.withdrawn" // policypb.ApplicationWithdrawn
	DisbursementReserved       = "policy.disbursement.reserved" // policypb.DisbursementReserved
	DisbursementRefused        = "policy.disbursement.refused"  // policypb.DisbursementRefused
	DisbursementPaid           = "policy.disbursement.paid"     // policypb.DisbursementPaid
	DisbursementReleased       = "policy.disbursement.released" // policypb.DisbursementReleased
)

var policyTypes = map[string]proto.Message{
	PolicySaved:                (*policypb.PolicySaved)(nil),
	PolicyPublished:            (*policypb.PolicyPublished)(nil),
	PolicyClosed:               (*policypb.PolicyClosed)(nil),
	PolicyOfferCreated:         (*policypb.OfferCreated)(nil),
	PolicyOfferLapsed:          (*policypb.OfferLapsed)(nil),
	PolicyOfferConfirmed:       (*policypb.OfferConfirmed)(nil),
	PolicyApplicationSubmitted: (*policypb.ApplicationSubmitted)(nil),
	PolicyApplicationWithdrawn: (*policypb.ApplicationWithdrawn)(nil),
	DisbursementReserved:       (*policypb.DisbursementReserved)(nil),
	DisbursementRefused:        (*policypb.DisbursementRefused)(nil),
	DisbursementPaid:           (*policypb.DisbursementPaid)(nil),
	DisbursementReleased:       (*policypb.DisbursementReleased)(nil),
}
