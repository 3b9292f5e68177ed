package clock_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/clock"
)

func TestOffsetNow(t *testing.T) {
	m := clock.NewManual(t0)
	o := clock.NewOffset(m)
	if !o.Now().Equal(t0) || o.Offset() != 0 {
		t.Fatalf("new offset: Now() = %v, Offset() = %v", o.Now(), o.Offset())
	}
	o.SetOffset(48 * time.Hour)
	o.Advance(time.Hour)
	m.Advance(time.Minute)
	want := t0.Add(49*time.Hour + time.Minute)
	if !o.Now().Equal(want) || o.Offset() != 49*time.Hour {
		t.Fatalf("Now() = %v, Offset() = %v; want %v, 49h", o.Now(), o.Offset(), want)
	}
}

func TestOffsetAfter(t *testing.T) {
	type step struct {
		base   time.Duration // advance the base clock
		offset time.Duration // then advance the offset
	}
	tests := []struct {
		name      string
		wait      time.Duration
		steps     []step
		wantFired bool
	}{
		{name: "zero fires at once", wait: 0, wantFired: true},
		{name: "base reaches deadline", wait: time.Hour, steps: []step{{base: time.Hour}}, wantFired: true},
		{name: "offset jumps past deadline", wait: time.Hour, steps: []step{{offset: 24 * time.Hour}}, wantFired: true},
		{name: "offset jumps short of deadline", wait: time.Hour, steps: []step{{offset: 59 * time.Minute}}},
		{name: "offset and base together", wait: time.Hour, steps: []step{{offset: 40 * time.Minute}, {base: 20 * time.Minute}}, wantFired: true},
		{name: "offset back delays", wait: time.Hour, steps: []step{{offset: -time.Hour}, {base: 90 * time.Minute}}},
		{name: "offset back then base catches up", wait: time.Hour, steps: []step{{offset: -time.Hour}, {base: 2 * time.Hour}}, wantFired: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := clock.NewManual(t0)
			o := clock.NewOffset(m)
			ch := o.After(tt.wait)
			for _, s := range tt.steps {
				m.Advance(s.base)
				o.Advance(s.offset)
			}
			if !tt.wantFired {
				if _, ok := fired(ch); ok {
					t.Fatal("fired, want pending")
				}
				if m.Waiters() != 1 {
					t.Fatalf("base Waiters() = %d, want 1 (the rescheduled timer only)", m.Waiters())
				}
				return
			}
			// A base timer fires through a goroutine, so wait for it.
			got := mustFire(t, ch)
			if deadline := t0.Add(tt.wait); got.Before(deadline) {
				t.Fatalf("fired at %v, before the deadline %v", got, deadline)
			}
			if m.Waiters() != 0 {
				t.Fatalf("base Waiters() = %d after firing, want 0", m.Waiters())
			}
		})
	}
}

func TestOffsetOverSystemFastForward(t *testing.T) {
	o := clock.NewOffset(clock.System())
	ch := o.After(time.Hour)
	if _, ok := fired(ch); ok {
		t.Fatal("fired before the jump")
	}
	o.Advance(2 * time.Hour)
	got, ok := fired(ch)
	if !ok {
		t.Fatal("did not fire synchronously when the offset jumped past the deadline")
	}
	if got.Sub(time.Now()) < time.Hour {
		t.Fatalf("fired with %v, want the offset time about 2h ahead", got)
	}
}

func TestOffsetAfterFuncStop(t *testing.T) {
	m := clock.NewManual(t0)
	o := clock.NewOffset(m)
	ran := make(chan struct{}, 1)
	stop := o.AfterFunc(time.Hour, func() { ran <- struct{}{} })
	if !stop() {
		t.Fatal("stop() of a pending func = false")
	}
	if m.Waiters() != 0 {
		t.Fatalf("base Waiters() = %d after stop, want 0", m.Waiters())
	}
	o.Advance(2 * time.Hour)
	select {
	case <-ran:
		t.Fatal("stopped func ran")
	default:
	}

	stop = o.AfterFunc(time.Hour, func() { ran <- struct{}{} })
	o.Advance(time.Hour)
	<-ran
	if stop() {
		t.Fatal("stop() after the func ran = true")
	}
}

func TestOffsetBlockedGoroutineWakesOnJump(t *testing.T) {
	m := clock.NewManual(t0)
	o := clock.NewOffset(m)
	woke := make(chan time.Time)
	go func() { woke <- <-o.After(10 * 24 * time.Hour) }()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	o.Advance(10 * 24 * time.Hour)
	if got := <-woke; !got.Equal(t0.Add(10 * 24 * time.Hour)) {
		t.Fatalf("woke with %v", got)
	}
}

func TestOffsetConcurrent(t *testing.T) {
	m := clock.NewManual(t0)
	o := clock.NewOffset(m)
	const n = 40
	var registered, woke, movers sync.WaitGroup
	for i := range n {
		registered.Add(1)
		woke.Add(1)
		go func() {
			defer woke.Done()
			ch := o.After(time.Duration(i+1) * time.Minute)
			registered.Done()
			<-ch
		}()
		movers.Add(2)
		go func() { defer movers.Done(); o.Advance(time.Minute) }()
		go func() { defer movers.Done(); m.Advance(time.Second) }()
	}
	registered.Wait()
	movers.Wait()
	if got, want := o.Offset(), n*time.Minute; got != want {
		t.Fatalf("Offset() = %v after %d concurrent Advance(1m), want %v", got, n, want)
	}
	o.Advance(time.Duration(n) * time.Hour)
	woke.Wait()
	if m.Waiters() != 0 {
		t.Fatalf("base Waiters() = %d after every waiter fired, want 0", m.Waiters())
	}
}

func TestNewOffsetRejectsNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewOffset(nil) did not panic")
		}
	}()
	clock.NewOffset(nil)
}
