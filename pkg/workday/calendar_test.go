package workday

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestAddWorkingDaysExamples(t *testing.T) {
	c := seedCalendar(t)
	tests := []struct {
		name, start string
		n           int
		want        string
	}{
		{"worked example 1: Sunday 09-20 is a make-up day", "2026-09-18 10:00", 3, "2026-09-22 17:30"},
		{"worked example 2: Mid-Autumn 09-25..27 off", "2026-09-23 10:00", 3, "2026-09-29 17:30"},
		{"worked example 3: National Day 10-01..07 off", "2026-09-29 10:00", 3, "2026-10-09 17:30"},
		{"2025 Spring Festival: Sunday 01-26 is work", "2025-01-24 16:00", 1, "2025-01-26 17:30"},
		{"2025 Spring Festival: 01-28..02-04 off", "2025-01-27 11:00", 1, "2025-02-05 17:30"},
		{"2025 Spring Festival: Saturday 02-08 is work", "2025-01-27 11:00", 4, "2025-02-08 17:30"},
		{"2026 Spring Festival: Saturday 02-14 is work", "2026-02-13 09:00", 1, "2026-02-14 17:30"},
		{"2026 Spring Festival: 02-15..23 off", "2026-02-13 09:00", 2, "2026-02-24 17:30"},
		{"2026 Spring Festival: Saturday 02-28 is work", "2026-02-26 09:00", 2, "2026-02-28 17:30"},
		{"New Year 2026: Sunday 01-04 is work, across years", "2025-12-31 15:00", 1, "2026-01-04 17:30"},
		{"New Year 2026: then Monday", "2025-12-31 15:00", 2, "2026-01-05 17:30"},
		{"New Year 2026: from 12-30", "2025-12-30 08:00", 2, "2026-01-04 17:30"},
		{"2025 National Day: Sunday 09-28 is work", "2025-09-27 12:00", 1, "2025-09-28 17:30"},
		{"2025 National Day: 10-01..08 off, Saturday 10-11 work", "2025-09-30 12:00", 3, "2025-10-11 17:30"},
		{"start on a holiday", "2026-10-03 10:00", 1, "2026-10-08 17:30"},
		{"start on a make-up day counts from the next day", "2026-09-20 09:00", 1, "2026-09-21 17:30"},
		{"start on a Saturday make-up day, Sunday off", "2026-10-10 09:00", 1, "2026-10-12 17:30"},
		{"start late at night", "2026-09-18 23:59:59.999999999", 1, "2026-09-20 17:30"},
		{"start after midnight belongs to the new day", "2026-09-20 00:00", 1, "2026-09-21 17:30"},
		{"start before office hours still counts from the next day", "2026-09-21 08:00", 1, "2026-09-22 17:30"},
		{"long count through Spring Festival 2026", "2026-02-01 10:00", 20, "2026-03-05 17:30"},
		{"2024-12-31 may start: only later dates are needed", "2024-12-31 20:00", 1, "2025-01-02 17:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.AddWorkingDays(at(t, tt.start), tt.n)
			if err != nil {
				t.Fatal(err)
			}
			wantTime(t, got, at(t, tt.want))
		})
	}
}

func TestAddWorkingDaysUsesCalendarZone(t *testing.T) {
	c := seedCalendar(t)
	// 2026-09-19T16:30Z is Sunday 09-20 00:30 in Shanghai, a make-up day, so
	// counting starts Monday; read in UTC it would be Saturday.
	got, err := c.AddWorkingDays(time.Date(2026, 9, 19, 16, 30, 0, 0, time.UTC), 1)
	if err != nil {
		t.Fatal(err)
	}
	wantTime(t, got, at(t, "2026-09-21 17:30"))
}

func TestAddWorkingDaysRejectsNonPositive(t *testing.T) {
	c := seedCalendar(t)
	for _, n := range []int{0, -1, -1 << 62} {
		if _, err := c.AddWorkingDays(at(t, "2026-09-18 10:00"), n); err == nil {
			t.Errorf("n = %d: no error", n)
		}
	}
}

