package auth_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/httpx"
)

// A go-kit server wired the way every parkdesk service wires it: the token
// moves into the context before decoding, the endpoint middleware verifies
// it, and failures become problem+json through httpx.ErrorEncoder.
func Example_goKitServer() {
	verifier, _ := auth.NewVerifier(auth.Config{Issuer: "parkdesk-dev", Audience: "parkdesk-api", HMACSecret: "0123456789abcdef0123456789abcdef"})
	signer, _ := auth.NewHMACSigner("0123456789abcdef0123456789abcdef", "parkdesk-dev", "parkdesk-api")

	var whoami endpoint.Endpoint = func(ctx context.Context, _ any) (any, error) {
		p, err := auth.Authenticated(ctx)
		if err != nil {
			return nil, err
		}
		if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
			return nil, err
		}
		return map[string]string{"park": p.Park}, nil
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptransport.NewServer(
		auth.Middleware(verifier)(whoami),
		func(context.Context, *http.Request) (any, error) { return nil, nil },
		httpx.EncodeJSON,
		httptransport.ServerBefore(httptransport.PopulateRequestContext, auth.HTTPToContext()),
		httptransport.ServerErrorEncoder(httpx.ErrorEncoder(logger)),
	)

	manager, _ := signer.Sign(auth.Principal{Subject: "m-1", Role: auth.RoleManager, Park: "sip"}, time.Hour)
	firm, _ := signer.Sign(auth.Principal{Subject: "f-1", Role: auth.RoleEnterprise, Park: "sip", EnterpriseID: "e-1"}, time.Hour)
	for _, token := range []string{manager, firm, ""} {
		req := httptest.NewRequest("GET", "/v1/sla/overview", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// 200 {"park":"sip"}
	// 403 {"type":"about:blank","title":"Forbidden","status":403,"detail":"role \"enterprise\" may not do this; requires manager or admin","instance":"/v1/sla/overview"}
	// 401 {"type":"about:blank","title":"Unauthorized","status":401,"detail":"missing bearer token","instance":"/v1/sla/overview"}
}
