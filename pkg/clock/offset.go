package clock

import (
	"slices"
	"sync"
	"time"
)

// Offset is a Clock running a settable distance ahead of (or behind) a base
// clock. The dev stack shares one Offset between all services and moves it
// forward to fast-forward the whole system; a waiter whose deadline the jump
// passes fires at once.
type Offset struct {
	base  AfterFuncer
	clock Clock

	mu      sync.Mutex
	offset  time.Duration
	waiters map[*offsetWaiter]struct{}
}

type offsetWaiter struct {
	deadline time.Time
	fire     func(time.Time)
	stop     func() bool
	gen      uint64
}

// NewOffset returns an Offset over base with a zero offset. base must
// implement AfterFuncer, as every clock of this package does; NewOffset
// panics otherwise or when base is nil.
func NewOffset(base Clock) *Offset {
	if base == nil {
		panic("clock: NewOffset: nil base clock")
	}
	af, ok := base.(AfterFuncer)
	if !ok {
		panic("clock: NewOffset: base clock does not implement AfterFuncer")
	}
	return &Offset{base: af, clock: base, waiters: make(map[*offsetWaiter]struct{})}
}

// Now returns the base clock's time plus the offset.
func (o *Offset) Now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.nowLocked()
}

// Offset returns the current offset.
func (o *Offset) Offset() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.offset
}

// After returns a channel that receives the offset time once it reaches
// Now()+d, whether by the base clock running or by the offset jumping.
func (o *Offset) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	o.schedule(d, func(t time.Time) { ch <- t })
	return ch
}

// AfterFunc calls f in its own goroutine once the offset time reaches
// Now()+d.
func (o *Offset) AfterFunc(d time.Duration, f func()) func() bool {
	w := o.schedule(d, func(time.Time) { go f() })
	return func() bool {
		if w == nil {
			return false
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if _, ok := o.waiters[w]; !ok {
			return false
		}
		delete(o.waiters, w)
		w.stop()
		return true
	}
}

// SetOffset sets the offset to d. Waiters whose deadline is now reached fire
// at once; the others are rescheduled against the base clock.
func (o *Offset) SetOffset(d time.Duration) {
	o.mu.Lock()
	o.offset = d
	o.rescheduleAndUnlock()
}

// Advance moves the offset by d.
func (o *Offset) Advance(d time.Duration) {
	o.mu.Lock()
	o.offset += d
	o.rescheduleAndUnlock()
}

// rescheduleAndUnlock is called with o.mu held after the offset changed.
func (o *Offset) rescheduleAndUnlock() {
	now := o.nowLocked()
	var due []*offsetWaiter
	for w := range o.waiters {
		w.stop()
		if !w.deadline.After(now) {
			delete(o.waiters, w)
			due = append(due, w)
			continue
		}
		o.armLocked(w, w.deadline.Sub(now))
	}
	o.mu.Unlock()

	slices.SortStableFunc(due, func(a, b *offsetWaiter) int { return a.deadline.Compare(b.deadline) })
	for _, w := range due {
		w.fire(now)
	}
}

func (o *Offset) schedule(d time.Duration, fire func(time.Time)) *offsetWaiter {
	o.mu.Lock()
	now := o.nowLocked()
	if d <= 0 {
		o.mu.Unlock()
		fire(now)
		return nil
	}
	w := &offsetWaiter{deadline: now.Add(d), fire: fire}
	o.waiters[w] = struct{}{}
	o.armLocked(w, d)
	o.mu.Unlock()
	return w
}

// armLocked (re)starts w's base timer. The generation guards against a base
// timer that fired while it was being replaced.
func (o *Offset) armLocked(w *offsetWaiter, d time.Duration) {
	w.gen++
	gen := w.gen
	w.stop = o.base.AfterFunc(d, func() { o.expire(w, gen) })
}

func (o *Offset) expire(w *offsetWaiter, gen uint64) {
	o.mu.Lock()
	if _, ok := o.waiters[w]; !ok || w.gen != gen {
		o.mu.Unlock()
		return
	}
	delete(o.waiters, w)
	now := o.nowLocked()
	o.mu.Unlock()
	w.fire(now)
}

func (o *Offset) nowLocked() time.Time {
	return o.clock.Now().Add(o.offset)
}
