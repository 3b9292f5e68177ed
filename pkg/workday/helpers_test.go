package workday

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata"
)

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var seedDir = filepath.Join("..", "..", "seeds", "calendars")

func seedYears(tb testing.TB) []Year {
	tb.Helper()
	var ys []Year
	for _, name := range []string{"cn-2025.yaml", "cn-2026.yaml"} {
		y, err := LoadYearFile(filepath.Join(seedDir, name))
		if err != nil {
			tb.Fatal(err)
		}
		ys = append(ys, y)
	}
	return ys
}

// seedCalendar is the demo park's calendar: the 2025 and 2026 seeds, default
// office hours, Asia/Shanghai.
func seedCalendar(tb testing.TB) *Calendar {
	tb.Helper()
	c, err := New("demo", shanghai, nil, seedYears(tb)...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// at parses "2006-01-02 15:04" or "2006-01-02 15:04:05.999999999" in
// Asia/Shanghai.
func at(tb testing.TB, s string) time.Time {
	tb.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t
		}
	}
	tb.Fatalf("bad instant %q", s)
	return time.Time{}
}

func date(tb testing.TB, s string) Date {
	tb.Helper()
	d, err := ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func dates(tb testing.TB, ss ...string) []Date {
	tb.Helper()
	out := make([]Date, len(ss))
	for i, s := range ss {
		out[i] = date(tb, s)
	}
	return out
}

// wantNotLoaded fails unless err reports year as not loaded for park.
func wantNotLoaded(tb testing.TB, err error, park string, year int) {
	tb.Helper()
	var yn *YearNotLoadedError
	if !errors.Is(err, ErrYearNotLoaded) || !errors.As(err, &yn) {
		tb.Fatalf("err = %v, want a *YearNotLoadedError", err)
	}
	if yn.Park != park || yn.Year != year {
		tb.Fatalf("err = %+v, want park %q year %d", *yn, park, year)
	}
}

// wantTime fails unless got is the instant want, in want's location.
func wantTime(tb testing.TB, got, want time.Time) {
	tb.Helper()
	if !got.Equal(want) || got.Location() != want.Location() {
		tb.Fatalf("got %s (%s), want %s (%s)", got.Format(time.RFC3339Nano), got.Location(),
			want.Format(time.RFC3339Nano), want.Location())
	}
}
