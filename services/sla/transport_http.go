package sla

import (
	"context"
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

// MakeHTTPHandler serves the sla API under /v1/sla (the stream is
// NewStreamHandler's): every route verifies the bearer token with v.
func MakeHTTPHandler(s Service, v *auth.Verifier, logger *slog.Logger) http.Handler {
	if s == nil || v == nil || logger == nil {
		panic("sla.MakeHTTPHandler: service, verifier and logger are required")
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
	mux.Handle("GET /v1/sla/clocks", route(e.TicketClocks, decodeTicketClocks))
	mux.Handle("GET /v1/sla/clocks/{id}", route(e.Clock, decodeClock))
	mux.Handle("POST /v1/sla/clocks/{id}/extension", route(e.RequestExtension, decodeRequestExtension))
	mux.Handle("GET /v1/sla/extensions", route(e.Extensions, decodeExtensions))
	mux.Handle("POST /v1/sla/extensions/{id}/decision", route(e.DecideExtension, decodeDecideExtension))
	mux.Handle("GET /v1/sla/overview", route(e.Overview, decodeOverview))
	mux.Handle("GET /v1/sla/breaches", route(e.Breaches, decodeBreaches))
	return mux
}

func decodeClock(_ context.Context, r *http.Request) (any, error) {
	return clockRequest{ID: r.PathValue("id")}, nil
}

func decodeTicketClocks(_ context.Context, r *http.Request) (any, error) {
	return ticketClocksRequest{TicketID: r.URL.Query().Get("ticket_id")}, nil
}

func decodeRequestExtension(_ context.Context, r *http.Request) (any, error) {
	req := requestExtensionRequest{ClockID: r.PathValue("id")}
	return req, httpx.DecodeJSON(r, &req.Body)
}

func decodeDecideExtension(_ context.Context, r *http.Request) (any, error) {
	req := decideExtensionRequest{ID: r.PathValue("id")}
	return req, httpx.DecodeJSON(r, &req.Body)
}

func decodeExtensions(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	return ExtensionQuery{Park: q.Get("park"), State: ExtensionState(q.Get("state"))}, nil
}

func decodeOverview(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	from := parseInstant(&v, q, "from", false)
	to := parseInstant(&v, q, "to", true)
	return OverviewQuery{Park: q.Get("park"), From: from, To: to, By: q.Get("by")}, v.Err(fault.ErrInvalid)
}

func decodeBreaches(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return BreachQuery{Park: q.Get("park"), State: q.Get("state"), Page: parseInt(&v, q, "page"),
		PageSize: parseInt(&v, q, "page_size")}, v.Err(fault.ErrInvalid)
}

// parseInstant reads an RFC 3339 instant or a date (Asia/Shanghai): a date
// as the end of a period means the end of that day.
func parseInstant(v *fault.Violations, q url.Values, name string, end bool) time.Time {
	s := q.Get(name)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	d, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	if err != nil {
		v.Add(name, "must be a date (2006-01-02) or an RFC 3339 instant")
		return time.Time{}
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d
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
