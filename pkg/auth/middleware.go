package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
)

type tokenKey struct{}

// WithToken returns a copy of ctx carrying a raw bearer token, for
// transports other than HTTP (e.g. a NATS request header).
func WithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

// TokenFrom returns the raw bearer token in ctx and whether there is one.
func TokenFrom(ctx context.Context) (string, bool) {
	t, ok := ctx.Value(tokenKey{}).(string)
	return t, ok && t != ""
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header and whether there is one. The scheme is case-insensitive.
func BearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// HTTPToContext is a go-kit ServerBefore hook moving the bearer token, not
// yet verified, into the context, where Middleware verifies it.
func HTTPToContext() httptransport.RequestFunc {
	return func(ctx context.Context, r *http.Request) context.Context {
		token, ok := BearerToken(r)
		if !ok {
			return ctx
		}
		return WithToken(ctx, token)
	}
}

// Middleware is a go-kit endpoint middleware verifying the token in the
// context with v and putting the Principal in the context. A missing or
// invalid token fails the call with a fault.ErrUnauthenticated error. It
// panics when v is nil.
func Middleware(v *Verifier) endpoint.Middleware {
	if v == nil {
		panic("auth: Middleware: nil verifier")
	}
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			token, ok := TokenFrom(ctx)
			if !ok {
				return nil, fault.Unauthenticated("missing bearer token")
			}
			p, err := v.Verify(token)
			if err != nil {
				return nil, err
			}
			return next(WithPrincipal(ctx, p), request)
		}
	}
}

// HTTPMiddleware verifies the bearer token of each request with v and serves
// next with the Principal in the context, or answers 401 problem+json. It is
// for handlers outside go-kit, such as SSE streams and the gateway. It
// panics when v or next is nil.
func HTTPMiddleware(v *Verifier, next http.Handler) http.Handler {
	if v == nil || next == nil {
		panic("auth: HTTPMiddleware: nil verifier or handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := BearerToken(r)
		if !ok {
			httpx.WriteProblem(w, r, fault.Unauthenticated("missing bearer token"))
			return
		}
		p, err := v.Verify(token)
		if err != nil {
			httpx.WriteProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}
