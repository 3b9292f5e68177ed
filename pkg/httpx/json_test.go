package httpx_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
)

type uscc string

func (u *uscc) UnmarshalJSON(b []byte) error {
	if len(b) != 20 {
		return fault.Invalid("uscc", "must be 18 characters")
	}
	*u = uscc(b[1 : len(b)-1])
	return nil
}

type matterRequest struct {
	Name        string    `json:"name"`
	WorkingDays int       `json:"working_days"`
	Online      bool      `json:"online"`
	Materials   []string  `json:"materials"`
	Deadline    time.Time `json:"deadline"`
	Firm        struct {
		USCC uscc   `json:"uscc"`
		Park string `json:"park"`
	} `json:"firm"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantKind   error
		wantField  string
		wantReason string
		wantDetail string
	}{
		{name: "valid", body: `{"name":"开办企业","working_days":5,"materials":["licence"],"firm":{"park":"sip"}}`},
		{name: "trailing whitespace", body: "{\"name\":\"x\"}\n\t "},
		{name: "empty", body: "", wantKind: fault.ErrInvalid, wantDetail: "request body must not be empty"},
		{name: "only whitespace", body: "  \n", wantKind: fault.ErrInvalid, wantDetail: "request body must not be empty"},
		{name: "unknown field", body: `{"name":"x","colour":"red"}`, wantKind: fault.ErrInvalid, wantField: "colour", wantReason: "unknown field"},
		{name: "unknown nested field", body: `{"firm":{"zone":"a"}}`, wantKind: fault.ErrInvalid, wantField: "zone", wantReason: "unknown field"},
		{name: "trailing value", body: `{"name":"x"}{"name":"y"}`, wantKind: fault.ErrInvalid, wantDetail: "request body must contain a single JSON value"},
		{name: "trailing garbage", body: `{"name":"x"} ]`, wantKind: fault.ErrInvalid, wantDetail: "request body must contain a single JSON value"},
		{name: "wrong type", body: `{"working_days":"five"}`, wantKind: fault.ErrInvalid, wantField: "working_days", wantReason: "must be number"},
		{name: "wrong type bool", body: `{"online":1}`, wantKind: fault.ErrInvalid, wantField: "online", wantReason: "must be boolean"},
		{name: "wrong type array", body: `{"materials":"licence"}`, wantKind: fault.ErrInvalid, wantField: "materials", wantReason: "must be array"},
		{name: "wrong type nested", body: `{"firm":{"park":7}}`, wantKind: fault.ErrInvalid, wantField: "firm.park", wantReason: "must be string"},
		{name: "fraction for integer", body: `{"working_days":1.5}`, wantKind: fault.ErrInvalid, wantField: "working_days", wantReason: "must be an integer"},
		{name: "integer overflow", body: `{"working_days":1e400}`, wantKind: fault.ErrInvalid, wantField: "working_days", wantReason: "number out of range"},
		{name: "object expected", body: `[1,2]`, wantKind: fault.ErrInvalid, wantDetail: "request body must be object"},
		{name: "malformed", body: `{"name":}`, wantKind: fault.ErrInvalid, wantDetail: "request body is malformed JSON at byte 9"},
		{name: "truncated", body: `{"name":"x"`, wantKind: fault.ErrInvalid, wantDetail: "request body is malformed JSON: unexpected end"},
		{name: "bad time", body: `{"deadline":"tomorrow"}`, wantKind: fault.ErrInvalid},
		{name: "custom unmarshaler fault kept", body: `{"firm":{"uscc":"123"}}`, wantKind: fault.ErrInvalid, wantField: "uscc", wantReason: "must be 18 characters"},
		{name: "too large", body: `{"name":"` + strings.Repeat("a", httpx.MaxJSONBody) + `"}`, wantKind: fault.ErrTooLarge},
		{name: "invalid UTF-8", body: "{\"name\":\"\xff\xfe\"}", wantKind: fault.ErrInvalid, wantDetail: "request body is not valid UTF-8"},
		{name: "invalid UTF-8 truncated rune", body: "{\"name\":\"\xe2\x82\"}", wantKind: fault.ErrInvalid, wantDetail: "request body is not valid UTF-8"},
		{name: "NUL escape", body: `{"name":"a\u0000b"}`, wantKind: fault.ErrInvalid, wantDetail: "request body must not contain NUL characters (\\u0000)"},
		{name: "NUL escape upper case", body: `{"name":"\U0000"}`, wantKind: fault.ErrInvalid},
		{name: "escaped backslash then u0000 is text", body: `{"name":"a\\u0000"}`},
		{name: "backslashes then NUL escape", body: `{"name":"a\\\u0000"}`, wantKind: fault.ErrInvalid},
		{name: "lone surrogate escape is replaced, not refused", body: `{"name":"\ud800"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/v1/catalog/matters", strings.NewReader(tt.body))
			var dst matterRequest
			err := httpx.DecodeJSON(req, &dst)
			if tt.wantKind == nil {
				if err != nil {
					t.Fatalf("DecodeJSON = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantKind) {
				t.Fatalf("DecodeJSON = %v, want kind %v", err, tt.wantKind)
			}
			p := httpx.NewProblem(req.Context(), err, "")
			if tt.wantDetail != "" && p.Detail != tt.wantDetail {
				t.Fatalf("detail = %q, want %q", p.Detail, tt.wantDetail)
			}
			if tt.wantField != "" {
				if len(p.Errors) != 1 || p.Errors[0].Field != tt.wantField || p.Errors[0].Reason != tt.wantReason {
					t.Fatalf("errors = %+v, want %s: %s", p.Errors, tt.wantField, tt.wantReason)
				}
			}
		})
	}
}

func TestDecodeJSONUnderLimitBody(t *testing.T) {
	var got error
	h := httpx.LimitBody(16)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dst matterRequest
		got = httpx.DecodeJSON(r, &dst)
	}))
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"a long enough name"}`))
	req.ContentLength = -1 // chunked: only the reader can enforce the limit
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !errors.Is(got, fault.ErrTooLarge) {
		t.Fatalf("DecodeJSON under LimitBody(16) = %v, want ErrTooLarge", got)
	}
}

func TestDecodeJSONNilBody(t *testing.T) {
	req := httptest.NewRequest("POST", "/", nil)
	req.Body = nil
	if err := httpx.DecodeJSON(req, &matterRequest{}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("DecodeJSON(nil body) = %v, want ErrInvalid", err)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","working_days":3,"materials":["a"],"firm":{"uscc":"91320594MA1MXXXX0X","park":"sip"}}`,
		`{"working_days":"3"}`, `{"x":1}`, `[]`, `null`, `{}{}`, `{"deadline":"2026-01-01T00:00:00Z"}`,
		`{"working_days":1e999}`, `{"name":"\u0000"}`, "", `{`, `"str"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/", io.NopCloser(strings.NewReader(body)))
		var dst matterRequest
		err := httpx.DecodeJSON(req, &dst)
		if err != nil && fault.KindOf(err) == nil {
			t.Fatalf("DecodeJSON(%q) = %v: not a fault kind", body, err)
		}
		if s := httpx.StatusOf(err); err != nil && (s < 400 || s >= 500) {
			t.Fatalf("DecodeJSON(%q) maps to status %d", body, s)
		}
	})
}
