package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

// Service is intake: enterprises, the service catalog, submission of
// matters, bundles (一件事) and demands, corrections, withdrawals and
// ratings. Every method checks the caller in ctx against its scope; a
// resource outside the caller's scope is "not found", never "forbidden".
type Service interface {
	// RegisterEnterprise registers a firm (staff of its park, admin).
	RegisterEnterprise(ctx context.Context, in EnterpriseInput) (Enterprise, error)
	// UpdateEnterprise changes a profile (staff of its park, admin; the firm its figures only).
	UpdateEnterprise(ctx context.Context, id string, p EnterprisePatch) (Enterprise, error)
	// Enterprise returns a profile with its assigned liaison (the firm, its liaison, the park's staff and manager, admin).
	Enterprise(ctx context.Context, id string) (Enterprise, error)
	// Enterprises lists the firms in the caller's scope.
	Enterprises(ctx context.Context, q EnterpriseQuery) (EnterprisePage, error)
	// Matters lists a park's matters (anyone signed in; default the caller's park).
	Matters(ctx context.Context, park string) ([]Matter, error)
	// Matter returns one matter.
	Matter(ctx context.Context, park, code string) (Matter, error)
	// Bundles lists a park's bundles with merged materials.
	Bundles(ctx context.Context, park string) ([]Bundle, error)
	// Bundle returns one bundle.
	Bundle(ctx context.Context, park, code string) (Bundle, error)
	// Upload stores content for use as a material (the firm, a liaison, window staff).
	Upload(ctx context.Context, mediaType string, content []byte) (Upload, error)
	// Submit files a matter, a bundle or a demand. The same key (per
	// submitter) with the same request returns the same ticket (created
	// false); with a different request it is a conflict.
	Submit(ctx context.Context, key string, req SubmitRequest) (Ticket, bool, error)
	// Ticket returns a ticket with its timeline.
	Ticket(ctx context.Context, id string) (Ticket, error)
	// Tickets lists tickets in the caller's scope, newest first.
	Tickets(ctx context.Context, q TicketQuery) (TicketPage, error)
	// SupplyMaterials answers a correction request (补正) or supplies
	// materials accepted as missing (容缺); only materials asked for are accepted.
	SupplyMaterials(ctx context.Context, id string, req SupplyRequest) (Ticket, error)
	// Rate rates a completed ticket once (the firm); a bad rating opens a rectification ticket.
	Rate(ctx context.Context, id string, in RatingInput) (Ticket, error)
	// Withdraw withdraws an open ticket (the firm).
	Withdraw(ctx context.Context, id string, in WithdrawInput) (Ticket, error)
	// Resolve records how a demand was resolved (its liaison, the park's
	// staff or manager) or how a rectification was followed up and fixed
	// (staff of its department, the park's manager), and completes it.
	Resolve(ctx context.Context, id string, in ResolutionInput) (Ticket, error)
}

// ObjectStore keeps material content by its SHA-256.
type ObjectStore interface {
	// Put stores content under its hex SHA-256 and returns a reference to it.
	Put(ctx context.Context, sha256, mediaType string, content []byte) (string, error)
}

// DueCalculator estimates a deadline in working days on a park's calendar.
type DueCalculator interface {
	// WorkingDaysFrom returns the deadline n working days from start, or
	// false when the park's calendar cannot tell (unknown park or year).
	WorkingDaysFrom(park string, start time.Time, n int) (time.Time, bool)
}

// DefaultMaxUpload is the default size limit of one material's content.
const DefaultMaxUpload = 20 << 20

// ServiceConfig configures the service.
type ServiceConfig struct {
	Repo    *Repository
	Objects ObjectStore
	// Due estimates supplement due dates; nil leaves them to the sla service.
	Due   DueCalculator
	Clock clock.Clock
	// MaxUpload bounds one upload, in bytes. Default DefaultMaxUpload.
	MaxUpload int64
}

type service struct {
	repo      *Repository
	objects   ObjectStore
	due       DueCalculator
	clock     clock.Clock
	maxUpload int64
}

