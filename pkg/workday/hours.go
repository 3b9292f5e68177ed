package workday

import (
	"fmt"
	"strings"
	"time"
)

// Span is a part of the office day, from Start to End, both measured on the
// wall clock from local midnight; End is exclusive and may be 24h.
type Span struct {
	// Start is when the span begins, e.g. 9*time.Hour for 09:00.
	Start time.Duration
	// End is when the span ends, e.g. 12*time.Hour for 12:00.
	End time.Duration
}

// OfficeHours are the spans of a working day during which office time runs.
type OfficeHours []Span

// DefaultOfficeHours are 09:00–12:00 and 13:30–17:30: 7 hours a day.
var DefaultOfficeHours = OfficeHours{
	{Start: 9 * time.Hour, End: 12 * time.Hour},
	{Start: 13*time.Hour + 30*time.Minute, End: 17*time.Hour + 30*time.Minute},
}

// Validate reports, as a *ValidationError naming each span "hours[i]", no
// spans at all, a span that is empty, reversed, outside 00:00–24:00 or not
// in whole seconds, and a span that starts before the previous one ends.
// Spans may touch.
func (h OfficeHours) Validate() error {
	var p problems
	if len(h) == 0 {
		p.addf("hours", "no spans; want at least one, e.g. 09:00-12:00")
	}
	for i, s := range h {
		field := fmt.Sprintf("hours[%d]", i)
		switch {
		case s.Start < 0 || s.End > 24*time.Hour:
			p.addf(field, "%s is outside 00:00-24:00", s)
		case s.Start >= s.End:
			p.addf(field, "%s is empty: start must be before end", s)
		case s.Start%time.Second != 0 || s.End%time.Second != 0:
			p.addf(field, "%s is not in whole seconds", s)
		case i > 0 && s.Start < h[i-1].End:
			p.addf(field, "%s starts before hours[%d] %s ends", s, i-1, h[i-1])
		}
	}
	return p.err()
}

// Duration returns the total length of the spans.
func (h OfficeHours) Duration() time.Duration {
	var d time.Duration
	for _, s := range h {
		d += s.End - s.Start
	}
	return d
}

// String returns the spans as "09:00-12:00,13:30-17:30".
func (h OfficeHours) String() string {
	parts := make([]string, len(h))
	for i, s := range h {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}

// String returns s as "HH:MM-HH:MM", with seconds when they are not zero.
func (s Span) String() string { return clock(s.Start) + "-" + clock(s.End) }

func clock(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h, m, sec := int64(d/time.Hour), int64(d/time.Minute%60), d%time.Minute
	if sec == 0 {
		return fmt.Sprintf("%s%02d:%02d", sign, h, m)
	}
	if sec%time.Second == 0 {
		return fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, int64(sec/time.Second))
	}
	return fmt.Sprintf("%s%02d:%02d:%012.9f", sign, h, m, sec.Seconds())
}

// MarshalText returns s as String does. JSON and YAML encode a Span as this
// string.
func (s Span) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses "HH:MM-HH:MM" or "HH:MM:SS-HH:MM:SS" (24:00 allowed).
// It does not validate the span; OfficeHours.Validate does.
func (s *Span) UnmarshalText(text []byte) error {
	start, end, ok := strings.Cut(string(text), "-")
	a, okA := parseClock(start)
	b, okB := parseClock(end)
	if !ok || !okA || !okB {
		return fmt.Errorf("workday: span %q: want HH:MM-HH:MM", text)
	}
	s.Start, s.End = a, b
	return nil
}

func parseClock(s string) (time.Duration, bool) {
	if len(s) != 5 && len(s) != 8 {
		return 0, false
	}
	h, ok1 := digits(s[0:2])
	m, ok2 := digits(s[3:5])
	sec, ok3 := 0, true
	if len(s) == 8 {
		sec, ok3 = digits(s[6:8])
		ok3 = ok3 && s[5] == ':'
	}
	if !ok1 || !ok2 || !ok3 || s[2] != ':' || h > 24 || m > 59 || sec > 59 {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second
	return d, d <= 24*time.Hour
}
