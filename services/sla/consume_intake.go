package sla

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/intakepb"
)

var intakeHandlers = map[string]func(*apply, context.Context) error{
	event.TicketSubmitted:         (*apply).ticketSubmitted,
	event.TicketMaterialsSupplied: (*apply).materialsSupplied,
	event.TicketWithdrawn:         (*apply).ticketWithdrawn,
	event.TicketRated:             (*apply).ticketRated,
	event.TicketClosed:            (*apply).ticketClosed,
}

// channelName is the read model's name of an intake channel.
func channelName(c intakepb.Channel) string {
	switch c {
	case intakepb.Channel_CHANNEL_ONLINE:
		return "online"
	case intakepb.Channel_CHANNEL_WINDOW:
		return "window"
	case intakepb.Channel_CHANNEL_PROXY:
		return "proxy"
	}
	return ""
}

// ticketInfo is what the read model knows of a ticket.
type ticketInfo struct {
	enterprise string
	withdrawn  bool
}

// ticketSubmitted records the ticket and starts its acceptance clock (受理).
// When approval's verdict on acceptance came first, the clock starts and
// stops at once, so it still counts in the figures.
func (a *apply) ticketSubmitted(ctx context.Context) error {
	p, ok := a.ev.Payload.(*intakepb.TicketSubmitted)
	if !ok || p.GetTicketId() == "" {
		return permanent(a.ev, "ticket id is required")
	}
	at, park, ticket := a.at(p.GetSubmittedAt()), a.ev.Park, p.GetTicketId()
	kind := strings.ToLower(strings.TrimPrefix(p.GetKind().String(), "TICKET_KIND_"))
	var accepted, notAccepted, withdrawn sql.NullTime
	err := a.tx.QueryRowxContext(ctx, `INSERT INTO tickets (ticket_id, park, enterprise_id, kind, channel, submitted_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (ticket_id) DO UPDATE SET enterprise_id = EXCLUDED.enterprise_id, kind = EXCLUDED.kind,
			channel = EXCLUDED.channel, submitted_at = EXCLUDED.submitted_at
		RETURNING accepted_at, not_accepted_at, withdrawn_at`,
		ticket, park, p.GetEnterpriseId(), kind, channelName(p.GetChannel()), at).Scan(&accepted, &notAccepted, &withdrawn)
	if err != nil {
		return fmt.Errorf("record ticket: %w", err)
	}
	if _, err := a.tx.ExecContext(ctx, `UPDATE clocks SET enterprise_id = $2 WHERE ticket_id = $1 AND enterprise_id = ''`,
		ticket, p.GetEnterpriseId()); err != nil {
		return fmt.Errorf("backfill clock enterprise: %w", err)
	}
	if withdrawn.Valid || (p.GetKind() != intakepb.TicketKind_TICKET_KIND_MATTER && p.GetKind() != intakepb.TicketKind_TICKET_KIND_BUNDLE) {
		return nil
	}
	if exists, err := clockExists(ctx, a.tx, park, KindAcceptance, "", ticket); err != nil || exists {
		return err
	}
	officer, err := a.officerOf(ctx, p.GetOfficerId(), p.GetEnterpriseId())
	if err != nil {
		return err
	}
	c := &Clock{ID: uuid.Must(uuid.NewV7()).String(), Park: park, Kind: KindAcceptance, SubjectID: ticket, TicketID: ticket,
		EnterpriseID: p.GetEnterpriseId(), OfficerID: officer, StartedAt: at, Budget: a.e.cfg.AcceptanceDays,
		LegalBudget: a.e.cfg.AcceptanceLegalDays, MatterCode: p.GetBundleCode()}
	if c.MatterCode == "" && len(p.GetMatterCodes()) > 0 {
		c.MatterCode = p.GetMatterCodes()[0]
	}
	if len(p.GetDepartments()) > 0 {
		c.Department = p.GetDepartments()[0]
	}
	cal, err := a.calendar(ctx, park)
	if err != nil {
		return err
	}
	ch, err := c.Start(cal)
	a.derived(ctx, c, err)
	changes := []Change{ch}
	if stopAt, reason := firstTime(accepted, notAccepted); !stopAt.IsZero() {
		stop, err := c.Stop(stopAt, reason, cal)
		a.derived(ctx, c, err)
		changes = append(changes, stop...)
	}
	return a.save(ctx, []*Clock{c}, changes)
}

