package liaison

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// MakeHTTPHandler serves the liaison API under /v1/liaison and /v1/officers;
// every route verifies the bearer token with v.
func MakeHTTPHandler(s Service, v *auth.Verifier, logger *slog.Logger) http.Handler {
	if s == nil || v == nil || logger == nil {
		panic("liaison.MakeHTTPHandler: service, verifier and logger are required")
	}
	e := MakeEndpoints(s)
	authn := auth.Middleware(v)
	opts := []httptransport.ServerOption{
		httptransport.ServerBefore(httptransport.PopulateRequestContext, auth.HTTPToContext()),
		httptransport.ServerErrorEncoder(httpx.ErrorEncoder(logger)),
	}
	route := func(ep endpoint.Endpoint, dec httptransport.DecodeRequestFunc) http.Handler {
		return httptransport.NewServer(authn(ep), dec, httpx.EncodeJSON, opts...)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/officers", route(e.Officers, decodeOfficers))
	mux.Handle("POST /v1/officers", route(e.CreateOfficer, decodeBody[OfficerInput]))
	mux.Handle("GET /v1/officers/{id}", route(e.Officer, decodeID))
	mux.Handle("PATCH /v1/officers/{id}", route(e.UpdateOfficer, decodeWithID(func(id string, b OfficerPatch) any {
		return updateOfficerRequest{ID: id, Body: b}
	}, false)))
	mux.Handle("GET /v1/liaison/firms", route(e.Firms, decodeFirms))
	mux.Handle("GET /v1/liaison/firms/{id}", route(e.Firm, decodeID))
	mux.Handle("PUT /v1/liaison/firms/{id}/assignment", route(e.Reassign, decodeWithID(func(id string, b Reassignment) any {
		return reassignRequest{ID: id, Body: b}
	}, false)))
	mux.Handle("GET /v1/liaison/queue", route(e.Queue, func(context.Context, *http.Request) (any, error) { return nil, nil }))
	mux.Handle("GET /v1/liaison/requests", route(e.Requests, decodeRequests))
	mux.Handle("GET /v1/liaison/requests/{id}", route(e.Request, decodeID))
	mux.Handle("POST /v1/liaison/requests/{id}/ack", route(e.Acknowledge, decodeID))
	mux.Handle("POST /v1/liaison/requests/{id}/return", route(e.Return, decodeWithID(func(id string, b ReturnInput) any {
		return returnRequest{ID: id, Body: b}
	}, false)))
	mux.Handle("POST /v1/liaison/requests/{id}/chase", route(e.Chase, decodeWithID(func(id string, b ChaseInput) any {
		return chaseRequest{ID: id, Body: b}
	}, true)))
	mux.Handle("POST /v1/liaison/requests/{id}/redispatch", route(e.Redispatch, decodeWithID(func(id string, b RedispatchInput) any {
		return redispatchRequest{ID: id, Body: b}
	}, false)))
	mux.Handle("POST /v1/liaison/visits", route(e.LogVisit, decodeBody[VisitInput]))
	mux.Handle("GET /v1/liaison/visits", route(e.Visits, decodeVisits))
	mux.Handle("POST /v1/liaison/promises", route(e.MakePromise, decodeBody[PromiseInput]))
	mux.Handle("GET /v1/liaison/promises", route(e.Promises, decodePromises))
	mux.Handle("POST /v1/liaison/promises/{id}/close", route(e.ClosePromise, decodeWithID(func(id string, b PromiseOutcome) any {
		return closePromiseRequest{ID: id, Body: b}
	}, false)))
	mux.Handle("GET /v1/liaison/overview", route(e.Overview, decodeOverview))
	return mux
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	return idRequest{ID: r.PathValue("id")}, nil
}

func decodeBody[T any](_ context.Context, r *http.Request) (any, error) {
	var b T
	return b, httpx.DecodeJSON(r, &b)
}

// decodeWithID decodes the body into B and wraps it with the path's id; an
// optional body may be absent.
func decodeWithID[B any](wrap func(string, B) any, optional bool) httptransport.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		var b B
		if !optional || r.ContentLength != 0 {
			if err := httpx.DecodeJSON(r, &b); err != nil {
				return nil, err
			}
		}
		return wrap(r.PathValue("id"), b), nil
	}
}

func decodeOfficers(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	return OfficerQuery{Park: q.Get("park"), Status: OfficerStatus(q.Get("status"))}, nil
}

func decodeFirms(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return FirmQuery{Park: q.Get("park"), OfficerID: q.Get("officer_id"), Unassigned: parseBool(&v, q, "unassigned")},
		v.Err(fault.ErrInvalid)
}

func decodeRequests(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return RequestQuery{Park: q.Get("park"), State: RequestState(q.Get("state")), HolderID: q.Get("holder_id"),
			EnterpriseID: q.Get("enterprise_id"), Overdue: parseBool(&v, q, "overdue"), Limit: parseInt(&v, q, "limit")},
		v.Err(fault.ErrInvalid)
}

func decodeVisits(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return VisitQuery{Park: q.Get("park"), EnterpriseID: q.Get("enterprise_id"), OfficerID: q.Get("officer_id"),
		Limit: parseInt(&v, q, "limit")}, v.Err(fault.ErrInvalid)
}

func decodePromises(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return PromiseQuery{Park: q.Get("park"), EnterpriseID: q.Get("enterprise_id"), OfficerID: q.Get("officer_id"),
		State: PromiseState(q.Get("state")), Limit: parseInt(&v, q, "limit")}, v.Err(fault.ErrInvalid)
}

func decodeOverview(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return OverviewQuery{Park: q.Get("park"), From: parseInstant(&v, q, "from", false), To: parseInstant(&v, q, "to", true)},
		v.Err(fault.ErrInvalid)
}

// parseInstant reads an RFC 3339 instant or a date (Asia/Shanghai): a date
// as the end of a period means the end of that day.
func parseInstant(v *fault.Violations, q url.Values, name string, end bool) time.Time {
	s := q.Get(name)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	d, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	if err != nil {
		v.Add(name, "must be a date (2006-01-02) or an RFC 3339 instant")
		return time.Time{}
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d.UTC()
}

func parseInt(v *fault.Violations, q url.Values, name string) int {
	s := q.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		v.Add(name, "must be a whole number")
	}
	return n
}

func parseBool(v *fault.Violations, q url.Values, name string) bool {
	s := q.Get(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		v.Add(name, "must be true or false")
	}
	return b
}
