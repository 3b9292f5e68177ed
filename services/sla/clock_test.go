package sla_test

import (
	"errors"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/services/sla"
)

func started(t *testing.T, c sla.Clock, cal *workday.Calendar) sla.Clock {
	t.Helper()
	if c.Kind == "" {
		c.Kind = sla.KindResolution
	}
	c.ID, c.Park = "c-1", park
	if _, err := c.Start(cal); err != nil {
		t.Fatalf("start: %v", err)
	}
	return c
}

func TestDeadlineDerivation(t *testing.T) {
	cal := cnCalendar(t, park)
	tests := []struct {
		name                   string
		clock                  sla.Clock
		deadline, warn, legal  string
		pause, resume          string
		pauseReason            sla.PauseReason
		wantDeadlineAfterPause string
	}{
		{name: "make-up Sunday counts: Fri + 3 working days", clock: sla.Clock{StartedAt: at(t, "2026-09-18 10:00"), Budget: 3, LegalBudget: 20},
			deadline: "2026-09-22 17:30", warn: "2026-09-21 17:30", legal: "2026-10-22 17:30"},
		{name: "start outside office hours counts from the next working day", clock: sla.Clock{StartedAt: at(t, "2026-09-18 23:59"), Budget: 1},
			deadline: "2026-09-20 17:30", warn: "2026-09-20 16:06"},
		{name: "80% comes before the warn days on a long budget", clock: sla.Clock{StartedAt: at(t, "2026-03-02 10:00"), Budget: 10, WarnDays: 1},
			deadline: "2026-03-16 17:30", warn: "2026-03-12 17:30"},
		{name: "warn days come first when larger", clock: sla.Clock{StartedAt: at(t, "2026-03-02 10:00"), Budget: 10, WarnDays: 3},
			deadline: "2026-03-16 17:30", warn: "2026-03-11 17:30"},
		{name: "working hours from dispatch", clock: sla.Clock{Kind: sla.KindLiaisonResponse, StartedAt: at(t, "2026-03-02 16:00"), Budget: 4},
			deadline: "2026-03-03 11:30", warn: "2026-03-03 10:42"},
		{name: "correction across National Day moves the deadline by the paused office time",
			clock:    sla.Clock{StartedAt: at(t, "2026-09-21 10:00"), Budget: 10},
			deadline: "2026-10-12 17:30", warn: "2026-10-09 17:30",
			pause: "2026-09-30 15:00", resume: "2026-10-09 10:00", pauseReason: sla.PauseCorrection,
			wantDeadlineAfterPause: "2026-10-14 14:00"},
		{name: "a pause before counting starts only counts from the next working day",
			clock:    sla.Clock{StartedAt: at(t, "2026-03-02 10:00"), Budget: 2},
			deadline: "2026-03-04 17:30", warn: "2026-03-03 17:30",
			pause: "2026-03-02 11:00", resume: "2026-03-03 10:00", pauseReason: sla.PauseHearing,
			wantDeadlineAfterPause: "2026-03-05 10:00"},
		{name: "a pause after the deadline does not move it",
			clock:    sla.Clock{StartedAt: at(t, "2026-03-02 10:00"), Budget: 2},
			deadline: "2026-03-04 17:30", warn: "2026-03-03 17:30",
			pause: "2026-03-05 10:00", resume: "2026-03-06 10:00", pauseReason: sla.PauseTesting,
			wantDeadlineAfterPause: "2026-03-04 17:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := started(t, tt.clock, cal)
			if want := at(t, tt.deadline); !c.Deadline.Equal(want) {
				t.Errorf("deadline %v, want %v", c.Deadline.In(shanghai), want)
			}
			if want := at(t, tt.warn); !c.WarnAt.Equal(want) {
				t.Errorf("warn at %v, want %v", c.WarnAt.In(shanghai), want)
			}
			if tt.legal != "" && !c.LegalDeadline.Equal(at(t, tt.legal)) {
				t.Errorf("legal deadline %v, want %s", c.LegalDeadline.In(shanghai), tt.legal)
			}
			if !c.NextFireAt.Equal(c.WarnAt) || c.State != sla.StateGreen {
				t.Errorf("started clock: state %s, next fire %v; want green at the warning", c.State, c.NextFireAt)
			}
			if tt.pause == "" {
				return
			}
			if _, err := c.Pause(at(t, tt.pause), tt.pauseReason); err != nil {
				t.Fatal(err)
			}
			if !c.NextFireAt.IsZero() || !c.Paused() {
				t.Errorf("paused clock has next fire %v, paused %v", c.NextFireAt, c.Paused())
			}
			if _, err := c.Resume(at(t, tt.resume), cal); err != nil {
				t.Fatal(err)
			}
			if want := at(t, tt.wantDeadlineAfterPause); !c.Deadline.Equal(want) {
				t.Errorf("deadline after the pause %v, want %v", c.Deadline.In(shanghai), want)
			}
		})
	}
}