func firstTime(accepted, notAccepted sql.NullTime) (time.Time, string) {
	switch {
	case accepted.Valid:
		return accepted.Time.UTC(), "accepted"
	case notAccepted.Valid:
		return notAccepted.Time.UTC(), "not accepted"
	}
	return time.Time{}, ""
}

// ticketAccepted records approval's acceptance in the ticket read model.
func (a *apply) ticketAccepted(ctx context.Context, park, ticket string, at time.Time) (ticketInfo, error) {
	var t ticketInfo
	if ticket == "" {
		return t, nil
	}
	var withdrawn sql.NullTime
	err := a.tx.QueryRowxContext(ctx, `INSERT INTO tickets (ticket_id, park, accepted_at) VALUES ($1, $2, $3)
		ON CONFLICT (ticket_id) DO UPDATE SET accepted_at = coalesce(tickets.accepted_at, EXCLUDED.accepted_at)
		RETURNING enterprise_id, withdrawn_at`, ticket, park, at).Scan(&t.enterprise, &withdrawn)
	if err != nil {
		return t, fmt.Errorf("ticket accepted: %w", err)
	}
	t.withdrawn = withdrawn.Valid
	return t, nil
}

// stopAcceptance stops the ticket's open acceptance clock, if any.
func (a *apply) stopAcceptance(ctx context.Context, park, ticket string, at time.Time, reason string) error {
	if ticket == "" {
		return nil
	}
	c, err := openClock(ctx, a.tx, park, KindAcceptance, "", ticket)
	if err != nil || c == nil {
		return err
	}
	return a.stop(ctx, []*Clock{c}, at, reason)
}

// stop stops the clocks at at.
func (a *apply) stop(ctx context.Context, cs []*Clock, at time.Time, reason string) error {
	var changes []Change
	for _, c := range cs {
		cal, err := a.calendar(ctx, c.Park)
		if err != nil {
			return err
		}
		ch, err := c.Stop(at, reason, cal)
		a.derived(ctx, c, err)
		changes = append(changes, ch...)
	}
	return a.save(ctx, cs, changes)
}

// stopWhere stops the open clocks matching where.
func (a *apply) stopWhere(ctx context.Context, where string, at time.Time, reason string, args ...any) error {
	cs, err := selectClocks(ctx, a.tx, where+` AND state IN ('green', 'yellow', 'red') FOR UPDATE`, args...)
	if err != nil {
		return err
	}
	ptrs := make([]*Clock, len(cs))
	for i := range cs {
		ptrs[i] = &cs[i]
	}
	return a.stop(ctx, ptrs, at, reason)
}

// cancel cancels the open clocks matching where.
func (a *apply) cancel(ctx context.Context, where, reason string, at time.Time, args ...any) error {
	cs, err := selectClocks(ctx, a.tx, where+` AND state IN ('green', 'yellow', 'red') FOR UPDATE`, args...)
	if err != nil {
		return err
	}
	ptrs := make([]*Clock, len(cs))
	var changes []Change
	for i := range cs {
		ptrs[i] = &cs[i]
		changes = append(changes, cs[i].Cancel(at, reason)...)
	}
	return a.save(ctx, ptrs, changes)
}

