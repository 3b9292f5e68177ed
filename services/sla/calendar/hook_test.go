package calendar_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

func TestFailingChangeHookLeavesTheOldCalendar(t *testing.T) {
	tests := []struct {
		name    string
		hookErr error
		status  int
	}{
		{"internal error", errors.New("recompute clocks: boom"), 500},
		{"business error keeps its kind", fault.Conflict("a clock of this park is being recomputed"), 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			e := newEnv(t, func(context.Context, *sqlx.Tx, string, *workday.Calendar) error {
				calls++
				return tt.hookErr
			})
			due := dueURL("wangcheng", "start", "2026-12-30T10:00:00+08:00", "working_days", "5")
			problem(t, e.do(t, &manager, "GET", due, ""), 422) // warms the cache without 2027
			before := load(t, e.Store, "wangcheng")

			problem(t, e.do(t, &manager, "PUT", "/v1/calendars/wangcheng/2027", body2027), tt.status)
			if calls == 0 {
				t.Fatal("hook not called")
			}
			after := load(t, e.Store, "wangcheng")
			if after.Revision != before.Revision || !slices.Equal(yearsOf(after), []int{2025, 2026}) {
				t.Errorf("failed hook left a write: revision %d → %d, years %v", before.Revision, after.Revision, yearsOf(after))
			}
			problem(t, e.do(t, &manager, "GET", due, ""), 422)
		})
	}
}

func TestChangeHookRunsInTheTransactionWithTheNewCalendar(t *testing.T) {
	var (
		e     *env
		calls int
	)
	e = newEnv(t, func(ctx context.Context, tx *sqlx.Tx, park string, cal *workday.Calendar) error {
		calls++
		if park != "wangcheng" || cal.Park() != "wangcheng" {
			t.Errorf("hook for park %q, calendar of %q", park, cal.Park())
		}
		y, ok := cal.Year(2027)
		if !ok || y.Source != "test notice for 2027" || !slices.Equal(cal.Years(), []int{2025, 2026, 2027}) {
			t.Errorf("hook calendar years %v, 2027 = %+v", cal.Years(), y)
		}
		if d, err := cal.AddWorkingDays(mustDate(t, "2026-12-30").In(cal.Location()), 5); err != nil || d.Format("2006-01-02 15:04") != "2027-01-07 17:30" {
			t.Errorf("hook calendar computes %v, %v", d, err)
		}
		var inTx, outside int
		const q = `SELECT count(*) FROM calendar_years WHERE park = $1 AND year = 2027`
		if err := tx.GetContext(ctx, &inTx, q, park); err != nil {
			return err
		}
		if err := e.DB.GetContext(ctx, &outside, q, park); err != nil {
			return err
		}
		if inTx != 1 || outside != 0 {
			t.Errorf("2027 rows: %d inside the transaction, %d outside; want 1 and 0 (not yet committed)", inTx, outside)
		}
		return nil
	})
	for range 2 {
		if rec := e.do(t, &manager, "PUT", "/v1/calendars/wangcheng/2027", body2027); rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	if calls != 1 {
		t.Errorf("hook ran %d times for one change and one identical PUT, want 1", calls)
	}
}

func TestReplaceYearTxInCallersTransaction(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	y := workday.Year{Year: 2027, Source: "caller's tx", Off: []workday.Date{mustDate(t, "2027-01-01")}}
	tx, err := e.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	pc, changed, err := e.Store.ReplaceYearTx(ctx, tx, "wangcheng", y, "clocks-engine", nil)
	if err != nil || !changed || !slices.Equal(yearsOf(pc), []int{2025, 2026, 2027}) {
		t.Fatalf("ReplaceYearTx = %v, %v, %v", yearsOf(pc), changed, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := yearsOf(load(t, e.Store, "wangcheng")); !slices.Equal(got, []int{2025, 2026}) {
		t.Errorf("after the caller rolled back, years = %v", got)
	}
}

func TestStoreRejectsUnknownParkAndInvalidYear(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	good := workday.Year{Year: 2027, Source: "s"}
	if _, _, err := e.Store.ReplaceYear(ctx, "atlantis", good, "x", nil); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("unknown park: %v, want not found", err)
	}
	bad := workday.Year{Year: 2027, Source: "s", Work: []workday.Date{mustDate(t, "2027-01-04")}}
	_, _, err := e.Store.ReplaceYear(ctx, "wangcheng", bad, "x", nil)
	if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "work[0]") {
		t.Errorf("invalid year: %v, want invalid naming work[0]", err)
	}
}
