package sla

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// FireDue claims one batch of due clocks, fires their transitions and
// commits them with their events, cards and notifications. It returns how
// many clocks it claimed; clocks locked by another replica are skipped.
func (s *Scheduler) FireDue(ctx context.Context) (int, error) {
	claimed := 0
	err := db.InTx(ctx, s.cfg.DB, db.TxOptions{}, func(tx *sqlx.Tx) error {
		s.trips.Add(2)
		now := s.cfg.Clock.Now().UTC()
		s.trips.Add(1)
		cs, err := selectClocks(ctx, tx, `next_fire_at <= $1 ORDER BY next_fire_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
			now, s.cfg.BatchSize)
		if err != nil {
			return err
		}
		claimed = len(cs)
		if claimed == 0 {
			return nil
		}
		cals := &calendars{src: s.cfg.Source, byID: map[string]*workday.Calendar{}}
		var (
			changes []Change
			cards   []Card
			notes   []Notification
		)
		for i := range cs {
			c := &cs[i]
			cal, err := cals.get(ctx, c.Park)
			if err != nil {
				return err
			}
			due := c.NextFireAt
			chs := c.Fire(now, cal)
			if s.cfg.Metrics != nil && len(chs) > 0 {
				s.cfg.Metrics.Lag.Observe(now.Sub(due).Seconds())
			}
			for _, ch := range chs {
				switch ch.Type {
				case event.ClockBreached:
					if colour := CardColour(c.Kind); colour != "" {
						cards = append(cards, Card{ID: uuid.Must(uuid.NewV7()).String(), Park: c.Park, ClockID: c.ID,
							Department: departmentOf(*c), Colour: colour, Reason: cardReason(ch.Clock, cals.loc(c.Park)), IssuedAt: now})
					}
				case event.ClockEscalated:
					notes = append(notes, notifications(ch, cal)...)
				}
				if s.cfg.Metrics != nil {
					s.cfg.Metrics.Transitions.With("type", ch.Type).Add(1)
				}
			}
			changes = append(changes, chs...)
		}
		s.trips.Add(1)
		if err := saveClocks(ctx, tx, cs); err != nil {
			return err
		}
		if err := s.issueCards(ctx, tx, cards, cals); err != nil {
			return err
		}
		if err := s.insertNotifications(ctx, tx, notes); err != nil {
			return err
		}
		evs, err := changeEvents(changes, now, origin{})
		if err != nil {
			return err
		}
		for _, c := range cards {
			ev, err := cardEvent(c, now, origin{})
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		if len(evs) > 0 {
			s.trips.Add(2)
		}
		if err := outbox.Add(ctx, tx, evs...); err != nil {
			return err
		}
		s.fired.Add(int64(len(changes)))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("fire due clocks: %w", err)
	}
	return claimed, nil
}

// issueCards numbers the cards from their park's sequence of the year and
// inserts them. Numbers never repeat: the sequence row is updated in the
// same transaction, so a rollback returns them and replicas queue on it.
func (s *Scheduler) issueCards(ctx context.Context, tx *sqlx.Tx, cards []Card, cals *calendars) error {
	if len(cards) == 0 {
		return nil
	}
	type key struct {
		park string
		year int
	}
	years := make([]int, len(cards))
	need := map[key]int{}
	for i, c := range cards {
		years[i] = c.IssuedAt.In(cals.loc(c.Park)).Year()
		need[key{c.Park, years[i]}]++
	}
	keys := make([]key, 0, len(need))
	for k := range need {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].park < keys[j].park || (keys[i].park == keys[j].park && keys[i].year < keys[j].year)
	})
	parks, yrs, counts := make([]string, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		parks[i], yrs[i], counts[i] = k.park, int64(k.year), int64(need[k])
	}
	var lasts []struct {
		Park string `db:"park"`
		Year int    `db:"year"`
		Last int    `db:"last"`
	}
	s.trips.Add(1)
	if err := tx.SelectContext(ctx, &lasts, `INSERT INTO notice_sequences (park, year, last)
		SELECT * FROM unnest($1::text[], $2::int[], $3::int[]) ORDER BY 1, 2
		ON CONFLICT (park, year) DO UPDATE SET last = notice_sequences.last + EXCLUDED.last
		RETURNING park, year, last`, pq.Array(parks), pq.Array(yrs), pq.Array(counts)); err != nil {
		return fmt.Errorf("allocate notice numbers: %w", err)
	}
	next := map[key]int{}
	for _, l := range lasts {
		k := key{l.Park, l.Year}
		next[k] = l.Last - need[k] + 1
	}
	n := len(cards)
	ids, ps, clocks, depts, colours, numbers, reasons := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seqs, noticeYears, issued := make([]int64, n), make([]int64, n), make([]time.Time, n)
	for i := range cards {
		c := &cards[i]
		k := key{c.Park, years[i]}
		seq := next[k]
		next[k]++
		c.NoticeNumber = NoticeNumber(s.cfg.NoticePrefix, years[i], seq)
		ids[i], ps[i], clocks[i], depts[i], colours[i], numbers[i], reasons[i] = c.ID, c.Park, c.ClockID, c.Department, c.Colour, c.NoticeNumber, c.Reason
		seqs[i], noticeYears[i], issued[i] = int64(seq), int64(years[i]), c.IssuedAt
	}
	s.trips.Add(1)
	if _, err := tx.ExecContext(ctx, `INSERT INTO cards (id, park, clock_id, department, colour, notice_year,
		notice_seq, notice_number, reason, issued_at)
		SELECT id, park, clock_id, department, colour, notice_year, notice_seq, notice_number, reason, issued_at::timestamptz
		FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[],
			$9::text[], $10::text[]) AS u(id, park, clock_id, department, colour, notice_year, notice_seq,
			notice_number, reason, issued_at)`,
		pq.Array(ids), pq.Array(ps), pq.Array(clocks), pq.Array(depts), pq.Array(colours), pq.Array(noticeYears),
		pq.Array(seqs), pq.Array(numbers), pq.Array(reasons), pq.Array(tsArray(issued))); err != nil {
		return fmt.Errorf("insert cards: %w", err)
	}
	return nil
}

// insertNotifications stores the escalation ladder's messages.
func (s *Scheduler) insertNotifications(ctx context.Context, tx *sqlx.Tx, notes []Notification) error {
	if len(notes) == 0 {
		return nil
	}
	n := len(notes)
	parks, clocks, roles, ids := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	levels, urgent := make([]int64, n), make([]bool, n)
	created, deliver := make([]time.Time, n), make([]time.Time, n)
	for i, m := range notes {
		parks[i], clocks[i], roles[i], ids[i] = m.Park, m.ClockID, m.Recipient.Role, m.Recipient.ID
		levels[i], urgent[i], created[i], deliver[i] = int64(m.Level), m.Urgent, m.CreatedAt, m.DeliverAt
	}
	s.trips.Add(1)
	if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (park, clock_id, level, recipient_role, recipient_id,
		urgent, created_at, deliver_at)
		SELECT park, clock_id, level, role, rid, urgent, created::timestamptz, deliver::timestamptz
		FROM unnest($1::text[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::bool[], $7::text[], $8::text[])
			AS u(park, clock_id, level, role, rid, urgent, created, deliver)`,
		pq.Array(parks), pq.Array(clocks), pq.Array(levels), pq.Array(roles), pq.Array(ids), pq.Array(urgent),
		pq.Array(tsArray(created)), pq.Array(tsArray(deliver))); err != nil {
		return fmt.Errorf("insert notifications: %w", err)
	}
	return nil
}
