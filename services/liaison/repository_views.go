package liaison

import (
	"context"
	"database/sql"
	"fmt"
)

// Overview computes the manager's view of a park over [q.From, q.To).
func (r *Repository) Overview(ctx context.Context, q OverviewQuery) (Overview, error) {
	now := r.cfg.Clock.Now().UTC()
	out := Overview{Park: q.Park, From: q.From, To: q.To, Officers: []OfficerStats{}}
	var rows []struct {
		ID           string          `db:"id"`
		Name         string          `db:"name"`
		Status       string          `db:"status"`
		Cap          int             `db:"cap"`
		Firms        int             `db:"firms"`
		Backups      int             `db:"backups"`
		Open         int             `db:"open_requests"`
		Pending      int             `db:"pending"`
		Overdue      int             `db:"overdue"`
		Breached     int             `db:"breached"`
		Acked        int             `db:"acked"`
		AvgMinutes   sql.NullFloat64 `db:"avg_minutes"`
		MaxMinutes   sql.NullFloat64 `db:"max_minutes"`
		Returned     int             `db:"returned"`
		Chases       int             `db:"chases"`
		KeyFirms     int             `db:"key_firms"`
		KeyVisited   int             `db:"key_visited"`
		KeyOverdue   int             `db:"key_overdue"`
		Visits       int             `db:"visits"`
		OpenPromises int             `db:"open_promises"`
		LatePromises int             `db:"late_promises"`
	}
	err := r.cfg.DB.SelectContext(ctx, &rows, `SELECT o.id, o.name, o.status, o.cap,
		(SELECT count(*) FROM firms f WHERE f.officer_id = o.id) AS firms,
		(SELECT count(*) FROM firms f WHERE f.backup_officer_id = o.id) AS backups,
		(SELECT count(*) FROM requests q WHERE q.holder_role = 'officer' AND q.holder_id = o.id
			AND q.state IN ('pending', 'acknowledged')) AS open_requests,
		(SELECT count(*) FROM requests q WHERE q.holder_role = 'officer' AND q.holder_id = o.id
			AND q.state = 'pending') AS pending,
		(SELECT count(*) FROM requests q JOIN dispatches d ON d.id = q.dispatch_id
			WHERE q.holder_role = 'officer' AND q.holder_id = o.id AND q.state = 'pending'
			AND d.breached_at IS NOT NULL) AS overdue,
		(SELECT count(*) FROM dispatches d WHERE d.assignee_role = 'officer' AND d.assignee_id = o.id
			AND d.breached_at >= $2 AND d.breached_at < $3) AS breached,
		a.acked, a.avg_minutes, a.max_minutes,
		(SELECT count(*) FROM requests q WHERE q.returned_by = o.id AND q.returned_at >= $2 AND q.returned_at < $3) AS returned,
		(SELECT count(*) FROM chases c WHERE c.holder_id = o.id AND c.chased_at >= $2 AND c.chased_at < $3) AS chases,
		(SELECT count(*) FROM firms f WHERE f.officer_id = o.id AND f.key_enterprise) AS key_firms,
		(SELECT count(*) FROM firms f WHERE f.officer_id = o.id AND f.key_enterprise AND EXISTS (SELECT 1 FROM visits v
			WHERE v.enterprise_id = f.enterprise_id AND v.visited_at >= $2 AND v.visited_at < $3)) AS key_visited,
		(SELECT count(*) FROM firms f WHERE f.officer_id = o.id AND f.key_enterprise
			AND f.visit_overdue_at IS NOT NULL) AS key_overdue,
		(SELECT count(*) FROM visits v WHERE v.officer_id = o.id AND v.visited_at >= $2 AND v.visited_at < $3) AS visits,
		(SELECT count(*) FROM promises p WHERE p.officer_id = o.id AND p.state = 'open') AS open_promises,
		(SELECT count(*) FROM promises p WHERE p.officer_id = o.id AND p.state = 'open' AND p.due_at <= $4) AS late_promises
		FROM officers o
		CROSS JOIN LATERAL (SELECT count(*) AS acked,
			avg(extract(epoch FROM q.acknowledged_at - q.dispatched_at) / 60) AS avg_minutes,
			max(extract(epoch FROM q.acknowledged_at - q.dispatched_at) / 60) AS max_minutes
			FROM requests q WHERE q.acknowledged_by = o.id AND q.acknowledged_at >= $2 AND q.acknowledged_at < $3) a
		WHERE o.park = $1 ORDER BY o.name, o.id`, q.Park, q.From, q.To, now)
	if err != nil {
		return Overview{}, fmt.Errorf("overview officers: %w", err)
	}
	for _, r := range rows {
		s := OfficerStats{OfficerID: r.ID, Name: r.Name, Status: OfficerStatus(r.Status), Cap: r.Cap, Firms: r.Firms,
			BackupFirms: r.Backups, OpenRequests: r.Open, Load: r.Firms + r.Open, PendingAcks: r.Pending,
			OverdueAcks: r.Overdue, BreachedDispatches: r.Breached, Acknowledged: r.Acked, Returned: r.Returned, Chases: r.Chases, KeyFirms: r.KeyFirms,
			KeyFirmsVisited: r.KeyVisited, VisitOverdue: r.KeyOverdue, Visits: r.Visits, OpenPromises: r.OpenPromises,
			OverduePromises: r.LatePromises}
		if r.AvgMinutes.Valid {
			s.AvgResponseMinutes, s.MaxResponseMinutes = &r.AvgMinutes.Float64, &r.MaxMinutes.Float64
		}
		if r.KeyFirms > 0 {
			c := float64(r.KeyVisited) / float64(r.KeyFirms)
			s.VisitCoverage = &c
		}
		out.Officers = append(out.Officers, s)
	}
	if out.Unassigned, err = selectFirms(ctx, r.cfg.DB, `f.park = $1 AND f.officer_id IS NULL ORDER BY f.flagged_at, f.enterprise_id`, q.Park); err != nil {
		return Overview{}, err
	}
	if err := r.cfg.DB.GetContext(ctx, &out.Waiting, `SELECT count(*) FROM requests WHERE park = $1 AND state = 'waiting'`, q.Park); err != nil {
		return Overview{}, fmt.Errorf("overview waiting: %w", err)
	}
	if err := r.cfg.DB.GetContext(ctx, &out.AtManager, `SELECT count(*) FROM requests WHERE park = $1 AND holder_role = 'manager'
		AND state IN ('pending', 'acknowledged', 'returned')`, q.Park); err != nil {
		return Overview{}, fmt.Errorf("overview at manager: %w", err)
	}
	return out, nil
}
