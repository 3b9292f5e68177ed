package fault

import (
	"fmt"
	"slices"
	"strings"
)

// FieldError names one field of a request and what is wrong with it.
type FieldError struct {
	// Field is the JSON name or dotted path of the field, e.g.
	// "materials.business_licence".
	Field string `json:"field"`
	// Reason says what is wrong, e.g. "required" or "must be number".
	Reason string `json:"reason"`
}

// ValidationError reports every offending field of a request at once.
type ValidationError struct {
	// Kind is ErrInvalid for malformed input or ErrUnprocessable for input
	// that breaks a business rule.
	Kind error
	// Fields lists the offending fields in the order they were found.
	Fields []FieldError
}

// Error returns the kind followed by "field: reason" pairs.
func (e *ValidationError) Error() string {
	kind := "invalid"
	if e.Kind != nil {
		kind = e.Kind.Error()
	}
	if len(e.Fields) == 0 {
		return kind
	}
	var b strings.Builder
	b.WriteString(kind)
	b.WriteString(": ")
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

// Unwrap returns the kind, so errors.Is(err, ErrInvalid) holds.
func (e *ValidationError) Unwrap() error { return e.Kind }

// Invalid reports one invalid field.
func Invalid(field, reason string) error {
	return &ValidationError{Kind: ErrInvalid, Fields: []FieldError{{Field: field, Reason: reason}}}
}

// Invalidf reports one invalid field with a formatted reason.
func Invalidf(field, format string, args ...any) error {
	return Invalid(field, fmt.Sprintf(format, args...))
}

// Fields reports several fields at once under kind, which defaults to
// ErrInvalid when nil. It always returns a non-nil error; use Violations to
// collect fields and get nil when there are none.
func Fields(kind error, fields ...FieldError) error {
	if kind == nil {
		kind = ErrInvalid
	}
	return &ValidationError{Kind: kind, Fields: slices.Clone(fields)}
}

// Violations collects field errors while a request is validated. The zero
// value is ready to use.
type Violations []FieldError

// Add records that field is wrong for reason.
func (v *Violations) Add(field, reason string) {
	*v = append(*v, FieldError{Field: field, Reason: reason})
}

// Addf records that field is wrong for a formatted reason.
func (v *Violations) Addf(field, format string, args ...any) {
	v.Add(field, fmt.Sprintf(format, args...))
}

// Err returns nil when nothing was recorded, else a ValidationError of kind
// (ErrInvalid when nil) listing every recorded field.
func (v Violations) Err(kind error) error {
	if len(v) == 0 {
		return nil
	}
	return Fields(kind, v...)
}
