package sla

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

// Service is the sla API: clocks for timelines, extensions, and the
// managers' views. Every method checks the caller in ctx (auth.Principal).
type Service interface {
	// Clock returns one clock the caller may see.
	Clock(ctx context.Context, id string) (Clock, error)
	// TicketClocks returns the clocks of a ticket the caller may see, oldest
	// first, for the ticket's timeline.
	TicketClocks(ctx context.Context, ticketID string) ([]Clock, error)
	// RequestExtension asks for more working days on a clock (staff of the
	// clock's department; once per clock).
	RequestExtension(ctx context.Context, clockID string, req ExtensionRequest) (Extension, error)
	// DecideExtension grants or refuses a pending extension (a manager of
	// the clock's park). A grant moves the deadline.
	DecideExtension(ctx context.Context, extensionID string, d ExtensionDecision) (Extension, error)
	// Extensions lists a park's extensions, newest first.
	Extensions(ctx context.Context, q ExtensionQuery) ([]Extension, error)
	// Overview returns the figures of a period (manager of the park, admin).
	Overview(ctx context.Context, q OverviewQuery) (Overview, error)
	// Breaches returns a page of open warnings and breaches.
	Breaches(ctx context.Context, q BreachQuery) (BreachPage, error)
}

// ExtensionRequest asks for WorkingDays more, for Reason.
type ExtensionRequest struct {
	WorkingDays int    `json:"working_days"`
	Reason      string `json:"reason"`
}

// Extension decisions.
const (
	DecisionGrant  = "grant"
	DecisionRefuse = "refuse"
)

// ExtensionDecision grants or refuses an extension.
type ExtensionDecision struct {
	// Decision is "grant" or "refuse".
	Decision string `json:"decision"`
	// Reason is required to refuse.
	Reason string `json:"reason"`
}

// Store is the persistence the service needs; *Repository implements it.
// The mutating methods run their callback on rows locked in one transaction.
type Store interface {
	Clock(ctx context.Context, id string) (Clock, error)
	TicketClocks(ctx context.Context, ticketID string) ([]Clock, error)
	// Officers returns the primary and backup officer of a firm.
	Officers(ctx context.Context, enterpriseID string) (primary, backup string, err error)
	// RequestExtension locks the clock, builds the extension with build and
	// inserts it; a clock that has one already is a conflict.
	RequestExtension(ctx context.Context, clockID string, build func(Clock) (Extension, error)) (Extension, error)
	// DecideExtension locks the extension and its clock, lets decide change
	// both, saves them and publishes the clock's changes.
	DecideExtension(ctx context.Context, id string, decide func(*Extension, *Clock) ([]Change, error)) (Extension, Clock, error)
	Extensions(ctx context.Context, q ExtensionQuery) ([]Extension, error)
	Overview(ctx context.Context, q OverviewQuery) ([]OverviewRow, error)
	Breaches(ctx context.Context, q BreachQuery) (BreachPage, error)
}

// ServiceConfig configures NewService.
type ServiceConfig struct {
	// Store persists. Required.
	Store Store
	// Source gives parks' calendars. Required.
	Source calendar.Source
	// Clock tells the time. Default clock.System().
	Clock clock.Clock
	// Wake tells the scheduler a deadline moved (Scheduler.Poke). Optional.
	Wake func(time.Time)
}

// Validate fills defaults and checks the config.
func (c *ServiceConfig) Validate() error {
	if c.Store == nil || c.Source == nil {
		return errors.New("sla service config: Store and Source are required")
	}
	if c.Clock == nil {
		c.Clock = clock.System()
	}
	if c.Wake == nil {
		c.Wake = func(time.Time) {}
	}
	return nil
}

type service struct {
	cfg ServiceConfig
}

// NewService returns the Service over cfg.
func NewService(cfg ServiceConfig) (Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &service{cfg: cfg}, nil
}

// canSee reports whether p may see c: staff and managers of its park, the
// firm itself, the firm's officers (primary, backup, or the clock's own).
func (s *service) canSee(ctx context.Context, p auth.Principal, c Clock) (bool, error) {
	switch {
	case p.Role == auth.RoleAdmin:
		return true, nil
	case !p.CanSeePark(c.Park):
		return false, nil
	case p.Role == auth.RoleManager || p.Role == auth.RoleStaff:
		return true, nil
	case p.Role == auth.RoleEnterprise:
		return c.EnterpriseID != "" && c.EnterpriseID == p.EnterpriseID, nil
	case p.Role == auth.RoleLiaison:
		if c.OfficerID == p.OfficerID {
			return true, nil
		}
		if c.EnterpriseID == "" {
			return false, nil
		}
		primary, backup, err := s.cfg.Store.Officers(ctx, c.EnterpriseID)
		return err == nil && (primary == p.OfficerID || backup == p.OfficerID), err
	}
	return false, nil
}

