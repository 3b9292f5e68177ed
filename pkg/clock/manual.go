package clock

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Manual is a Clock that only moves when told to. Its zero value is not
// usable; create one with NewManual.
//
// A waiter created by After or AfterFunc stays pending until the manual time
// reaches its deadline (or it is stopped), even if nobody receives from its
// channel any more; Waiters counts it until then.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*manualWaiter
	changed chan struct{}
}

type manualWaiter struct {
	at time.Time
	ch chan time.Time
	f  func()
}

// NewManual returns a Manual clock reading t.
func NewManual(t time.Time) *Manual {
	return &Manual{now: t, changed: make(chan struct{})}
}

// Now returns the manual time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// After returns a channel that receives the manual time once the clock has
// been moved to now+d or later. It fires at once when d <= 0.
func (m *Manual) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	m.schedule(d, &manualWaiter{ch: ch})
	return ch
}

// AfterFunc calls f in its own goroutine once the clock has been moved to
// now+d or later, or at once when d <= 0.
func (m *Manual) AfterFunc(d time.Duration, f func()) func() bool {
	w := &manualWaiter{f: f}
	m.schedule(d, w)
	return func() bool { return m.remove(w) }
}

func (m *Manual) schedule(d time.Duration, w *manualWaiter) {
	m.mu.Lock()
	w.at = m.now.Add(d)
	if d <= 0 {
		now := m.now
		m.mu.Unlock()
		w.fire(now)
		return
	}
	m.waiters = append(m.waiters, w)
	m.notifyLocked()
	m.mu.Unlock()
}

func (m *Manual) remove(w *manualWaiter) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.Index(m.waiters, w)
	if i < 0 {
		return false
	}
	m.waiters = slices.Delete(m.waiters, i, i+1)
	m.notifyLocked()
	return true
}

// Set moves the clock to t, backwards or forwards, and fires, in deadline
// order, every waiter whose deadline is at or before t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.now = t
	m.fireDue()
}

// Advance moves the clock forward by d (backward if d is negative) and fires
// the waiters that have become due.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.fireDue()
}

// fireDue is called with m.mu held and releases it before firing, so that
// waiters may call back into the clock.
func (m *Manual) fireDue() {
	now := m.now
	var due []*manualWaiter
	m.waiters = slices.DeleteFunc(m.waiters, func(w *manualWaiter) bool {
		if w.at.After(now) {
			return false
		}
		due = append(due, w)
		return true
	})
	if len(due) > 0 {
		m.notifyLocked()
	}
	m.mu.Unlock()

	slices.SortStableFunc(due, func(a, b *manualWaiter) int { return a.at.Compare(b.at) })
	for _, w := range due {
		w.fire(now)
	}
}

// Waiters returns the number of pending After and AfterFunc waiters.
func (m *Manual) Waiters() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}

// BlockUntil returns once at least n waiters are pending, so a test can be
// sure the goroutine under test is blocked on the clock before advancing it.
// It returns an error when ctx is done first.
func (m *Manual) BlockUntil(ctx context.Context, n int) error {
	for {
		m.mu.Lock()
		got, changed := len(m.waiters), m.changed
		m.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("clock: block until %d waiters (have %d): %w", n, got, ctx.Err())
		case <-changed:
		}
	}
}

func (m *Manual) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

func (w *manualWaiter) fire(now time.Time) {
	if w.ch != nil {
		w.ch <- now
		return
	}
	go w.f()
}
