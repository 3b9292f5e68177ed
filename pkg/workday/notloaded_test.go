package workday

import (
	"errors"
	"testing"
	"time"
)

func TestYearNotLoaded(t *testing.T) {
	c := seedCalendar(t)
	tests := []struct {
		name string
		run  func() error
		year int
	}{
		{"IsWorkingDay 2024", func() error { _, err := c.IsWorkingDay(date(t, "2024-12-31")); return err }, 2024},
		{"IsWorkingDay 2027", func() error { _, err := c.IsWorkingDay(date(t, "2027-01-01")); return err }, 2027},
		{"AddWorkingDays from mid 2024", func() error { _, err := c.AddWorkingDays(at(t, "2024-06-03 10:00"), 1); return err }, 2024},
		{"AddWorkingDays from 2026-12-31", func() error { _, err := c.AddWorkingDays(at(t, "2026-12-31 10:00"), 1); return err }, 2027},
		{"AddWorkingDays runs off the end of 2026", func() error { _, err := c.AddWorkingDays(at(t, "2026-12-25 10:00"), 10); return err }, 2027},
		{"AddWorkingDays absurd n", func() error { _, err := c.AddWorkingDays(at(t, "2025-01-02 10:00"), 1<<62); return err }, 2027},
		{"AddWorkingDays from 2027", func() error { _, err := c.AddWorkingDays(at(t, "2027-03-01 10:00"), 1); return err }, 2027},
		{"AddWorkingTime forward off the end", func() error { _, err := c.AddWorkingTime(at(t, "2026-12-31 17:00"), time.Hour); return err }, 2027},
		{"AddWorkingTime backward off the start", func() error { _, err := c.AddWorkingTime(at(t, "2025-01-02 10:00"), -8*time.Hour); return err }, 2024},
		{"AddWorkingTime huge forward", func() error { _, err := c.AddWorkingTime(at(t, "2025-06-02 10:00"), 1<<62); return err }, 2027},
		{"AddWorkingTime most negative", func() error { _, err := c.AddWorkingTime(at(t, "2025-06-02 10:00"), -1<<63); return err }, 2024},
		{"AddWorkingTime +0 from 2024", func() error { _, err := c.AddWorkingTime(at(t, "2024-12-31 10:00"), 0); return err }, 2024},
		{"WorkingTimeBetween into 2027", func() error {
			_, err := c.WorkingTimeBetween(at(t, "2026-12-31 10:00"), at(t, "2027-01-05 10:00"))
			return err
		}, 2027},
		{"WorkingTimeBetween reversed from 2027", func() error {
			_, err := c.WorkingTimeBetween(at(t, "2027-01-05 10:00"), at(t, "2026-12-31 10:00"))
			return err
		}, 2027},
		{"WorkingTimeBetween from 2024", func() error {
			_, err := c.WorkingTimeBetween(at(t, "2024-12-31 12:00"), at(t, "2025-01-02 10:00"))
			return err
		}, 2024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantNotLoaded(t, tt.run(), "demo", tt.year)
		})
	}
}

func TestYearNotLoadedGap(t *testing.T) {
	ys := seedYears(t)
	y2027 := Year{Year: 2027, Source: "test", Off: dates(t, "2027-01-01")}
	c, err := New("gap", shanghai, nil, ys[0], y2027)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddWorkingDays(at(t, "2025-12-30 10:00"), 5); err == nil {
		t.Fatal("crossed the 2026 gap")
	} else {
		wantNotLoaded(t, err, "gap", 2026)
	}
	_, err = c.IsWorkingDay(date(t, "2026-06-01"))
	wantNotLoaded(t, err, "gap", 2026)
	_, err = c.AddWorkingTime(at(t, "2027-01-05 10:00"), -21*time.Hour)
	wantNotLoaded(t, err, "gap", 2026)
	_, err = c.WorkingTimeBetween(at(t, "2025-12-31 10:00"), at(t, "2027-01-04 10:00"))
	wantNotLoaded(t, err, "gap", 2026)
	// Within each loaded year the calendar still works.
	got, err := c.AddWorkingDays(at(t, "2027-01-01 10:00"), 1)
	if err != nil {
		t.Fatal(err)
	}
	wantTime(t, got, at(t, "2027-01-04 17:30"))
	if got, err := c.AddWorkingDays(at(t, "2026-12-31 10:00"), 1); err != nil {
		t.Fatal(err)
	} else {
		wantTime(t, got, at(t, "2027-01-04 17:30"))
	}
}

func TestEmptyCalendar(t *testing.T) {
	c, err := New("none", shanghai, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.IsWorkingDay(date(t, "2026-09-18"))
	wantNotLoaded(t, err, "none", 2026)
	_, err = c.AddWorkingDays(at(t, "2026-09-18 10:00"), 1)
	wantNotLoaded(t, err, "none", 2026)
	_, err = c.AddWorkingTime(at(t, "2026-09-18 10:00"), time.Hour)
	wantNotLoaded(t, err, "none", 2026)
	_, err = c.WorkingTimeBetween(at(t, "2026-09-18 10:00"), at(t, "2026-09-19 10:00"))
	wantNotLoaded(t, err, "none", 2026)
	if len(c.Years()) != 0 {
		t.Errorf("Years = %v", c.Years())
	}
}

func TestYearNotLoadedErrorIs(t *testing.T) {
	err := error(&YearNotLoadedError{Park: "p", Year: 2027})
	if !errors.Is(err, ErrYearNotLoaded) {
		t.Error("not ErrYearNotLoaded")
	}
	if errors.Is(err, errors.New("workday: calendar year not loaded")) {
		t.Error("matches an unrelated error")
	}
	if got, want := err.Error(), `workday: park "p": calendar year 2027 is not loaded`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
