// Command slademo starts a resolution clock in a running dev stack by
// publishing approval.workflow.accepted exactly as the approval service does,
// for trying the SLA board before intake and approval run in the stack:
//
//	go run ./deploy/local/cmd/slademo -days 2
//
// then advance the dev clock (POST /v1/dev/clock) and watch GET /v1/sla/stream.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/natsx"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("slademo", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	url := flag.String("nats", "nats://127.0.0.1:14222", "the dev stack's NATS")
	park := flag.String("park", "wangcheng", "park")
	days := flag.Int("days", 2, "commitment in working days")
	matter := flag.String("matter", "construction-permit", "matter code")
	dept := flag.String("department", "housing", "department code")
	flag.Parse()
	nc, js, err := natsx.Connect(ctx, natsx.Config{URL: *url, Name: "slademo"})
	if err != nil {
		return err
	}
	defer nc.Close()
	kv, err := natsx.DevClockKV(ctx, js)
	if err != nil {
		return err
	}
	offset, err := natsx.DevOffset(ctx, kv)
	if err != nil {
		return err
	}
	now := time.Now().Add(offset)
	wf, ticket := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	ev, err := event.New(event.WorkflowAccepted, *park, event.Aggregate{Type: "workflow", ID: wf, Version: 1}, now,
		&approvalpb.WorkflowAccepted{
			WorkflowId: wf, TicketId: ticket, MatterCode: *matter, Department: *dept,
			CommitmentWorkingDays: int32(*days), LegalWorkingDays: int32(*days * 5), WarnWorkingDays: 1,
			AcceptedAt: timestamppb.New(now),
		})
	if err != nil {
		return err
	}
	b, err := event.Marshal(ev)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(ev.Subject)
	msg.Data = b
	msg.Header.Set(event.HeaderType, ev.Type)
	if _, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.ID)); err != nil {
		return err
	}
	fmt.Printf("workflow %s of ticket %s accepted at %s with %d working days\n", wf, ticket, now.Format(time.RFC3339), *days)
	return nil
}