func TestPauseShiftEqualsPausedOfficeTime(t *testing.T) {
	cal := cnCalendar(t, park)
	c := started(t, sla.Clock{StartedAt: at(t, "2026-09-21 10:00"), Budget: 10}, cal)
	before := c.Deadline
	from, to := at(t, "2026-09-30 15:00"), at(t, "2026-10-09 10:00")
	paused, err := cal.WorkingTimeBetween(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if paused != 10*time.Hour+30*time.Minute {
		t.Fatalf("paused office time %v: 2.5h on 09-30, none over the holiday, 7h on 10-08 and 1h on 10-09", paused)
	}
	want, _ := cal.AddWorkingTime(before, paused)
	if _, err := c.Pause(from, sla.PauseCorrection); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resume(to, cal); err != nil {
		t.Fatal(err)
	}
	if !c.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want %v: moved by exactly the paused office time", c.Deadline, want)
	}
}

func TestFireWalksTheLadderInOrder(t *testing.T) {
	cal := cnCalendar(t, park)
	c := started(t, sla.Clock{StartedAt: at(t, "2026-03-02 10:00"), Budget: 3, HandlerID: "h-1", OfficerID: "o-1", Department: "建设局"}, cal)
	steps := []struct {
		now   string
		types []string
		state sla.State
		level int
		next  string
	}{
		{"2026-03-04 17:29", nil, sla.StateGreen, 0, "2026-03-04 17:30"},
		{"2026-03-04 17:30", []string{event.ClockWarned}, sla.StateYellow, 0, "2026-03-05 17:30"},
		{"2026-03-05 17:30", []string{event.ClockBreached, event.ClockEscalated}, sla.StateRed, 1, "2026-03-06 17:30"},
		{"2026-03-06 17:30", []string{event.ClockEscalated}, sla.StateRed, 2, "2026-03-10 17:30"},
		{"2026-03-10 17:30", []string{event.ClockEscalated}, sla.StateRed, 3, ""},
		{"2026-04-01 09:00", nil, sla.StateRed, 3, ""},
	}
	for _, s := range steps {
		chs := c.Fire(at(t, s.now), cal)
		var types []string
		for _, ch := range chs {
			types = append(types, ch.Type)
		}
		if !equal(types, s.types) || c.State != s.state || c.EscalationLevel != s.level {
			t.Fatalf("at %s: fired %v, state %s level %d; want %v, %s, %d", s.now, types, c.State, c.EscalationLevel, s.types, s.state, s.level)
		}
		if (s.next == "" && !c.NextFireAt.IsZero()) || (s.next != "" && !c.NextFireAt.Equal(at(t, s.next))) {
			t.Fatalf("at %s: next fire %v, want %q", s.now, c.NextFireAt.In(shanghai), s.next)
		}
	}
}

