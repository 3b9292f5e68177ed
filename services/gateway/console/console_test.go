package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/services/gateway"
	"github.com/parkdesk/parkdesk/services/gateway/console"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const secret = "console-test-secret-console-test-secret-0123"

var (
	manager = auth.Principal{Subject: "m-1", Role: auth.RoleManager, Park: "wangcheng"}
	admin   = auth.Principal{Subject: "a-1", Role: auth.RoleAdmin}
	firm    = auth.Principal{Subject: "e-1", Role: auth.RoleEnterprise, Park: "wangcheng", EnterpriseID: "e1"}
)

func keys(t testing.TB) (*auth.Verifier, *auth.Signer, func(auth.Principal) string) {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Issuer: "parkdesk", Audience: "parkdesk-api", HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.NewHMACSigner(secret, "parkdesk", "parkdesk-api")
	if err != nil {
		t.Fatal(err)
	}
	return v, s, func(p auth.Principal) string {
		tok, err := s.Sign(p, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

func newConsole(t *testing.T, dev bool) (http.Handler, *auth.Verifier, func(auth.Principal) string) {
	t.Helper()
	v, _, sign := keys(t)
	h, err := console.New(console.Config{Verifier: v, Dev: dev})
	if err != nil {
		t.Fatal(err)
	}
	return h, v, sign
}

func sessionCookie(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == console.CookieName {
			return c
		}
	}
	return nil
}

func postForm(h http.Handler, host, path string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "http://"+host+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSignInSetsAnHttpOnlyStrictCookieForManagersOnly(t *testing.T) {
	h, v, sign := newConsole(t, false)
	cases := []struct {
		name     string
		host     string
		token    string
		hdr      map[string]string
		location string
		secure   bool
	}{
		{name: "manager on loopback", host: "127.0.0.1:8080", token: sign(manager), location: "/console/"},
		{name: "admin, pasted with its scheme", host: "localhost:8080", token: "Bearer " + sign(admin), location: "/console/"},
		{name: "manager behind TLS", host: "console.park.example", token: sign(manager), hdr: map[string]string{"X-Forwarded-Proto": "https"}, location: "/console/", secure: true},
		{name: "same-origin fetch metadata", host: "127.0.0.1:8080", token: sign(manager), hdr: map[string]string{"Sec-Fetch-Site": "same-origin"}, location: "/console/"},
		{name: "enterprise token", host: "127.0.0.1:8080", token: sign(firm), location: "/console/?signin=role"},
		{name: "garbage", host: "127.0.0.1:8080", token: "not-a-token", location: "/console/?signin=invalid"},
		{name: "empty", host: "127.0.0.1:8080", token: "", location: "/console/?signin=invalid"},
		{name: "plain HTTP over a network", host: "10.1.2.3:8080", token: sign(manager), location: "/console/?signin=https"},
		{name: "cross-site form", host: "127.0.0.1:8080", token: sign(manager), hdr: map[string]string{"Sec-Fetch-Site": "cross-site"}, location: "/console/?signin=origin"},
		{name: "foreign origin", host: "127.0.0.1:8080", token: sign(manager), hdr: map[string]string{"Origin": "http://evil.example"}, location: "/console/?signin=origin"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			rec := postForm(h, tt.host, "/console/session", url.Values{"token": {tt.token}}, tt.hdr)
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tt.location {
				t.Fatalf("%d to %q, want 303 to %q", rec.Code, rec.Header().Get("Location"), tt.location)
			}
			c := sessionCookie(rec)
			if tt.location != "/console/" {
				if c != nil {
					t.Fatalf("refused sign-in set a cookie: %+v", c)
				}
				return
			}
			if c == nil {
				t.Fatal("no session cookie")
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != tt.secure {
				t.Errorf("cookie attributes: %+v", c)
			}
			if c.MaxAge <= 0 || c.MaxAge > int(console.MaxSession/time.Second) || c.MaxAge > 3600 {
				t.Errorf("max age %d, want at most the token's hour", c.MaxAge)
			}
			if _, err := v.Verify(c.Value); err != nil {
				t.Errorf("cookie does not hold the token: %v", err)
			}
		})
	}
}

func TestTokenInTheURLIsIgnored(t *testing.T) {
	h, _, sign := newConsole(t, false)
	req := httptest.NewRequest("POST", "http://127.0.0.1/console/session?token="+sign(manager), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if sessionCookie(rec) != nil || rec.Header().Get("Location") != "/console/?signin=invalid" {
		t.Fatalf("signed in from a query string: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}

func TestSessionTellsWhoIsSignedInButNotTheToken(t *testing.T) {
	h, _, sign := newConsole(t, false)
	get := func(cookie string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "http://127.0.0.1/console/session", nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: console.CookieName, Value: cookie})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	tok := sign(manager)
	rec := get(tok)
	var info console.SessionInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if info.Subject != "m-1" || info.Role != auth.RoleManager || info.Park != "wangcheng" || time.Until(info.ExpiresAt) <= 0 {
		t.Errorf("session %+v", info)
	}
	if strings.Contains(rec.Body.String(), tok) || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("session response leaks or caches: %s %v", rec.Body, rec.Header())
	}
	for _, bad := range []string{"", "garbage", sign(firm)} {
		rec := get(bad)
		if rec.Code == 200 {
			t.Errorf("cookie %.10q: 200", bad)
		}
		if bad != "" && sessionCookie(rec) == nil {
			t.Errorf("cookie %.10q: a bad session cookie is not cleared", bad)
		}
	}
}

func TestSignOutClearsTheCookie(t *testing.T) {
	h, _, _ := newConsole(t, false)
	rec := postForm(h, "127.0.0.1", "/console/signout", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	c := sessionCookie(rec)
	if rec.Code != http.StatusSeeOther || c == nil || c.MaxAge >= 0 {
		t.Fatalf("sign out: %d %+v", rec.Code, c)
	}
	if rec := postForm(h, "127.0.0.1", "/console/signout", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}); rec.Code != http.StatusForbidden {
		t.Errorf("cross-site sign out: %d", rec.Code)
	}
}

// upstream records what reached the gateway's /v1 handler.
type upstream struct {
	authz, cookie string
	calls         int
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.calls++
	u.authz, u.cookie = r.Header.Get("Authorization"), r.Header.Get("Cookie")
	io.WriteString(w, "ok")
}

func TestAPIPutsTheCookiesTokenInTheAuthorizationHeader(t *testing.T) {
	cases := []struct {
		name, method string
		cookies      []*http.Cookie
		hdr          map[string]string
		status       int
		authz        string
		cookie       string
	}{
		{name: "no cookie passes as it is", method: "GET", hdr: map[string]string{"Authorization": "Bearer x"}, status: 200, authz: "Bearer x"},
		{name: "cookie becomes the bearer token", method: "GET", cookies: []*http.Cookie{{Name: console.CookieName, Value: "tok"}}, status: 200, authz: "Bearer tok"},
		{name: "other cookies stay, ours goes", method: "GET", cookies: []*http.Cookie{{Name: "a", Value: "1"}, {Name: console.CookieName, Value: "tok"}, {Name: "b", Value: "2"}}, status: 200, authz: "Bearer tok", cookie: "a=1; b=2"},
		{name: "an Authorization header wins", method: "POST", cookies: []*http.Cookie{{Name: console.CookieName, Value: "tok"}}, hdr: map[string]string{"Authorization": "Bearer mine"}, status: 200, authz: "Bearer mine"},
		{name: "typed in the address bar", method: "GET", cookies: []*http.Cookie{{Name: console.CookieName, Value: "tok"}}, hdr: map[string]string{"Sec-Fetch-Site": "none"}, status: 200, authz: "Bearer tok"},
		{name: "cross-site read", method: "GET", cookies: []*http.Cookie{{Name: console.CookieName, Value: "tok"}}, hdr: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 403},
		{name: "same-site read from another origin", method: "GET", cookies: []*http.Cookie{{Name: console.CookieName, Value: "tok"}}, hdr: map[string]string{"Sec-Fetch-Site": "same-site"}, status: 403},
		{name: "write without the console header", method: "POST", cookies: []*http.Cookie{{Name: console.CookieName, Value: "tok"}}, hdr: map[string]string{"Sec-Fetch-Site": "same-origin"}, status: 403},
		{name: "write from the console", method: "POST", cookies: []*http.Cookie{{Name: console.CookieName, Value: "tok"}}, hdr: map[string]string{"Sec-Fetch-Site": "same-origin", console.HeaderConsole: "1", "Origin": "http://127.0.0.1:8080"}, status: 200, authz: "Bearer tok"},
		{name: "write with the header from a foreign origin", method: "DELETE", cookies: []*http.Cookie{{Name: console.CookieName, Value: "tok"}}, hdr: map[string]string{console.HeaderConsole: "1", "Origin": "http://evil.example"}, status: 403},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			up := &upstream{}
			req := httptest.NewRequest(tt.method, "http://127.0.0.1:8080/v1/sla/overview", nil)
			for _, c := range tt.cookies {
				req.AddCookie(c)
			}
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			console.API(up).ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			if tt.status != 200 {
				if up.calls != 0 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
					t.Fatalf("refused request reached upstream (%d calls) or is not a problem: %v", up.calls, rec.Header())
				}
				return
			}
			if up.authz != tt.authz || up.cookie != tt.cookie {
				t.Errorf("upstream saw Authorization %q Cookie %q, want %q %q", up.authz, up.cookie, tt.authz, tt.cookie)
			}
			if req.Header.Get("Authorization") != tt.hdr["Authorization"] {
				t.Error("the caller's request was modified")
			}
		})
	}
}

// The cookie passes the gateway's real proxy and its token verification.
func TestCookieThroughTheGatewayProxy(t *testing.T) {
	v, _, sign := keys(t)
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.Verify(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); err != nil || r.Header.Get("Cookie") != "" {
			http.Error(w, "bad upstream request", 500)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	defer svc.Close()
	routes, err := gateway.ParseRoutes("/v1/sla=" + svc.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := gateway.NewProxy(v, routes)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(console.API(proxy))
	defer gw.Close()
	for _, c := range []struct {
		cookie string
		status int
	}{{sign(manager), 200}, {"garbage", 401}, {"", 401}} {
		req, _ := http.NewRequest("GET", gw.URL+"/v1/sla/overview", nil)
		if c.cookie != "" {
			req.AddCookie(&http.Cookie{Name: console.CookieName, Value: c.cookie})
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("cookie %.10q: %d %s, want %d", c.cookie, resp.StatusCode, b, c.status)
		}
	}
}

func TestDevSignInIssuesAManagerTokenOfThePark(t *testing.T) {
	v, s, _ := keys(t)
	h, err := console.DevSignIn(s)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://127.0.0.1"+console.DevSignInPath, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `name="park"`) || rec.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("GET: %d %v", rec.Code, rec.Header())
	}
	rec = postForm(h, "127.0.0.1:8080", console.DevSignInPath, url.Values{"park": {"liling"}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	c := sessionCookie(rec)
	if rec.Code != http.StatusSeeOther || c == nil || !c.HttpOnly {
		t.Fatalf("POST: %d %+v", rec.Code, c)
	}
	p, err := v.Verify(c.Value)
	if err != nil || p.Role != auth.RoleManager || p.Park != "liling" || p.Subject != console.DevSubject {
		t.Fatalf("issued %+v, %v", p, err)
	}
	for _, tt := range []struct {
		name   string
		form   url.Values
		hdr    map[string]string
		status int
	}{
		{"bad park", url.Values{"park": {"no such park!"}}, nil, 400},
		{"cross-site", url.Values{"park": {"wangcheng"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
	} {
		rec := postForm(h, "127.0.0.1:8080", console.DevSignInPath, tt.form, tt.hdr)
		if rec.Code != tt.status || sessionCookie(rec) != nil {
			t.Errorf("%s: %d, cookie %v", tt.name, rec.Code, sessionCookie(rec))
		}
	}
	if _, err := console.DevSignIn(nil); err == nil {
		t.Error("dev sign-in without a signer")
	}
}

func TestPageAndAssets(t *testing.T) {
	for _, dev := range []bool{false, true} {
		h, _, _ := newConsole(t, dev)
		get := func(path string, hdr map[string]string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", "http://127.0.0.1"+path, nil)
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		page := get("/console/", nil)
		want := `data-dev="false"`
		if dev {
			want = `data-dev="true"`
		}
		if page.Code != 200 || !strings.Contains(page.Body.String(), want) || !strings.Contains(page.Body.String(), `lang="zh-CN"`) {
			t.Fatalf("dev=%v page: %d %s", dev, page.Code, page.Body)
		}
		csp := page.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q", csp)
		}
		if rec := get("/console", nil); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/console/" {
			t.Errorf("/console: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		for _, a := range []struct{ name, ctype string }{{"app.js", "javascript"}, {"app.css", "text/css"}, {"favicon.svg", "image/svg+xml"}} {
			rec := get("/console/assets/"+a.name, nil)
			if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), a.ctype) || rec.Body.Len() == 0 {
				t.Errorf("%s: %d %q", a.name, rec.Code, rec.Header().Get("Content-Type"))
			}
			if again := get("/console/assets/"+a.name, map[string]string{"If-None-Match": rec.Header().Get("ETag")}); again.Code != http.StatusNotModified {
				t.Errorf("%s revalidation: %d", a.name, again.Code)
			}
		}
		for _, p := range []string{"/console/assets/nope.js", "/console/nope", "/console/dev/signin"} {
			if rec := get(p, nil); rec.Code != 404 {
				t.Errorf("%s: %d, want 404 (the dev sign-in is mounted apart, in dev only)", p, rec.Code)
			}
		}
	}
	if _, err := console.New(console.Config{}); err == nil {
		t.Error("console without a verifier")
	}
}
