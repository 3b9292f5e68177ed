package approval

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
)

// MakeHTTPHandler serves the approval API under /v1/tasks and /v1/workflows,
// and its OpenAPI fragment at /openapi.json; every /v1 route verifies the
// bearer token with v.
func MakeHTTPHandler(s Service, v *auth.Verifier, logger *slog.Logger) http.Handler {
	if s == nil || v == nil || logger == nil {
		panic("approval.MakeHTTPHandler: service, verifier and logger are required")
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
	mux.Handle("GET /v1/tasks", route(e.Tasks, decodeTasks))
	mux.Handle("GET /v1/tasks/{id}", route(e.Task, decodeID))
	mux.Handle("POST /v1/tasks/{id}/decision", httpx.LimitBody(64<<10)(route(e.Decide, decodeDecide)))
	mux.Handle("GET /v1/workflows", route(e.Workflows, decodeWorkflows))
	mux.Handle("GET /v1/workflows/definitions", route(e.Definitions, decodeNothing))
	mux.Handle("GET /v1/workflows/{id}", route(e.Workflow, decodeID))
	mux.Handle("GET /v1/workflows/{id}/history", route(e.History, decodeID))
	mux.Handle("POST /v1/workflows/{id}/withdraw", httpx.LimitBody(16<<10)(route(e.Withdraw, decodeWithdraw)))
	mux.Handle("GET /openapi.json", openAPIHandler())
	return mux
}

func decodeNothing(context.Context, *http.Request) (any, error) { return nil, nil }

func decodeID(_ context.Context, r *http.Request) (any, error) {
	return idRequest{ID: r.PathValue("id")}, nil
}

func decodeDecide(_ context.Context, r *http.Request) (any, error) {
	req := decideRequest{TaskID: r.PathValue("id")}
	if err := httpx.DecodeJSON(r, &req.Body); err != nil {
		return nil, err
	}
	req.Body.IdempotencyKey = r.Header.Get("Idempotency-Key")
	return req, nil
}

func decodeWithdraw(_ context.Context, r *http.Request) (any, error) {
	req := withdrawRequest{ID: r.PathValue("id")}
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(r, &req.Body); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func decodeTasks(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return TaskQuery{Park: q.Get("park"), Department: q.Get("department"), Kind: q.Get("kind"), Assignee: q.Get("assignee"),
		Page: parseInt(&v, q, "page"), PageSize: parseInt(&v, q, "page_size")}, v.Err(fault.ErrInvalid)
}

func decodeWorkflows(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return WorkflowQuery{Park: q.Get("park"), EnterpriseID: q.Get("enterprise_id"), TicketID: q.Get("ticket_id"),
		State: q.Get("state"), Page: parseInt(&v, q, "page"), PageSize: parseInt(&v, q, "page_size")}, v.Err(fault.ErrInvalid)
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
