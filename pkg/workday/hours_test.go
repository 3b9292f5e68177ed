package workday

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

func TestOfficeHoursValidate(t *testing.T) {
	tests := []struct {
		name string
		h    OfficeHours
		want string
	}{
		{"default", DefaultOfficeHours, ""},
		{"touching spans", OfficeHours{{hm(0, 0), hm(12, 0)}, {hm(12, 0), hm(24, 0)}}, ""},
		{"no spans", OfficeHours{}, "hours: no spans; want at least one, e.g. 09:00-12:00"},
		{"empty span", OfficeHours{{hm(9, 0), hm(9, 0)}}, "hours[0]: 09:00-09:00 is empty: start must be before end"},
		{"reversed span", OfficeHours{{hm(12, 0), hm(9, 0)}}, "hours[0]: 12:00-09:00 is empty: start must be before end"},
		{"past midnight", OfficeHours{{hm(22, 0), hm(24, 1)}}, "hours[0]: 22:00-24:01 is outside 00:00-24:00"},
		{"negative", OfficeHours{{-time.Minute, hm(1, 0)}}, "hours[0]: -00:01-01:00 is outside 00:00-24:00"},
		{"fractional second", OfficeHours{{hm(9, 0) + time.Millisecond, hm(10, 0)}},
			"hours[0]: 09:00:00.001000000-10:00 is not in whole seconds"},
		{"overlap", OfficeHours{{hm(9, 0), hm(12, 0)}, {hm(11, 0), hm(13, 0)}},
			"hours[1]: 11:00-13:00 starts before hours[0] 09:00-12:00 ends"},
		{"unsorted", OfficeHours{{hm(13, 30), hm(17, 30)}, {hm(9, 0), hm(12, 0)}},
			"hours[1]: 09:00-12:00 starts before hours[0] 13:30-17:30 ends"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *ValidationError
			if err == nil || err.Error() != tt.want || !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v\nwant %s", err, tt.want)
			}
			if field, _, _ := strings.Cut(tt.want, ": "); ve.Fields[0].Field != field {
				t.Errorf("field = %q, want %q", ve.Fields[0].Field, field)
			}
		})
	}
}

func TestNewRejectsBadHours(t *testing.T) {
	_, err := New("p", shanghai, OfficeHours{{hm(9, 0), hm(12, 0)}, {hm(11, 0), hm(13, 0)}}, seedYears(t)...)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != "hours[1]" {
		t.Fatalf("err = %v, want a *ValidationError naming hours[1]", err)
	}
}

func TestOfficeHoursDurationAndText(t *testing.T) {
	if got := DefaultOfficeHours.Duration(); got != 7*time.Hour {
		t.Errorf("Duration = %v", got)
	}
	if got := DefaultOfficeHours.String(); got != "09:00-12:00,13:30-17:30" {
		t.Errorf("String = %q", got)
	}
	js, err := json.Marshal(DefaultOfficeHours)
	if err != nil || string(js) != `["09:00-12:00","13:30-17:30"]` {
		t.Fatalf("JSON = %s, %v", js, err)
	}
	var back OfficeHours
	if err := json.Unmarshal([]byte(`["08:00:30-12:00","13:00-24:00"]`), &back); err != nil {
		t.Fatal(err)
	}
	want := OfficeHours{{hm(8, 0) + 30*time.Second, hm(12, 0)}, {hm(13, 0), hm(24, 0)}}
	if len(back) != 2 || back[0] != want[0] || back[1] != want[1] {
		t.Errorf("read %v, want %v", back, want)
	}
	for _, bad := range []string{"9:00-12:00", "09:00", "09:00-24:01", "25:00-26:00", "09:60-10:00", "09:00-10:00:0x", "09-00-10:00"} {
		var s Span
		if err := s.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q parsed as %v", bad, s)
		}
	}
}