func TestLateFiringFiresEveryMissedStepOnceInOrder(t *testing.T) {
	cal := cnCalendar(t, park)
	c := started(t, sla.Clock{StartedAt: at(t, "2026-03-02 10:00"), Budget: 3}, cal)
	v0 := c.Version
	chs := c.Fire(at(t, "2026-03-07 12:00"), cal)
	var got []string
	for i, ch := range chs {
		got = append(got, ch.Type)
		if ch.Clock.Version != v0+int64(i)+1 {
			t.Errorf("change %d has version %d, want %d", i, ch.Clock.Version, v0+int64(i)+1)
		}
	}
	want := []string{event.ClockWarned, event.ClockBreached, event.ClockEscalated, event.ClockEscalated}
	if !equal(got, want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	if again := c.Fire(at(t, "2026-03-07 12:00"), cal); len(again) != 0 {
		t.Fatalf("fired again: %v", again)
	}
}

func TestStopExtendCancelReset(t *testing.T) {
	cal := cnCalendar(t, park)
	t.Run("on time, early, used days", func(t *testing.T) {
		c := started(t, sla.Clock{StartedAt: at(t, "2026-03-02 10:00"), Budget: 5}, cal)
		if _, err := c.Stop(at(t, "2026-03-04 12:00"), "approved", cal); err != nil {
			t.Fatal(err)
		}
		if c.State != sla.StateStopped || c.StoppedLate || !c.StoppedEarly || !c.NextFireAt.IsZero() {
			t.Fatalf("stopped clock %+v", c)
		}
		if want := 10.0 / 7; c.UsedDays < want-1e-9 || c.UsedDays > want+1e-9 {
			t.Fatalf("used %v working days, want 7h + 3h = %v", c.UsedDays, want)
		}
	})
	t.Run("late", func(t *testing.T) {
		c := started(t, sla.Clock{StartedAt: at(t, "2026-03-02 10:00"), Budget: 1}, cal)
		if _, err := c.Stop(at(t, "2026-03-04 09:30"), "approved", cal); err != nil {
			t.Fatal(err)
		}
		if !c.StoppedLate || c.StoppedEarly {
			t.Fatalf("late %v early %v", c.StoppedLate, c.StoppedEarly)
		}
	})
	t.Run("extension moves the deadline by working days", func(t *testing.T) {
		c := started(t, sla.Clock{StartedAt: at(t, "2026-09-18 10:00"), Budget: 3}, cal)
		chs, err := c.Extend(2, at(t, "2026-09-21 10:00"), cal)
		if err != nil || len(chs) != 1 || chs[0].Cause != sla.CauseExtension {
			t.Fatalf("extend: %v %+v", err, chs)
		}
		if want := at(t, "2026-09-24 17:30"); !c.Deadline.Equal(want) || !chs[0].PreviousDeadline.Equal(at(t, "2026-09-22 17:30")) {
			t.Fatalf("deadline %v (was %v), want %v", c.Deadline.In(shanghai), chs[0].PreviousDeadline, want)
		}
	})
	t.Run("cancel and reset", func(t *testing.T) {
		c := started(t, sla.Clock{Kind: sla.KindVisitCadence, StartedAt: at(t, "2026-03-02 10:00"), Budget: 2}, cal)
		c.Fire(at(t, "2026-03-05 09:00"), cal)
		if c.State != sla.StateRed {
			t.Fatalf("state %s, want red", c.State)
		}
		if _, err := c.Reset(at(t, "2026-03-05 10:00"), 0, cal); err != nil {
			t.Fatal(err)
		}
		if c.State != sla.StateGreen || c.EscalationLevel != 0 || !c.Deadline.Equal(at(t, "2026-03-09 17:30")) {
			t.Fatalf("reset clock: %s level %d deadline %v", c.State, c.EscalationLevel, c.Deadline.In(shanghai))
		}
		if chs := c.Cancel(at(t, "2026-03-06 10:00"), "withdrawn"); len(chs) != 1 || c.State != sla.StateCancelled {
			t.Fatalf("cancel: %v %s", chs, c.State)
		}
		if _, err := c.Pause(at(t, "2026-03-06 11:00"), sla.PauseHearing); !errors.Is(err, sla.ErrClosed) {
			t.Fatalf("pause of a cancelled clock: %v", err)
		}
	})
}

func TestRecomputeNeverTurnsBack(t *testing.T) {
	cal := cnCalendar(t, park)
	c := started(t, sla.Clock{StartedAt: at(t, "2026-03-02 10:00"), Budget: 3}, cal)
	c.Fire(at(t, "2026-03-05 10:00"), cal)
	y, _ := cal.Year(2026)
	y.Off = append(y.Off, workday.MakeDate(2026, 3, 4))
	changed, err := cal.WithYear(y)
	if err != nil {
		t.Fatal(err)
	}
	dirty, chs, err := c.Recompute(at(t, "2026-03-05 10:00"), changed)
	if err != nil || !dirty || len(chs) != 1 || chs[0].Cause != sla.CauseCalendar {
		t.Fatalf("recompute: %v %v %+v", err, dirty, chs)
	}
	if c.State != sla.StateYellow || !c.Deadline.Equal(at(t, "2026-03-06 17:30")) || !c.NextFireAt.Equal(c.Deadline) {
		t.Fatalf("state %s deadline %v next %v", c.State, c.Deadline.In(shanghai), c.NextFireAt)
	}
	if dirty, chs, _ := c.Recompute(at(t, "2026-03-05 10:00"), changed); dirty || len(chs) != 0 {
		t.Fatalf("second recompute changed %v %v", dirty, chs)
	}
}

func TestYearNotLoadedLeavesTheDeadlineUnknown(t *testing.T) {
	cal := cnCalendar(t, park)
	c := sla.Clock{ID: "c", Park: park, Kind: sla.KindResolution, StartedAt: at(t, "2026-12-20 10:00"), Budget: 20}
	_, err := c.Start(cal)
	if !errors.Is(err, workday.ErrYearNotLoaded) {
		t.Fatalf("start: %v, want ErrYearNotLoaded", err)
	}
	if !c.Deadline.IsZero() || !c.NextFireAt.IsZero() || c.State != sla.StateGreen {
		t.Fatalf("deadline %v next %v state %s", c.Deadline, c.NextFireAt, c.State)
	}
}

func TestNextOfficeInstant(t *testing.T) {
	cal := cnCalendar(t, park)
	for in, want := range map[string]string{
		"2026-03-03 10:00": "2026-03-03 10:00",
		"2026-03-03 12:30": "2026-03-03 13:30",
		"2026-03-03 17:30": "2026-03-04 09:00",
		"2026-03-04 00:00": "2026-03-04 09:00",
		"2026-03-06 18:00": "2026-03-09 09:00",
		"2026-09-30 17:30": "2026-10-08 09:00",
	} {
		got, err := sla.NextOfficeInstant(cal, at(t, in))
		if err != nil || !got.Equal(at(t, want)) {
			t.Errorf("NextOfficeInstant(%s) = %v, %v; want %s", in, got.In(shanghai), err, want)
		}
	}
}

func TestCardsAndRecipients(t *testing.T) {
	for k, want := range map[sla.Kind]string{
		sla.KindResolution: sla.CardRed, sla.KindAcceptance: sla.CardRed, sla.KindStage: sla.CardRed,
		sla.KindLiaisonResponse: sla.CardYellow, sla.KindSupplement: "",
	} {
		if got := sla.CardColour(k); got != want {
			t.Errorf("CardColour(%s) = %q, want %q", k, got, want)
		}
	}
	c := sla.Clock{Park: park, Department: "建设局", HandlerID: "h", OfficerID: "o"}
	for level, want := range map[int]string{1: "handler:h liaison:o", 2: "department_head:建设局", 3: "manager:" + park} {
		var got []string
		for _, r := range sla.Recipients(c, level) {
			got = append(got, r.String())
		}
		if s := join(got); s != want {
			t.Errorf("level %d notifies %q, want %q", level, s, want)
		}
	}
	if n := sla.NoticeNumber("督办", 2026, 7); n != "督办〔2026〕0007号" {
		t.Errorf("notice number %q", n)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
