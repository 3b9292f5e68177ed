// Package liaison is parkdesk's resident liaison service (驻企联络): the
// officers of each park, the assignment of every firm to one primary officer
// and an optional backup (一企一员), the dispatch of demands (诉求) and proxy
// filings (代办) to the firm's officer with sign-for (签收), send-back (退单),
// escalation to the backup and then the manager when the sla service reports
// a response clock breached, chases (催办), visits (走访), promises (说到做到)
// and the officers' and managers' views.
//
// The rules are in ../../shared/DOMAIN.md ("Liaison"). Timing belongs to the
// sla service: liaison publishes a dispatch per step, sla starts a
// liaison_response clock on it and tells liaison when it breaches.
package liaison

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
)

// Service is the liaison API. Every method checks the caller in ctx
// (auth.Principal): an officer sees and acts only for their own firms.
type Service interface {
	// Officers lists the roster of a park (managers, admin, the park's officers).
	Officers(ctx context.Context, q OfficerQuery) ([]Officer, error)
	// Officer returns one officer with their load.
	Officer(ctx context.Context, id string) (Officer, error)
	// CreateOfficer adds an officer to a park's roster (manager, admin).
	CreateOfficer(ctx context.Context, in OfficerInput) (Officer, error)
	// UpdateOfficer changes an officer (manager, admin). Going on leave or
	// leaving hands their firms and open requests over.
	UpdateOfficer(ctx context.Context, id string, patch OfficerPatch) (OfficerChange, error)

	// Firms lists firms: an officer's own, or a park's for a manager.
	Firms(ctx context.Context, q FirmQuery) ([]Firm, error)
	// Firm returns one firm with its officers (the firm, its officers, managers).
	Firm(ctx context.Context, id string) (Firm, error)
	// Reassign sets a firm's officers (manager, admin).
	Reassign(ctx context.Context, id string, r Reassignment) (Firm, error)

	// Queue returns what the caller must act on, oldest first: an officer's
	// pending and signed-for requests; a manager's escalated, returned and
	// waiting requests.
	Queue(ctx context.Context) ([]Request, error)
	// Requests lists requests in the caller's scope.
	Requests(ctx context.Context, q RequestQuery) ([]Request, error)
	// Request returns one request with its dispatches and chases.
	Request(ctx context.Context, id string) (Request, error)
	// Acknowledge signs for a request (签收): its response clocks stop.
	Acknowledge(ctx context.Context, id string) (Request, error)
	// Return sends a request back to the dispatcher with a reason (退单).
	Return(ctx context.Context, id string, in ReturnInput) (Request, error)
	// Chase records a manager's chase (催办) of a request's holder.
	Chase(ctx context.Context, id string, in ChaseInput) (Chase, error)
	// Redispatch routes a returned or signed-for request to an officer (manager).
	Redispatch(ctx context.Context, id string, in RedispatchInput) (Request, error)

	// LogVisit records a visit (走访) by the firm's officer.
	LogVisit(ctx context.Context, in VisitInput) (Visit, error)
	// Visits lists visits in the caller's scope, newest first.
	Visits(ctx context.Context, q VisitQuery) ([]Visit, error)

	// MakePromise records an officer's promise to a firm (说到做到).
	MakePromise(ctx context.Context, in PromiseInput) (Promise, error)
	// ClosePromise closes a promise with its outcome.
	ClosePromise(ctx context.Context, id string, out PromiseOutcome) (Promise, error)
	// Promises lists promises in the caller's scope.
	Promises(ctx context.Context, q PromiseQuery) ([]Promise, error)

	// Overview is a manager's view of the park's officers: loads, response
	// times, overdue acknowledgements, visit coverage, promises.
	Overview(ctx context.Context, q OverviewQuery) (Overview, error)
}

