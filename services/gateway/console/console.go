// Package console is the managers' web console, served by the gateway under
// /console: a live board of the park's SLA warnings and breaches, the
// figures per department and matter with weekly trends, the liaison
// officers and the policies, and each ticket's timeline. It is plain HTML,
// CSS and JavaScript embedded in the binary (no build step, nothing fetched
// from the internet at run time), in Chinese with English as an option, laid
// out for a laptop and for a wall display.
//
// The page reads the public API (/v1/...) through the gateway by the paths of
// DESIGN.md's API table. A section whose service is not deployed yet (the
// gateway has no route, or the merged /openapi.json lacks the path) shows
// "not available yet" and lights up once the service is routed.
//
// # Signing in, and the live stream
//
// The board follows GET /v1/sla/stream with the browser's EventSource, which
// cannot send an Authorization header. The console therefore signs in with a
// session cookie rather than keeping the bearer token in JavaScript:
//
//   - POST /console/session takes a manager's (or admin's) token once, from a
//     form, verifies it and sets it as the cookie CookieName: HttpOnly (no
//     script, so no cross-site scripting bug, can read the token and carry
//     it away), SameSite=Strict (no other site's page can make the browser
//     send it), Path=/, Secure over HTTPS, and expiring with the token
//     (12 hours at most). Over plain HTTP the console signs in on loopback
//     addresses only, so a token never travels unencrypted over a network.
//   - API wraps the gateway's /v1 handler: a request without an Authorization
//     header but with the cookie gets "Authorization: Bearer <cookie>", and
//     the cookie itself is not passed upstream, so the services keep
//     verifying bearer tokens and know nothing of cookies. State-changing
//     requests authenticated by the cookie must also carry the
//     X-Parkdesk-Console header (which no cross-origin page can set without a
//     CORS preflight the gateway never grants) and come from the same
//     origin, a second line of defence behind SameSite.
//
// A fetch-based SSE reader sending the bearer header would have needed the
// token in JavaScript memory or storage for the page's life, readable by any
// injected script; the cookie keeps it out of reach of the page.
//
// The dev stack's sign-in page (DevSignIn) issues demo manager tokens; the
// gateway mounts it only when PARKDESK_DEV=1.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
)

// CookieName is the console's session cookie; it holds the bearer token.
const CookieName = "parkdesk_console"

// HeaderConsole marks the console's own state-changing API requests; API
// refuses a cookie-authenticated POST, PUT, PATCH or DELETE without it.
const HeaderConsole = "X-Parkdesk-Console"

// MaxSession bounds a console session, whatever the token's lifetime.
const MaxSession = 12 * time.Hour

// Prefix is where the console is mounted.
const Prefix = "/console/"

//go:embed static
var static embed.FS

//go:embed templates
var templates embed.FS

// Config configures the console handler.
type Config struct {
	// Verifier checks the token a manager signs in with. Required.
	Verifier *auth.Verifier
	// Dev tells the page it runs in the dev stack: it then offers the dev
	// sign-in and the dev clock. It grants nothing by itself.
	Dev bool
}

// asset is one embedded static file.
type asset struct {
	body  []byte
	etag  string
	ctype string
}

type handler struct {
	cfg    Config
	index  []byte
	assets map[string]asset
	mux    *http.ServeMux
}

// New returns the handler of /console and everything under /console/: the
// page, its assets and the session endpoints.
func New(cfg Config) (http.Handler, error) {
	if cfg.Verifier == nil {
		return nil, errors.New("console: verifier is required")
	}
	h := &handler{cfg: cfg, assets: map[string]asset{}}
	tpl, err := template.ParseFS(templates, "templates/index.html")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, struct{ Dev bool }{cfg.Dev}); err != nil {
		return nil, err
	}
	h.index = buf.Bytes()
	err = fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.assets[strings.TrimPrefix(p, "static/")] = asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /console/{$}", h.serveIndex)
	mux.HandleFunc("GET /console/assets/{name}", h.serveAsset)
	mux.HandleFunc("GET /console/session", h.session)
	mux.HandleFunc("POST /console/session", h.signIn)
	mux.HandleFunc("POST /console/signout", h.signOut)
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, fault.NotFound("console page "+r.URL.Path))
	})
	h.mux = mux
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	h.mux.ServeHTTP(w, r)
}

