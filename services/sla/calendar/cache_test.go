package calendar_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

var year2027 = workday.Year{Year: 2027, Source: "another replica"}

// replica is a second process's Store over the same database.
func replica(t *testing.T, e *env) *calendar.Store {
	t.Helper()
	conn, err := db.Open(context.Background(), db.Config{URL: e.URL, Schema: "sla", MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s, err := calendar.NewStore(conn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func cachedYears(t *testing.T, c *calendar.Cache, park string) []int {
	t.Helper()
	cal, err := c.ForPark(context.Background(), park)
	if err != nil {
		t.Fatal(err)
	}
	return cal.Years()
}

func TestCacheSeesChangeFromAnotherReplicaViaNotify(t *testing.T) {
	e := newEnv(t, nil)
	frozen := clock.NewManual(time.Date(2026, 9, 18, 10, 0, 0, 0, time.UTC))
	c, err := calendar.NewCache(e.Store, calendar.CacheConfig{ListenDSN: e.URL, TTL: time.Hour, Clock: frozen})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case <-calendar.Listening(c):
	case <-time.After(30 * time.Second):
		t.Fatal("cache never started listening")
	}
	if got := cachedYears(t, c, "wangcheng"); !slices.Equal(got, []int{2025, 2026}) {
		t.Fatalf("years = %v", got)
	}

	other := replica(t, e)
	if _, _, err := other.ReplaceYear(context.Background(), "wangcheng", year2027, "replica-b", nil); err != nil {
		t.Fatal(err)
	}
	awaitYears(t, c, []int{2025, 2026, 2027})

	// Kill the listener's connection and change the calendar while it may
	// be away: either the notification or the reconnect must refresh it.
	var killed int
	if err := e.DB.Get(&killed, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query ILIKE 'LISTEN%'`); err != nil || killed == 0 {
		t.Fatalf("terminated %d listener connections: %v", killed, err)
	}
	year2028 := workday.Year{Year: 2028, Source: "another replica"}
	if _, _, err := other.ReplaceYear(context.Background(), "wangcheng", year2028, "replica-b", nil); err != nil {
		t.Fatal(err)
	}
	awaitYears(t, c, []int{2025, 2026, 2027, 2028})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// awaitYears polls c until it serves want; the TTL is an hour and the clock
// frozen, so only a notification or a reconnect can bring the change.
func awaitYears(t *testing.T, c *calendar.Cache, want []int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Equal(cachedYears(t, c, "wangcheng"), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the cache never served years %v", want)
		}
		time.Sleep(10 * time.Millisecond) // polling for the condition
	}
}

func TestCacheFallsBackToTTL(t *testing.T) {
	e := newEnv(t, nil)
	clk := clock.NewManual(time.Date(2026, 9, 18, 10, 0, 0, 0, time.UTC))
	c, err := calendar.NewCache(e.Store, calendar.CacheConfig{TTL: 30 * time.Second, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance time.Duration
		change  bool
		want    []int
	}{
		{0, false, []int{2025, 2026}},
		{0, true, []int{2025, 2026}}, // changed behind the cache's back: still cached
		{29 * time.Second, false, []int{2025, 2026}},
		{time.Second, false, []int{2025, 2026, 2027}},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		if s.change {
			if _, _, err := replica(t, e).ReplaceYear(context.Background(), "wangcheng", year2027, "replica-b", nil); err != nil {
				t.Fatal(err)
			}
		}
		if got := cachedYears(t, c, "wangcheng"); !slices.Equal(got, s.want) {
			t.Errorf("step %d: years = %v, want %v", i, got, s.want)
		}
	}
}

func TestCachePutKeepsTheNewestRevision(t *testing.T) {
	e := newEnv(t, nil)
	c, err := calendar.NewCache(e.Store, calendar.CacheConfig{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	pc := load(t, e.Store, "wangcheng")
	old, err := pc.Calendar()
	if err != nil {
		t.Fatal(err)
	}
	newer, err := old.WithYear(year2027)
	if err != nil {
		t.Fatal(err)
	}
	c.Put("wangcheng", newer, pc.Revision+1)
	c.Put("wangcheng", old, pc.Revision) // a late writer of an older revision
	if got := cachedYears(t, c, "wangcheng"); !slices.Equal(got, []int{2025, 2026, 2027}) {
		t.Errorf("years = %v: an older Put replaced a newer one", got)
	}
}

func TestCacheUnknownParkIsNotFound(t *testing.T) {
	e := newEnv(t, nil)
	for _, park := range []string{"atlantis", "", "Wangcheng", "wang cheng\x00"} {
		if _, err := e.Cache.ForPark(context.Background(), park); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("ForPark(%q) = %v, want not found", park, err)
		}
	}
}

func TestCacheRunWithoutListenerStopsWithContext(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Cache.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
}