// Store is the persistence the service needs; *Repository implements it.
// The mutating methods lock the rows they change, call check (authorization
// and state rules) on them, and write the change and its events in one
// transaction.
type Store interface {
	Officers(ctx context.Context, q OfficerQuery) ([]Officer, error)
	Officer(ctx context.Context, id string) (Officer, error)
	CreateOfficer(ctx context.Context, o Officer) (Officer, error)
	UpdateOfficer(ctx context.Context, id string, change func(*Officer) error, reason string) (OfficerChange, error)
	ManagerExists(ctx context.Context, park, id string) (bool, error)

	Firms(ctx context.Context, q FirmQuery) ([]Firm, error)
	Firm(ctx context.Context, id string) (Firm, error)
	Reassign(ctx context.Context, id string, r Reassignment, check func(Firm) error) (Firm, error)

	Requests(ctx context.Context, q RequestQuery) ([]Request, error)
	Request(ctx context.Context, id string) (Request, error)
	Acknowledge(ctx context.Context, id string, by Actor, check func(Request) error) (Request, error)
	Return(ctx context.Context, id string, by Actor, reason string, check func(Request) error) (Request, error)
	Chase(ctx context.Context, id string, by Actor, note string, check func(Request) error) (Chase, error)
	Redispatch(ctx context.Context, id string, by Actor, officerID, reason string, check func(Request) error) (Request, error)

	LogVisit(ctx context.Context, v Visit, check func(Firm) error) (Visit, error)
	Visits(ctx context.Context, q VisitQuery) ([]Visit, error)

	MakePromise(ctx context.Context, p Promise, check func(Firm) error) (Promise, error)
	ClosePromise(ctx context.Context, id string, out PromiseOutcome, by Actor, check func(Promise) error) (Promise, error)
	Promises(ctx context.Context, q PromiseQuery) ([]Promise, error)

	Overview(ctx context.Context, q OverviewQuery) (Overview, error)
}

// ServiceConfig configures NewService.
type ServiceConfig struct {
	// Store persists. Required.
	Store Store
	// Clock tells the time. Default clock.System().
	Clock clock.Clock
	// Wake tells the promise scheduler a new promise falls due at an instant.
	// Optional.
	Wake func(time.Time)
}

