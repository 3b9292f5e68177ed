package workday

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// ErrYearNotLoaded is matched, with errors.Is, by every error that reports
// a computation needing a date in a year the calendar has not loaded.
var ErrYearNotLoaded = errors.New("workday: calendar year not loaded")

// YearNotLoadedError reports the first year, in the direction of the
// computation, that a computation needed and the park's calendar lacks.
type YearNotLoadedError struct {
	// Park is the park whose calendar was asked.
	Park string
	// Year is the missing year.
	Year int
}

// Error names the park and the missing year.
func (e *YearNotLoadedError) Error() string {
	return fmt.Sprintf("workday: park %q: calendar year %d is not loaded", e.Park, e.Year)
}

// Is reports whether target is ErrYearNotLoaded.
func (e *YearNotLoadedError) Is(target error) bool { return target == ErrYearNotLoaded }

// ValidationError reports every offending field of a Year or of
// OfficeHours, in the order found. Field names follow the YAML and JSON
// names: "year", "off[3]", "work[2]", "hours[1]".
type ValidationError struct {
	// Fields lists the problems, e.g. {"work[2]", "2026-01-04 is also listed in off"}.
	Fields []fault.FieldError
}

// Error returns the problems as "field: reason", separated by "; ".
func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Reason)
	}
	return b.String()
}

// Unwrap returns the same fields as a *fault.ValidationError of kind
// fault.ErrInvalid, so the transport maps the error and names the fields
// like any other invalid request.
func (e *ValidationError) Unwrap() error {
	return &fault.ValidationError{Kind: fault.ErrInvalid, Fields: e.Fields}
}

// problems collects field errors; err returns nil when there are none.
type problems []fault.FieldError

func (p *problems) addf(field, format string, args ...any) {
	*p = append(*p, fault.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Fields: p}
}
