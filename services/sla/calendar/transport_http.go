package calendar

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// maxDatesPerList bounds the off and work lists of a PUT body: a year has at
// most 366 distinct dates.
const maxDatesPerList = 366

// MakeHTTPHandler serves the calendar API:
//
//	GET /v1/calendars/{park}
//	PUT /v1/calendars/{park}/{year}
//	GET /v1/calendars/{park}/due?start=<RFC 3339>&working_days=N (or working_hours=N)
//
// Bearer tokens are verified with v; errors are problem+json. It panics
// when an argument is nil.
func MakeHTTPHandler(svc Service, v *auth.Verifier, logger *slog.Logger) http.Handler {
	if svc == nil || v == nil || logger == nil {
		panic("calendar: MakeHTTPHandler: nil service, verifier or logger")
	}
	e := MakeEndpoints(svc)
	authn := auth.Middleware(v)
	opts := []kithttp.ServerOption{
		kithttp.ServerBefore(kithttp.PopulateRequestContext, auth.HTTPToContext()),
		kithttp.ServerErrorEncoder(httpx.ErrorEncoder(logger)),
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/calendars/{park}", kithttp.NewServer(authn(e.Get), decodeGetRequest, httpx.EncodeJSON, opts...))
	mux.Handle("PUT /v1/calendars/{park}/{year}", kithttp.NewServer(authn(e.PutYear), decodePutYearRequest, httpx.EncodeJSON, opts...))
	mux.Handle("GET /v1/calendars/{park}/due", kithttp.NewServer(authn(e.Due), decodeDueRequest, httpx.EncodeJSON, opts...))
	return mux
}

func decodeGetRequest(_ context.Context, r *http.Request) (any, error) {
	return GetRequest{Park: r.PathValue("park")}, nil
}

// putYearBody is the JSON body of PUT /v1/calendars/{park}/{year}. Dates
// are decoded as strings so that a bad one is reported by its index.
type putYearBody struct {
	Year   *int     `json:"year"`
	Source string   `json:"source"`
	Off    []string `json:"off"`
	Work   []string `json:"work"`
}

var pathYear = regexp.MustCompile(`^[0-9]{4}$`)

func decodePutYearRequest(_ context.Context, r *http.Request) (any, error) {
	var body putYearBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	var v fault.Violations
	raw := r.PathValue("year")
	year, err := strconv.Atoi(raw)
	if !pathYear.MatchString(raw) || err != nil {
		v.Addf("year", "%q in the path is not a four-digit year", raw)
	} else if body.Year != nil && *body.Year != year {
		v.Addf("year", "the body says %d but the path says %d", *body.Year, year)
	}
	y := workday.Year{Year: year, Source: body.Source}
	y.Off = parseDateList(&v, "off", body.Off)
	y.Work = parseDateList(&v, "work", body.Work)
	if err := v.Err(fault.ErrInvalid); err != nil {
		return nil, err
	}
	return PutYearRequest{Park: r.PathValue("park"), Year: y}, nil
}

func parseDateList(v *fault.Violations, field string, raw []string) []workday.Date {
	if len(raw) > maxDatesPerList {
		v.Addf(field, "at most %d dates", maxDatesPerList)
		return nil
	}
	out := make([]workday.Date, 0, len(raw))
	for i, s := range raw {
		d, err := workday.ParseDate(s)
		if err != nil {
			v.Addf(fmt.Sprintf("%s[%d]", field, i), "%q is not a date of the form YYYY-MM-DD", s)
			continue
		}
		out = append(out, d)
	}
	return out
}

var dueParams = map[string]bool{"start": true, "working_days": true, "working_hours": true}

func decodeDueRequest(_ context.Context, r *http.Request) (any, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fault.Invalidf("query", "malformed query string: %v", err)
	}
	var v fault.Violations
	for _, name := range slices.Sorted(maps.Keys(q)) {
		switch vals := q[name]; {
		case !dueParams[name]:
			v.Add(name, "unknown parameter; use start with working_days or working_hours")
		case len(vals) > 1:
			v.Add(name, "given more than once")
		}
	}
	req := DueRequest{Park: r.PathValue("park")}
	switch s := q.Get("start"); {
	case !q.Has("start"):
		v.Add("start", "required: an RFC 3339 time such as 2026-09-18T10:00:00+08:00")
	default:
		// An unencoded '+' in a query string arrives as a space, and RFC 3339
		// never contains one.
		t, err := time.Parse(time.RFC3339, strings.ReplaceAll(s, " ", "+"))
		if err != nil {
			v.Addf("start", "%q is not an RFC 3339 time such as 2026-09-18T10:00:00+08:00", s)
		}
		req.Start = t
	}
	req.WorkingDays = intParam(&v, q, "working_days")
	req.WorkingHours = intParam(&v, q, "working_hours")
	if err := v.Err(fault.ErrInvalid); err != nil {
		return nil, err
	}
	return req, nil
}

func intParam(v *fault.Violations, q url.Values, name string) int {
	if !q.Has(name) {
		return 0
	}
	s := q.Get(name)
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") {
		v.Addf(name, "%q is not a whole number", s)
		return 0
	}
	return n
}