// Validate fills defaults and checks the config.
func (c *ServiceConfig) Validate() error {
	if c.Store == nil {
		return errors.New("liaison service config: Store is required")
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

// shanghai is where dates given without a time of day are read.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// Limits of free text.
const (
	maxName    = 100
	maxText    = 2000
	maxReason  = 500
	maxList    = 50
	maxCap     = 10000
	maxPageLen = 500
)

var industryCode = regexp.MustCompile(`^[A-T][0-9]{0,4}$`)

// scope is what a principal may see of a firm.
func firmAccess(p auth.Principal, f Firm) error {
	switch {
	case p.Role == auth.RoleAdmin:
		return nil
	case !p.CanSeePark(f.Park):
		return fault.NotFound("firm")
	case p.Role == auth.RoleManager:
		return nil
	case p.Role == auth.RoleLiaison:
		if p.OfficerID != "" && (f.OfficerID == p.OfficerID || f.BackupOfficerID == p.OfficerID) {
			return nil
		}
		return fault.Forbidden("the firm is not assigned to you")
	case p.Role == auth.RoleEnterprise:
		if f.EnterpriseID == p.EnterpriseID {
			return nil
		}
		return fault.NotFound("firm")
	}
	return fault.Forbidden(fmt.Sprintf("role %q may not see firms' officers", p.Role))
}

// officerOfFirm allows only the firm's own officers (primary or backup).
func officerOfFirm(p auth.Principal, f Firm) error {
	if err := p.Require(auth.RoleLiaison); err != nil {
		return err
	}
	return firmAccess(p, f)
}

// requestAccess is what a principal may see of a request.
func requestAccess(p auth.Principal, r Request) error {
	switch {
	case p.Role == auth.RoleAdmin:
		return nil
	case !p.CanSeePark(r.Park):
		return fault.NotFound("request")
	case p.Role == auth.RoleManager:
		return nil
	case p.Role == auth.RoleLiaison:
		if p.OfficerID != "" && ((r.HolderRole == RoleOfficer && r.HolderID == p.OfficerID) ||
			r.OfficerID == p.OfficerID || r.BackupOfficerID == p.OfficerID) {
			return nil
		}
		return fault.Forbidden("the request is not yours nor of a firm assigned to you")
	case p.Role == auth.RoleEnterprise:
		if r.EnterpriseID == p.EnterpriseID {
			return nil
		}
		return fault.NotFound("request")
	}
	return fault.Forbidden(fmt.Sprintf("role %q may not see liaison requests", p.Role))
}

// parkOf returns the park a manager or admin acts in: a manager's own (a
// different one asked is forbidden), an admin's as asked (required when
// required is set).
func parkOf(p auth.Principal, asked string, required bool) (string, error) {
	if p.Role == auth.RoleAdmin {
		if asked == "" && required {
			return "", fault.Invalid("park", "required for admin")
		}
		if asked != "" && !event.ValidPark(asked) {
			return "", fault.Invalid("park", "must be a park id")
		}
		return asked, nil
	}
	if asked != "" && asked != p.Park {
		return "", fault.Forbidden("outside your park")
	}
	return p.Park, nil
}

func actorOf(p auth.Principal) Actor {
	if p.Role == auth.RoleLiaison {
		return Actor{ID: p.OfficerID, Role: RoleOfficer}
	}
	return Actor{ID: p.Subject, Role: string(p.Role)}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func validUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

func textLen(s string) int { return utf8.RuneCountInString(s) }

// cleanList trims, drops empties and duplicates.
func cleanList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func validateIndustries(v *fault.Violations, field string, in []string) []string {
	out := cleanList(in)
	if len(out) > maxList {
		v.Addf(field, "at most %d", maxList)
	}
	for i, s := range out {
		s = strings.ToUpper(s)
		out[i] = s
		if !industryCode.MatchString(s) {
			v.Addf(fmt.Sprintf("%s[%d]", field, i), "must be a GB/T 4754 industry code or prefix such as C39 (got %q)", s)
		}
	}
	return out
}

func validateDepartments(v *fault.Violations, field string, in []string) []string {
	out := cleanList(in)
	if len(out) > maxList {
		v.Addf(field, "at most %d", maxList)
	}
	for i, s := range out {
		if !event.ValidPark(s) {
			v.Addf(fmt.Sprintf("%s[%d]", field, i), "must be a department code such as commerce (got %q)", s)
		}
	}
	return out
}

func (s *service) Officers(ctx context.Context, q OfficerQuery) ([]Officer, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin, auth.RoleLiaison); err != nil {
		return nil, err
	}
	if q.Status != "" && !q.Status.Valid() {
		return nil, fault.Invalid("status", "must be active, on_leave or left")
	}
	if p.Role == auth.RoleLiaison {
		if q.Park != "" && q.Park != p.Park {
			return nil, fault.Forbidden("outside your park")
		}
		q.Park = p.Park
	} else if q.Park, err = parkOf(p, q.Park, true); err != nil {
		return nil, err
	}
	return s.cfg.Store.Officers(ctx, q)
}

func (s *service) Officer(ctx context.Context, id string) (Officer, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Officer{}, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin, auth.RoleLiaison); err != nil {
		return Officer{}, err
	}
	o, err := s.cfg.Store.Officer(ctx, id)
	if err != nil {
		return Officer{}, err
	}
	if !p.CanSeePark(o.Park) {
		return Officer{}, fault.NotFound("officer")
	}
	return o, nil
}

func (s *service) CreateOfficer(ctx context.Context, in OfficerInput) (Officer, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Officer{}, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return Officer{}, err
	}
	var v fault.Violations
	o := Officer{ID: strings.TrimSpace(in.ID), Name: strings.TrimSpace(in.Name), Phone: strings.TrimSpace(in.Phone),
		Cap: in.Cap, Status: StatusActive, ManagerID: strings.TrimSpace(in.ManagerID)}
	if o.ID == "" {
		o.ID = newID()
	} else if !validUUID(o.ID) {
		v.Add("id", "must be a UUID")
	}
	switch {
	case p.Role == auth.RoleAdmin && in.Park == "":
		v.Add("park", "required")
	case p.Role == auth.RoleAdmin && !event.ValidPark(in.Park):
		v.Add("park", "must be a park id")
	case p.Role == auth.RoleManager && in.Park != "" && in.Park != p.Park:
		return Officer{}, fault.Forbidden("outside your park")
	}
	o.Park = in.Park
	if p.Role == auth.RoleManager {
		o.Park = p.Park
	}
	if o.Name == "" {
		v.Add("name", "required")
	} else if textLen(o.Name) > maxName {
		v.Addf("name", "at most %d characters", maxName)
	}
	if textLen(o.Phone) > 40 {
		v.Add("phone", "at most 40 characters")
	}
	if o.Cap < 0 || o.Cap > maxCap {
		v.Addf("cap", "must be from 0 to %d", maxCap)
	}
	o.Industries = validateIndustries(&v, "industries", in.Industries)
	o.Departments = validateDepartments(&v, "departments", in.Departments)
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Officer{}, err
	}
	if err := s.checkManager(ctx, o.Park, o.ManagerID); err != nil {
		return Officer{}, err
	}
	return s.cfg.Store.CreateOfficer(ctx, o)
}

