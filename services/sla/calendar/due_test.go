package calendar_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

func dueURL(park string, params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Add(params[i], params[i+1])
	}
	return "/v1/calendars/" + park + "/due?" + q.Encode()
}

func TestDueOverHTTP(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, park, start, param, n string
		want, rule                  string
	}{
		{"Sunday 09-20 is a make-up working day", "wangcheng", "2026-09-18T10:00:00+08:00", "working_days", "3",
			"2026-09-22T17:30:00+08:00", calendar.RuleWorkingDays},
		{"Mid-Autumn holiday skipped", "wangcheng", "2026-09-23T15:00:00+08:00", "working_days", "3",
			"2026-09-29T17:30:00+08:00", calendar.RuleWorkingDays},
		{"National Day holiday skipped", "wangcheng", "2026-09-29T09:30:00+08:00", "working_days", "3",
			"2026-10-09T17:30:00+08:00", calendar.RuleWorkingDays},
		{"start given in UTC", "changsha-hitech", "2026-09-18T02:00:00Z", "working_days", "3",
			"2026-09-22T17:30:00+08:00", calendar.RuleWorkingDays},
		{"working hours across National Day", "wangcheng", "2026-09-30T16:00:00+08:00", "working_hours", "3",
			"2026-10-08T10:30:00+08:00", calendar.RuleWorkingHours},
		{"working hours with the park's own office hours", "changsha-etdz", "2026-09-18T11:00:00+08:00", "working_hours", "2",
			"2026-09-18T15:00:00+08:00", calendar.RuleWorkingHours},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(t, &admin, "GET", dueURL(tt.park, "start", tt.start, tt.param, tt.n), "")
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if want := `"deadline":"` + tt.want + `"`; !strings.Contains(rec.Body.String(), want) {
				t.Errorf("body lacks %s: %s", want, rec.Body)
			}
			d := decode[calendar.Due](t, rec)
			if d.Rule != tt.rule || !slices.Equal(d.CalendarYears, []int{2026}) || d.Park != tt.park || d.Timezone != "Asia/Shanghai" {
				t.Errorf("due = %+v, want rule %s, years [2026]", d, tt.rule)
			}
		})
	}
}

func TestDueIntoUnloadedYearIs422NamingTheYear(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct{ name, start, param, n, year string }{
		{"working days into 2027", "2026-12-30T10:00:00+08:00", "working_days", "5", "2027"},
		{"working hours into 2027", "2026-12-31T09:00:00+08:00", "working_hours", "8", "2027"},
		{"start in a year not loaded", "2024-12-31T10:00:00+08:00", "working_hours", "1", "2024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(t, &enterprise, "GET", dueURL("wangcheng", "start", tt.start, tt.param, tt.n), "")
			p := problem(t, rec, 422)
			if !strings.Contains(p.Detail, "calendar year "+tt.year+" is not loaded") {
				t.Errorf("detail %q does not name year %s", p.Detail, tt.year)
			}
		})
	}
}

func TestDueQueryErrorsName400Parameter(t *testing.T) {
	e := newEnv(t, nil)
	const start = "2026-09-18T10:00:00+08:00"
	tests := []struct {
		name, query string
		want        []string
	}{
		{"missing start", "working_days=3", []string{"start"}},
		{"start not RFC 3339", "start=2026-09-18&working_days=3", []string{"start"}},
		{"neither days nor hours", "start=" + url.QueryEscape(start), []string{"working_days"}},
		{"both days and hours", "start=" + url.QueryEscape(start) + "&working_days=1&working_hours=2", []string{"working_hours"}},
		{"days not a number", "start=" + url.QueryEscape(start) + "&working_days=three", []string{"working_days"}},
		{"negative hours", "start=" + url.QueryEscape(start) + "&working_hours=-2", []string{"working_hours"}},
		{"too many days", "start=" + url.QueryEscape(start) + "&working_days=100000", []string{"working_days"}},
		{"unknown parameter", "start=" + url.QueryEscape(start) + "&working_days=1&days=1", []string{"days"}},
		{"repeated parameter", "start=" + url.QueryEscape(start) + "&working_days=1&working_days=2", []string{"working_days"}},
		{"malformed query", "start=%zz&working_days=1", []string{"query"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := problem(t, e.do(t, &manager, "GET", "/v1/calendars/wangcheng/due?"+tt.query, ""), 400)
			if got := fieldNames(p); !slices.Equal(got, tt.want) {
				t.Errorf("fields = %v, want %v (%s)", got, tt.want, p.Detail)
			}
		})
	}
}

func TestDueAcceptsUnencodedPlusInStart(t *testing.T) {
	e := newEnv(t, nil)
	rec := e.do(t, &manager, "GET", "/v1/calendars/wangcheng/due?start=2026-09-18T10:00:00+08:00&working_days=3", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"deadline":"2026-09-22T17:30:00+08:00"`) {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestDueUnknownParkIs404(t *testing.T) {
	e := newEnv(t, nil)
	problem(t, e.do(t, &admin, "GET", dueURL("atlantis", "start", "2026-09-18T10:00:00+08:00", "working_days", "1"), ""), 404)
}