// NewService returns the intake service.
func NewService(cfg ServiceConfig) (Service, error) {
	if cfg.Repo == nil || cfg.Objects == nil {
		return nil, fmt.Errorf("intake: repository and object store are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	return &service{repo: cfg.Repo, objects: cfg.Objects, due: cfg.Due, clock: cfg.Clock, maxUpload: cfg.MaxUpload}, nil
}

func (s *service) now() time.Time { return s.clock.Now().UTC() }

// originOf is the trace an event caused by this request carries.
func originOf(ctx context.Context) origin {
	if tp, ok := telemetry.TraceFrom(ctx); ok {
		return origin{traceparent: tp.String()}
	}
	return origin{}
}

// ---- enterprises ----

// canSeeEnterprise: admin; the park's manager and staff; the firm; its liaison.
func canSeeEnterprise(p auth.Principal, e Enterprise) bool {
	switch p.Role {
	case auth.RoleAdmin:
		return true
	case auth.RoleManager, auth.RoleStaff:
		return p.Park == e.Park
	case auth.RoleEnterprise:
		return p.EnterpriseID == e.ID
	case auth.RoleLiaison:
		return p.Park == e.Park && p.OfficerID != "" &&
			(e.Liaison.OfficerID == p.OfficerID || e.Liaison.BackupOfficerID == p.OfficerID)
	}
	return false
}

func (s *service) RegisterEnterprise(ctx context.Context, in EnterpriseInput) (Enterprise, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Enterprise{}, err
	}
	if err := p.Require(auth.RoleStaff, auth.RoleAdmin); err != nil {
		return Enterprise{}, err
	}
	if p.Role == auth.RoleStaff {
		if in.Park == "" {
			in.Park = p.Park
		}
		if in.Park != p.Park {
			return Enterprise{}, fault.Forbidden("staff register firms of their own park only")
		}
	}
	in, err = NormaliseEnterprise(in)
	if err != nil {
		return Enterprise{}, err
	}
	if _, err := s.repo.Park(ctx, in.Park); err != nil {
		if fault.KindOf(err) == fault.ErrNotFound {
			return Enterprise{}, fault.Invalid("park", "unknown park")
		}
		return Enterprise{}, err
	}
	e := Enterprise{ID: uuid.Must(uuid.NewV7()).String(), USCC: in.USCC, Name: in.Name, Park: in.Park,
		IndustryCode: in.IndustryCode, Scale: in.Scale, Flags: in.Flags, KeyEnterprise: in.KeyEnterprise, Figures: in.Figures}
	return s.repo.CreateEnterprise(ctx, e, p.Subject, s.now(), originOf(ctx))
}

func (s *service) visibleEnterprise(ctx context.Context, p auth.Principal, id string) (Enterprise, error) {
	e, err := s.repo.Enterprise(ctx, id)
	if err != nil {
		return Enterprise{}, err
	}
	if !canSeeEnterprise(p, e) {
		return Enterprise{}, fault.NotFound("enterprise")
	}
	return e, nil
}

func (s *service) Enterprise(ctx context.Context, id string) (Enterprise, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Enterprise{}, err
	}
	return s.visibleEnterprise(ctx, p, id)
}

func (s *service) UpdateEnterprise(ctx context.Context, id string, patch EnterprisePatch) (Enterprise, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Enterprise{}, err
	}
	if err := p.Require(auth.RoleStaff, auth.RoleAdmin, auth.RoleEnterprise); err != nil {
		return Enterprise{}, err
	}
	if _, err := s.visibleEnterprise(ctx, p, id); err != nil {
		return Enterprise{}, err
	}
	figuresOnly := p.Role == auth.RoleEnterprise
	return s.repo.UpdateEnterprise(ctx, id, s.now(), originOf(ctx), func(e *Enterprise) ([]Emit, error) {
		changed, err := ApplyPatch(e, patch, figuresOnly)
		if err != nil || len(changed) == 0 {
			return nil, err
		}
		return []Emit{profileChangedEvent(*e, changed)}, nil
	})
}

func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return 50, nil
	case limit < 1 || limit > 200:
		return 0, fault.Invalid("limit", "must be between 1 and 200")
	}
	return limit, nil
}

// scopeOf is what the caller may list.
func scopeOf(p auth.Principal, park string) (Scope, error) {
	switch p.Role {
	case auth.RoleAdmin:
		return Scope{Park: park}, nil
	case auth.RoleManager, auth.RoleStaff:
		if park != "" && park != p.Park {
			return Scope{}, fault.Forbidden("only your own park")
		}
		return Scope{Park: p.Park}, nil
	case auth.RoleEnterprise:
		return Scope{Park: p.Park, EnterpriseID: p.EnterpriseID}, nil
	case auth.RoleLiaison:
		return Scope{Park: p.Park, OfficerID: p.OfficerID}, nil
	}
	return Scope{}, fault.Forbidden("unknown role")
}

