package workday

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// maxSpanYears bounds the distance between the first and last loaded year.
// It keeps the tables small and office time since the first day within
// time.Duration even for 24-hour office days.
const maxSpanYears = 200

const (
	dayNotLoaded uint8 = iota
	dayOff
	dayWorking
)

// Calendar is a park's working-day calendar: its loaded years, office hours
// and time zone. Create one with New; it is immutable and safe for
// concurrent use.
type Calendar struct {
	park  string
	loc   *time.Location
	hours OfficeHours
	cum   []time.Duration // cum[j] is the office time in hours[:j]
	day   time.Duration   // office time in one working day
	years []Year          // sorted by Year

	// The tables cover every day of the years from years[0] to the last
	// year; index i is the day first.AddDays(i).
	first    Date
	minYear  int
	kind     []uint8 // dayNotLoaded, dayOff or dayWorking
	before   []int32 // working days in kind[:i]; one longer than kind
	nth      []int32 // index of the k-th working day, k from 0
	runFirst []int32 // by year-minYear: first day of the loaded run holding the year
	runLast  []int32 // by year-minYear: last day of that run
}

// New returns the calendar of park in loc with the given office hours
// (DefaultOfficeHours when hours is empty) and years. It validates every
// year and rejects a year given twice. A calendar without years is valid;
// every computation on it fails with ErrYearNotLoaded.
func New(park string, loc *time.Location, hours OfficeHours, years ...Year) (*Calendar, error) {
	if loc == nil {
		return nil, errors.New("workday: nil location")
	}
	if len(hours) == 0 {
		hours = DefaultOfficeHours
	}
	if err := hours.Validate(); err != nil {
		return nil, fmt.Errorf("workday: office hours: %w", err)
	}
	ys := make([]Year, len(years))
	for i, y := range years {
		if err := y.Validate(); err != nil {
			return nil, fmt.Errorf("workday: year %d: %w", y.Year, err)
		}
		ys[i] = y.clone()
	}
	slices.SortFunc(ys, func(a, b Year) int { return a.Year - b.Year })
	for i := 1; i < len(ys); i++ {
		if ys[i].Year == ys[i-1].Year {
			return nil, fmt.Errorf("workday: year %d is given twice", ys[i].Year)
		}
	}
	if n := len(ys); n > 0 && ys[n-1].Year-ys[0].Year >= maxSpanYears {
		return nil, fmt.Errorf("workday: years %d to %d span more than %d years", ys[0].Year, ys[n-1].Year, maxSpanYears)
	}
	c := &Calendar{park: park, loc: loc, hours: slices.Clone(hours), years: ys}
	c.cum = make([]time.Duration, len(hours)+1)
	for j, s := range hours {
		c.cum[j+1] = c.cum[j] + s.End - s.Start
	}
	c.day = c.cum[len(hours)]
	c.build()
	return c, nil
}

func (c *Calendar) build() {
	c.before = []int32{0}
	if len(c.years) == 0 {
		return
	}
	c.minYear = c.years[0].Year
	maxYear := c.years[len(c.years)-1].Year
	c.first = MakeDate(c.minYear, time.January, 1)
	c.kind = make([]uint8, MakeDate(maxYear+1, time.January, 1).DaysSince(c.first))
	loaded := make([]bool, maxYear-c.minYear+1)
	for _, y := range c.years {
		loaded[y.Year-c.minYear] = true
		start := c.index(MakeDate(y.Year, time.January, 1))
		end := c.index(MakeDate(y.Year+1, time.January, 1))
		for i := start; i < end; i++ {
			c.kind[i] = dayWorking
			if wd := c.first.AddDays(i).Weekday(); wd == time.Saturday || wd == time.Sunday {
				c.kind[i] = dayOff
			}
		}
		for _, d := range y.Off {
			c.kind[c.index(d)] = dayOff
		}
		for _, d := range y.Work {
			c.kind[c.index(d)] = dayWorking
		}
	}
	c.before = make([]int32, len(c.kind)+1)
	c.nth = make([]int32, 0, len(c.kind))
	for i, k := range c.kind {
		c.before[i+1] = c.before[i]
		if k == dayWorking {
			c.nth = append(c.nth, int32(i))
			c.before[i+1]++
		}
	}
	c.runFirst = make([]int32, len(loaded))
	c.runLast = make([]int32, len(loaded))
	for yi := 0; yi < len(loaded); {
		if !loaded[yi] {
			yi++
			continue
		}
		end := yi
		for end+1 < len(loaded) && loaded[end+1] {
			end++
		}
		first := int32(c.index(MakeDate(c.minYear+yi, time.January, 1)))
		last := int32(c.index(MakeDate(c.minYear+end+1, time.January, 1))) - 1
		for ; yi <= end; yi++ {
			c.runFirst[yi], c.runLast[yi] = first, last
		}
	}
}

// WithYear returns a copy of c with y added, or replacing the loaded year
// of the same number. c itself is unchanged.
func (c *Calendar) WithYear(y Year) (*Calendar, error) {
	ys := make([]Year, 0, len(c.years)+1)
	for _, old := range c.years {
		if old.Year != y.Year {
			ys = append(ys, old)
		}
	}
	return New(c.park, c.loc, c.hours, append(ys, y)...)
}

// Park returns the park the calendar belongs to.
func (c *Calendar) Park() string { return c.park }

// Location returns the time zone whose wall clock the calendar reads.
func (c *Calendar) Location() *time.Location { return c.loc }

// OfficeHours returns a copy of the office hours.
func (c *Calendar) OfficeHours() OfficeHours { return slices.Clone(c.hours) }

// WorkingDay returns the office time in one working day (7h by default).
func (c *Calendar) WorkingDay() time.Duration { return c.day }

// Years returns the loaded years in increasing order.
func (c *Calendar) Years() []int {
	out := make([]int, len(c.years))
	for i, y := range c.years {
		out[i] = y.Year
	}
	return out
}

// Year returns a copy of the loaded year number y, and whether it is loaded.
func (c *Calendar) Year(y int) (Year, bool) {
	i, ok := slices.BinarySearchFunc(c.years, y, func(e Year, y int) int { return e.Year - y })
	if !ok {
		return Year{}, false
	}
	return c.years[i].clone(), true
}