func (s *service) checkManager(ctx context.Context, park, id string) error {
	if id == "" {
		return nil
	}
	ok, err := s.cfg.Store.ManagerExists(ctx, park, id)
	if err != nil {
		return err
	}
	if !ok {
		return fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "manager_id", Reason: "no such manager in the park"})
	}
	return nil
}

func (s *service) UpdateOfficer(ctx context.Context, id string, patch OfficerPatch) (OfficerChange, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return OfficerChange{}, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return OfficerChange{}, err
	}
	var v fault.Violations
	if patch.Name != nil {
		n := strings.TrimSpace(*patch.Name)
		patch.Name = &n
		if n == "" || textLen(n) > maxName {
			v.Addf("name", "required, at most %d characters", maxName)
		}
	}
	if patch.Phone != nil && textLen(*patch.Phone) > 40 {
		v.Add("phone", "at most 40 characters")
	}
	if patch.Cap != nil && (*patch.Cap < 0 || *patch.Cap > maxCap) {
		v.Addf("cap", "must be from 0 to %d", maxCap)
	}
	if patch.Status != nil && !patch.Status.Valid() {
		v.Add("status", "must be active, on_leave or left")
	}
	if patch.Industries != nil {
		in := validateIndustries(&v, "industries", *patch.Industries)
		patch.Industries = &in
	}
	if patch.Departments != nil {
		in := validateDepartments(&v, "departments", *patch.Departments)
		patch.Departments = &in
	}
	if textLen(patch.Reason) > maxReason {
		v.Addf("reason", "at most %d characters", maxReason)
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return OfficerChange{}, err
	}
	current, err := s.cfg.Store.Officer(ctx, id)
	if err != nil {
		return OfficerChange{}, err
	}
	if !p.CanSeePark(current.Park) {
		return OfficerChange{}, fault.NotFound("officer")
	}
	if patch.ManagerID != nil {
		m := strings.TrimSpace(*patch.ManagerID)
		patch.ManagerID = &m
		if err := s.checkManager(ctx, current.Park, m); err != nil {
			return OfficerChange{}, err
		}
	}
	return s.cfg.Store.UpdateOfficer(ctx, id, func(o *Officer) error {
		return applyPatch(o, patch)
	}, strings.TrimSpace(patch.Reason))
}

// applyPatch changes o as patch says, on the locked row with its current
// counts: a cap below the firms the officer has is a conflict, and an
// officer who left stays gone.
func applyPatch(o *Officer, patch OfficerPatch) error {
	if patch.Status != nil && o.Status == StatusLeft && *patch.Status != StatusLeft {
		return fault.Conflict("the officer has left; add them again as a new officer")
	}
	if patch.Cap != nil {
		stays := patch.Status == nil || *patch.Status == StatusActive
		if stays && (*patch.Cap < o.Firms || *patch.Cap < o.BackupFirms) {
			return fault.Conflict(fmt.Sprintf("cap %d is below the officer's %d firms (%d as backup); reassign some first",
				*patch.Cap, o.Firms, o.BackupFirms))
		}
		o.Cap = *patch.Cap
	}
	if patch.Name != nil {
		o.Name = *patch.Name
	}
	if patch.Phone != nil {
		o.Phone = strings.TrimSpace(*patch.Phone)
	}
	if patch.Industries != nil {
		o.Industries = *patch.Industries
	}
	if patch.Departments != nil {
		o.Departments = *patch.Departments
	}
	if patch.ManagerID != nil {
		o.ManagerID = *patch.ManagerID
	}
	if patch.Status != nil {
		o.Status = *patch.Status
	}
	return nil
}

