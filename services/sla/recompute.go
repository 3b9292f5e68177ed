package sla

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// recomputeBatch bounds the clocks read and rewritten at a time.
const recomputeBatch = 1000

// RecomputePark is the calendar.ChangeHook of the engine: inside the
// transaction that changes park's calendar, it recomputes every open clock
// of the park over cal, in batches, publishing sla.clock.deadline_changed
// (cause "calendar") for each deadline that moved and rescheduling the
// clocks' next firing. Use it as calendar.ChangeHook(engine.RecomputePark).
func (e *Engine) RecomputePark(ctx context.Context, tx *sqlx.Tx, park string, cal *workday.Calendar) error {
	now := e.cfg.Clock.Now().UTC()
	after := "00000000-0000-0000-0000-000000000000"
	moved := 0
	for {
		cs, err := selectClocks(ctx, tx, `park = $1 AND state IN ('green', 'yellow', 'red') AND id > $2
			ORDER BY id LIMIT $3 FOR UPDATE`, park, after, recomputeBatch)
		if err != nil {
			return fmt.Errorf("recompute %s: %w", park, err)
		}
		if len(cs) == 0 {
			break
		}
		after = cs[len(cs)-1].ID
		var (
			dirty   []Clock
			changes []Change
		)
		for i := range cs {
			changed, chs, err := cs[i].Recompute(now, cal)
			if err != nil {
				e.cfg.Logger.WarnContext(ctx, "clock deadline unknown under the new calendar",
					"clock", cs[i].ID, "park", park, "err", err)
			}
			if changed {
				dirty = append(dirty, cs[i])
				changes = append(changes, chs...)
			}
			if !cs[i].NextFireAt.IsZero() && changed {
				e.cfg.Wake(cs[i].NextFireAt)
			}
		}
		if err := saveClocks(ctx, tx, dirty); err != nil {
			return fmt.Errorf("recompute %s: %w", park, err)
		}
		evs, err := changeEvents(changes, now, origin{})
		if err != nil {
			return err
		}
		if err := outbox.Add(ctx, tx, evs...); err != nil {
			return fmt.Errorf("recompute %s: %w", park, err)
		}
		moved += len(changes)
		if len(cs) < recomputeBatch {
			break
		}
	}
	if moved > 0 {
		e.cfg.Logger.InfoContext(ctx, "calendar change moved deadlines", "park", park, "clocks", moved)
	}
	return nil
}
