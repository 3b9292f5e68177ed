package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// MaxJSONBody is the most DecodeJSON reads from a request body. Use
// LimitBody for a lower limit on a route.
const MaxJSONBody = 1 << 20

// JSONContentType is the media type of JSON responses.
const JSONContentType = "application/json; charset=utf-8"

// DecodeJSON decodes the request body, a single JSON value, into dst, which
// must be a non-nil pointer. Every failure the caller can fix is a fault
// error naming what is wrong: an empty or malformed body, trailing data, an
// unknown field, a value of the wrong type ("working_days: must be number")
// are ErrInvalid; a body over MaxJSONBody or over a LimitBody limit is
// ErrTooLarge.
func DecodeJSON(r *http.Request, dst any) error {
	if r.Body == nil {
		return fault.New(fault.ErrInvalid, "request body must not be empty")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxJSONBody))
	if err != nil {
		return decodeError(err)
	}
	// encoding/json would replace invalid UTF-8 with U+FFFD silently, and
	// PostgreSQL cannot store NUL in text (a 500 later): refuse both here.
	if !utf8.Valid(body) {
		return fault.New(fault.ErrInvalid, "request body is not valid UTF-8")
	}
	if hasNULEscape(body) {
		return fault.New(fault.ErrInvalid, `request body must not contain NUL characters (\u0000)`)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return fault.New(fault.ErrInvalid, "request body must contain a single JSON value")
	default:
		if tooLarge(err) {
			return decodeError(err)
		}
		return fault.New(fault.ErrInvalid, "request body must contain a single JSON value")
	}
}

// hasNULEscape reports whether b holds the JSON escape \u0000 (an
// unescaped NUL is already a syntax error): a "\u0000" preceded by an odd
// run of backslashes.
func hasNULEscape(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`u0000`))
		if j < 0 {
			j = bytes.Index(b[i:], []byte(`U0000`))
		} else if k := bytes.Index(b[i:], []byte(`U0000`)); k >= 0 && k < j {
			j = k
		}
		if j < 0 {
			return false
		}
		at := i + j
		n := 0
		for k := at - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = at + 5
	}
}

func decodeError(err error) error {
	var (
		syntaxErr  *json.SyntaxError
		typeErr    *json.UnmarshalTypeError
		invalidErr *json.InvalidUnmarshalError
	)
	switch {
	case tooLarge(err):
		return fault.Wrap(fault.ErrTooLarge, "request body is too large", err)
	case errors.Is(err, io.EOF):
		return fault.New(fault.ErrInvalid, "request body must not be empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.New(fault.ErrInvalid, "request body is malformed JSON: unexpected end")
	case errors.As(err, &syntaxErr):
		return fault.Newf(fault.ErrInvalid, "request body is malformed JSON at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return fault.Newf(fault.ErrInvalid, "request body must be %s", jsonKind(typeErr.Type))
		}
		return fault.Invalid(typeErr.Field, typeReason(typeErr))
	case errors.As(err, &invalidErr):
		return fmt.Errorf("decode json: %w", err)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fault.Invalid(strings.Trim(name, `"`), "unknown field")
	}
	if fault.KindOf(err) != nil {
		return err
	}
	return fault.Newf(fault.ErrInvalid, "request body has an invalid value: %v", err)
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func typeReason(e *json.UnmarshalTypeError) string {
	want := jsonKind(e.Type)
	if num, ok := strings.CutPrefix(e.Value, "number "); ok && want == "number" {
		f, err := strconv.ParseFloat(num, 64)
		if err == nil && isInteger(e.Type) && strings.ContainsAny(num, ".eE") && math.Abs(f) < math.MaxInt64 {
			return "must be an integer"
		}
		return "number out of range"
	}
	return "must be " + want
}

func isInteger(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

var textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a JSON value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "string"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "a JSON value"
}

// StatusCoder is implemented by responses that choose their own success
// status, e.g. 201 Created or 202 Accepted. go-kit's StatusCoder is the same
// interface.
type StatusCoder interface {
	// StatusCode returns the HTTP status to send.
	StatusCode() int
}

// EncodeJSON is a go-kit response encoder writing response as JSON with the
// status its StatusCoder gives (200 otherwise). A nil response, or status
// 204, sends no body. Encoding happens before anything is written, so an
// encoding error can still become a problem response.
func EncodeJSON(_ context.Context, w http.ResponseWriter, response any) error {
	status := http.StatusOK
	if sc, ok := response.(StatusCoder); ok {
		status = sc.StatusCode()
	}
	if response == nil || status == http.StatusNoContent {
		w.WriteHeader(status)
		return nil
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(response); err != nil {
		return fmt.Errorf("encode json response: %w", err)
	}
	w.Header().Set("Content-Type", JSONContentType)
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write json response: %w", err)
	}
	return nil
}