func (s *service) Firms(ctx context.Context, q FirmQuery) ([]Firm, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	switch p.Role {
	case auth.RoleLiaison:
		if q.OfficerID != "" && q.OfficerID != p.OfficerID {
			return nil, fault.Forbidden("an officer sees only their own firms")
		}
		q.Park, q.OfficerID = p.Park, p.OfficerID
	case auth.RoleManager, auth.RoleAdmin:
		if q.Park, err = parkOf(p, q.Park, false); err != nil {
			return nil, err
		}
	default:
		return nil, p.Require(auth.RoleLiaison, auth.RoleManager, auth.RoleAdmin)
	}
	return s.cfg.Store.Firms(ctx, q)
}

func (s *service) Firm(ctx context.Context, id string) (Firm, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Firm{}, err
	}
	f, err := s.cfg.Store.Firm(ctx, id)
	if err != nil {
		return Firm{}, err
	}
	return f, firmAccess(p, f)
}

func (s *service) Reassign(ctx context.Context, id string, r Reassignment) (Firm, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Firm{}, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return Firm{}, err
	}
	var v fault.Violations
	r.OfficerID = strings.TrimSpace(r.OfficerID)
	if r.OfficerID == "" {
		v.Add("officer_id", "required")
	}
	if r.BackupOfficerID != nil {
		b := strings.TrimSpace(*r.BackupOfficerID)
		r.BackupOfficerID = &b
		if b != "" && b == r.OfficerID {
			v.Add("backup_officer_id", "must differ from officer_id")
		}
	}
	r.Reason = strings.TrimSpace(r.Reason)
	if textLen(r.Reason) > maxReason {
		v.Addf("reason", "at most %d characters", maxReason)
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Firm{}, err
	}
	return s.cfg.Store.Reassign(ctx, id, r, func(f Firm) error { return firmAccess(p, f) })
}

func (s *service) Queue(ctx context.Context) ([]Request, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	switch p.Role {
	case auth.RoleLiaison:
		return s.cfg.Store.Requests(ctx, RequestQuery{Park: p.Park, HolderID: p.OfficerID, Queue: true})
	case auth.RoleManager:
		return s.cfg.Store.Requests(ctx, RequestQuery{Park: p.Park, ManagerQueue: true})
	}
	return nil, p.Require(auth.RoleLiaison, auth.RoleManager)
}

func (s *service) Requests(ctx context.Context, q RequestQuery) ([]Request, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if q.State != "" && !slices.Contains([]RequestState{RequestWaiting, RequestPending, RequestAcknowledged,
		RequestReturned, RequestClosed}, q.State) {
		return nil, fault.Invalid("state", "must be waiting, pending, acknowledged, returned or closed")
	}
	if q.Limit < 0 || q.Limit > maxPageLen {
		return nil, fault.Invalidf("limit", "must be from 1 to %d", maxPageLen)
	}
	q.Queue, q.ManagerQueue = false, false
	switch p.Role {
	case auth.RoleLiaison:
		q.Park, q.ForOfficer = p.Park, p.OfficerID
	case auth.RoleEnterprise:
		q.Park, q.EnterpriseID, q.ForOfficer = p.Park, p.EnterpriseID, ""
	case auth.RoleManager, auth.RoleAdmin:
		if q.Park, err = parkOf(p, q.Park, false); err != nil {
			return nil, err
		}
	default:
		return nil, p.Require(auth.RoleLiaison, auth.RoleManager, auth.RoleAdmin, auth.RoleEnterprise)
	}
	return s.cfg.Store.Requests(ctx, q)
}

