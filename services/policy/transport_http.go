package policy

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// MakeHTTPHandler serves the policy API under /v1/policies,
// /v1/policy-applications, /v1/policy-matches and
// /v1/enterprises/{id}/policy-matches; every route verifies the bearer token.
func MakeHTTPHandler(s Service, v *auth.Verifier, logger *slog.Logger) http.Handler {
	if s == nil || v == nil || logger == nil {
		panic("policy.MakeHTTPHandler: service, verifier and logger are required")
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
	mux.Handle("GET /v1/policies", route(e.Policies, func(_ context.Context, r *http.Request) (any, error) {
		q := r.URL.Query()
		return PolicyQuery{Park: q.Get("park"), Status: q.Get("status")}, nil
	}))
	mux.Handle("POST /v1/policies", route(e.CreatePolicy, decodeBody[PolicyInput]))
	mux.Handle("GET /v1/policies/overview", route(e.Overview, func(_ context.Context, r *http.Request) (any, error) {
		return OverviewQuery{Park: r.URL.Query().Get("park")}, nil
	}))
	mux.Handle("GET /v1/policies/{id}", route(e.Policy, decodeID))
	mux.Handle("PUT /v1/policies/{id}", route(e.UpdatePolicy, decodeWithID[PolicyInput](false)))
	mux.Handle("POST /v1/policies/{id}/publish", route(e.PublishPolicy, decodeID))
	mux.Handle("POST /v1/policies/{id}/close", route(e.ClosePolicy, decodeWithID[CloseInput](false)))
	mux.Handle("GET /v1/policies/{id}/ledger", route(e.Ledger, decodeID))

	matches := route(e.Matches, decodeMatches)
	mux.Handle("GET /v1/policy-matches", matches)
	mux.Handle("GET /v1/enterprises/{id}/policy-matches", matches)

	mux.Handle("POST /v1/policy-applications", route(e.Apply, decodeBody[ApplicationInput]))
	mux.Handle("GET /v1/policy-applications", route(e.Applications, decodeApplications))
	mux.Handle("GET /v1/policy-applications/firm", route(e.FirmView, func(_ context.Context, r *http.Request) (any, error) {
		return idRequest{ID: r.URL.Query().Get("enterprise_id")}, nil
	}))
	mux.Handle("GET /v1/policy-applications/{id}", route(e.Application, decodeID))
	mux.Handle("POST /v1/policy-applications/{id}/withdraw", route(e.Withdraw, decodeWithID[WithdrawInput](true)))
	mux.Handle("POST /v1/policy-applications/{id}/disbursement", route(e.Disburse, decodeWithID[DisbursementInput](false)))
	mux.Handle("POST /v1/policy-applications/{id}/release", route(e.Release, decodeWithID[ReleaseInput](false)))
	return mux
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	return idRequest{ID: r.PathValue("id")}, nil
}

func decodeBody[T any](_ context.Context, r *http.Request) (any, error) {
	var b T
	return b, httpx.DecodeJSON(r, &b)
}

// decodeWithID decodes the body into B beside the path's id; an optional
// body may be absent.
func decodeWithID[B any](optional bool) httptransport.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		var b B
		if !optional || r.ContentLength != 0 {
			if err := httpx.DecodeJSON(r, &b); err != nil {
				return nil, err
			}
		}
		return withID[B]{ID: r.PathValue("id"), Body: b}, nil
	}
}

func decodeMatches(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	m := MatchQuery{EnterpriseID: r.PathValue("id")}
	if m.EnterpriseID == "" {
		m.EnterpriseID = q.Get("enterprise_id")
	}
	switch q.Get("eligible") {
	case "", "false":
	case "true":
		m.EligibleOnly = true
	default:
		return nil, fault.Invalid("eligible", "true or false")
	}
	return m, nil
}

func decodeApplications(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	out := ApplicationQuery{Park: q.Get("park"), EnterpriseID: q.Get("enterprise_id"), PolicyID: q.Get("policy_id"), State: q.Get("state")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return nil, fault.Invalid("limit", "1 to 500")
		}
		out.Limit = n
	}
	return out, nil
}
