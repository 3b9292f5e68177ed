// Package gateway is parkdesk's public front door. It owns nothing durable:
// it verifies bearer tokens, routes /v1/... to the service that owns each
// resource, serves /openapi.json assembled from the services' specs, and in
// the dev stack only, the dev clock control.
package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

// Route sends every path under Prefix to Upstream.
type Route struct {
	// Prefix is a path prefix such as "/v1/calendars".
	Prefix string
	// Upstream is the owning service's base URL.
	Upstream *url.URL
}

// ParseRoutes reads "prefix=url,prefix=url" (GATEWAY_ROUTES).
func ParseRoutes(s string) ([]Route, error) {
	var routes []Route
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		prefix, raw, ok := strings.Cut(part, "=")
		if !ok || !strings.HasPrefix(prefix, "/v1/") {
			return nil, fmt.Errorf("route %q: want /v1/<resource>=<url>", part)
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("route %q: bad upstream url", part)
		}
		routes = append(routes, Route{Prefix: strings.TrimSuffix(prefix, "/"), Upstream: u})
	}
	// Most specific first: more segments, then fewer wildcards, then longer,
	// so /v1/sla/stream can go elsewhere than /v1/sla and
	// /v1/enterprises/*/policy-matches elsewhere than /v1/enterprises.
	sort.SliceStable(routes, func(i, j int) bool {
		a, b := routes[i].Prefix, routes[j].Prefix
		if na, nb := strings.Count(a, "/"), strings.Count(b, "/"); na != nb {
			return na > nb
		}
		if wa, wb := strings.Count(a, "*"), strings.Count(b, "*"); wa != wb {
			return wa < wb
		}
		return len(a) > len(b)
	})
	return routes, nil
}

// Matches reports whether path falls under the route's prefix. A "*"
// segment in the prefix matches any one non-empty path segment.
func (rt Route) Matches(path string) bool {
	if !strings.Contains(rt.Prefix, "*") {
		return path == rt.Prefix || strings.HasPrefix(path, rt.Prefix+"/")
	}
	want := strings.Split(rt.Prefix, "/")
	got := strings.Split(path, "/")
	if len(got) < len(want) {
		return false
	}
	for i, w := range want {
		if w == "*" && got[i] != "" {
			continue
		}
		if w != got[i] {
			return false
		}
	}
	return true
}

// Upstreams lists each distinct upstream once.
func Upstreams(routes []Route) []*url.URL {
	seen := map[string]bool{}
	var out []*url.URL
	for _, r := range routes {
		if !seen[r.Upstream.String()] {
			seen[r.Upstream.String()] = true
			out = append(out, r.Upstream)
		}
	}
	return out
}

// NewProxy returns the /v1 handler: token verification, then the route's
// upstream. Services verify the token again and check every scope themselves.
func NewProxy(v *auth.Verifier, routes []Route) (http.Handler, error) {
	if v == nil {
		return nil, errors.New("gateway: verifier is required")
	}
	proxies := make([]*httputil.ReverseProxy, len(routes))
	for i, rt := range routes {
		target := rt.Upstream
		proxies[i] = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.SetXForwarded()
				pr.Out.Host = target.Host
				if id := telemetry.RequestIDFrom(pr.In.Context()); id != "" {
					pr.Out.Header.Set(httpx.HeaderRequestID, id)
				}
				if tp, ok := telemetry.TraceFrom(pr.In.Context()); ok {
					pr.Out.Header.Set(httpx.HeaderTraceparent, tp.Child().String())
				}
			},
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				httpx.WriteProblem(w, r, fault.Unavailable("upstream "+target.Host+" is unavailable", err))
			},
		}
	}
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i, rt := range routes {
			if rt.Matches(r.URL.Path) {
				proxies[i].ServeHTTP(w, r)
				return
			}
		}
		httpx.WriteProblem(w, r, fault.NotFound("route "+r.URL.Path))
	})
	return auth.HTTPMiddleware(v, route), nil
}