func (s *service) Request(ctx context.Context, id string) (Request, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Request{}, err
	}
	r, err := s.cfg.Store.Request(ctx, id)
	if err != nil {
		return Request{}, err
	}
	return r, requestAccess(p, r)
}

func (s *service) Acknowledge(ctx context.Context, id string) (Request, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Request{}, err
	}
	if err := p.Require(auth.RoleLiaison, auth.RoleManager); err != nil {
		return Request{}, err
	}
	return s.cfg.Store.Acknowledge(ctx, id, actorOf(p), func(r Request) error {
		if err := requestAccess(p, r); err != nil {
			return err
		}
		if r.State == RequestAcknowledged && r.AcknowledgedBy == actorOf(p).ID {
			return nil // signed already by the caller: the same answer again
		}
		if r.State != RequestPending {
			return fault.Conflict(fmt.Sprintf("the request is %s, not pending", r.State))
		}
		return nil
	})
}

func (s *service) Return(ctx context.Context, id string, in ReturnInput) (Request, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Request{}, err
	}
	if err := p.Require(auth.RoleLiaison); err != nil {
		return Request{}, err
	}
	reason := strings.TrimSpace(in.Reason)
	switch {
	case reason == "":
		return Request{}, fault.Invalid("reason", "required: say why the request is sent back")
	case textLen(reason) > maxReason:
		return Request{}, fault.Invalidf("reason", "at most %d characters", maxReason)
	}
	return s.cfg.Store.Return(ctx, id, actorOf(p), reason, func(r Request) error {
		if err := requestAccess(p, r); err != nil {
			return err
		}
		if r.State != RequestPending && r.State != RequestAcknowledged {
			return fault.Conflict(fmt.Sprintf("the request is %s; only a pending or signed-for request can be sent back", r.State))
		}
		if r.HolderRole != RoleOfficer || r.HolderID != p.OfficerID {
			return fault.Forbidden("only the officer holding the request can send it back")
		}
		return nil
	})
}

func (s *service) Chase(ctx context.Context, id string, in ChaseInput) (Chase, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Chase{}, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return Chase{}, err
	}
	note := strings.TrimSpace(in.Note)
	if textLen(note) > maxReason {
		return Chase{}, fault.Invalidf("note", "at most %d characters", maxReason)
	}
	return s.cfg.Store.Chase(ctx, id, actorOf(p), note, func(r Request) error {
		if err := requestAccess(p, r); err != nil {
			return err
		}
		if r.State != RequestPending && r.State != RequestAcknowledged {
			return fault.Conflict(fmt.Sprintf("the request is %s; only a pending or signed-for request can be chased", r.State))
		}
		return nil
	})
}

func (s *service) Redispatch(ctx context.Context, id string, in RedispatchInput) (Request, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Request{}, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return Request{}, err
	}
	var v fault.Violations
	officer := strings.TrimSpace(in.OfficerID)
	if officer == "" {
		v.Add("officer_id", "required")
	}
	reason := strings.TrimSpace(in.Reason)
	if textLen(reason) > maxReason {
		v.Addf("reason", "at most %d characters", maxReason)
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Request{}, err
	}
	return s.cfg.Store.Redispatch(ctx, id, actorOf(p), officer, reason, func(r Request) error {
		if err := requestAccess(p, r); err != nil {
			return err
		}
		if r.State != RequestReturned && r.State != RequestAcknowledged {
			return fault.Conflict(fmt.Sprintf("the request is %s; only a returned or signed-for request can be dispatched again", r.State))
		}
		return nil
	})
}

// parseWhen reads a date (Asia/Shanghai, start of day) or an RFC 3339 instant.
func parseWhen(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, shanghai); err == nil {
		return d.UTC(), true
	}
	return time.Time{}, false
}

