package workday

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"gopkg.in/yaml.v3"
)

// expand returns every date of the inclusive ranges, given as pairs.
func expand(tb testing.TB, year int, pairs ...string) []Date {
	tb.Helper()
	var out []Date
	for i := 0; i < len(pairs); i += 2 {
		from := date(tb, pairs[i])
		to := date(tb, pairs[i+1])
		for d := from; !d.After(to); d = d.AddDays(1) {
			out = append(out, d)
		}
	}
	return out
}

func TestSeedsMatchReference(t *testing.T) {
	// Transcribed from shared/reference/holidays-cn.md.
	want := []Year{{
		Year: 2025,
		Off: expand(t, 2025, "2025-01-01", "2025-01-01", "2025-01-28", "2025-02-04",
			"2025-04-04", "2025-04-06", "2025-05-01", "2025-05-05", "2025-05-31", "2025-06-02",
			"2025-10-01", "2025-10-08"),
		Work: dates(t, "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"),
	}, {
		Year: 2026,
		Off: expand(t, 2026, "2026-01-01", "2026-01-03", "2026-02-15", "2026-02-23",
			"2026-04-04", "2026-04-06", "2026-05-01", "2026-05-05", "2026-06-19", "2026-06-21",
			"2026-09-25", "2026-09-27", "2026-10-01", "2026-10-07"),
		Work: dates(t, "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"),
	}}
	sources := []string{"国办发明电〔2024〕12号", "2025-11-04"}
	for i, got := range seedYears(t) {
		w := want[i]
		if got.Year != w.Year || !slices.Equal(got.Off, w.Off) || !slices.Equal(got.Work, w.Work) {
			t.Errorf("seed %d:\n got  %v\n want %v", w.Year, got, w)
		}
		if !strings.Contains(got.Source, sources[i]) || !strings.Contains(got.Source, "State Council") {
			t.Errorf("seed %d: source %q does not name the notice", w.Year, got.Source)
		}
	}
}

