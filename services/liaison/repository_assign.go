package liaison

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
)

// --- officers ---

const officerCols = `o.id, o.park, o.name, o.phone, o.industries, o.departments, o.cap, o.status, o.manager_id,
	(SELECT count(*) FROM firms f WHERE f.officer_id = o.id) AS firms,
	(SELECT count(*) FROM firms f WHERE f.backup_officer_id = o.id) AS backups,
	(SELECT count(*) FROM requests r WHERE r.holder_role = 'officer' AND r.holder_id = o.id
		AND r.state IN ('pending', 'acknowledged')) AS open_requests`

type officerRow struct {
	ID          string         `db:"id"`
	Park        string         `db:"park"`
	Name        string         `db:"name"`
	Phone       string         `db:"phone"`
	Industries  pq.StringArray `db:"industries"`
	Departments pq.StringArray `db:"departments"`
	Cap         int            `db:"cap"`
	Status      string         `db:"status"`
	ManagerID   string         `db:"manager_id"`
	Firms       int            `db:"firms"`
	Backups     int            `db:"backups"`
	Open        int            `db:"open_requests"`
}

func (r officerRow) officer() Officer {
	return Officer{ID: r.ID, Park: r.Park, Name: r.Name, Phone: r.Phone, Industries: nonNil(r.Industries),
		Departments: nonNil(r.Departments), Cap: r.Cap, Status: OfficerStatus(r.Status), ManagerID: r.ManagerID,
		Firms: r.Firms, BackupFirms: r.Backups, OpenRequests: r.Open, Load: r.Firms + r.Open}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type queryer interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

func selectOfficers(ctx context.Context, q queryer, where string, args ...any) ([]Officer, error) {
	var rows []officerRow
	if err := q.SelectContext(ctx, &rows, `SELECT `+officerCols+` FROM officers o WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("select officers: %w", err)
	}
	out := make([]Officer, len(rows))
	for i, r := range rows {
		out[i] = r.officer()
	}
	return out, nil
}

// Officers lists a park's officers by name.
func (r *Repository) Officers(ctx context.Context, q OfficerQuery) ([]Officer, error) {
	return selectOfficers(ctx, r.cfg.DB, `o.park = $1 AND ($2 = '' OR o.status = $2) ORDER BY o.name, o.id`, q.Park, string(q.Status))
}

// Officer returns one officer.
func (r *Repository) Officer(ctx context.Context, id string) (Officer, error) {
	os, err := selectOfficers(ctx, r.cfg.DB, `o.id = $1`, id)
	if err != nil {
		return Officer{}, err
	}
	if len(os) == 0 {
		return Officer{}, fault.NotFound("officer")
	}
	return os[0], nil
}

func officerEvent(o Officer, previous OfficerStatus) *liaisonpb.OfficerUpdated {
	return &liaisonpb.OfficerUpdated{OfficerId: o.ID, Name: o.Name, Status: string(o.Status), PreviousStatus: string(previous),
		Cap: int32(o.Cap), Industries: o.Industries, Departments: o.Departments, ManagerId: o.ManagerID}
}

// CreateOfficer adds an officer; firms waiting for one may get them.
func (r *Repository) CreateOfficer(ctx context.Context, o Officer) (Officer, error) {
	err := r.inTx(ctx, func(t *txn) error {
		if err := t.lockPark(ctx, o.Park); err != nil {
			return err
		}
		inserted, err := t.insertOfficer(ctx, o)
		if err != nil {
			return err
		}
		if !inserted {
			return fault.Conflict("an officer with this id exists")
		}
		_, err = t.assignFlagged(ctx, o.Park)
		return err
	})
	if err != nil {
		return Officer{}, err
	}
	return r.Officer(ctx, o.ID)
}

// insertOfficer inserts o unless its id exists, and reports whether it did.
func (t *txn) insertOfficer(ctx context.Context, o Officer) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO officers (id, park, name, phone, industries, departments, cap, status, manager_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (id) DO NOTHING`,
		o.ID, o.Park, o.Name, o.Phone, pq.StringArray(nonNil(o.Industries)), pq.StringArray(nonNil(o.Departments)), o.Cap,
		string(o.Status), o.ManagerID, t.now)
	if err != nil {
		return false, fmt.Errorf("insert officer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, t.emit(ctx, event.OfficerUpdated, o.Park, aggOfficer, o.ID, officerEvent(o, ""))
}

// UpdateOfficer applies change to the locked officer. Going on leave or
// leaving hands the officer's firms and open requests over; becoming
// available (back from leave, a higher cap) assigns flagged firms.
func (r *Repository) UpdateOfficer(ctx context.Context, id string, change func(*Officer) error, reason string) (OfficerChange, error) {
	var out OfficerChange
	err := r.inTx(ctx, func(t *txn) error {
		out = OfficerChange{}
		var park string
		if err := t.tx.GetContext(ctx, &park, `SELECT park FROM officers WHERE id = $1`, id); err != nil {
			return notFound(err, "officer")
		}
		if err := t.lockPark(ctx, park); err != nil {
			return err
		}
		os, err := selectOfficers(ctx, t.tx, `o.id = $1 FOR UPDATE OF o`, id)
		if err != nil {
			return err
		}
		before := os[0]
		o := before
		o.Industries, o.Departments = slices.Clone(o.Industries), slices.Clone(o.Departments)
		if err := change(&o); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(ctx, `UPDATE officers SET name = $2, phone = $3, industries = $4, departments = $5,
			cap = $6, status = $7, manager_id = $8, updated_at = $9 WHERE id = $1`,
			o.ID, o.Name, o.Phone, pq.StringArray(o.Industries), pq.StringArray(o.Departments), o.Cap, string(o.Status),
			o.ManagerID, t.now); err != nil {
			return fmt.Errorf("update officer: %w", err)
		}
		if !sameOfficer(before, o) {
			if err := t.emit(ctx, event.OfficerUpdated, o.Park, aggOfficer, o.ID, officerEvent(o, before.Status)); err != nil {
				return err
			}
		}
		if before.Status == StatusActive && o.Status != StatusActive {
			h, err := t.handover(ctx, o, reason)
			if err != nil {
				return err
			}
			out.Handover = &h
		}
		if o.Status == StatusActive && (before.Status != StatusActive || o.Cap > before.Cap) {
			if out.Assigned, err = t.assignFlagged(ctx, o.Park); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return OfficerChange{}, err
	}
	out.Officer, err = r.Officer(ctx, id)
	return out, err
}

func sameOfficer(a, b Officer) bool {
	return a.Name == b.Name && a.Phone == b.Phone && slices.Equal(a.Industries, b.Industries) &&
		slices.Equal(a.Departments, b.Departments) && a.Cap == b.Cap && a.Status == b.Status && a.ManagerID == b.ManagerID
}

// --- firms ---

const firmCols = `f.enterprise_id, f.park, f.name, f.uscc, f.industry_code, f.key_enterprise,
	coalesce(f.officer_id, '') AS officer_id, coalesce(po.name, '') AS officer_name, coalesce(po.phone, '') AS officer_phone,
	coalesce(f.backup_officer_id, '') AS backup_officer_id, coalesce(bo.name, '') AS backup_name, coalesce(bo.phone, '') AS backup_phone,
	f.flagged_at, f.flag_reason, f.registered_at, f.assigned_at, f.last_visit_at, f.visit_overdue_at,
	(SELECT count(*) FROM requests r WHERE r.enterprise_id = f.enterprise_id
		AND r.state IN ('waiting', 'pending', 'acknowledged', 'returned')) AS open_requests`

const firmFrom = ` FROM firms f LEFT JOIN officers po ON po.id = f.officer_id LEFT JOIN officers bo ON bo.id = f.backup_officer_id`

type firmRow struct {
	EnterpriseID string       `db:"enterprise_id"`
	Park         string       `db:"park"`
	Name         string       `db:"name"`
	USCC         string       `db:"uscc"`
	Industry     string       `db:"industry_code"`
	Key          bool         `db:"key_enterprise"`
	OfficerID    string       `db:"officer_id"`
	OfficerName  string       `db:"officer_name"`
	OfficerPhone string       `db:"officer_phone"`
	BackupID     string       `db:"backup_officer_id"`
	BackupName   string       `db:"backup_name"`
	BackupPhone  string       `db:"backup_phone"`
	FlaggedAt    sql.NullTime `db:"flagged_at"`
	FlagReason   string       `db:"flag_reason"`
	RegisteredAt time.Time    `db:"registered_at"`
	AssignedAt   sql.NullTime `db:"assigned_at"`
	LastVisitAt  sql.NullTime `db:"last_visit_at"`
	OverdueAt    sql.NullTime `db:"visit_overdue_at"`
	Open         int          `db:"open_requests"`
}

func (r firmRow) firm() Firm {
	f := Firm{EnterpriseID: r.EnterpriseID, Park: r.Park, Name: r.Name, USCC: r.USCC, IndustryCode: r.Industry,
		KeyEnterprise: r.Key, OfficerID: r.OfficerID, BackupOfficerID: r.BackupID, Flagged: r.FlaggedAt.Valid,
		FlagReason: r.FlagReason, FlaggedAt: nullTime(r.FlaggedAt), RegisteredAt: r.RegisteredAt.UTC(),
		AssignedAt: nullTime(r.AssignedAt), LastVisitAt: nullTime(r.LastVisitAt), VisitOverdue: r.OverdueAt.Valid,
		OpenRequests: r.Open}
	if r.OfficerID != "" {
		f.Officer = &OfficerRef{ID: r.OfficerID, Name: r.OfficerName, Phone: r.OfficerPhone}
	}
	if r.BackupID != "" {
		f.Backup = &OfficerRef{ID: r.BackupID, Name: r.BackupName, Phone: r.BackupPhone}
	}
	return f
}

func selectFirms(ctx context.Context, q queryer, where string, args ...any) ([]Firm, error) {
	var rows []firmRow
	if err := q.SelectContext(ctx, &rows, `SELECT `+firmCols+firmFrom+` WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("select firms: %w", err)
	}
	out := make([]Firm, len(rows))
	for i, r := range rows {
		out[i] = r.firm()
	}
	return out, nil
}

// Firms lists firms by name.
func (r *Repository) Firms(ctx context.Context, q FirmQuery) ([]Firm, error) {
	return selectFirms(ctx, r.cfg.DB, `($1 = '' OR f.park = $1)
		AND ($2 = '' OR f.officer_id = $2 OR f.backup_officer_id = $2)
		AND (NOT $3 OR f.officer_id IS NULL)
		ORDER BY f.name, f.enterprise_id LIMIT 5000`, q.Park, q.OfficerID, q.Unassigned)
}

// Firm returns one firm.
func (r *Repository) Firm(ctx context.Context, id string) (Firm, error) {
	fs, err := selectFirms(ctx, r.cfg.DB, `f.enterprise_id = $1`, id)
	if err != nil {
		return Firm{}, err
	}
	if len(fs) == 0 {
		return Firm{}, fault.NotFound("firm")
	}
	return fs[0], nil
}

// lockedFirm returns the firm with its row locked, or nil.
func (t *txn) lockedFirm(ctx context.Context, id string) (*Firm, error) {
	fs, err := selectFirms(ctx, t.tx, `f.enterprise_id = $1 FOR UPDATE OF f`, id)
	if err != nil || len(fs) == 0 {
		return nil, err
	}
	return &fs[0], nil
}

// Registration is a firm as intake registered it.
type Registration struct {
	EnterpriseID  string
	Park          string
	Name          string
	USCC          string
	IndustryCode  string
	KeyEnterprise bool
	RegisteredAt  time.Time
}

// register records a new firm and assigns its officers: a seeded pin if it
// fits, else the rule (same park, experts first, least load, under the cap).
// When nobody fits the firm is flagged. Requests that arrived before the
// firm are dispatched. A firm seen before is left alone.
func (t *txn) register(ctx context.Context, reg Registration) error {
	if err := t.lockPark(ctx, reg.Park); err != nil {
		return err
	}
	if err := t.lockFirm(ctx, reg.EnterpriseID); err != nil {
		return err
	}
	var exists bool
	if err := t.tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM firms WHERE enterprise_id = $1)`, reg.EnterpriseID); err != nil {
		return fmt.Errorf("firm exists: %w", err)
	}
	if exists {
		return nil
	}
	p, err := t.pool(ctx, reg.Park)
	if err != nil {
		return err
	}
	primary, backup, reason, err := t.pinned(ctx, p, reg.EnterpriseID)
	if err != nil {
		return err
	}
	if primary == "" {
		if c, ok := ChoosePrimary(p.cands, reg.IndustryCode); ok {
			primary, reason = c.ID, "registered"
		}
	}
	if primary != "" && backup == "" {
		if c, ok := ChooseBackup(p.cands, reg.IndustryCode, primary); ok {
			backup = c.ID
		}
	}
	var flaggedAt, assignedAt any
	flagReason := ""
	if primary == "" {
		flaggedAt, flagReason = t.now, noFitReason(p, reg.IndustryCode)
	} else {
		assignedAt = t.now
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO firms (enterprise_id, park, name, uscc, industry_code, key_enterprise,
		officer_id, backup_officer_id, flagged_at, flag_reason, registered_at, assigned_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		reg.EnterpriseID, reg.Park, reg.Name, reg.USCC, reg.IndustryCode, reg.KeyEnterprise, strOrNil(primary),
		strOrNil(backup), flaggedAt, flagReason, reg.RegisteredAt, assignedAt); err != nil {
		return fmt.Errorf("insert firm: %w", err)
	}
	if primary == "" {
		if err := t.emit(ctx, event.AssignmentFlagged, reg.Park, aggAssignment, reg.EnterpriseID,
			&liaisonpb.AssignmentFlagged{EnterpriseId: reg.EnterpriseID, Reason: flagReason, FlaggedAt: timestamppb.New(t.now)}); err != nil {
			return err
		}
	} else {
		p.add(primary, 1, 0, 0)
		p.add(backup, 0, 1, 0)
		if err := t.emit(ctx, event.OfficerAssigned, reg.Park, aggAssignment, reg.EnterpriseID, &liaisonpb.OfficerAssigned{
			EnterpriseId: reg.EnterpriseID, OfficerId: primary, BackupOfficerId: backup, Reason: reason,
			AssignedAt: timestamppb.New(t.now)}); err != nil {
			return err
		}
	}
	return t.dispatchWaiting(ctx, reg.EnterpriseID)
}

// pinned returns the seeded assignment of a firm when its officer can take it.
func (t *txn) pinned(ctx context.Context, p *pool, enterprise string) (primary, backup, reason string, err error) {
	var pin struct {
		Officer string         `db:"officer_id"`
		Backup  sql.NullString `db:"backup_officer_id"`
	}
	err = t.tx.GetContext(ctx, &pin, `SELECT officer_id, backup_officer_id FROM pinned_assignments WHERE enterprise_id = $1`, enterprise)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", "", nil
	}
	if err != nil {
		return "", "", "", fmt.Errorf("pinned assignment: %w", err)
	}
	if c := p.find(pin.Officer); c != nil && c.Firms < c.Cap {
		primary, reason = c.ID, "registered (seeded assignment)"
	}
	if c := p.find(pin.Backup.String); primary != "" && c != nil && c.ID != primary && c.Backups < c.Cap {
		backup = c.ID
	}
	return primary, backup, reason, nil
}

// noFitReason says why no officer could take a firm.
func noFitReason(p *pool, industry string) string {
	if len(p.cands) == 0 {
		return "the park has no active liaison officer"
	}
	return fmt.Sprintf("all %d active officers of the park are at their cap (industry %s)", len(p.cands), cmpOr(industry, "unknown"))
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// assignFlagged gives flagged firms of the park an officer, oldest flag
// first, while any fits. The caller holds the park's lock.
func (t *txn) assignFlagged(ctx context.Context, park string) ([]string, error) {
	fs, err := selectFirms(ctx, t.tx, `f.park = $1 AND f.officer_id IS NULL ORDER BY f.flagged_at, f.enterprise_id FOR UPDATE OF f`, park)
	if err != nil || len(fs) == 0 {
		return nil, err
	}
	p, err := t.pool(ctx, park)
	if err != nil {
		return nil, err
	}
	var assigned []string
	for _, f := range fs {
		c, ok := ChoosePrimary(p.cands, f.IndustryCode)
		if !ok {
			break
		}
		backup := f.BackupOfficerID
		if backup == c.ID || (backup != "" && p.find(backup) == nil) {
			p.add(backup, 0, -1, 0)
			backup = ""
		}
		if backup == "" {
			if b, ok := ChooseBackup(p.cands, f.IndustryCode, c.ID); ok {
				backup = b.ID
				p.add(backup, 0, 1, 0)
			}
		}
		p.add(c.ID, 1, 0, 0)
		if err := t.setOfficers(ctx, f, c.ID, backup, "assigned: an officer became available"); err != nil {
			return nil, err
		}
		assigned = append(assigned, f.EnterpriseID)
	}
	return assigned, nil
}

// setOfficers stores a firm's new officers and publishes the change; an empty
// primary flags the firm.
func (t *txn) setOfficers(ctx context.Context, f Firm, primary, backup, reason string) error {
	var flaggedAt any
	flagReason := ""
	if primary == "" {
		flaggedAt, flagReason = t.now, reason
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE firms SET officer_id = $2, backup_officer_id = $3, flagged_at = $4,
		flag_reason = $5, assigned_at = CASE WHEN $2::text IS NULL THEN assigned_at ELSE $6 END WHERE enterprise_id = $1`,
		f.EnterpriseID, strOrNil(primary), strOrNil(backup), flaggedAt, flagReason, t.now); err != nil {
		return fmt.Errorf("set officers of %s: %w", f.EnterpriseID, err)
	}
	if primary != f.OfficerID || backup != f.BackupOfficerID {
		if err := t.emit(ctx, event.OfficerAssigned, f.Park, aggAssignment, f.EnterpriseID, &liaisonpb.OfficerAssigned{
			EnterpriseId: f.EnterpriseID, OfficerId: primary, BackupOfficerId: backup, PreviousOfficerId: f.OfficerID,
			PreviousBackupOfficerId: f.BackupOfficerID, Reason: reason, AssignedAt: timestamppb.New(t.now)}); err != nil {
			return err
		}
	}
	if primary == "" && f.OfficerID != "" {
		return t.emit(ctx, event.AssignmentFlagged, f.Park, aggAssignment, f.EnterpriseID, &liaisonpb.AssignmentFlagged{
			EnterpriseId: f.EnterpriseID, Reason: reason, PreviousOfficerId: f.OfficerID, FlaggedAt: timestamppb.New(t.now)})
	}
	return nil
}

// handover moves the firms and open requests of officer o, who just went on
// leave or left: each firm to its backup when the backup can take it, else
// to the officer the rule chooses, else it is flagged; firms o backed get a
// new backup; o's open requests follow their firm (or go to the manager).
// The caller holds the park's lock and has stored o's new status.
func (t *txn) handover(ctx context.Context, o Officer, reason string) (Handover, error) {
	h := Handover{OfficerID: o.ID, Status: o.Status, Reason: reason, Firms: []HandoverFirm{}, OpenRequestIDs: []string{}}
	p, err := t.pool(ctx, o.Park)
	if err != nil {
		return h, err
	}
	why := fmt.Sprintf("handover: officer %s", strings.ReplaceAll(string(o.Status), "_", " "))
	if reason != "" {
		why += ": " + reason
	}
	primaryOf, err := selectFirms(ctx, t.tx, `f.officer_id = $1 ORDER BY f.enterprise_id FOR UPDATE OF f`, o.ID)
	if err != nil {
		return h, err
	}
	newPrimary := map[string]string{}
	for _, f := range primaryOf {
		hf := HandoverFirm{EnterpriseID: f.EnterpriseID, OpenRequestIDs: []string{}}
		primary, backup := "", f.BackupOfficerID
		if b := p.find(backup); b != nil && b.Firms < b.Cap {
			primary, backup, hf.How = b.ID, "", HowBackup
			p.add(primary, 1, -1, 0)
		} else if c, ok := ChoosePrimary(p.cands, f.IndustryCode, o.ID); ok {
			primary, hf.How = c.ID, HowReassigned
			p.add(primary, 1, 0, 0)
		} else {
			hf.How = HowFlagged
		}
		if backup != "" && (backup == primary || p.find(backup) == nil) {
			p.add(backup, 0, -1, 0)
			backup = ""
		}
		if primary != "" && backup == "" {
			if c, ok := ChooseBackup(p.cands, f.IndustryCode, primary, o.ID); ok {
				backup = c.ID
				p.add(backup, 0, 1, 0)
			}
		}
		hf.OfficerID, hf.BackupOfficerID = primary, backup
		setWhy := why
		if primary == "" {
			setWhy = why + "; " + noFitReason(p, f.IndustryCode)
		}
		if err := t.setOfficers(ctx, f, primary, backup, setWhy); err != nil {
			return h, err
		}
		newPrimary[f.EnterpriseID] = primary
		h.Firms = append(h.Firms, hf)
	}
	backupOf, err := selectFirms(ctx, t.tx, `f.backup_officer_id = $1 ORDER BY f.enterprise_id FOR UPDATE OF f`, o.ID)
	if err != nil {
		return h, err
	}
	for _, f := range backupOf {
		hf := HandoverFirm{EnterpriseID: f.EnterpriseID, OfficerID: f.OfficerID, How: HowBackupReplaced, OpenRequestIDs: []string{}}
		if c, ok := ChooseBackup(p.cands, f.IndustryCode, f.OfficerID, o.ID); ok {
			hf.BackupOfficerID = c.ID
			p.add(c.ID, 0, 1, 0)
		}
		if err := t.setOfficers(ctx, f, f.OfficerID, hf.BackupOfficerID, why); err != nil {
			return h, err
		}
		h.Firms = append(h.Firms, hf)
	}
	// The officer's open requests follow their firm to its new primary; those
	// of other firms (escalated to o as backup, or dispatched to o by a
	// manager) go back to the firm's primary, or to the manager.
	reqs, err := t.lockedRequests(ctx, `r.holder_role = 'officer' AND r.holder_id = $1
		AND r.state IN ('pending', 'acknowledged') ORDER BY r.submitted_at, r.id`, o.ID)
	if err != nil {
		return h, err
	}
	for _, r := range reqs {
		to, role, level := "", RoleManager, LevelManager
		if np, moved := newPrimary[r.EnterpriseID]; moved {
			if np != "" {
				to, role, level = np, RoleOfficer, LevelOfficer
			}
		} else if r.OfficerID != "" && r.OfficerID != o.ID && r.Level == LevelOfficer {
			to, role, level = r.OfficerID, RoleOfficer, LevelOfficer
		}
		if role == RoleManager {
			if to, err = t.manager(ctx, r.Park, o.ID); err != nil {
				return h, err
			}
		}
		if err := t.moveRequest(ctx, r, to, role, level); err != nil {
			return h, err
		}
		if role == RoleOfficer {
			p.add(to, 0, 0, 1)
		}
		h.OpenRequestIDs = append(h.OpenRequestIDs, r.ID)
		for i := range h.Firms {
			if h.Firms[i].EnterpriseID == r.EnterpriseID && h.Firms[i].How != HowBackupReplaced {
				h.Firms[i].OpenRequestIDs = append(h.Firms[i].OpenRequestIDs, r.ID)
			}
		}
	}
	pbFirms := make([]*liaisonpb.HandoverFirm, len(h.Firms))
	for i, f := range h.Firms {
		pbFirms[i] = &liaisonpb.HandoverFirm{EnterpriseId: f.EnterpriseID, OfficerId: f.OfficerID,
			BackupOfficerId: f.BackupOfficerID, OpenRequestIds: f.OpenRequestIDs, How: f.How}
	}
	return h, t.emit(ctx, event.OfficerHandover, o.Park, aggOfficer, o.ID, &liaisonpb.Handover{OfficerId: o.ID,
		Status: string(o.Status), Reason: reason, Firms: pbFirms, HandedOverAt: timestamppb.New(t.now),
		OpenRequestIds: h.OpenRequestIDs})
}

// Reassign sets a firm's officers by a manager's choice.
func (r *Repository) Reassign(ctx context.Context, id string, ra Reassignment, check func(Firm) error) (Firm, error) {
	err := r.inTx(ctx, func(t *txn) error {
		var park string
		if err := t.tx.GetContext(ctx, &park, `SELECT park FROM firms WHERE enterprise_id = $1`, id); err != nil {
			return notFound(err, "firm")
		}
		if err := t.lockPark(ctx, park); err != nil {
			return err
		}
		f, err := t.lockedFirm(ctx, id)
		if err != nil {
			return err
		}
		if err := check(*f); err != nil {
			return err
		}
		p, err := t.pool(ctx, park)
		if err != nil {
			return err
		}
		var v fault.Violations
		c := p.find(ra.OfficerID)
		if c == nil {
			v.Add("officer_id", "not an active officer of the firm's park")
		}
		backup := f.BackupOfficerID
		if ra.BackupOfficerID != nil {
			backup = *ra.BackupOfficerID
			if b := p.find(backup); backup != "" && b == nil {
				v.Add("backup_officer_id", "not an active officer of the firm's park")
			}
		}
		if err := v.Err(fault.ErrUnprocessable); err != nil {
			return err
		}
		if c.ID != f.OfficerID && c.Firms >= c.Cap {
			return fault.Conflict(fmt.Sprintf("officer %s is at their cap of %d firms", c.ID, c.Cap))
		}
		if b := p.find(backup); b != nil && backup != f.BackupOfficerID && b.Backups >= b.Cap {
			return fault.Conflict(fmt.Sprintf("officer %s backs %d firms already, their cap", b.ID, b.Cap))
		}
		if ra.BackupOfficerID == nil && (backup == c.ID || (backup != "" && p.find(backup) == nil)) {
			backup = ""
			if b, ok := ChooseBackup(p.cands, f.IndustryCode, c.ID); ok {
				backup = b.ID
			}
		}
		if backup == c.ID {
			return fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "backup_officer_id", Reason: "must differ from the officer"})
		}
		reason := "reassigned by manager"
		if ra.Reason != "" {
			reason += ": " + ra.Reason
		}
		if err := t.setOfficers(ctx, *f, c.ID, backup, reason); err != nil {
			return err
		}
		if f.OfficerID == c.ID {
			return nil
		}
		// The previous primary's open requests of this firm move with it.
		reqs, err := t.lockedRequests(ctx, `r.enterprise_id = $1 AND r.state IN ('pending', 'acknowledged')
			AND r.holder_role = 'officer' AND r.holder_id = $2 ORDER BY r.id`, f.EnterpriseID, f.OfficerID)
		if err != nil {
			return err
		}
		for _, rq := range reqs {
			if err := t.moveRequest(ctx, rq, c.ID, RoleOfficer, LevelOfficer); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Firm{}, err
	}
	return r.Firm(ctx, id)
}
