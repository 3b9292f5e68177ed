package workday

import (
	"fmt"
	"time"
)

func (c *Calendar) index(d Date) int { return d.DaysSince(c.first) }

// lookup returns the table index of d and whether d's year is loaded.
func (c *Calendar) lookup(d Date) (int, bool) {
	i := c.index(d)
	return i, i >= 0 && i < len(c.kind) && c.kind[i] != dayNotLoaded
}

func (c *Calendar) notLoaded(i int) error {
	return &YearNotLoadedError{Park: c.park, Year: c.first.AddDays(i).Year()}
}

// run returns the first and last index of the loaded run holding the loaded
// day i.
func (c *Calendar) run(i int) (first, last int) {
	y := c.first.AddDays(i).Year() - c.minYear
	return int(c.runFirst[y]), int(c.runLast[y])
}

// office returns the office time from the first table day to the wall-clock
// time pos of day i.
func (c *Calendar) office(i int, pos time.Duration) time.Duration {
	f := time.Duration(c.before[i]) * c.day
	if c.kind[i] != dayWorking {
		return f
	}
	for j, s := range c.hours {
		if pos < s.End {
			if pos <= s.Start {
				return f + c.cum[j]
			}
			return f + c.cum[j] + pos - s.Start
		}
	}
	return f + c.day
}

// forwardPos returns the earliest time of a working day at which r of its
// office time, 0 < r <= c.day, has elapsed.
func (c *Calendar) forwardPos(r time.Duration) time.Duration {
	for j, s := range c.hours {
		if r <= c.cum[j+1] {
			return s.Start + r - c.cum[j]
		}
	}
	return c.hours[len(c.hours)-1].End
}

// backwardPos returns the latest time of a working day at which r of its
// office time, 0 <= r < c.day, has elapsed.
func (c *Calendar) backwardPos(r time.Duration) time.Duration {
	for j, s := range c.hours {
		if r < c.cum[j+1] {
			return s.Start + r - c.cum[j]
		}
	}
	return c.hours[len(c.hours)-1].End
}

// instant returns wall-clock time pos of day i in the calendar's location.
func (c *Calendar) instant(i int, pos time.Duration) time.Time {
	y, m, d := c.first.AddDays(i).Date()
	return time.Date(y, m, d, 0, 0, int(pos/time.Second), int(pos%time.Second), c.loc)
}

// IsWorkingDay reports whether d is a working day: a Monday to Friday not
// listed off, or a weekend day listed as work.
func (c *Calendar) IsWorkingDay(d Date) (bool, error) {
	i, ok := c.lookup(d)
	if !ok {
		return false, c.notLoaded(i)
	}
	return c.kind[i] == dayWorking, nil
}

// AddWorkingDays returns the deadline n working days (n >= 1) after start:
// the end of office hours of the n-th working day after start's local date,
// whatever start's time of day. Every date after start's date up to the
// deadline must be loaded; start's own date need not be.
func (c *Calendar) AddWorkingDays(start time.Time, n int) (time.Time, error) {
	if n < 1 {
		return time.Time{}, fmt.Errorf("workday: AddWorkingDays: n is %d, want at least 1", n)
	}
	s, _ := split(start, c.loc)
	i, ok := c.lookup(s.AddDays(1))
	if !ok {
		return time.Time{}, c.notLoaded(i)
	}
	_, last := c.run(i)
	avail := int(c.before[last+1] - c.before[i])
	if n > avail {
		return time.Time{}, c.notLoaded(last + 1)
	}
	j := int(c.nth[int(c.before[i])+n-1])
	return c.instant(j, c.hours[len(c.hours)-1].End), nil
}

// AddWorkingTime moves start by d of office time, forward if d > 0 and
// backward if d < 0. Forward it returns the earliest instant at which d of
// office time has elapsed since start (a span end such as 12:00 or 17:30,
// never the next span's start); backward, the latest instant |d| of office
// time before start (a span start such as 09:00, never the previous span's
// end). d == 0 returns start. Every date from start's date to the result's
// must be loaded. The result is in the calendar's location.
func (c *Calendar) AddWorkingTime(start time.Time, d time.Duration) (time.Time, error) {
	s, pos := split(start, c.loc)
	i, ok := c.lookup(s)
	if !ok {
		return time.Time{}, c.notLoaded(i)
	}
	if d == 0 {
		return start.In(c.loc), nil
	}
	first, last := c.run(i)
	f := c.office(i, pos)
	if d > 0 {
		if d > time.Duration(c.before[last+1])*c.day-f {
			return time.Time{}, c.notLoaded(last + 1)
		}
		g := f + d
		k := (g - 1) / c.day
		return c.instant(int(c.nth[k]), c.forwardPos(g-k*c.day)), nil
	}
	if d < -(f - time.Duration(c.before[first])*c.day) {
		return time.Time{}, c.notLoaded(first - 1)
	}
	g := f + d
	k := g / c.day
	return c.instant(int(c.nth[k]), c.backwardPos(g-k*c.day)), nil
}

// WorkingTimeBetween returns the office time in [a, b), or minus the office
// time in [b, a) if b is before a. Every date from the earlier instant's
// date to the later one's must be loaded.
func (c *Calendar) WorkingTimeBetween(a, b time.Time) (time.Duration, error) {
	if b.Before(a) {
		d, err := c.WorkingTimeBetween(b, a)
		return -d, err
	}
	da, pa := split(a, c.loc)
	db, pb := split(b, c.loc)
	i, ok := c.lookup(da)
	if !ok {
		return 0, c.notLoaded(i)
	}
	first, last := c.run(i)
	switch j := c.index(db); {
	case j > last:
		return 0, c.notLoaded(last + 1)
	case j < first:
		return 0, c.notLoaded(j)
	default:
		return c.office(j, pb) - c.office(i, pa), nil
	}
}
