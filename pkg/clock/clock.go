// Package clock provides the injectable clock used wherever parkdesk computes a
// deadline: SLA commitments, warnings, escalations, token expiry.
//
// Production code takes a Clock and is wired with System. Tests use a Manual
// clock they move by hand. The dev stack wraps the system clock in an Offset so
// the whole stack can be fast-forwarded through working days.
package clock

import "time"

// Clock tells the time and schedules wake-ups.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the clock's time once d has
	// elapsed on this clock. It fires at once when d <= 0.
	After(d time.Duration) <-chan time.Time
}

// AfterFuncer is implemented by clocks that can run a function once after a
// duration and cancel it. Offset uses it to reschedule waiters without a
// goroutine per waiter; System, Manual and Offset all implement it.
type AfterFuncer interface {
	// AfterFunc calls f in its own goroutine once d has elapsed on the clock.
	// The returned stop cancels the call and reports whether it did so
	// before f was started.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// System returns the real clock.
func System() Clock {
	return systemClock{}
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