func TestAddWorkingTimeExamples(t *testing.T) {
	c := seedCalendar(t)
	const day = 7 * time.Hour
	tests := []struct {
		name, start string
		d           time.Duration
		want        string
	}{
		{"forward lands on a span end", "2026-09-18 09:00", 3 * time.Hour, "2026-09-18 12:00"},
		{"one more nanosecond goes past lunch", "2026-09-18 09:00", 3*time.Hour + 1, "2026-09-18 13:30:00.000000001"},
		{"+0 at 12:00 stays", "2026-09-18 12:00", 0, "2026-09-18 12:00"},
		{"+0 at 17:30 stays", "2026-09-18 17:30", 0, "2026-09-18 17:30"},
		{"+0 outside office hours stays", "2026-09-18 20:00", 0, "2026-09-18 20:00"},
		{"from lunch", "2026-09-18 12:30", 30 * time.Minute, "2026-09-18 14:00"},
		{"+1 working day from Friday 17:30 is make-up Sunday 17:30", "2026-09-18 17:30", day, "2026-09-20 17:30"},
		{"+1ns from Friday 17:30", "2026-09-18 17:30", 1, "2026-09-20 09:00:00.000000001"},
		{"liaison 4 working hours over National Day", "2026-09-30 16:00", 4 * time.Hour, "2026-10-08 11:30"},
		{"across New Year into a make-up Sunday", "2025-12-31 17:00", time.Hour, "2026-01-04 09:30"},
		{"over Mid-Autumn", "2026-09-24 17:30", day, "2026-09-28 17:30"},
		{"warning instant: deadline - 1 working day is 09:00 the same day", "2026-09-22 17:30", -day, "2026-09-22 09:00"},
		{"backward lands on a span start", "2026-09-22 13:30", -3 * time.Hour, "2026-09-22 09:00"},
		{"backward one nanosecond more", "2026-09-22 13:30", -3*time.Hour - 1, "2026-09-21 17:29:59.999999999"},
		{"backward from 14:00 by 30m is 13:30, not 12:00", "2026-09-22 14:00", -30 * time.Minute, "2026-09-22 13:30"},
		{"backward from 09:00 by 1ns", "2026-09-22 09:00", -1, "2026-09-21 17:29:59.999999999"},
		{"backward over Spring Festival 2026", "2026-02-24 10:00", -2 * time.Hour, "2026-02-14 16:30"},
		{"backward across New Year", "2026-01-04 09:30", -time.Hour, "2025-12-31 17:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.AddWorkingTime(at(t, tt.start), tt.d)
			if err != nil {
				t.Fatal(err)
			}
			wantTime(t, got, at(t, tt.want))
		})
	}
}