// materialsSupplied answers a correction (补正): the ticket's clocks paused
// for it resume (only those of the workflows named, when the event names
// them). Materials accepted as missing (容缺) stop the supplement clock
// instead; an event that does not say which, and finds no correction to
// answer, is taken as the latter.
func (a *apply) materialsSupplied(ctx context.Context) error {
	p, ok := a.ev.Payload.(*intakepb.TicketMaterialsSupplied)
	if !ok || p.GetTicketId() == "" {
		return permanent(a.ev, "ticket id is required")
	}
	at := a.ev.OccurredAt.UTC()
	stopSupplement := func() error {
		return a.stopWhere(ctx, `park = $1 AND ticket_id = $2 AND kind = 'supplement'`, at, "materials supplied",
			a.ev.Park, p.GetTicketId())
	}
	if p.GetSupplement() {
		return stopSupplement()
	}
	cs, err := selectClocks(ctx, a.tx, `park = $1 AND workflow_id IN (SELECT workflow_id FROM clocks
		WHERE park = $1 AND ticket_id = $2 AND kind = 'resolution' AND paused AND state IN ('green', 'yellow', 'red')
			AND (coalesce(cardinality($3::text[]), 0) = 0 OR workflow_id = ANY($3::text[])))
		AND kind IN ('resolution', 'stage') AND paused AND state IN ('green', 'yellow', 'red') FOR UPDATE`,
		a.ev.Park, p.GetTicketId(), pq.Array(p.GetWorkflowIds()))
	if err != nil {
		return err
	}
	var paused []*Clock
	for i := range cs {
		if cs[i].Pauses[len(cs[i].Pauses)-1].Reason == PauseCorrection {
			paused = append(paused, &cs[i])
		}
	}
	if len(paused) > 0 {
		return a.resume(ctx, paused, at)
	}
	if len(p.GetWorkflowIds()) > 0 {
		return nil
	}
	return stopSupplement()
}

// ticketWithdrawn cancels every open clock of the ticket.
func (a *apply) ticketWithdrawn(ctx context.Context) error {
	p, ok := a.ev.Payload.(*intakepb.TicketWithdrawn)
	if !ok || p.GetTicketId() == "" {
		return permanent(a.ev, "ticket id is required")
	}
	at := a.ev.OccurredAt.UTC()
	if _, err := a.tx.ExecContext(ctx, `INSERT INTO tickets (ticket_id, park, withdrawn_at) VALUES ($1, $2, $3)
		ON CONFLICT (ticket_id) DO UPDATE SET withdrawn_at = coalesce(tickets.withdrawn_at, EXCLUDED.withdrawn_at)`,
		p.GetTicketId(), a.ev.Park, at); err != nil {
		return fmt.Errorf("ticket withdrawn: %w", err)
	}
	return a.cancel(ctx, `park = $1 AND ticket_id = $2`, "withdrawn", at, a.ev.Park, p.GetTicketId())
}

// ticketRated records the rating (好差评) and, for a bad one with a
// rectification ticket, starts its rectification clock.
func (a *apply) ticketRated(ctx context.Context) error {
	p, ok := a.ev.Payload.(*intakepb.TicketRated)
	if !ok || p.GetTicketId() == "" || p.GetScore() < 1 || p.GetScore() > 5 {
		return permanent(a.ev, "ticket id and a score of 1 to 5 are required")
	}
	at := a.ev.OccurredAt.UTC()
	var firm string
	err := a.tx.QueryRowxContext(ctx, `INSERT INTO tickets (ticket_id, park, rating, rated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (ticket_id) DO UPDATE SET rating = EXCLUDED.rating, rated_at = EXCLUDED.rated_at
		RETURNING enterprise_id`, p.GetTicketId(), a.ev.Park, p.GetScore(), at).Scan(&firm)
	if err != nil {
		return fmt.Errorf("ticket rated: %w", err)
	}
	rect := p.GetRectificationTicketId()
	if p.GetScore() > 2 || rect == "" {
		return nil
	}
	if exists, err := clockExists(ctx, a.tx, a.ev.Park, KindRectification, "", rect); err != nil || exists {
		return err
	}
	return a.start(ctx, &Clock{Park: a.ev.Park, Kind: KindRectification, SubjectID: rect, TicketID: rect,
		EnterpriseID: firm, Department: p.GetDepartment(), OfficerID: p.GetOfficerId(), MatterCode: p.GetMatterCode(),
		StartedAt: at, Budget: a.e.cfg.RectificationDays})
}

// ticketClosed stops the rectification clock of a rectification ticket.
func (a *apply) ticketClosed(ctx context.Context) error {
	p, ok := a.ev.Payload.(*intakepb.TicketClosed)
	if !ok || p.GetTicketId() == "" {
		return permanent(a.ev, "ticket id is required")
	}
	c, err := openClock(ctx, a.tx, a.ev.Park, KindRectification, "", p.GetTicketId())
	if err != nil || c == nil {
		return err
	}
	return a.stop(ctx, []*Clock{c}, a.at(p.GetClosedAt()), p.GetOutcome())
}
