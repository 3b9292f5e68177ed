package intake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/services/intake"
)

const secret = "0123456789abcdef0123456789abcdef-intake-tests"

type api struct {
	t      *testing.T
	srv    *httptest.Server
	signer *auth.Signer
}

func newAPI(t *testing.T, e *env) *api {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Issuer: "parkdesk", Audience: "parkdesk-api", HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.NewHMACSigner(secret, "parkdesk", "parkdesk-api")
	if err != nil {
		t.Fatal(err)
	}
	h := intake.MakeHTTPHandler(e.svc, v, slog.New(slog.NewTextHandler(io.Discard, nil)), 1<<20)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv, signer: s}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (a *api) do(p *auth.Principal, method, path string, headers map[string]string, body any) reply {
	a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if p != nil {
		tok, err := a.signer.Sign(*p, time.Hour)
		if err != nil {
			a.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func problemFields(r reply) []string {
	var out []string
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	sort.Strings(out)
	return out
}

func (a *api) upload(p auth.Principal, code, content string) map[string]any {
	a.t.Helper()
	r := a.do(&p, "POST", "/v1/tickets/uploads", map[string]string{"Content-Type": "application/pdf"}, []byte(content))
	if r.status != 201 {
		a.t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	return map[string]any{"code": code, "sha256": r.body["sha256"], "size": r.body["size"], "media_type": "application/pdf"}
}

func TestHTTPSubmitBundle(t *testing.T) {
	e := newEnv(t)
	a := newAPI(t, e)
	var mats []map[string]any
	for _, c := range businessStartupAll {
		mats = append(mats, a.upload(asFirmA, c, "内容 "+c))
	}
	body := map[string]any{"bundle_code": "business-startup", "materials": mats}
	key := map[string]string{"Idempotency-Key": "demo-1"}

	if r := a.do(nil, "POST", "/v1/tickets", key, body); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
	if r := a.do(&asFirmA, "POST", "/v1/tickets", nil, body); r.status != 400 || !equal(problemFields(r), []string{"Idempotency-Key"}) ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("no key: %d %s", r.status, r.raw)
	}
	missing := map[string]any{"bundle_code": "business-startup", "materials": mats[3:4]}
	if r := a.do(&asFirmA, "POST", "/v1/tickets", map[string]string{"Idempotency-Key": "demo-0"}, missing); r.status != 422 ||
		len(problemFields(r)) != 6 {
		t.Fatalf("missing materials: %d %v", r.status, problemFields(r))
	}
	first := a.do(&asFirmA, "POST", "/v1/tickets", key, body)
	if first.status != 201 || first.header.Get("Location") != "/v1/tickets/"+first.body["id"].(string) {
		t.Fatalf("submit: %d %s", first.status, first.raw)
	}
	if !regexp.MustCompile(`^WCJK-2026-\d{6}$`).MatchString(first.body["number"].(string)) || first.body["status"] != "submitted" ||
		len(first.body["items"].([]any)) != 3 {
		t.Fatalf("ticket %s", first.raw)
	}
	again := a.do(&asFirmA, "POST", "/v1/tickets", key, body)
	if again.status != 200 || again.body["id"] != first.body["id"] || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", again.status, again.raw)
	}
	if r := a.do(&asFirmA, "POST", "/v1/tickets", key, missing); r.status != 409 {
		t.Fatalf("other body, same key: %d", r.status)
	}
	path := "/v1/tickets/" + first.body["id"].(string)
	got := a.do(&asFirmA, "GET", path, nil, nil)
	tl, _ := got.body["timeline"].([]any)
	if got.status != 200 || len(tl) != 1 || got.body["number"] != first.body["number"] {
		t.Fatalf("get: %d %s", got.status, got.raw)
	}
	if r := a.do(&asFirmB, "GET", path, nil, nil); r.status != 404 {
		t.Fatalf("another firm: %d", r.status)
	}
	list := a.do(&asFirmA, "GET", "/v1/tickets?kind=bundle", nil, nil)
	if items, _ := list.body["items"].([]any); list.status != 200 || len(items) != 1 {
		t.Fatalf("list: %d %s", list.status, list.raw)
	}
	if r := a.do(&asFirmA, "POST", "/v1/tickets/uploads", map[string]string{"Content-Type": "application/pdf"},
		bytes.Repeat([]byte("x"), 1<<20+10)); r.status != 413 {
		t.Fatalf("oversized upload: %d", r.status)
	}
}

func TestHTTPEnterprises(t *testing.T) {
	e := newEnv(t)
	a := newAPI(t, e)
	uscc, _ := intake.SyntheticUSCC("430112", "4TT009")
	in := map[string]any{"uscc": uscc, "name": "长沙测试智能有限公司", "industry_code": "C3990", "scale": "small"}
	r := a.do(&asStaff, "POST", "/v1/enterprises", nil, in)
	if r.status != 201 || r.body["park"] != park {
		t.Fatalf("register: %d %s", r.status, r.raw)
	}
	if dup := a.do(&asStaff, "POST", "/v1/enterprises", nil, in); dup.status != 409 {
		t.Fatalf("duplicate: %d", dup.status)
	}
	in["uscc"] = uscc[:17] + "0"
	if bad := a.do(&asStaff, "POST", "/v1/enterprises", nil, in); bad.status != 400 || !equal(problemFields(bad), []string{"uscc"}) {
		t.Fatalf("bad uscc: %d %s", bad.status, bad.raw)
	}
	if unknown := a.do(&asStaff, "POST", "/v1/enterprises", nil, map[string]any{"uscc": uscc, "nickname": "x"}); unknown.status != 400 {
		t.Fatalf("unknown field: %d", unknown.status)
	}
	if g := a.do(&asFirmB, "GET", "/v1/enterprises/"+firmA, nil, nil); g.status != 404 {
		t.Fatalf("another firm's profile: %d", g.status)
	}
	if g := a.do(&asFirmA, "GET", "/v1/catalog/matters", nil, nil); g.status != 200 || len(g.body["matters"].([]any)) == 0 {
		t.Fatalf("catalog: %d %s", g.status, g.raw)
	}
}

// Every route in the OpenAPI document is served, and every served route is documented.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	e := newEnv(t)
	a := newAPI(t, e)
	served := []string{
		"POST /v1/enterprises", "GET /v1/enterprises", "GET /v1/enterprises/{id}", "PATCH /v1/enterprises/{id}",
		"GET /v1/catalog/matters", "GET /v1/catalog/matters/{code}", "GET /v1/catalog/bundles", "GET /v1/catalog/bundles/{code}",
		"POST /v1/tickets/uploads", "POST /v1/tickets", "GET /v1/tickets", "GET /v1/tickets/{id}",
		"POST /v1/tickets/{id}/materials", "POST /v1/tickets/{id}/rating", "POST /v1/tickets/{id}/withdraw",
		"POST /v1/tickets/{id}/resolution",
	}
	var documented []string
	for path, ops := range intake.OpenAPI()["paths"].(map[string]any) {
		for method := range ops.(map[string]any) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(served)
	sort.Strings(documented)
	if !equal(served, documented) {
		t.Fatalf("served %v\ndocumented %v", served, documented)
	}
	schemas := intake.OpenAPI()["components"].(map[string]any)["schemas"].(map[string]any)
	refs := regexp.MustCompile(`#/components/schemas/(\w+)`).FindAllStringSubmatch(mustJSON(t, intake.OpenAPI()), -1)
	for _, m := range refs {
		if _, ok := schemas[m[1]]; !ok {
			t.Errorf("dangling $ref %s", m[1])
		}
	}
	for _, route := range documented {
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer("{id}", "0191c0de-0000-7000-8000-0000000fffff", "{code}", "none").Replace(path)
		r := a.do(&asAdmin, method, path, nil, []byte("{}"))
		if r.status == 405 || (r.status == 404 && !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json")) {
			t.Errorf("%s is not served: %d %s", route, r.status, r.raw)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
