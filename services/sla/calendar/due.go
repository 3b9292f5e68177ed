package calendar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Bounds of a deadline request; anything longer is surely a mistake.
const (
	MaxWorkingDays  = 1000
	MaxWorkingHours = 10000
)

// The rules a Due applies.
const (
	// RuleWorkingDays: counting starts on the first working day after the
	// local date of start, whatever its time of day; the deadline is the end
	// of office hours of the N-th working day.
	RuleWorkingDays = "working_days"
	// RuleWorkingHours: N hours of office time on working days, counted from
	// start; the deadline is the earliest instant they have elapsed.
	RuleWorkingHours = "working_hours"
)

// Due is a deadline (预计办结时间) and how it was reached.
type Due struct {
	// Park is the park whose calendar was used.
	Park string `json:"park"`
	// Start is the instant counted from, on the park's wall clock.
	Start time.Time `json:"start"`
	// Deadline is the answer, on the park's wall clock (RFC 3339, e.g.
	// 2026-09-22T17:30:00+08:00 in Asia/Shanghai).
	Deadline time.Time `json:"deadline"`
	// WorkingDays is the request's N working days, or 0.
	WorkingDays int `json:"working_days,omitempty"`
	// WorkingHours is the request's N working hours, or 0.
	WorkingHours int `json:"working_hours,omitempty"`
	// Rule is RuleWorkingDays or RuleWorkingHours.
	Rule string `json:"rule"`
	// Explanation states the rule for this request in words.
	Explanation string `json:"explanation"`
	// CalendarYears are the calendar years the computation read.
	CalendarYears []int `json:"calendar_years"`
	// Timezone is the IANA zone of the park's wall clock.
	Timezone string `json:"timezone"`
	// OfficeHours are the park's office hours.
	OfficeHours workday.OfficeHours `json:"office_hours"`
}

func (s *service) Due(ctx context.Context, park string, start time.Time, workingDays, workingHours int) (Due, error) {
	if _, err := authorize(ctx, park); err != nil {
		return Due{}, err
	}
	if err := validateDue(start, workingDays, workingHours); err != nil {
		return Due{}, err
	}
	cal, err := s.cache.ForPark(ctx, park)
	if err != nil {
		return Due{}, err
	}
	return dueOn(cal, start, workingDays, workingHours)
}

func validateDue(start time.Time, workingDays, workingHours int) error {
	var v fault.Violations
	if start.IsZero() {
		v.Add("start", "required")
	}
	switch {
	case workingDays < 0:
		v.Add("working_days", "must be greater than 0")
	case workingDays > MaxWorkingDays:
		v.Addf("working_days", "at most %d", MaxWorkingDays)
	}
	switch {
	case workingHours < 0:
		v.Add("working_hours", "must be greater than 0")
	case workingHours > MaxWorkingHours:
		v.Addf("working_hours", "at most %d", MaxWorkingHours)
	}
	switch {
	case workingDays > 0 && workingHours > 0:
		v.Add("working_hours", "give either working_days or working_hours, not both")
	case workingDays == 0 && workingHours == 0:
		v.Add("working_days", "give working_days or working_hours, greater than 0")
	}
	return v.Err(fault.ErrInvalid)
}

// dueOn computes the deadline on cal; a year the calendar lacks is a
// fault.ErrUnprocessable error naming it, never a guess from weekdays.
func dueOn(cal *workday.Calendar, start time.Time, workingDays, workingHours int) (Due, error) {
	loc := cal.Location()
	start = start.In(loc)
	d := Due{
		Park:         cal.Park(),
		Start:        start,
		WorkingDays:  workingDays,
		WorkingHours: workingHours,
		Timezone:     loc.String(),
		OfficeHours:  cal.OfficeHours(),
	}
	startDate := workday.DateOf(start, loc)
	first := startDate
	var err error
	if workingDays > 0 {
		d.Rule = RuleWorkingDays
		d.Explanation = fmt.Sprintf("%d working days: counting starts on the first working day after %s; "+
			"the deadline is the end of office hours of working day %d", workingDays, startDate, workingDays)
		first = startDate.AddDays(1)
		d.Deadline, err = cal.AddWorkingDays(start, workingDays)
	} else {
		d.Rule = RuleWorkingHours
		d.Explanation = fmt.Sprintf("%d working hours: office time (%s) on working days, counted from start",
			workingHours, cal.OfficeHours())
		d.Deadline, err = cal.AddWorkingTime(start, time.Duration(workingHours)*time.Hour)
	}
	if err != nil {
		var nl *workday.YearNotLoadedError
		if errors.As(err, &nl) {
			return Due{}, fault.Wrap(fault.ErrUnprocessable, fmt.Sprintf(
				"calendar year %d is not loaded for park %s: the deadline reaches into %d; load that year's calendar first",
				nl.Year, cal.Park(), nl.Year), err)
		}
		return Due{}, fmt.Errorf("due for park %s: %w", cal.Park(), err)
	}
	d.Deadline = d.Deadline.In(loc)
	for y := first.Year(); y <= workday.DateOf(d.Deadline, loc).Year(); y++ {
		d.CalendarYears = append(d.CalendarYears, y)
	}
	return d, nil
}