func (s *service) Enterprises(ctx context.Context, q EnterpriseQuery) (EnterprisePage, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return EnterprisePage{}, err
	}
	scope, err := scopeOf(p, q.Park)
	if err != nil {
		return EnterprisePage{}, err
	}
	if q.Limit, err = pageLimit(q.Limit); err != nil {
		return EnterprisePage{}, err
	}
	if q.Flag != "" && !slices.Contains(Flags, q.Flag) {
		return EnterprisePage{}, fault.Invalidf("flag", "must be one of %s", strings.Join(Flags, ", "))
	}
	q.Park = ""
	return s.repo.Enterprises(ctx, scope, q)
}

// ---- catalog ----

func (s *service) catalogPark(ctx context.Context, park string) (string, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return "", err
	}
	if park == "" {
		park = p.Park
	}
	if park == "" {
		return "", fault.Invalid("park", "required")
	}
	if _, err := s.repo.Park(ctx, park); err != nil {
		return "", err
	}
	return park, nil
}

func (s *service) Matters(ctx context.Context, park string) ([]Matter, error) {
	park, err := s.catalogPark(ctx, park)
	if err != nil {
		return nil, err
	}
	return s.repo.Matters(ctx, park)
}

func (s *service) Matter(ctx context.Context, park, code string) (Matter, error) {
	park, err := s.catalogPark(ctx, park)
	if err != nil {
		return Matter{}, err
	}
	return s.repo.Matter(ctx, park, code)
}

func (s *service) Bundles(ctx context.Context, park string) ([]Bundle, error) {
	park, err := s.catalogPark(ctx, park)
	if err != nil {
		return nil, err
	}
	bs, err := s.repo.Bundles(ctx, park)
	if bs == nil && err == nil {
		bs = []Bundle{}
	}
	return bs, err
}

func (s *service) Bundle(ctx context.Context, park, code string) (Bundle, error) {
	park, err := s.catalogPark(ctx, park)
	if err != nil {
		return Bundle{}, err
	}
	return s.repo.Bundle(ctx, park, code)
}

// ---- uploads ----

// submitters are the roles that file tickets, and the channel each files through.
var submitters = map[auth.Role]string{
	auth.RoleEnterprise: ChannelOnline,
	auth.RoleLiaison:    ChannelProxy,
	auth.RoleStaff:      ChannelWindow,
}

func (s *service) Upload(ctx context.Context, mediaType string, content []byte) (Upload, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Upload{}, err
	}
	if _, ok := submitters[p.Role]; !ok {
		return Upload{}, fault.Forbidden("only firms, liaison officers and window staff upload materials")
	}
	if len(content) == 0 {
		return Upload{}, fault.Invalid("body", "content required")
	}
	if int64(len(content)) > s.maxUpload {
		return Upload{}, fault.TooLarge(fmt.Sprintf("a material may be at most %d bytes", s.maxUpload))
	}
	mediaType = strings.ToLower(strings.TrimSpace(strings.SplitN(mediaType, ";", 2)[0]))
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	if !mediaTypeRE.MatchString(mediaType) {
		return Upload{}, fault.Invalid("Content-Type", "must be a media type such as application/pdf")
	}
	sum := sha256.Sum256(content)
	u := Upload{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content)), MediaType: mediaType, CreatedAt: s.now()}
	if u.Ref, err = s.objects.Put(ctx, u.SHA256, mediaType, content); err != nil {
		return Upload{}, fault.Unavailable("the object store is unavailable", err)
	}
	if err := s.repo.SaveUpload(ctx, p.Subject, u); err != nil {
		return Upload{}, err
	}
	return u, nil
}

// resolveMaterials checks materials against the submitter's uploads and
// returns their metadata; names default to names.
func (s *service) resolveMaterials(ctx context.Context, by, field string, in []MaterialInput, names map[string]string,
	purpose string, at time.Time) ([]Material, error) {
	hashes := make([]string, len(in))
	for i, m := range in {
		hashes[i] = m.SHA256
	}
	uploads, err := s.repo.Uploads(ctx, by, hashes)
	if err != nil {
		return nil, err
	}
	var v fault.Violations
	out := make([]Material, 0, len(in))
	for i, m := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		u, ok := uploads[m.SHA256]
		if !ok {
			v.Add(f+".sha256", "no content with this hash was uploaded by you (POST /v1/tickets/uploads)")
			continue
		}
		if m.Size != 0 && m.Size != u.Size {
			v.Addf(f+".size", "the uploaded content has %d bytes", u.Size)
		}
		if m.MediaType != "" && m.MediaType != u.MediaType {
			v.Addf(f+".media_type", "the uploaded content is %s", u.MediaType)
		}
		name := strings.TrimSpace(m.Name)
		if name == "" {
			name = names[m.Code]
		}
		if name == "" {
			name = m.Code
		}
		out = append(out, Material{Code: m.Code, Name: name, SHA256: u.SHA256, Size: u.Size, MediaType: u.MediaType,
			Ref: u.Ref, Purpose: purpose, SuppliedAt: at})
	}
	return out, v.Err(fault.ErrUnprocessable)
}

