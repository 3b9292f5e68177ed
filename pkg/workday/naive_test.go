package workday

import (
	"errors"
	"time"
)

// naive is the reference the property tests check Calendar against: it
// reads the Year lists directly and walks day by day (or minute by minute),
// using only the time package for dates.
type naive struct {
	park      string
	loc       *time.Location
	hours     OfficeHours
	years     map[int]bool
	off, work map[civil]bool
}

type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(d Date) civil {
	y, m, day := d.Date()
	return civil{y, m, day}
}

func (c civil) next(k int) civil {
	y, m, d := time.Date(c.y, c.m, c.d+k, 12, 0, 0, 0, time.UTC).Date()
	return civil{y, m, d}
}

func newNaive(park string, loc *time.Location, hours OfficeHours, years ...Year) *naive {
	n := &naive{park: park, loc: loc, hours: hours, years: map[int]bool{}, off: map[civil]bool{}, work: map[civil]bool{}}
	for _, y := range years {
		n.years[y.Year] = true
		for _, d := range y.Off {
			n.off[civilOf(d)] = true
		}
		for _, d := range y.Work {
			n.work[civilOf(d)] = true
		}
	}
	return n
}

func (n *naive) dayOf(t time.Time) civil {
	y, m, d := t.In(n.loc).Date()
	return civil{y, m, d}
}

func (n *naive) status(c civil) (bool, error) {
	if !n.years[c.y] {
		return false, &YearNotLoadedError{Park: n.park, Year: c.y}
	}
	if n.work[c] || n.off[c] {
		return n.work[c], nil
	}
	wd := time.Date(c.y, c.m, c.d, 12, 0, 0, 0, time.UTC).Weekday()
	return wd != time.Saturday && wd != time.Sunday, nil
}

// at is the wall-clock time off after midnight of c.
func (n *naive) at(c civil, off time.Duration) time.Time {
	return time.Date(c.y, c.m, c.d, 0, 0, int(off/time.Second), int(off%time.Second), n.loc)
}

func (n *naive) addDays(start time.Time, k int) (time.Time, error) {
	c := n.dayOf(start)
	for count := 0; ; {
		c = c.next(1)
		w, err := n.status(c)
		if err != nil {
			return time.Time{}, err
		}
		if w {
			if count++; count == k {
				return n.at(c, n.hours[len(n.hours)-1].End), nil
			}
		}
	}
}

func (n *naive) addTime(start time.Time, d time.Duration) (time.Time, error) {
	c := n.dayOf(start)
	if _, err := n.status(c); err != nil {
		return time.Time{}, err
	}
	if d == 0 {
		return start.In(n.loc), nil
	}
	step, rem := 1, d
	if d < 0 {
		step, rem = -1, -d
	}
	for ; ; c = c.next(step) {
		w, err := n.status(c)
		if err != nil {
			return time.Time{}, err
		}
		if !w {
			continue
		}
		for j := range n.hours {
			if step < 0 {
				j = len(n.hours) - 1 - j
			}
			a, b := n.at(c, n.hours[j].Start), n.at(c, n.hours[j].End)
			if step > 0 {
				if !b.After(start) {
					continue
				}
				if a.Before(start) {
					a = start
				}
				if b.Sub(a) >= rem {
					return a.Add(rem).In(n.loc), nil
				}
				rem -= b.Sub(a)
			} else {
				if !a.Before(start) {
					continue
				}
				if b.After(start) {
					b = start
				}
				if b.Sub(a) >= rem {
					return b.Add(-rem).In(n.loc), nil
				}
				rem -= b.Sub(a)
			}
		}
	}
}

func (n *naive) between(a, b time.Time) (time.Duration, error) {
	if b.Before(a) {
		d, err := n.between(b, a)
		return -d, err
	}
	var sum time.Duration
	last := n.dayOf(b)
	for c := n.dayOf(a); ; c = c.next(1) {
		w, err := n.status(c)
		if err != nil {
			return 0, err
		}
		for _, s := range n.hours {
			if !w {
				break
			}
			from, to := n.at(c, s.Start), n.at(c, s.End)
			if from.Before(a) {
				from = a
			}
			if to.After(b) {
				to = b
			}
			if to.After(from) {
				sum += to.Sub(from)
			}
		}
		if c == last {
			return sum, nil
		}
	}
}

// inOffice reports whether instant t is office time: its wall-clock date is
// a working day and its wall-clock time of day is in a span.
func (n *naive) inOffice(t time.Time) (bool, error) {
	lt := t.In(n.loc)
	w, err := n.status(n.dayOf(t))
	if err != nil || !w {
		return false, err
	}
	h, m, s := lt.Clock()
	tod := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second +
		time.Duration(lt.Nanosecond())
	for _, sp := range n.hours {
		if sp.Start <= tod && tod < sp.End {
			return true, nil
		}
	}
	return false, nil
}

// minuteBetween counts the office minutes in [a, b), both whole minutes.
func (n *naive) minuteBetween(a, b time.Time) (time.Duration, error) {
	var sum time.Duration
	for t := a; t.Before(b); t = t.Add(time.Minute) {
		in, err := n.inOffice(t)
		if err != nil {
			return 0, err
		}
		if in {
			sum += time.Minute
		}
	}
	return sum, nil
}

// minuteAdd walks minute by minute from start, a whole minute, until d (whole
// minutes) of office time has passed.
func (n *naive) minuteAdd(start time.Time, d time.Duration) (time.Time, error) {
	t := start.In(n.loc)
	for rem := d; rem > 0; t = t.Add(time.Minute) {
		in, err := n.inOffice(t)
		if err != nil {
			return time.Time{}, err
		}
		if in {
			rem -= time.Minute
		}
	}
	for rem := -d; rem > 0; {
		t = t.Add(-time.Minute)
		in, err := n.inOffice(t)
		if err != nil {
			return time.Time{}, err
		}
		if in {
			rem -= time.Minute
		}
	}
	return t, nil
}

// sameYearNotLoaded reports whether both errors are nil, or both report the
// same missing year.
func sameYearNotLoaded(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ya, yb *YearNotLoadedError
	return errors.As(a, &ya) && errors.As(b, &yb) && *ya == *yb
}