func (s *service) Clock(ctx context.Context, id string) (Clock, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Clock{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return Clock{}, fault.NotFound("clock")
	}
	c, err := s.cfg.Store.Clock(ctx, id)
	if err != nil {
		return Clock{}, err
	}
	ok, err := s.canSee(ctx, p, c)
	if err != nil {
		return Clock{}, err
	}
	if !ok {
		return Clock{}, fault.NotFound("clock")
	}
	return c, nil
}

func (s *service) TicketClocks(ctx context.Context, ticketID string) ([]Clock, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if ticketID == "" {
		return nil, fault.Invalid("ticket_id", "required")
	}
	cs, err := s.cfg.Store.TicketClocks(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	out := []Clock{}
	for _, c := range cs {
		ok, err := s.canSee(ctx, p, c)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *service) RequestExtension(ctx context.Context, clockID string, req ExtensionRequest) (Extension, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Extension{}, err
	}
	if err := p.Require(auth.RoleStaff); err != nil {
		return Extension{}, err
	}
	if _, err := uuid.Parse(clockID); err != nil {
		return Extension{}, fault.NotFound("clock")
	}
	now := s.cfg.Clock.Now().UTC()
	return s.cfg.Store.RequestExtension(ctx, clockID, func(c Clock) (Extension, error) {
		if !p.CanSeePark(c.Park) {
			return Extension{}, fault.NotFound("clock")
		}
		if !p.InDepartment(c.Department) {
			return Extension{}, fault.Forbidden("only staff of the clock's department may ask for an extension")
		}
		x := Extension{ID: uuid.Must(uuid.NewV7()).String(), ClockID: c.ID, Park: c.Park, WorkingDays: req.WorkingDays,
			Reason: req.Reason, RequestedBy: p.Subject, RequestedAt: now, State: ExtensionPending}
		return x, x.CheckRequest(c)
	})
}

func (s *service) DecideExtension(ctx context.Context, extensionID string, d ExtensionDecision) (Extension, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Extension{}, err
	}
	if err := p.Require(auth.RoleManager); err != nil {
		return Extension{}, err
	}
	if d.Decision != DecisionGrant && d.Decision != DecisionRefuse {
		return Extension{}, fault.Invalid("decision", `must be "grant" or "refuse"`)
	}
	if _, err := uuid.Parse(extensionID); err != nil {
		return Extension{}, fault.NotFound("extension")
	}
	now := s.cfg.Clock.Now().UTC()
	x, c, err := s.cfg.Store.DecideExtension(ctx, extensionID, func(x *Extension, c *Clock) ([]Change, error) {
		if !p.CanSeePark(x.Park) {
			return nil, fault.NotFound("extension")
		}
		if err := x.Decide(d.Decision == DecisionGrant, p.Subject, d.Reason, now, *c); err != nil {
			return nil, err
		}
		if x.State != ExtensionGranted {
			return nil, nil
		}
		cal, err := s.cfg.Source.ForPark(ctx, c.Park)
		if err != nil {
			return nil, err
		}
		x.PreviousDeadline = c.Deadline
		changes, err := c.Extend(x.WorkingDays, now, cal)
		if err != nil {
			return nil, fault.Wrap(fault.ErrUnprocessable, "the park's calendar cannot place the new deadline", err)
		}
		x.NewDeadline = c.Deadline
		return changes, nil
	})
	if err != nil {
		return Extension{}, err
	}
	if !c.NextFireAt.IsZero() {
		s.cfg.Wake(c.NextFireAt)
	}
	return x, nil
}

func (s *service) Extensions(ctx context.Context, q ExtensionQuery) ([]Extension, error) {
	park, err := managerPark(ctx, q.Park)
	if err != nil {
		return nil, err
	}
	switch q.State {
	case "", ExtensionPending, ExtensionGranted, ExtensionRefused:
	default:
		return nil, fault.Invalid("state", "must be pending, granted or refused")
	}
	q.Park = park
	return s.cfg.Store.Extensions(ctx, q)
}

// managerPark returns the park a manager's view covers: the manager's own
// (a different one asked for is forbidden), or the one an admin asks for
// (empty: every park).
func managerPark(ctx context.Context, asked string) (string, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return "", err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return "", err
	}
	if p.Role == auth.RoleAdmin {
		return asked, nil
	}
	if asked != "" && asked != p.Park {
		return "", fault.Forbidden("a manager sees only the own park")
	}
	return p.Park, nil
}
