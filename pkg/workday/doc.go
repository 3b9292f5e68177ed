// Package workday is a park's working-day calendar: which civil dates are
// working days, and exact arithmetic in working days and in office time.
//
// A working day is a Monday to Friday that the year's State Council notice
// does not list as off, or a weekend day it lists as a make-up working day
// (调休上班). A Calendar holds the years a park has loaded, its office hours
// and its time zone. Every computation that needs a date whose year is not
// loaded fails with a *YearNotLoadedError (errors.Is ErrYearNotLoaded); the
// package never guesses from weekdays alone. Loaded years need not be
// contiguous, but no computation crosses a year that is missing.
//
// # Office time
//
// Office hours are spans of wall-clock time of day, by default 09:00–12:00
// and 13:30–17:30. Think of a clock that runs only during office hours on
// working days. AddWorkingTime moves that clock; WorkingTimeBetween reads it
// between two instants, counting [a, b). The clock stands still outside
// office hours, so several instants share one reading (Friday 17:30 and
// Monday 09:00 for instance). AddWorkingTime resolves that choice the same
// way every time:
//
//   - forward (d > 0) it returns the earliest instant at which d of office
//     time has elapsed, so it lands on span ends, never on span starts:
//     +3h from 09:00 is 12:00 (not 13:30), +1 working day from Friday 17:30
//     is Monday 17:30;
//   - backward (d < 0) it returns the latest instant that lies |d| of office
//     time before start, so it lands on span starts: −1 working day from
//     Tuesday 17:30 is Tuesday 09:00 (not Monday 17:30);
//   - d == 0 returns start itself, even outside office hours.
//
// Consequently, for a < x, AddWorkingTime(a, WorkingTimeBetween(a, x)) == x
// whenever x lies on a working day within some span's (Start, End], and
// AddWorkingTime(x, -WorkingTimeBetween(a, x)) == a whenever a lies on a
// working day within some span's [Start, End).
//
// Instants are read on the calendar's wall clock (the local date and the
// time since local midnight as shown on the clock), and results are built
// from the wall clock with time.Date. In Asia/Shanghai, which has had no
// daylight saving since 1991, wall-clock and elapsed time agree.
//
// # Working days
//
// AddWorkingDays implements the rule for "N working days from acceptance":
// counting starts on the first working day after the local date of start,
// whatever its time of day, and the deadline is the end of office hours of
// the N-th working day. Accepted Friday 2026-09-18, N = 3: Sunday 09-20 is a
// make-up working day, so the deadline is 2026-09-22 17:30 +08:00.
//
// # Speed
//
// New precomputes, over the loaded days, a per-day kind, a prefix count of
// working days and the index of every working day. Office time per working
// day is constant, so every operation is a few array lookups and a time
// zone conversion: O(1), no allocation.
package workday