// ---- tickets ----

func itemOf(m Matter, missing []string) TicketItem {
	if missing == nil {
		missing = []string{}
	}
	return TicketItem{MatterCode: m.Code, MatterName: m.Name, Department: m.Department, CommitmentDays: m.CommitmentDays,
		LegalDays: m.LegalDays, WarnDays: m.WarnDays, TolerantAcceptance: m.TolerantAcceptance,
		CommitmentApproval: m.CommitmentApproval, MissingMaterials: missing, Status: ItemPending, CorrectionItems: []string{}}
}

// newDemand is a demand (诉求) ticket for the firm's liaison.
func newDemand(e Enterprise, title, description, channel, by, role string, at time.Time) Ticket {
	return Ticket{ID: uuid.Must(uuid.NewV7()).String(), Park: e.Park, EnterpriseID: e.ID, EnterpriseName: e.Name,
		Kind: KindDemand, Channel: channel, Title: title, Description: description, Status: StatusSubmitted,
		Stage: StatusSubmitted, Departments: []string{}, Items: []TicketItem{}, Liaison: e.Liaison, SubmittedBy: by,
		SubmittedAt: at, submitterRole: role, badCredit: e.HasFlag(FlagBadCredit)}
}

func (s *service) Submit(ctx context.Context, key string, req SubmitRequest) (Ticket, bool, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Ticket{}, false, err
	}
	channel, ok := submitters[p.Role]
	if !ok {
		return Ticket{}, false, fault.Forbidden("tickets are filed by the firm (online), its liaison (proxy) or window staff")
	}
	if err := ValidIdempotencyKey(key); err != nil {
		return Ticket{}, false, err
	}
	if p.Role == auth.RoleEnterprise && req.EnterpriseID == "" {
		req.EnterpriseID = p.EnterpriseID
	}
	hash := RequestHash(req)
	if t, found, err := s.repo.TicketByKey(ctx, p.Subject, key); err != nil {
		return Ticket{}, false, err
	} else if found {
		return s.replay(t, hash)
	}
	if err := checkSubmitShape(req, channel, p.Role); err != nil {
		return Ticket{}, false, err
	}
	e, err := s.repo.Enterprise(ctx, req.EnterpriseID)
	if err == nil && !canSeeEnterprise(p, e) {
		err = fault.NotFound("enterprise")
	}
	if fault.KindOf(err) == fault.ErrNotFound {
		return Ticket{}, false, fault.Invalid("enterprise_id", "no such enterprise in your scope")
	}
	if err != nil {
		return Ticket{}, false, err
	}
	now := s.now()
	var t Ticket
	var names map[string]string
	switch {
	case req.Demand != nil:
		t = newDemand(e, strings.TrimSpace(req.Demand.Title), strings.TrimSpace(req.Demand.Description), channel, p.Subject,
			string(p.Role), now)
	default:
		t, names, err = s.matterTicket(ctx, e, req)
		if err != nil {
			return Ticket{}, false, err
		}
		t.Channel, t.SubmittedBy, t.SubmittedAt, t.submitterRole = channel, p.Subject, now, string(p.Role)
	}
	if t.Materials, err = s.resolveMaterials(ctx, p.Subject, "materials", req.Materials, names, PurposeSubmission, now); err != nil {
		return Ticket{}, false, err
	}
	t.idempotencyKey, t.requestHash = key, hash
	if t.Supplement != nil {
		if due, ok := s.dueFrom(t.Park, now, t.Supplement.WorkingDays); ok {
			t.Supplement.DueAt = &due
		}
	}
	Derive(&t)
	t.Timeline = []TimelineEntry{submittedEntry(t)}
	created, fresh, err := s.repo.CreateTicket(ctx, t, originOf(ctx), func(t Ticket) []Emit { return []Emit{submittedEvent(t)} })
	if err != nil {
		return Ticket{}, false, err
	}
	if !fresh {
		return s.replay(created, hash)
	}
	return created, true, nil
}

func (s *service) dueFrom(park string, start time.Time, days int) (time.Time, bool) {
	if s.due == nil || days <= 0 {
		return time.Time{}, false
	}
	return s.due.WorkingDaysFrom(park, start, days)
}

