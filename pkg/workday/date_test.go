package workday

import (
	"encoding/json"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseDate(t *testing.T) {
	good := []string{"2026-09-20", "0001-01-01", "9999-12-31", "2024-02-29", "2000-02-29", "1970-01-01"}
	for _, s := range good {
		d, err := ParseDate(s)
		if err != nil || d.String() != s {
			t.Errorf("ParseDate(%q) = %v, %v", s, d, err)
		}
	}
	bad := []string{"", "2026-9-20", "2026-09-20T00:00", "2026/09/20", "0000-01-01", "2026-00-10",
		"2026-13-01", "2026-02-29", "1900-02-29", "2026-04-31", "2026-09-00", "+026-09-20", "2026-0a-20", " 2026-09-2"}
	for _, s := range bad {
		if d, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", s, d)
		}
	}
}

func TestDateAgreesWithTime(t *testing.T) {
	for tm := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() < 2400; tm = tm.AddDate(0, 0, 1) {
		d := MakeDate(tm.Date())
		y, m, day := d.Date()
		if y != tm.Year() || m != tm.Month() || day != tm.Day() || d.Weekday() != tm.Weekday() {
			t.Fatalf("%s: Date() = %d-%d-%d, Weekday = %v", tm.Format(time.DateOnly), y, m, day, d.Weekday())
		}
		if d.String() != tm.Format(time.DateOnly) || !d.In(time.UTC).Equal(tm) {
			t.Fatalf("%s: String = %s, In = %v", tm.Format(time.DateOnly), d, d.In(time.UTC))
		}
	}
}

func TestDateHelpers(t *testing.T) {
	a, b := date(t, "2026-09-20"), date(t, "2026-10-08")
	if !a.Before(b) || a.After(b) || !b.After(a) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Error("comparisons are wrong")
	}
	if b.DaysSince(a) != 18 || a.AddDays(18) != b || b.AddDays(-18) != a {
		t.Error("day arithmetic is wrong")
	}
	if MakeDate(2026, 13, 1) != date(t, "2027-01-01") || MakeDate(2026, 3, 0) != date(t, "2026-02-28") {
		t.Error("MakeDate does not normalize")
	}
	if !(Date{}).IsZero() || (Date{}).String() != "0001-01-01" || a.IsZero() {
		t.Error("zero Date is not 0001-01-01")
	}
	if a.Weekday() != time.Sunday || a.Year() != 2026 {
		t.Errorf("Weekday, Year = %v, %d", a.Weekday(), a.Year())
	}
	if s := MakeDate(-1, 1, 1).String(); s != "-001-01-01" {
		t.Errorf("year -1 = %q", s)
	}
	if _, err := MakeDate(10000, 1, 1).MarshalText(); err == nil {
		t.Error("year 10000 marshals")
	}
}

func TestDateOf(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 9, 19, 15, 59, 59, 999999999, time.UTC), "2026-09-19"},
		{time.Date(2026, 9, 19, 16, 0, 0, 0, time.UTC), "2026-09-20"},
		{time.Date(2026, 9, 20, 0, 0, 0, 0, shanghai), "2026-09-20"},
		{time.Date(1969, 12, 31, 20, 0, 0, 0, time.UTC), "1970-01-01"},
		{time.Date(1969, 12, 31, 15, 59, 0, 0, time.UTC), "1969-12-31"},
	}
	for _, tt := range tests {
		if got := DateOf(tt.t, shanghai); got.String() != tt.want {
			t.Errorf("DateOf(%v) = %s, want %s", tt.t, got, tt.want)
		}
	}
}

func TestDateEncoding(t *testing.T) {
	type doc struct {
		D Date `json:"d" yaml:"d"`
	}
	in := doc{D: date(t, "2026-01-04")}
	js, err := json.Marshal(in)
	if err != nil || string(js) != `{"d":"2026-01-04"}` {
		t.Fatalf("JSON = %s, %v", js, err)
	}
	var back doc
	if err := json.Unmarshal(js, &back); err != nil || back != in {
		t.Fatalf("JSON read back %v, %v", back, err)
	}
	ym, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	back = doc{}
	if err := yaml.Unmarshal(ym, &back); err != nil || back != in {
		t.Fatalf("YAML %s read back %v, %v", ym, back, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-02-30"}`), &back); err == nil {
		t.Error("JSON accepted 2026-02-30")
	}
	if err := yaml.Unmarshal([]byte("d: 2026-02-30\n"), &back); err == nil {
		t.Error("YAML accepted 2026-02-30")
	}
}