func TestWorkingTimeBetweenExamples(t *testing.T) {
	c := seedCalendar(t)
	tests := []struct {
		name, a, b string
		want       time.Duration
	}{
		{"four working days incl. make-up Sunday", "2026-09-18 09:00", "2026-09-22 17:30", 28 * time.Hour},
		{"reversed is negative", "2026-09-22 17:30", "2026-09-18 09:00", -28 * time.Hour},
		{"lunch is not office time", "2026-09-18 12:00", "2026-09-18 13:30", 0},
		{"Mid-Autumn weekend", "2026-09-24 17:30", "2026-09-28 09:00", 0},
		{"across New Year", "2025-12-31 00:00", "2026-01-05 00:00", 14 * time.Hour},
		{"partial spans", "2026-09-21 11:00", "2026-09-21 14:00", 90 * time.Minute},
		{"empty interval", "2026-09-21 11:00", "2026-09-21 11:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.WorkingTimeBetween(at(t, tt.a), at(t, tt.b))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIsWorkingDayExamples(t *testing.T) {
	c := seedCalendar(t)
	tests := map[string]bool{
		"2025-01-01": false, "2025-01-26": true, "2025-01-28": false, "2025-02-08": true,
		"2025-10-08": false, "2025-10-11": true, "2026-01-02": false, "2026-01-04": true,
		"2026-02-23": false, "2026-02-28": true, "2026-09-18": true, "2026-09-19": false,
		"2026-09-20": true, "2026-10-07": false, "2026-10-08": true, "2026-12-31": true,
	}
	for s, want := range tests {
		got, err := c.IsWorkingDay(date(t, s))
		if err != nil || got != want {
			t.Errorf("IsWorkingDay(%s) = %v, %v; want %v", s, got, err, want)
		}
	}
}

func TestNew(t *testing.T) {
	ys := seedYears(t)
	if _, err := New("p", nil, nil, ys...); err == nil {
		t.Error("nil location accepted")
	}
	if _, err := New("p", shanghai, nil, ys[0], ys[1], ys[0]); err == nil {
		t.Error("duplicate year accepted")
	}
	bad := Year{Year: 2026, Off: dates(t, "2025-12-31")}
	if _, err := New("p", shanghai, nil, bad); err == nil {
		t.Error("invalid year accepted")
	}
	if _, err := New("p", shanghai, OfficeHours{{Start: 2, End: 1}}, ys...); err == nil {
		t.Error("invalid office hours accepted")
	}
	if _, err := New("p", shanghai, nil, Year{Year: 1800}, Year{Year: 2026}); err == nil {
		t.Error("a 227-year span accepted")
	}
}

func TestCalendarAccessors(t *testing.T) {
	ys := seedYears(t)
	hours := OfficeHours{{Start: 8 * time.Hour, End: 12 * time.Hour}}
	c, err := New("p1", shanghai, hours, ys[1], ys[0])
	if err != nil {
		t.Fatal(err)
	}
	hours[0].End = 9 * time.Hour
	ys[0].Off[0] = date(t, "2025-03-03")
	if c.Park() != "p1" || c.Location() != shanghai || c.WorkingDay() != 4*time.Hour {
		t.Errorf("Park, Location, WorkingDay = %q, %v, %v", c.Park(), c.Location(), c.WorkingDay())
	}
	if got := c.OfficeHours(); len(got) != 1 || got[0].End != 12*time.Hour {
		t.Errorf("OfficeHours = %v: caller's slice is shared", got)
	}
	if got := c.Years(); !slices.Equal(got, []int{2025, 2026}) {
		t.Errorf("Years = %v", got)
	}
	y, ok := c.Year(2025)
	if !ok || y.Off[0] != date(t, "2025-01-01") {
		t.Errorf("Year(2025) = %v, %v: want the year as given to New", y, ok)
	}
	y.Off[0] = date(t, "2025-03-03")
	if y2, _ := c.Year(2025); y2.Off[0] != date(t, "2025-01-01") {
		t.Error("Year returns shared slices")
	}
	if _, ok := c.Year(2027); ok {
		t.Error("Year(2027) is loaded")
	}
	if seedCalendar(t).WorkingDay() != 7*time.Hour {
		t.Error("default working day is not 7h")
	}
}

func TestWithYear(t *testing.T) {
	ys := seedYears(t)
	c, err := New("p", shanghai, nil, ys[0])
	if err != nil {
		t.Fatal(err)
	}
	c2, err := c.WithYear(ys[1])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Years(), []int{2025}) || !slices.Equal(c2.Years(), []int{2025, 2026}) {
		t.Fatalf("Years = %v and %v", c.Years(), c2.Years())
	}
	// Replace 2026 with a year that has no holidays: 10-01 becomes working.
	c3, err := c2.WithYear(Year{Year: 2026})
	if err != nil {
		t.Fatal(err)
	}
	d := date(t, "2026-10-01")
	if w, _ := c2.IsWorkingDay(d); w {
		t.Error("2026-10-01 is working in the seeds")
	}
	if w, _ := c3.IsWorkingDay(d); !w {
		t.Error("replaced 2026 still has 10-01 off")
	}
	if _, err := c.WithYear(Year{Year: 2026, Work: dates(t, "2026-10-01")}); err == nil {
		t.Error("WithYear accepted an invalid year")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := seedCalendar(t)
	start := at(t, "2025-03-03 10:00")
	want := make([]time.Time, 200)
	for i := range want {
		want[i], _ = c.AddWorkingTime(start.Add(time.Duration(i)*time.Hour), time.Duration(i)*time.Minute)
	}
	done := make(chan error, 4)
	for range 4 {
		go func() {
			for i := range want {
				got, err := c.AddWorkingTime(start.Add(time.Duration(i)*time.Hour), time.Duration(i)*time.Minute)
				if err != nil || !got.Equal(want[i]) {
					done <- fmt.Errorf("case %d: got %v, %v; want %v", i, got, err, want[i])
					return
				}
				if _, err := c.AddWorkingDays(got, 1+i%5); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