func (s *service) LogVisit(ctx context.Context, in VisitInput) (Visit, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Visit{}, err
	}
	if err := p.Require(auth.RoleLiaison); err != nil {
		return Visit{}, err
	}
	now := s.cfg.Clock.Now().UTC()
	var v fault.Violations
	vis := Visit{ID: newID(), EnterpriseID: strings.TrimSpace(in.EnterpriseID), OfficerID: p.OfficerID,
		PeopleMet: cleanList(in.PeopleMet), Notes: strings.TrimSpace(in.Notes), LoggedAt: now}
	if vis.EnterpriseID == "" {
		v.Add("enterprise_id", "required")
	}
	switch at, ok := parseWhen(in.VisitedAt); {
	case strings.TrimSpace(in.VisitedAt) == "":
		v.Add("visited_at", "required")
	case !ok:
		v.Add("visited_at", "must be a date (2006-01-02) or an RFC 3339 instant")
	case at.After(now):
		v.Add("visited_at", "must not be in the future")
	case at.Before(now.AddDate(-1, 0, 0)):
		v.Add("visited_at", "must be within the last year")
	default:
		vis.VisitedAt = at
	}
	if len(vis.PeopleMet) == 0 {
		v.Add("people_met", "name at least one person met")
	} else if len(vis.PeopleMet) > maxList {
		v.Addf("people_met", "at most %d", maxList)
	}
	for i, name := range vis.PeopleMet {
		if textLen(name) > maxName {
			v.Addf(fmt.Sprintf("people_met[%d]", i), "at most %d characters", maxName)
		}
	}
	if textLen(vis.Notes) > maxText {
		v.Addf("notes", "at most %d characters", maxText)
	}
	if len(in.Issues) > maxList {
		v.Addf("issues", "at most %d", maxList)
	}
	for i, is := range in.Issues {
		d, t := strings.TrimSpace(is.Description), strings.TrimSpace(is.Title)
		switch {
		case d == "":
			v.Add(fmt.Sprintf("issues[%d].description", i), "required")
		case textLen(d) > maxText:
			v.Addf(fmt.Sprintf("issues[%d].description", i), "at most %d characters", maxText)
		}
		if textLen(t) > maxName {
			v.Addf(fmt.Sprintf("issues[%d].title", i), "at most %d characters", maxName)
		}
		if t == "" && is.OpenTicket {
			t = summary(d)
		}
		vis.Issues = append(vis.Issues, Issue{ID: newID(), Description: d, Title: t, OpenTicket: is.OpenTicket})
	}
	if vis.Issues == nil {
		vis.Issues = []Issue{}
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Visit{}, err
	}
	return s.cfg.Store.LogVisit(ctx, vis, func(f Firm) error { return officerOfFirm(p, f) })
}

// summary is the first 30 characters of a description, for a ticket title.
func summary(s string) string {
	r := []rune(s)
	if len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return s
}

func (s *service) Visits(ctx context.Context, q VisitQuery) ([]Visit, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if q.Limit < 0 || q.Limit > maxPageLen {
		return nil, fault.Invalidf("limit", "must be from 1 to %d", maxPageLen)
	}
	if q.Park, q.ForOfficer, q.EnterpriseID, err = listScope(p, q.Park, q.ForOfficer, q.EnterpriseID); err != nil {
		return nil, err
	}
	return s.cfg.Store.Visits(ctx, q)
}

func (s *service) MakePromise(ctx context.Context, in PromiseInput) (Promise, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Promise{}, err
	}
	if err := p.Require(auth.RoleLiaison); err != nil {
		return Promise{}, err
	}
	now := s.cfg.Clock.Now().UTC()
	var v fault.Violations
	pr := Promise{ID: newID(), EnterpriseID: strings.TrimSpace(in.EnterpriseID), OfficerID: p.OfficerID,
		Content: strings.TrimSpace(in.Content), MadeAt: now, State: PromiseOpen}
	if pr.EnterpriseID == "" {
		v.Add("enterprise_id", "required")
	}
	switch {
	case pr.Content == "":
		v.Add("content", "required: what was promised")
	case textLen(pr.Content) > maxText:
		v.Addf("content", "at most %d characters", maxText)
	}
	due, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.DueOn), shanghai)
	switch {
	case strings.TrimSpace(in.DueOn) == "":
		v.Add("due_on", "required")
	case err != nil:
		v.Add("due_on", "must be a date (2006-01-02)")
	default:
		// Due by the end of that day in Shanghai.
		pr.DueAt = due.AddDate(0, 0, 1).UTC()
		if !pr.DueAt.After(now) {
			v.Add("due_on", "must be today or later")
		} else if pr.DueAt.After(now.AddDate(2, 0, 0)) {
			v.Add("due_on", "must be within two years")
		}
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Promise{}, err
	}
	out, err := s.cfg.Store.MakePromise(ctx, pr, func(f Firm) error { return officerOfFirm(p, f) })
	if err == nil {
		s.cfg.Wake(out.DueAt)
	}
	return out, err
}

