package intake

import (
	"context"
	"errors"
	"io"
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

// HeaderIdempotencyKey names the header POST /v1/tickets requires.
const HeaderIdempotencyKey = "Idempotency-Key"

// MakeHTTPHandler serves the intake API (/v1/enterprises, /v1/catalog,
// /v1/tickets): every route verifies the bearer token with v. maxUpload
// bounds POST /v1/tickets/uploads.
func MakeHTTPHandler(s Service, v *auth.Verifier, logger *slog.Logger, maxUpload int64) http.Handler {
	if s == nil || v == nil || logger == nil {
		panic("intake.MakeHTTPHandler: service, verifier and logger are required")
	}
	if maxUpload <= 0 {
		maxUpload = DefaultMaxUpload
	}
	e := MakeEndpoints(s)
	authn := auth.Middleware(v)
	opts := []httptransport.ServerOption{
		httptransport.ServerBefore(httptransport.PopulateRequestContext, auth.HTTPToContext()),
		httptransport.ServerErrorEncoder(httpx.ErrorEncoder(logger)),
	}
	route := func(ep endpoint.Endpoint, dec httptransport.DecodeRequestFunc) http.Handler {
		return httptransport.NewServer(authn(ep), dec, encode, opts...)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/enterprises", route(e.RegisterEnterprise, decodeRegister))
	mux.Handle("GET /v1/enterprises", route(e.Enterprises, decodeEnterprises))
	mux.Handle("GET /v1/enterprises/{id}", route(e.Enterprise, decodeID))
	mux.Handle("PATCH /v1/enterprises/{id}", route(e.UpdateEnterprise, decodeUpdateEnterprise))
	mux.Handle("GET /v1/catalog/matters", route(e.Matters, decodeCatalog))
	mux.Handle("GET /v1/catalog/matters/{code}", route(e.Matter, decodeCatalog))
	mux.Handle("GET /v1/catalog/bundles", route(e.Bundles, decodeCatalog))
	mux.Handle("GET /v1/catalog/bundles/{code}", route(e.Bundle, decodeCatalog))
	mux.Handle("POST /v1/tickets/uploads", httpx.LimitBody(maxUpload)(route(e.Upload, decodeUpload(maxUpload))))
	mux.Handle("POST /v1/tickets", route(e.Submit, decodeSubmit))
	mux.Handle("GET /v1/tickets", route(e.Tickets, decodeTickets))
	mux.Handle("GET /v1/tickets/{id}", route(e.Ticket, decodeID))
	mux.Handle("POST /v1/tickets/{id}/materials", route(e.SupplyMaterials, decodeSupply))
	mux.Handle("POST /v1/tickets/{id}/rating", route(e.Rate, decodeRate))
	mux.Handle("POST /v1/tickets/{id}/withdraw", route(e.Withdraw, decodeWithdraw))
	mux.Handle("POST /v1/tickets/{id}/resolution", route(e.Resolve, decodeResolve))
	return mux
}

// headerer is a response that sets headers.
type headerer interface{ Headers() http.Header }

// encode writes headers a response asks for, then the JSON body.
func encode(ctx context.Context, w http.ResponseWriter, response any) error {
	if h, ok := response.(headerer); ok {
		for k, vs := range h.Headers() {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
	}
	return httpx.EncodeJSON(ctx, w, response)
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	return idRequest{ID: r.PathValue("id")}, nil
}

func decodeRegister(_ context.Context, r *http.Request) (any, error) {
	var in EnterpriseInput
	return in, httpx.DecodeJSON(r, &in)
}

func decodeUpdateEnterprise(_ context.Context, r *http.Request) (any, error) {
	req := updateEnterpriseRequest{ID: r.PathValue("id")}
	return req, httpx.DecodeJSON(r, &req.Patch)
}

func decodeEnterprises(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return EnterpriseQuery{Park: q.Get("park"), Flag: q.Get("flag"), Industry: q.Get("industry"), After: q.Get("after"),
		Limit: parseInt(&v, q, "limit")}, v.Err(fault.ErrInvalid)
}

func decodeCatalog(_ context.Context, r *http.Request) (any, error) {
	return catalogRequest{Park: r.URL.Query().Get("park"), Code: r.PathValue("code")}, nil
}

func decodeUpload(limit int64) httptransport.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, fault.TooLarge("the material is larger than " + strconv.FormatInt(limit, 10) + " bytes")
			}
			return nil, fault.Wrap(fault.ErrInvalid, "could not read the body", err)
		}
		return uploadRequest{MediaType: r.Header.Get("Content-Type"), Content: body}, nil
	}
}

func decodeSubmit(_ context.Context, r *http.Request) (any, error) {
	req := submitRequest{Key: r.Header.Get(HeaderIdempotencyKey)}
	return req, httpx.DecodeJSON(r, &req.Body)
}

func decodeTickets(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var v fault.Violations
	return TicketQuery{Park: q.Get("park"), Status: q.Get("status"), SLAState: q.Get("sla_state"), Kind: q.Get("kind"),
		Matter: q.Get("matter"), Bundle: q.Get("bundle"), Department: q.Get("department"), EnterpriseID: q.Get("enterprise_id"),
		After: q.Get("after"), Limit: parseInt(&v, q, "limit")}, v.Err(fault.ErrInvalid)
}

func decodeSupply(_ context.Context, r *http.Request) (any, error) {
	req := supplyRequest{ID: r.PathValue("id")}
	return req, httpx.DecodeJSON(r, &req.Body)
}

func decodeRate(_ context.Context, r *http.Request) (any, error) {
	req := rateRequest{ID: r.PathValue("id")}
	return req, httpx.DecodeJSON(r, &req.Body)
}

func decodeWithdraw(_ context.Context, r *http.Request) (any, error) {
	req := withdrawRequest{ID: r.PathValue("id")}
	return req, httpx.DecodeJSON(r, &req.Body)
}

func decodeResolve(_ context.Context, r *http.Request) (any, error) {
	req := resolveRequest{ID: r.PathValue("id")}
	return req, httpx.DecodeJSON(r, &req.Body)
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