// replay answers a repeated Idempotency-Key: the same ticket for the same
// request, a conflict for another.
func (s *service) replay(t Ticket, hash string) (Ticket, bool, error) {
	if t.requestHash != hash {
		return Ticket{}, false, fault.Conflict("this Idempotency-Key was used for a different request")
	}
	return t, false, nil
}

func checkSubmitShape(req SubmitRequest, channel string, role auth.Role) error {
	var v fault.Violations
	n := 0
	for _, set := range []bool{req.MatterCode != "", req.BundleCode != "", req.Demand != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		v.Add("matter_code", "give exactly one of matter_code, bundle_code and demand")
	}
	if req.Channel != "" && req.Channel != channel {
		v.Addf("channel", "a %s files through the %s channel", role, channel)
	}
	if req.EnterpriseID == "" {
		v.Add("enterprise_id", "required")
	}
	if d := req.Demand; d != nil {
		textProblem(&v, "demand.title", d.Title, MaxTitleLength, true)
		textProblem(&v, "demand.description", d.Description, MaxDescriptionLength, true)
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return err
	}
	return CheckMaterialInputs("materials", req.Materials, false)
}

// matterTicket builds a matter or bundle ticket and checks its materials.
func (s *service) matterTicket(ctx context.Context, e Enterprise, req SubmitRequest) (Ticket, map[string]string, error) {
	t := Ticket{ID: uuid.Must(uuid.NewV7()).String(), Park: e.Park, EnterpriseID: e.ID, EnterpriseName: e.Name,
		Liaison: e.Liaison, Status: StatusSubmitted, badCredit: e.HasFlag(FlagBadCredit)}
	var matters []Matter
	if req.MatterCode != "" {
		m, err := s.repo.Matter(ctx, e.Park, req.MatterCode)
		if fault.KindOf(err) == fault.ErrNotFound {
			return Ticket{}, nil, fault.Invalid("matter_code", "not in the park's catalog")
		}
		if err != nil {
			return Ticket{}, nil, err
		}
		matters = []Matter{m}
		t.Kind, t.MatterCode, t.Title = KindMatter, m.Code, m.Name
		t.CommitmentDays, t.LegalDays, t.WarnDays = m.CommitmentDays, m.LegalDays, m.WarnDays
	} else {
		b, err := s.repo.Bundle(ctx, e.Park, req.BundleCode)
		if fault.KindOf(err) == fault.ErrNotFound {
			return Ticket{}, nil, fault.Invalid("bundle_code", "not in the park's catalog")
		}
		if err != nil {
			return Ticket{}, nil, err
		}
		matters = b.Matters
		t.Kind, t.BundleCode, t.Title = KindBundle, b.Code, b.Name
		t.CommitmentDays, t.LegalDays, t.WarnDays = b.CommitmentDays, b.LegalDays, b.WarnDays
	}
	codes := make([]string, len(req.Materials))
	for i, m := range req.Materials {
		codes[i] = m.Code
	}
	check, err := CheckMaterials(matters, codes, t.badCredit)
	if err != nil {
		return Ticket{}, nil, err
	}
	names := map[string]string{}
	t.Departments = []string{}
	for _, m := range matters {
		t.Items = append(t.Items, itemOf(m, check.Missing[m.Code]))
		if !slices.Contains(t.Departments, m.Department) {
			t.Departments = append(t.Departments, m.Department)
		}
		for _, spec := range m.Materials {
			names[spec.Code] = spec.Name
		}
	}
	if missing := check.MissingCodes(); len(missing) > 0 {
		t.Supplement = &Supplement{Materials: missing, WorkingDays: check.SupplementDays}
	}
	return t, names, nil
}

func submittedEntry(t Ticket) TimelineEntry {
	summary := fmt.Sprintf("%s submitted through the %s channel", t.Kind, t.Channel)
	detail := map[string]any{"number": t.Number, "channel": t.Channel}
	if t.Supplement != nil && len(t.Supplement.Materials) > 0 {
		summary += fmt.Sprintf("; accepted with %d non-key material(s) missing (容缺)", len(t.Supplement.Materials))
		detail["missing_materials"] = t.Supplement.Materials
		if t.Supplement.DueAt != nil {
			detail["supplement_due_at"] = *t.Supplement.DueAt
		}
	}
	return TimelineEntry{At: t.SubmittedAt, Type: event.TicketSubmitted, Actor: t.SubmittedBy, Summary: summary, Detail: detail}
}

