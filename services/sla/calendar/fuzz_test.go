package calendar_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/auth"
)

// fuzzServe serves a request built from fuzzed parts as p and fails on a
// 5xx or on a 4xx that is not a problem document; a panic fails by itself.
func fuzzServe(t *testing.T, e *env, p auth.Principal, method, target, body string) {
	req, err := http.NewRequestWithContext(context.Background(), method, "http://sla.test"+target, strings.NewReader(body))
	if err != nil {
		return // no client can send this request: nothing to check
	}
	req.Header.Set("Authorization", "Bearer "+e.token(t, p))
	rec := httptest.NewRecorder()
	e.H.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %q: status %d: %s", method, target, body, rec.Code, rec.Body)
	}
	if rec.Code >= 400 && rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusNotFound {
		var prob map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &prob); err != nil || prob["status"] != float64(rec.Code) {
			t.Fatalf("%s %s %q: %d without a problem body: %s", method, target, body, rec.Code, rec.Body)
		}
	}
}

func FuzzPutYear(f *testing.F) {
	for _, seed := range []struct{ year, body string }{
		{"2027", body2027},
		{"2027", `{"year":2027,"source":"s","off":["2027-01-01"],"work":["2027-01-02"]}`},
		{"2026", `{"source":"s","off":["2026-01-01","2026-01-01"],"work":["2026-01-05"]}`},
		{"1990", `{"source":"s","off":["1990-01-01"]}`},
		{"2100", `{"source":"s","work":["2100-12-31"]}`},
		{"0000", `{"source":"s"}`},
		{"9999", `{"source":"\u0000"}`},
		{"20x7", `{}`},
		{"2027", `{"source":"s","off":[null,1,"x"]}`},
		{"2027", `{"source":"s","off":"2027-01-01"}`},
		{"2027", `[]`},
		{"2027", `{"source":"s"} {"source":"t"}`},
		{"2027", `{"year":1e400,"source":"s"}`},
		{"2027", `{"source":"` + strings.Repeat("长", 600) + `"}`},
		{"..", ``},
		{"2027/x", `{}`},
	} {
		f.Add(seed.year, seed.body)
	}
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, year, body string) {
		fuzzServe(t, e, admin, "PUT", "/v1/calendars/wangcheng/"+url.PathEscape(year), body)
	})
}

func FuzzDueQuery(f *testing.F) {
	for _, seed := range []struct{ park, query string }{
		{"wangcheng", "start=2026-09-18T10:00:00%2B08:00&working_days=3"},
		{"wangcheng", "start=2026-09-18T10:00:00+08:00&working_hours=3"},
		{"wangcheng", "start=0000-01-01T00:00:00Z&working_hours=10000"},
		{"wangcheng", "start=9999-12-31T23:59:59-23:59&working_days=1000"},
		{"wangcheng", "start=2026-12-31T23:59:59.999999999%2B14:00&working_days=1"},
		{"wangcheng", "start=2026-09-18T10:00:00Z&working_days=9223372036854775807"},
		{"wangcheng", "start=2026-09-18T10:00:00Z&working_days=-9223372036854775808"},
		{"wangcheng", "start=&working_days="},
		{"wangcheng", "start=%zz;x=1"},
		{"wangcheng", "start=2026-09-18T10:00:00Z&start=2026-09-18T10:00:00Z"},
		{"atlantis", "start=2026-09-18T10:00:00Z&working_days=1"},
		{"Wang\x00", "start=2026-09-18T10:00:00Z&working_days=1"},
		{"%", ""},
	} {
		f.Add(seed.park, seed.query)
	}
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, park, query string) {
		fuzzServe(t, e, admin, "GET", "/v1/calendars/"+url.PathEscape(park)+"/due?"+query, "")
	})
}
