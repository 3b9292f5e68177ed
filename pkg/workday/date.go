package workday

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gopkg.in/yaml.v3"
)

// Date is a civil calendar date, counted in days since 0001-01-01 in the
// proleptic Gregorian calendar. The zero Date is 0001-01-01. Dates compare
// with ==, Before, After and Compare, and are usable as map keys.
type Date struct{ n int32 }

const (
	secondsPerDay = 86400
	// unixEpochDays is the number of days from 0001-01-01 to 1970-01-01.
	unixEpochDays = 719162
)

// MakeDate returns the Date of year, month and day, normalizing
// out-of-range values as time.Date does (October 32 is November 1).
func MakeDate(year int, month time.Month, day int) Date {
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	return fromUnixDays(floorDiv(t.Unix(), secondsPerDay))
}

// DateOf returns the date of t on the wall clock of loc, which must not be
// nil.
func DateOf(t time.Time, loc *time.Location) Date {
	d, _ := split(t, loc)
	return d
}

// split returns the wall-clock date of t in loc and the wall-clock time
// since that date's midnight.
func split(t time.Time, loc *time.Location) (Date, time.Duration) {
	_, off := t.In(loc).Zone()
	sec := t.Unix() + int64(off)
	days := floorDiv(sec, secondsPerDay)
	pos := time.Duration(sec-days*secondsPerDay)*time.Second + time.Duration(t.Nanosecond())
	return fromUnixDays(days), pos
}

// fromUnixDays saturates at the ends of Date's range.
func fromUnixDays(days int64) Date {
	n := days + unixEpochDays
	switch {
	case n > math.MaxInt32:
		n = math.MaxInt32
	case n < math.MinInt32:
		n = math.MinInt32
	}
	return Date{int32(n)}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

var errDateSyntax = errors.New(`want "YYYY-MM-DD"`)

// ParseDate parses s in the exact form "YYYY-MM-DD" with a year from 0001
// to 9999, rejecting dates that do not exist such as 2026-02-29.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("workday: date %q: %w", s, errDateSyntax)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("workday: date %q: %w", s, errDateSyntax)
	}
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return Date{}, fmt.Errorf("workday: date %q does not exist", s)
	}
	return MakeDate(y, time.Month(m), d), nil
}

func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + int((m+m/8)%2)
}

// Date returns the year, month and day of d.
func (d Date) Date() (year int, month time.Month, day int) {
	// Howard Hinnant's civil_from_days, shifted to start in March.
	z := int64(d.n) - unixEpochDays + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = time.Month(mp + 3)
	if mp >= 10 {
		month = time.Month(mp - 9)
	}
	year = int(yoe + era*400)
	if month <= time.February {
		year++
	}
	return year, month, day
}

// Year returns the year of d.
func (d Date) Year() int {
	y, _, _ := d.Date()
	return y
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Weekday((int64(d.n)%7 + 8) % 7)
}

// In returns the instant at which d begins in loc.
func (d Date) In(loc *time.Location) time.Time {
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}

// AddDays returns d moved by n days, saturating at the ends of Date's range.
func (d Date) AddDays(n int) Date {
	return fromUnixDays(int64(d.n) - unixEpochDays + int64(n))
}

// DaysSince returns the number of days from s to d, negative if d is
// before s.
func (d Date) DaysSince(s Date) int { return int(d.n) - int(s.n) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.n < e.n }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.n > e.n }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.n < e.n:
		return -1
	case d.n > e.n:
		return 1
	}
	return 0
}

// IsZero reports whether d is the zero Date, 0001-01-01.
func (d Date) IsZero() bool { return d.n == 0 }

// String returns d as "YYYY-MM-DD"; a year outside 0001–9999 is written as
// fmt's %04d writes it.
func (d Date) String() string {
	y, m, day := d.Date()
	if y < 1 || y > 9999 {
		return fmt.Sprintf("%04d-%02d-%02d", y, int(m), day)
	}
	b := [10]byte{'0', '0', '0', '0', '-', '0', '0', '-', '0', '0'}
	put := func(at, width, v int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, 4, y)
	put(5, 2, int(m))
	put(8, 2, day)
	return string(b[:])
}

// MarshalText returns d as "YYYY-MM-DD". It fails for years outside
// 0001–9999, which ParseDate would not read back. JSON and YAML encode a
// Date as this string.
func (d Date) MarshalText() ([]byte, error) {
	if y := d.Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("workday: date year %d is outside 0001-9999", y)
	}
	return []byte(d.String()), nil
}

// UnmarshalText parses "YYYY-MM-DD" as ParseDate does.
func (d *Date) UnmarshalText(text []byte) error {
	v, err := ParseDate(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalYAML reads a YAML scalar as UnmarshalText does and rejects any
// other kind of node.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("workday: line %d: want a date \"YYYY-MM-DD\", not a YAML %s", n.Line, kindName(n.Kind))
	}
	return d.UnmarshalText([]byte(n.Value))
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}
