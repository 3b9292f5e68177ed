package calendar_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

func TestPutYearValidationNamesTheFieldAndWritesNothing(t *testing.T) {
	e := newEnv(t, nil)
	before := load(t, e.Store, "wangcheng")
	tests := []struct {
		name, year, body string
		want             []string
	}{
		{"work date also off", "2027", `{"source":"s","off":["2027-01-01","2027-02-06"],"work":["2027-02-06"]}`, []string{"work[0]"}},
		{"third work date on a Monday", "2027", `{"source":"s","work":["2027-01-02","2027-01-03","2027-01-04"]}`, []string{"work[2]"}},
		{"off date in another year", "2027", `{"source":"s","off":["2026-12-31"]}`, []string{"off[0]"}},
		{"duplicate off date", "2027", `{"source":"s","off":["2027-01-01","2027-01-01"]}`, []string{"off[1]"}},
		{"date that does not exist", "2027", `{"source":"s","off":["2027-01-01","2027-02-30"]}`, []string{"off[1]"}},
		{"null date", "2027", `{"source":"s","off":[null]}`, []string{"off[0]"}},
		{"body year differs from path", "2027", `{"year":2026,"source":"s","off":["2027-01-01"]}`, []string{"year"}},
		{"path year not a number", "20x7", `{"source":"s"}`, []string{"year"}},
		{"path year out of range", "1066", `{"source":"s"}`, []string{"year"}},
		{"source missing", "2027", `{"off":["2027-01-01"]}`, []string{"source"}},
		{"source with a control character", "2027", `{"source":"a\u0007b"}`, []string{"source"}},
		{"several problems at once", "2027", `{"source":"","off":["2026-05-01"],"work":["2027-01-05"]}`, []string{"off[0]", "source", "work[0]"}},
		{"unknown field", "2027", `{"source":"s","holidays":[]}`, []string{"holidays"}},
		{"off is not a list", "2027", `{"source":"s","off":"2027-01-01"}`, []string{"off"}},
		{"malformed JSON", "2027", `{"source":`, nil},
		{"empty body", "2027", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := problem(t, e.do(t, &manager, "PUT", "/v1/calendars/wangcheng/"+tt.year, tt.body), 400)
			got := fieldNames(p)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("fields = %v, want %v (%s)", got, tt.want, p.Detail)
			}
		})
	}
	after := load(t, e.Store, "wangcheng")
	if after.Revision != before.Revision || !slices.Equal(yearsOf(after), []int{2025, 2026}) {
		t.Errorf("rejected PUTs wrote: revision %d → %d, years %v", before.Revision, after.Revision, yearsOf(after))
	}
}

func TestPutYear2027ThenDueInto2027(t *testing.T) {
	e := newEnv(t, nil)
	due := dueURL("wangcheng", "start", "2026-12-30T10:00:00+08:00", "working_days", "5")
	problem(t, e.do(t, &manager, "GET", due, ""), 422)

	rec := e.do(t, &manager, "PUT", "/v1/calendars/wangcheng/2027", body2027)
	if rec.Code != 200 {
		t.Fatalf("PUT status %d: %s", rec.Code, rec.Body)
	}
	v := decode[calendar.View](t, rec)
	if !slices.Equal(v.LoadedYears, []int{2025, 2026, 2027}) {
		t.Fatalf("loaded years = %v", v.LoadedYears)
	}
	y := v.Years[2]
	if got := strings.Join([]string{y.Off[0].String(), y.Off[1].String(), y.Off[2].String()}, ","); got != "2027-01-01,2027-02-05,2027-02-06" {
		t.Errorf("off = %s, want sorted", got)
	}
	if y.Version != 1 || y.UpdatedBy != manager.Subject {
		t.Errorf("2027 version %d by %q", y.Version, y.UpdatedBy)
	}

	rec = e.do(t, &manager, "GET", due, "")
	if rec.Code != 200 {
		t.Fatalf("due status %d: %s", rec.Code, rec.Body)
	}
	d := decode[calendar.Due](t, rec)
	if got := d.Deadline.Format("2006-01-02T15:04:05Z07:00"); got != "2027-01-07T17:30:00+08:00" || !slices.Equal(d.CalendarYears, []int{2026, 2027}) {
		t.Errorf("deadline %s with years %v, want 2027-01-07T17:30:00+08:00 with [2026 2027]", got, d.CalendarYears)
	}
}

func TestPutYearIsIdempotent(t *testing.T) {
	e := newEnv(t, nil)
	steps := []struct {
		name, body            string
		wantVersion, wantRevs int64
	}{
		{"first PUT", body2027, 1, 1},
		{"same body again", body2027, 1, 1},
		{"same dates in another order, body year given", `{"year":2027,"source":"test notice for 2027","off":["2027-02-06","2027-02-05","2027-01-01"],"work":["2027-02-13"]}`, 1, 1},
		{"a date removed", `{"source":"test notice for 2027","off":["2027-01-01"],"work":["2027-02-13"]}`, 2, 2},
		{"source changed", `{"source":"corrected notice","off":["2027-01-01"],"work":["2027-02-13"]}`, 3, 3},
		{"corrected body again", `{"source":"corrected notice","off":["2027-01-01"],"work":["2027-02-13"]}`, 3, 3},
	}
	base := load(t, e.Store, "wangcheng").Revision
	for _, s := range steps {
		rec := e.do(t, &admin, "PUT", "/v1/calendars/wangcheng/2027", s.body)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d: %s", s.name, rec.Code, rec.Body)
		}
		v := decode[calendar.View](t, rec)
		if v.Years[2].Version != s.wantVersion || v.Revision != base+s.wantRevs {
			t.Errorf("%s: version %d, revision %d; want %d, %d", s.name, v.Years[2].Version, v.Revision, s.wantVersion, base+s.wantRevs)
		}
	}
}