// securityHeaders keeps the console's pages to their own origin: no inline
// or foreign scripts, no framing, no referrer.
func securityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(h.index)
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets[r.PathValue("name")]
	if !ok {
		httpx.WriteProblem(w, r, fault.NotFound("console asset "+r.PathValue("name")))
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// SessionInfo is GET /console/session: who is signed in, never the token.
type SessionInfo struct {
	Subject   string    `json:"subject"`
	Role      auth.Role `json:"role"`
	Park      string    `json:"park,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (h *handler) session(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		httpx.WriteProblem(w, r, fault.Unauthenticated("not signed in"))
		return
	}
	p, exp, err := verify(h.cfg.Verifier, c.Value)
	if err != nil {
		clearSession(w, r)
		httpx.WriteProblem(w, r, err)
		return
	}
	_ = httpx.EncodeJSON(r.Context(), w, SessionInfo{Subject: p.Subject, Role: p.Role, Park: p.Park, ExpiresAt: exp})
}

// Sign-in failures, told to the page in the signin query parameter.
const (
	failInvalid = "invalid"
	failRole    = "role"
	failHTTPS   = "https"
	failOrigin  = "origin"
)

// signIn takes a token from the form field "token" (never from the URL,
// where logs and history would keep it).
func (h *handler) signIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !sameOrigin(r) {
		fail(w, r, failOrigin)
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	token = strings.TrimSpace(strings.TrimPrefix(token, "Bearer "))
	_, exp, err := verify(h.cfg.Verifier, token)
	switch {
	case errors.Is(err, fault.ErrForbidden):
		fail(w, r, failRole)
		return
	case err != nil:
		fail(w, r, failInvalid)
		return
	}
	if err := setSession(w, r, token, exp); err != nil {
		fail(w, r, failHTTPS)
		return
	}
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func (h *handler) signOut(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !sameOrigin(r) {
		httpx.WriteProblem(w, r, fault.Forbidden("sign out from the console's own page"))
		return
	}
	clearSession(w, r)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func fail(w http.ResponseWriter, r *http.Request, reason string) {
	http.Redirect(w, r, Prefix+"?signin="+url.QueryEscape(reason), http.StatusSeeOther)
}

// verify checks a console token: valid, and a manager's or an admin's.
// It returns the principal and the token's expiry.
func verify(v *auth.Verifier, token string) (auth.Principal, time.Time, error) {
	if token == "" {
		return auth.Principal{}, time.Time{}, fault.Unauthenticated("missing token")
	}
	p, err := v.Verify(token)
	if err != nil {
		return auth.Principal{}, time.Time{}, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return auth.Principal{}, time.Time{}, err
	}
	exp, err := expiry(token)
	if err != nil {
		return auth.Principal{}, time.Time{}, fault.Wrap(fault.ErrUnauthenticated, "invalid token", err)
	}
	return p, exp, nil
}

// expiry reads the exp claim of a token that has been verified already.
func expiry(token string) (time.Time, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, errors.New("console: token is not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, err
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Exp == 0 {
		return time.Time{}, errors.New("console: token without exp")
	}
	return time.Unix(c.Exp, 0), nil
}

// errInsecure is setSession's refusal to send a token in the clear.
var errInsecure = errors.New("console: sign in over HTTPS, or on a loopback address")

// setSession stores token in the session cookie until exp (MaxSession at
// most). Over plain HTTP it does so only for a loopback host.
func setSession(w http.ResponseWriter, r *http.Request, token string, exp time.Time) error {
	secure := isHTTPS(r)
	if !secure && !loopback(r.Host) {
		return errInsecure
	}
	ttl := min(time.Until(exp), MaxSession)
	if ttl < time.Second {
		return fault.Unauthenticated("token expired")
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: token, Path: "/", MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	})
	return nil
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteStrictMode})
}

// isHTTPS reports whether the browser reached the gateway over TLS, itself
// or through a TLS-terminating proxy. A forged X-Forwarded-Proto only makes
// the cookie Secure, which costs the forger its own session.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func loopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin reports whether a browser request comes from a page of the
// gateway's own origin. Fetch metadata (Sec-Fetch-Site) decides where the
// browser sends it; else the Origin header; a request with neither is not
// from a browser page and so not a cross-site forgery.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	return true
}

// API wraps the gateway's /v1 handler (the proxy, the dev clock) for the
// console: a request without an Authorization header that carries the
// session cookie is passed on with the cookie's token as its bearer token,
// and without the cookie. Cookie-authenticated requests must come from the
// gateway's own origin, and those that change state must carry HeaderConsole;
// others get 403 problem+json. Requests with an Authorization header pass
// unchanged but for the cookie, which is never sent upstream.
func API(next http.Handler) http.Handler {
	if next == nil {
		panic("console: API: nil handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(CookieName)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		out := r.Clone(r.Context())
		stripCookie(out.Header)
		if _, ok := auth.BearerToken(r); ok || r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, out)
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			httpx.WriteProblem(w, r, fault.Forbidden("the console's session is for the console's own pages"))
			return
		}
		if !safeMethod(r.Method) && (r.Header.Get(HeaderConsole) == "" || !sameOrigin(r)) {
			httpx.WriteProblem(w, r, fault.Forbidden("a console request that changes state needs the "+HeaderConsole+" header"))
			return
		}
		out.Header.Set("Authorization", "Bearer "+c.Value)
		next.ServeHTTP(w, out)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// stripCookie removes the session cookie from the Cookie headers, keeping
// any other cookie.
func stripCookie(hd http.Header) {
	var keep []string
	for _, line := range hd.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
			part = strings.TrimSpace(part)
			name, _, _ := strings.Cut(part, "=")
			if part != "" && name != CookieName {
				keep = append(keep, part)
			}
		}
	}
	hd.Del("Cookie")
	if len(keep) > 0 {
		hd.Set("Cookie", strings.Join(keep, "; "))
	}
}
