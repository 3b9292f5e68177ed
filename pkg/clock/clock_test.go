package clock_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/clock"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fired reports whether ch has a value ready, without waiting.
func fired(ch <-chan time.Time) (time.Time, bool) {
	select {
	case t := <-ch:
		return t, true
	default:
		return time.Time{}, false
	}
}

// mustFire waits for ch, failing the test if it does not fire promptly.
func mustFire(t *testing.T, ch <-chan time.Time) time.Time {
	t.Helper()
	select {
	case got := <-ch:
		return got
	case <-time.After(5 * time.Second):
		t.Fatal("channel did not fire")
		return time.Time{}
	}
}

func TestSystem(t *testing.T) {
	c := clock.System()
	before := time.Now()
	if now := c.Now(); now.Before(before) {
		t.Fatalf("Now() = %v, before %v", now, before)
	}
	got := mustFire(t, c.After(time.Millisecond))
	if got.Sub(before) < time.Millisecond {
		t.Fatalf("After(1ms) fired %v after start", got.Sub(before))
	}
}

func TestManualAfter(t *testing.T) {
	tests := []struct {
		name      string
		wait      time.Duration
		steps     []time.Duration
		wantFired bool
	}{
		{name: "zero fires at once", wait: 0, wantFired: true},
		{name: "negative fires at once", wait: -time.Hour, wantFired: true},
		{name: "not reached", wait: time.Hour, steps: []time.Duration{59 * time.Minute}},
		{name: "reached exactly", wait: time.Hour, steps: []time.Duration{time.Hour}, wantFired: true},
		{name: "reached in steps", wait: time.Hour, steps: []time.Duration{30 * time.Minute, 30 * time.Minute}, wantFired: true},
		{name: "passed", wait: time.Hour, steps: []time.Duration{48 * time.Hour}, wantFired: true},
		{name: "backwards never fires", wait: time.Hour, steps: []time.Duration{-2 * time.Hour, 2 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := clock.NewManual(t0)
			ch := m.After(tt.wait)
			for _, s := range tt.steps {
				m.Advance(s)
			}
			got, ok := fired(ch)
			if ok != tt.wantFired {
				t.Fatalf("fired = %v, want %v", ok, tt.wantFired)
			}
			if ok && !got.Equal(m.Now()) {
				t.Fatalf("fired with %v, want the manual time %v", got, m.Now())
			}
			if want := map[bool]int{true: 0, false: 1}[tt.wantFired]; m.Waiters() != want {
				t.Fatalf("Waiters() = %d, want %d", m.Waiters(), want)
			}
		})
	}
}

func TestManualSetAndNow(t *testing.T) {
	m := clock.NewManual(t0)
	if !m.Now().Equal(t0) {
		t.Fatalf("Now() = %v, want %v", m.Now(), t0)
	}
	early, late := m.After(time.Hour), m.After(3*time.Hour)
	m.Set(t0.Add(2 * time.Hour))
	if _, ok := fired(early); !ok {
		t.Fatal("waiter due at +1h did not fire on Set(+2h)")
	}
	if _, ok := fired(late); ok {
		t.Fatal("waiter due at +3h fired on Set(+2h)")
	}
	if m.Waiters() != 1 {
		t.Fatalf("Waiters() = %d, want 1", m.Waiters())
	}
}

func TestManualAfterFuncOrderAndStop(t *testing.T) {
	m := clock.NewManual(t0)
	var (
		mu  sync.Mutex
		got []string
		wg  sync.WaitGroup
	)
	record := func(s string) func() {
		return func() { mu.Lock(); got = append(got, s); mu.Unlock(); wg.Done() }
	}
	wg.Add(2)
	m.AfterFunc(2*time.Hour, record("b"))
	m.AfterFunc(time.Hour, record("a"))
	stop := m.AfterFunc(90*time.Minute, record("stopped"))
	if !stop() {
		t.Fatal("stop() of a pending waiter = false")
	}
	if stop() {
		t.Fatal("second stop() = true")
	}
	m.Advance(3 * time.Hour)
	wg.Wait()
	if len(got) != 2 {
		t.Fatalf("ran %v, want a and b only", got)
	}
	if m.Waiters() != 0 {
		t.Fatalf("Waiters() = %d, want 0", m.Waiters())
	}
}

func TestManualBlockUntil(t *testing.T) {
	m := clock.NewManual(t0)
	done := make(chan time.Time)
	go func() { done <- <-m.After(time.Minute) }()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("BlockUntil: %v", err)
	}
	m.Advance(time.Minute)
	if got := <-done; !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("goroutine woke with %v, want %v", got, t0.Add(time.Minute))
	}
}

func TestManualBlockUntilContextDone(t *testing.T) {
	m := clock.NewManual(t0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.BlockUntil(ctx, 1); err == nil {
		t.Fatal("BlockUntil with no waiters and a done context returned nil")
	}
	if err := m.BlockUntil(ctx, 0); err != nil {
		t.Fatalf("BlockUntil(0) = %v, want nil", err)
	}
}

func TestManualConcurrent(t *testing.T) {
	m := clock.NewManual(t0)
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-m.After(time.Duration(i+1) * time.Second)
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.BlockUntil(ctx, n); err != nil {
		t.Fatal(err)
	}
	var movers sync.WaitGroup
	for range n {
		movers.Add(1)
		go func() { defer movers.Done(); m.Advance(time.Second) }()
	}
	movers.Wait()
	if got, want := m.Now(), t0.Add(n*time.Second); !got.Equal(want) {
		t.Fatalf("Now() = %v after %d concurrent Advance(1s), want %v", got, n, want)
	}
	wg.Wait()
}
