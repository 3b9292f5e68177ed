package liaison

import (
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"2026-03-02", "2026-03-02T08:30:00+08:00", "2026-02-30", "", "02/03/2026", " 2026-03-02 ", "9999-12-31T23:59:59Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseWhen(s)
		if !ok {
			if !got.IsZero() {
				t.Fatalf("%q: refused but gave %v", s, got)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("%q: %v is not UTC", s, got)
		}
		if d := strings.TrimSpace(s); len(d) == len(time.DateOnly) {
			if h, m, _ := got.In(shanghai).Clock(); h != 0 || m != 0 || got.In(shanghai).Format(time.DateOnly) != d {
				t.Fatalf("%q: a date is the start of that day in Shanghai, got %v", s, got.In(shanghai))
			}
		}
	})
}

func FuzzValidateIndustries(f *testing.F) {
	for _, s := range []string{"C39", "c3911", "制造", "", "Z99", "C12345", "A,B"} {
		f.Add(s, "I65")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var v fault.Violations
		out := validateIndustries(&v, "industries", []string{a, b, a})
		if len(out) > 2 {
			t.Fatalf("duplicates kept: %v", out)
		}
		for _, s := range out {
			if !industryCode.MatchString(s) && v.Err(nil) == nil {
				t.Fatalf("%q accepted", s)
			}
			if industryCode.MatchString(s) && !expert([]string{s}, s+"1") {
				t.Fatalf("%q does not cover its own sub-codes", s)
			}
		}
	})
}