// canSeeTicket: admin; the park's manager and staff; the firm; its liaison.
func canSeeTicket(p auth.Principal, t Ticket) bool {
	return canSeeEnterprise(p, Enterprise{ID: t.EnterpriseID, Park: t.Park, Liaison: t.Liaison})
}

func (s *service) visibleTicket(ctx context.Context, p auth.Principal, id string) (Ticket, error) {
	t, err := s.repo.Ticket(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	if !canSeeTicket(p, t) {
		return Ticket{}, fault.NotFound("ticket")
	}
	return t, nil
}

func (s *service) Ticket(ctx context.Context, id string) (Ticket, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Ticket{}, err
	}
	return s.visibleTicket(ctx, p, id)
}

func (s *service) Tickets(ctx context.Context, q TicketQuery) (TicketPage, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return TicketPage{}, err
	}
	scope, err := scopeOf(p, q.Park)
	if err != nil {
		return TicketPage{}, err
	}
	if q.Limit, err = pageLimit(q.Limit); err != nil {
		return TicketPage{}, err
	}
	q.Park = ""
	return s.repo.Tickets(ctx, scope, q)
}

// mine loads a ticket the calling firm owns, for its own actions.
func (s *service) mine(ctx context.Context, id string) (auth.Principal, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return p, err
	}
	t, err := s.visibleTicket(ctx, p, id)
	if err != nil {
		return p, err
	}
	if p.Role != auth.RoleEnterprise || p.EnterpriseID != t.EnterpriseID {
		return p, fault.Forbidden("only the firm itself may do this")
	}
	return p, nil
}

// asked is one material a ticket asks for: in a correction of a workflow, or
// owed under tolerant acceptance.
type asked struct {
	item       string // as the correction request names it
	workflow   string
	supplement bool
}

// matches reports whether a supplied material answers what was asked:
// approval names the materials by code or by name.
func (a asked) matches(m Material, names map[string]string) bool {
	return a.item == m.Code || a.item == m.Name || names[a.item] == m.Code
}

