package sla

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
)

// groupKeys maps a grouping to its column: a fixed list, never user text.
var groupKeys = map[string]string{
	ByPark:       "c.park",
	ByDepartment: "c.department",
	ByMatter:     "c.matter_code",
	ByOfficer:    "c.officer_id",
}

type overviewAgg struct {
	Key           string          `db:"key"`
	Completed     int             `db:"completed"`
	OnTime        int             `db:"on_time"`
	Early         int             `db:"early"`
	AvgUsed       sql.NullFloat64 `db:"avg_used"`
	AvgCommitment sql.NullFloat64 `db:"avg_commitment"`
	CommitSum     sql.NullFloat64 `db:"commit_sum"`
	LegalSum      sql.NullFloat64 `db:"legal_sum"`
	OnceOnly      int             `db:"once_only"`
	ChannelKnown  int             `db:"channel_known"`
	Online        int             `db:"online"`
	Rated         int             `db:"rated"`
	Satisfied     int             `db:"satisfied"`
	AvgRating     sql.NullFloat64 `db:"avg_rating"`
}

func nf(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return ratio(v.Float64, 1)
}

// Overview computes the figures of the resolution clocks stopped in the
// period, the stage overruns and the cards, per group.
func (r *Repository) Overview(ctx context.Context, q OverviewQuery) ([]OverviewRow, error) {
	key, ok := groupKeys[q.By]
	if !ok {
		return nil, fmt.Errorf("overview: unknown grouping %q", q.By)
	}
	var aggs []overviewAgg
	err := r.db.SelectContext(ctx, &aggs, `SELECT `+key+` AS key,
			count(*) AS completed,
			count(*) FILTER (WHERE NOT c.stopped_late) AS on_time,
			count(*) FILTER (WHERE c.stopped_early) AS early,
			avg(c.used_days) AS avg_used,
			avg(c.budget + c.extension_days) AS avg_commitment,
			sum(c.budget) FILTER (WHERE c.legal_budget > 0) AS commit_sum,
			sum(c.legal_budget) FILTER (WHERE c.legal_budget > 0) AS legal_sum,
			count(*) FILTER (WHERE NOT c.pauses @> '[{"reason": "correction"}]') AS once_only,
			count(*) FILTER (WHERE t.channel <> '') AS channel_known,
			count(*) FILTER (WHERE t.channel = 'online') AS online,
			count(t.rating) AS rated,
			count(*) FILTER (WHERE t.rating >= 4) AS satisfied,
			avg(t.rating) AS avg_rating
		FROM clocks c LEFT JOIN tickets t ON t.ticket_id = c.ticket_id AND c.ticket_id <> ''
		WHERE c.kind = 'resolution' AND c.state = 'stopped' AND c.stopped_at >= $2 AND c.stopped_at < $3
			AND ($1 = '' OR c.park = $1)
		GROUP BY 1`, q.Park, q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("overview: %w", err)
	}
	rows := map[string]*OverviewRow{}
	row := func(k string) *OverviewRow {
		if rows[k] == nil {
			rows[k] = &OverviewRow{Key: k}
		}
		return rows[k]
	}
	for _, a := range aggs {
		o := row(a.Key)
		o.Completed, o.OnTime, o.Rated = a.Completed, a.OnTime, a.Rated
		o.OnTimeRate = ratio(float64(a.OnTime), float64(a.Completed))
		o.EarlyRate = ratio(float64(a.Early), float64(a.Completed))
		o.AvgWorkingDaysUsed, o.AvgCommitmentDays, o.AvgRating = nf(a.AvgUsed), nf(a.AvgCommitment), nf(a.AvgRating)
		if a.LegalSum.Valid && a.LegalSum.Float64 > 0 {
			o.CommitmentCompression = ratio(a.LegalSum.Float64-a.CommitSum.Float64, a.LegalSum.Float64)
		}
		o.OnceOnlyRate = ratio(float64(a.OnceOnly), float64(a.Completed))
		o.OnlineRate = ratio(float64(a.Online), float64(a.ChannelKnown))
		o.Satisfaction = ratio(float64(a.Satisfied), float64(a.Rated))
	}
	var overruns []struct {
		Key string `db:"key"`
		N   int    `db:"n"`
	}
	if err := r.db.SelectContext(ctx, &overruns, `SELECT `+key+` AS key, count(*) AS n FROM clocks c
		WHERE c.kind = 'stage' AND c.breached_at >= $2 AND c.breached_at < $3 AND ($1 = '' OR c.park = $1)
		GROUP BY 1`, q.Park, q.From, q.To); err != nil {
		return nil, fmt.Errorf("overview stage overruns: %w", err)
	}
	for _, o := range overruns {
		row(o.Key).StageOverruns = o.N
	}
	cardKey := key
	if q.By == ByDepartment {
		cardKey = "k.department"
	}
	var cards []struct {
		Key    string `db:"key"`
		Yellow int    `db:"yellow"`
		Red    int    `db:"red"`
	}
	if err := r.db.SelectContext(ctx, &cards, `SELECT `+cardKey+` AS key,
			count(*) FILTER (WHERE k.colour = 'yellow') AS yellow, count(*) FILTER (WHERE k.colour = 'red') AS red
		FROM cards k JOIN clocks c ON c.id = k.clock_id
		WHERE k.issued_at >= $2 AND k.issued_at < $3 AND ($1 = '' OR k.park = $1) GROUP BY 1`, q.Park, q.From, q.To); err != nil {
		return nil, fmt.Errorf("overview cards: %w", err)
	}
	for _, c := range cards {
		o := row(c.Key)
		o.YellowCards, o.RedCards = c.Yellow, c.Red
	}
	out := make([]OverviewRow, 0, len(rows))
	for _, o := range rows {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Breaches returns a page of open yellow and red clocks: red first, then by
// deadline.
func (r *Repository) Breaches(ctx context.Context, q BreachQuery) (BreachPage, error) {
	page := BreachPage{Page: q.Page, PageSize: q.PageSize}
	const where = `state IN ('yellow', 'red') AND ($1 = '' OR park = $1) AND ($2 = '' OR state = $2)`
	if err := r.db.GetContext(ctx, &page.Total, `SELECT count(*) FROM clocks WHERE `+where, q.Park, q.State); err != nil {
		return BreachPage{}, fmt.Errorf("count breaches: %w", err)
	}
	items, err := selectClocks(ctx, r.db, where+` ORDER BY state = 'red' DESC, deadline ASC NULLS LAST, id
		LIMIT $3 OFFSET $4`, q.Park, q.State, q.PageSize, (q.Page-1)*q.PageSize)
	if err != nil {
		return BreachPage{}, fmt.Errorf("list breaches: %w", err)
	}
	page.Items = items
	return page, nil
}