func (s *service) ClosePromise(ctx context.Context, id string, out PromiseOutcome) (Promise, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Promise{}, err
	}
	if err := p.Require(auth.RoleLiaison, auth.RoleManager); err != nil {
		return Promise{}, err
	}
	var v fault.Violations
	out.Note = strings.TrimSpace(out.Note)
	switch out.Outcome {
	case PromiseKept:
	case PromiseNotKept, PromiseCancelled:
		if out.Note == "" {
			v.Add("note", "required unless the promise was kept")
		}
	default:
		v.Add("outcome", "must be kept, not_kept or cancelled")
	}
	if textLen(out.Note) > maxText {
		v.Addf("note", "at most %d characters", maxText)
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Promise{}, err
	}
	return s.cfg.Store.ClosePromise(ctx, id, out, actorOf(p), func(pr Promise) error {
		switch {
		case !p.CanSeePark(pr.Park):
			return fault.NotFound("promise")
		case p.Role == auth.RoleLiaison && pr.OfficerID != p.OfficerID:
			return fault.Forbidden("only the officer who made the promise or a manager can close it")
		case pr.State != PromiseOpen:
			return fault.Conflict(fmt.Sprintf("the promise is closed already (%s)", pr.State))
		}
		return nil
	})
}

func (s *service) Promises(ctx context.Context, q PromiseQuery) ([]Promise, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if q.State != "" && !slices.Contains([]PromiseState{PromiseOpen, PromiseKept, PromiseNotKept, PromiseCancelled}, q.State) {
		return nil, fault.Invalid("state", "must be open, kept, not_kept or cancelled")
	}
	if q.Limit < 0 || q.Limit > maxPageLen {
		return nil, fault.Invalidf("limit", "must be from 1 to %d", maxPageLen)
	}
	if q.Park, q.ForOfficer, q.EnterpriseID, err = listScope(p, q.Park, q.ForOfficer, q.EnterpriseID); err != nil {
		return nil, err
	}
	return s.cfg.Store.Promises(ctx, q)
}

func (s *service) Overview(ctx context.Context, q OverviewQuery) (Overview, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Overview{}, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return Overview{}, err
	}
	if q.Park, err = parkOf(p, q.Park, true); err != nil {
		return Overview{}, err
	}
	if q.To.IsZero() {
		// The end of today in Shanghai: the default period is the last 30 days, today included.
		y, m, d := s.cfg.Clock.Now().In(shanghai).Date()
		q.To = time.Date(y, m, d+1, 0, 0, 0, 0, shanghai).UTC()
	}
	if q.From.IsZero() {
		q.From = q.To.AddDate(0, 0, -30)
	}
	if !q.From.Before(q.To) {
		return Overview{}, fault.Invalid("from", "must be before to")
	}
	if q.To.Sub(q.From) > 366*24*time.Hour {
		return Overview{}, fault.Invalid("from", "the period is at most a year")
	}
	return s.cfg.Store.Overview(ctx, q)
}

// listScope narrows a listing of visits or promises to what p may see: an
// officer its own, a firm its own, a manager its park, an admin any park.
func listScope(p auth.Principal, park, officer, enterprise string) (string, string, string, error) {
	switch p.Role {
	case auth.RoleLiaison:
		return p.Park, p.OfficerID, enterprise, nil
	case auth.RoleEnterprise:
		return p.Park, officer, p.EnterpriseID, nil
	case auth.RoleManager, auth.RoleAdmin:
		park, err := parkOf(p, park, false)
		return park, officer, enterprise, err
	}
	return "", "", "", p.Require(auth.RoleLiaison, auth.RoleManager, auth.RoleAdmin, auth.RoleEnterprise)
}