func (s *service) SupplyMaterials(ctx context.Context, id string, req SupplyRequest) (Ticket, error) {
	p, err := s.mine(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	if len(req.Materials) == 0 {
		return Ticket{}, fault.Invalid("materials", "required")
	}
	if err := CheckMaterialInputs("materials", req.Materials, false); err != nil {
		return Ticket{}, err
	}
	now := s.now()
	mats, err := s.resolveMaterials(ctx, p.Subject, "materials", req.Materials, nil, PurposeCorrection, now)
	if err != nil {
		return Ticket{}, err
	}
	return s.repo.UpdateTicket(ctx, id, now, originOf(ctx), func(t *Ticket) (Change, error) {
		return supply(t, mats, p.Subject, now, s.catalogNames(ctx, t))
	})
}

// catalogNames maps material names (and codes) of the ticket's matters to codes.
func (s *service) catalogNames(ctx context.Context, t *Ticket) map[string]string {
	out := map[string]string{}
	for _, it := range t.Items {
		m, err := s.repo.Matter(ctx, t.Park, it.MatterCode)
		if err != nil {
			continue
		}
		for _, spec := range m.Materials {
			out[spec.Name], out[spec.Code] = spec.Code, spec.Code
		}
	}
	return out
}

// supply applies supplied materials to t: they must answer every open
// correction completely (one answer resumes every paused clock of the
// ticket) and may supply materials owed under tolerant acceptance; anything
// else is refused.
func supply(t *Ticket, mats []Material, by string, now time.Time, names map[string]string) (Change, error) {
	if t.Status == StatusCompleted || t.Status == StatusWithdrawn {
		return Change{}, fault.Conflict("the ticket is " + t.Status)
	}
	var wants []asked
	for _, it := range t.Items {
		if it.Status == ItemCorrectionRequested {
			for _, c := range it.CorrectionItems {
				wants = append(wants, asked{item: c, workflow: it.WorkflowID})
			}
		}
	}
	if t.Supplement != nil {
		for _, c := range t.Supplement.Materials {
			wants = append(wants, asked{item: c, supplement: true})
		}
	}
	if len(wants) == 0 {
		return Change{}, fault.Conflict("no materials are asked for: no correction is open and none are owed")
	}
	var v fault.Violations
	var correction, supplement []Material
	answered := make([]bool, len(wants))
	for i, m := range mats {
		matched := false
		for j, w := range wants {
			if w.matches(m, names) {
				answered[j], matched = true, true
				if w.supplement {
					m.Purpose = PurposeSupplement
				}
			}
		}
		if !matched {
			v.Addf(fmt.Sprintf("materials[%d].code", i), "%q was not asked for", m.Code)
			continue
		}
		if m.Purpose == PurposeSupplement {
			supplement = append(supplement, m)
		} else {
			correction = append(correction, m)
		}
	}
	var workflows []string
	for j, w := range wants {
		if w.supplement {
			continue
		}
		if !answered[j] {
			v.Addf("materials."+w.item, "asked for in the correction request and missing")
		}
		if !slices.Contains(workflows, w.workflow) {
			workflows = append(workflows, w.workflow)
		}
	}
	if len(workflows) > 0 && len(correction) == 0 {
		// Only owed 容缺 materials while a correction is open: the answer
		// would resume the correction's clocks, so it must come first.
		v.Add("materials", "answer the open correction request first (every material it lists)")
	}
	if err := v.Err(fault.ErrUnprocessable); err != nil {
		return Change{}, err
	}
	ch := Change{Materials: append(append([]Material{}, correction...), supplement...)}
	if len(correction) > 0 {
		for i := range t.Items {
			it := &t.Items[i]
			if it.Status == ItemCorrectionRequested {
				it.Status, it.CorrectionItems, it.Paused, it.UpdatedAt = ItemAccepted, []string{}, "", now
			}
		}
		ch.Emits = append(ch.Emits, suppliedEvent(*t, correction, workflows, false))
		ch.Timeline = append(ch.Timeline, TimelineEntry{At: now, Type: event.TicketMaterialsSupplied, Actor: by,
			Summary: fmt.Sprintf("correction (补正) answered with %d material(s)", len(correction)),
			Detail:  map[string]any{"materials": codesOf(correction), "workflow_ids": workflows}})
	}
	if len(supplement) > 0 {
		done := codesOf(supplement)
		t.Supplement.Materials = slices.DeleteFunc(t.Supplement.Materials, func(c string) bool {
			return slices.ContainsFunc(supplement, func(m Material) bool { return asked{item: c}.matches(m, names) })
		})
		for i := range t.Items {
			t.Items[i].MissingMaterials = slices.DeleteFunc(t.Items[i].MissingMaterials, func(c string) bool {
				return slices.ContainsFunc(supplement, func(m Material) bool { return asked{item: c}.matches(m, names) })
			})
		}
		ch.Emits = append(ch.Emits, suppliedEvent(*t, supplement, nil, true))
		summary := fmt.Sprintf("%d material(s) owed under tolerant acceptance (容缺) supplied", len(supplement))
		if len(t.Supplement.Materials) == 0 {
			summary += "; nothing is owed any more"
		}
		ch.Timeline = append(ch.Timeline, TimelineEntry{At: now, Type: event.TicketMaterialsSupplied, Actor: by,
			Summary: summary, Detail: map[string]any{"materials": done, "supplement": true}})
	}
	Derive(t)
	return ch, nil
}

func codesOf(ms []Material) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Code
	}
	return out
}

func (s *service) Rate(ctx context.Context, id string, in RatingInput) (Ticket, error) {
	p, err := s.mine(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	var v fault.Violations
	if in.Score < 1 || in.Score > 5 {
		v.Add("score", "must be 1 (非常不满意) to 5 (非常满意)")
	}
	textProblem(&v, "comment", in.Comment, MaxCommentLength, BadRating(in.Score))
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Ticket{}, err
	}
	now := s.now()
	return s.repo.UpdateTicket(ctx, id, now, originOf(ctx), func(t *Ticket) (Change, error) {
		return rate(t, in, p.Subject, now)
	})
}