func TestYearValidate(t *testing.T) {
	tests := []struct {
		name string
		y    Year
		want []string
	}{
		{"valid", Year{Year: 2026, Off: dates(t, "2026-01-01", "2026-01-03"), Work: dates(t, "2026-01-04")}, nil},
		{"empty lists", Year{Year: 2026}, nil},
		{"year zero", Year{}, []string{"year: 0 is outside 1-9999"}},
		{"year 10000", Year{Year: 10000}, []string{"year: 10000 is outside 1-9999"}},
		{"off outside the year", Year{Year: 2026, Off: dates(t, "2026-01-01", "2025-12-31")},
			[]string{"off[1]: 2025-12-31 is not in year 2026"}},
		{"work outside the year", Year{Year: 2026, Work: dates(t, "2027-01-02")},
			[]string{"work[0]: 2027-01-02 is not in year 2026"}},
		{"off duplicate", Year{Year: 2026, Off: dates(t, "2026-01-01", "2026-01-02", "2026-01-01")},
			[]string{"off[2]: 2026-01-01 is already listed at off[0]"}},
		{"work duplicate", Year{Year: 2026, Work: dates(t, "2026-01-04", "2026-01-04")},
			[]string{"work[1]: 2026-01-04 is already listed at work[0]"}},
		{"both off and work", Year{Year: 2026, Off: dates(t, "2026-01-01", "2026-01-04"),
			Work: dates(t, "2026-02-14", "2026-02-28", "2026-01-04")},
			[]string{"work[2]: 2026-01-04 is also listed in off"}},
		{"work on a weekday", Year{Year: 2026, Work: dates(t, "2026-01-05")},
			[]string{"work[0]: 2026-01-05 is a Monday; only a Saturday or Sunday can be a make-up working day"}},
		{"every problem is reported", Year{Year: 2026, Off: dates(t, "2025-01-01", "2026-01-01", "2026-01-01"),
			Work: dates(t, "2026-01-01", "2026-01-07")},
			[]string{"off[0]: 2025-01-01 is not in year 2026", "off[2]: 2026-01-01 is already listed at off[1]",
				"work[0]: 2026-01-01 is also listed in off", "work[1]: 2026-01-07 is a Wednesday; only a Saturday or Sunday can be a make-up working day"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.y.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil")
			}
			if got, want := err.Error(), strings.Join(tt.want, "; "); got != want {
				t.Errorf("Error() = %q\nwant      %q", got, want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != len(tt.want) {
				t.Fatalf("not a *ValidationError with %d fields: %#v", len(tt.want), err)
			}
			field, _, _ := strings.Cut(tt.want[0], ": ")
			if ve.Fields[0].Field != field {
				t.Errorf("Fields[0].Field = %q, want %q", ve.Fields[0].Field, field)
			}
			var fv *fault.ValidationError
			if !errors.As(err, &fv) || !errors.Is(err, fault.ErrInvalid) || fv.Fields[0].Field != field {
				t.Errorf("not seen as a fault.ValidationError of kind ErrInvalid: %v", err)
			}
		})
	}
}

func TestParseYear(t *testing.T) {
	good := []struct{ name, doc string }{
		{"YAML with plain dates", "year: 2026\nsource: s\noff: [2026-01-01, 2026-01-02]\nwork:\n  - 2026-01-04\n"},
		{"YAML with quoted dates", "year: 2026\noff: ['2026-01-01', \"2026-01-02\"]\nwork: ['2026-01-04']\n"},
		{"JSON", `{"year":2026,"source":"s","off":["2026-01-01","2026-01-02"],"work":["2026-01-04"]}`},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			y, err := ParseYear([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if y.Year != 2026 || !slices.Equal(y.Off, dates(t, "2026-01-01", "2026-01-02")) ||
				!slices.Equal(y.Work, dates(t, "2026-01-04")) {
				t.Fatalf("got %+v", y)
			}
		})
	}
	bad := []struct{ name, doc, want string }{
		{"empty", "", "empty document"},
		{"unknown field", "year: 2026\nholidays: []\n", `unknown field "holidays"`},
		{"duplicate field", "year: 2026\nyear: 2025\n", "already defined"},
		{"not a mapping", "[2026]\n", "want a mapping"},
		{"impossible date", "year: 2026\noff: [2026-02-29]\n", `"2026-02-29" does not exist`},
		{"a number is not a date", "year: 2026\noff: [20260101]\n", "YYYY-MM-DD"},
		{"a map is not a date", "year: 2026\noff: [{a: 1}]\n", "not a YAML mapping"},
		{"a list is not a date", "year: 2026\noff: [[2026-01-01]]\n", "not a YAML sequence"},
		{"null is not a date", "year: 2026\noff: [2026-01-01, ~]\n", "off[1] is null"},
		{"aliases are read", "year: 2026\noff: &o [2026-01-01]\nwork: *o\n", "work[0]: 2026-01-01 is also listed in off"},
		{"two documents", "year: 2026\n---\nyear: 2025\n", "exactly one"},
		{"invalid year", "year: 2026\noff: [2026-01-04]\nwork: [2026-01-04]\n", "work[0]: 2026-01-04 is also listed in off"},
		{"no year", "off: [2026-01-04]\n", "year: 0 is outside"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseYear([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadYearFile(t *testing.T) {
	for _, y := range []int{2025, 2026} {
		got, err := LoadYearFile(filepath.Join(seedDir, "cn-"+time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006")+".yaml"))
		if err != nil || got.Year != y || len(got.Off) == 0 || len(got.Work) == 0 {
			t.Fatalf("LoadYearFile(%d) = %+v, %v", y, got, err)
		}
	}
	if _, err := LoadYearFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestYearEncodingRoundTrip(t *testing.T) {
	y := Year{Year: 2026, Source: "s", Off: dates(t, "2026-01-01"), Work: dates(t, "2026-01-04")}
	js, err := json.Marshal(y)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"year":2026,"source":"s","off":["2026-01-01"],"work":["2026-01-04"]}`; string(js) != want {
		t.Errorf("JSON = %s, want %s", js, want)
	}
	ym, err := yaml.Marshal(y)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range [][]byte{js, ym} {
		back, err := ParseYear(doc)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if back.Year != y.Year || back.Source != y.Source || !slices.Equal(back.Off, y.Off) || !slices.Equal(back.Work, y.Work) {
			t.Errorf("%s read back as %+v", doc, back)
		}
	}
}