// rate records a rating once on a completed ticket; a bad one opens a
// rectification ticket for the ticket's departments.
func rate(t *Ticket, in RatingInput, by string, now time.Time) (Change, error) {
	if t.Kind == KindRectification {
		return Change{}, fault.Conflict("a rectification is not rated")
	}
	if t.Status != StatusCompleted {
		return Change{}, fault.Conflict("only a completed ticket can be rated")
	}
	if t.Rating != nil {
		return Change{}, fault.Conflict("the ticket is rated already (一事一评)")
	}
	t.Rating = &Rating{Score: in.Score, Level: RatingLevels[in.Score], Comment: strings.TrimSpace(in.Comment), RatedAt: now}
	ch := Change{}
	entry := TimelineEntry{At: now, Type: event.TicketRated, Actor: by,
		Summary: fmt.Sprintf("rated %d (%s)", in.Score, t.Rating.Level), Detail: map[string]any{"score": in.Score}}
	if BadRating(in.Score) {
		rect := Ticket{ID: uuid.Must(uuid.NewV7()).String(), Park: t.Park, EnterpriseID: t.EnterpriseID,
			EnterpriseName: t.EnterpriseName, Kind: KindRectification, Channel: ChannelSystem, MatterCode: t.MatterCode,
			BundleCode: t.BundleCode, Title: "整改: " + t.Title, Description: t.Rating.Comment, Status: StatusSubmitted,
			Departments: t.Departments, Items: []TicketItem{}, RelatedTicketID: t.ID, SubmittedBy: by,
			SubmittedAt: now, submitterRole: "system", Liaison: t.Liaison}
		Derive(&rect)
		rect.Timeline = []TimelineEntry{{At: now, Type: event.TicketRated, Actor: by,
			Summary: fmt.Sprintf("opened by a %s rating of %s: follow up (回访) and rectify within 15 working days", t.Rating.Level, t.Number),
			Detail:  map[string]any{"related_ticket_id": t.ID, "score": in.Score}}}
		t.Rating.RectificationTicketID = rect.ID
		ch.NewTicket = &rect
		entry.Detail["rectification_ticket_id"] = rect.ID
	}
	ch.Emits = []Emit{ratedEvent(*t)}
	ch.Timeline = []TimelineEntry{entry}
	return ch, nil
}

func (s *service) Withdraw(ctx context.Context, id string, in WithdrawInput) (Ticket, error) {
	p, err := s.mine(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	var v fault.Violations
	textProblem(&v, "reason", in.Reason, MaxCommentLength, true)
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Ticket{}, err
	}
	now := s.now()
	return s.repo.UpdateTicket(ctx, id, now, originOf(ctx), func(t *Ticket) (Change, error) {
		if t.Kind == KindRectification {
			return Change{}, fault.Conflict("a rectification cannot be withdrawn")
		}
		if t.Status == StatusCompleted || t.Status == StatusWithdrawn {
			return Change{}, fault.Conflict("the ticket is " + t.Status)
		}
		t.Status, t.Outcome = StatusWithdrawn, OutcomeWithdrawn
		Derive(t)
		reason := strings.TrimSpace(in.Reason)
		return Change{Emits: []Emit{withdrawnEvent(*t, reason)}, Timeline: []TimelineEntry{{At: now,
			Type: event.TicketWithdrawn, Actor: p.Subject, Summary: "withdrawn by the firm: " + reason}}}, nil
	})
}

func (s *service) Resolve(ctx context.Context, id string, in ResolutionInput) (Ticket, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Ticket{}, err
	}
	t, err := s.visibleTicket(ctx, p, id)
	if err != nil {
		return Ticket{}, err
	}
	var v fault.Violations
	textProblem(&v, "summary", in.Summary, MaxDescriptionLength, true)
	switch t.Kind {
	case KindDemand:
		if p.Role == auth.RoleEnterprise {
			return Ticket{}, fault.Forbidden("a demand is resolved by its liaison officer or the park's staff")
		}
		textProblem(&v, "follow_up", in.FollowUp, MaxDescriptionLength, false)
	case KindRectification:
		switch {
		case p.Role == auth.RoleManager, p.Role == auth.RoleAdmin:
		case p.Role == auth.RoleStaff && slices.ContainsFunc(t.Departments, p.InDepartment):
		default:
			return Ticket{}, fault.Forbidden("a rectification is recorded by staff of its department or the park's manager")
		}
		textProblem(&v, "follow_up", in.FollowUp, MaxDescriptionLength, true)
	default:
		return Ticket{}, fault.Conflict("only demands and rectifications are resolved here; matters complete through approval")
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Ticket{}, err
	}
	now := s.now()
	return s.repo.UpdateTicket(ctx, id, now, originOf(ctx), func(t *Ticket) (Change, error) {
		if t.Status == StatusCompleted || t.Status == StatusWithdrawn {
			return Change{}, fault.Conflict("the ticket is " + t.Status)
		}
		t.Status, t.CompletedAt = StatusCompleted, &now
		t.Outcome = OutcomeResolved
		if t.Kind == KindRectification {
			t.Outcome = OutcomeRectified
		}
		t.Resolution = strings.TrimSpace(in.Summary)
		detail := map[string]any{"summary": t.Resolution}
		if f := strings.TrimSpace(in.FollowUp); f != "" {
			detail["follow_up"] = f
			t.Resolution += "\n回访: " + f
		}
		Derive(t)
		return Change{Emits: []Emit{closedEvent(*t)}, Timeline: []TimelineEntry{{At: now, Type: event.TicketClosed,
			Actor: p.Subject, Summary: "completed: " + t.Outcome, Detail: detail}}}, nil
	})
}
