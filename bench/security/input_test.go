package security

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/bench/internal/stack"
	"github.com/parkdesk/parkdesk/pkg/auth"
)

// sampleBody is a body that would pass validation where we know how, else
// one generated from the schema (every property set).
func sampleBody(o operation) any {
	fx := env.fx
	switch o.key() {
	case "POST /v1/tickets":
		return map[string]any{"enterprise_id": fx.firmA, "demand": map[string]any{"title": "matrix", "description": "matrix"}}
	case "POST /v1/tasks/{id}/decision":
		return map[string]any{"action": "accept"}
	case "PUT /v1/liaison/firms/{id}/assignment":
		return map[string]any{"officer_id": fx.officerA} // keeps who sees what
	}
	return sample(o.BodySchema, 0, "")
}

// known are values for fields of that name: the fixtures' scope.
func known(name string) (any, bool) {
	fx := env.fx
	switch name {
	case "park":
		return ownPark, true
	case "enterprise_id":
		return fx.firmA, true
	case "officer_id", "backup_officer_id":
		return fx.officerA, true
	case "ticket_id":
		return fx.matter, true
	case "department":
		return "approval-office", true
	case "year":
		return 2026, true
	case "matter_code":
		return "seal-engraving", true
	}
	return nil, false
}

func sample(sc map[string]any, depth int, name string) any {
	if v, ok := known(name); ok {
		return v
	}
	if sc == nil || depth > 5 {
		return map[string]any{}
	}
	if e, ok := sc["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	switch sc["type"] {
	case "string":
		switch sc["format"] {
		case "uuid":
			return uuid.NewString()
		case "date-time":
			return time.Now().UTC().Format(time.RFC3339)
		case "date":
			return time.Now().Format("2006-01-02")
		}
		return "sample"
	case "integer", "number":
		if m, ok := sc["minimum"].(float64); ok {
			return m
		}
		return 1
	case "boolean":
		return false
	case "array":
		it, _ := sc["items"].(map[string]any)
		return []any{sample(it, depth+1, "")}
	}
	out := map[string]any{}
	if props, ok := sc["properties"].(map[string]any); ok {
		for k, v := range props {
			out[k] = sample(v.(map[string]any), depth+1, k)
		}
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// forged are tokens that must all be refused with 401.
func forged(t *testing.T) map[string]string {
	t.Helper()
	p := auth.Principal{Subject: "sec-firm-a", Role: auth.RoleEnterprise, Park: ownPark, EnterpriseID: env.fx.firmA}
	good := token(enterprise, "own")
	parts := strings.Split(good, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWS", good)
	}
	sig := []byte(parts[2])
	sig[len(sig)/2] ^= 0x01
	if sig[len(sig)/2] == '.' {
		sig[len(sig)/2] = 'A'
	}
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var m map[string]any
	_ = json.Unmarshal(claims, &m)
	m["role"], m["enterprise_id"], m["park"] = "admin", "", ""
	escalated := base64.RawURLEncoding.EncodeToString(mustJSON(m))
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))

	other, _ := auth.NewHMACSigner(strings.Repeat("k", 64), stack.Issuer, stack.Audience)
	wrongKey, _ := other.Sign(p, time.Hour)
	wrongIss, _ := mustSigner(t, env.st.Secret, "someone-else", stack.Audience).Sign(p, time.Hour)
	wrongAud, _ := mustSigner(t, env.st.Secret, stack.Issuer, "another-api").Sign(p, time.Hour)

	now := time.Now()
	claimsOf := func(exp, nbf time.Time) jwt.MapClaims {
		return jwt.MapClaims{"sub": "sec-firm-a", "role": "enterprise", "park": ownPark, "enterprise_id": env.fx.firmA,
			"iss": stack.Issuer, "aud": stack.Audience, "iat": now.Add(-2 * time.Hour).Unix(), "exp": exp.Unix(), "nbf": nbf.Unix(),
			"jti": uuid.NewString()}
	}
	hs := func(c jwt.Claims, m jwt.SigningMethod, key any) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	key := []byte(env.st.Secret)
	return map[string]string{
		"tampered signature":           parts[0] + "." + parts[1] + "." + string(sig),
		"claims escalated to admin":    parts[0] + "." + escalated + "." + parts[2],
		"alg none, no signature":       noneHeader + "." + escalated + ".",
		"alg none, original signature": noneHeader + "." + parts[1] + "." + parts[2],
		"signed with another key":      wrongKey,
		"another issuer":               wrongIss,
		"another audience":             wrongAud,
		"expired":                      hs(claimsOf(now.Add(-time.Minute), now.Add(-time.Hour)), jwt.SigningMethodHS256, key),
		"not yet valid":                hs(claimsOf(now.Add(2*time.Hour), now.Add(time.Hour)), jwt.SigningMethodHS256, key),
		"HS512 with the right secret":  hs(claimsOf(now.Add(time.Hour), now.Add(-time.Minute)), jwt.SigningMethodHS512, key),
		"no expiry":                    hs(jwt.MapClaims{"sub": "x", "role": "admin", "iss": stack.Issuer, "aud": stack.Audience}, jwt.SigningMethodHS256, key),
		"admin role with firm scope": hs(jwt.MapClaims{"sub": "x", "role": "admin", "enterprise_id": env.fx.firmA, "iss": stack.Issuer,
			"aud": stack.Audience, "exp": now.Add(time.Hour).Unix()}, jwt.SigningMethodHS256, key),
		"unknown role": hs(jwt.MapClaims{"sub": "x", "role": "root", "iss": stack.Issuer, "aud": stack.Audience,
			"exp": now.Add(time.Hour).Unix()}, jwt.SigningMethodHS256, key),
		"garbage":      "not-a-jwt",
		"empty bearer": "",
		"two dots":     "..",
	}
}

func mustSigner(t *testing.T, secret, iss, aud string) *auth.Signer {
	t.Helper()
	s, err := auth.NewHMACSigner(secret, iss, aud)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestForgedTokens sends forged, expired and alg:none tokens to every
// operation of the OpenAPI: each must be answered 401, and nothing written.
func TestForgedTokens(t *testing.T) {
	ready(t)
	ctx := context.Background()
	toks := forged(t)
	before, volatile := quiet(ctx, t)
	type req struct {
		name, tok string
		op        operation
	}
	var reqs []req
	for name, tok := range toks {
		for _, o := range env.spec.ops {
			reqs = append(reqs, req{name, tok, o})
		}
	}
	parallel(reqs, 8, func(r req) {
		var body []byte
		ct := ""
		if r.op.JSONBody {
			body, ct = mustJSON(sampleBody(r.op)), "application/json"
		}
		hdr := map[string]string{"Idempotency-Key": uuid.NewString(), "Authorization": "Bearer " + r.tok}
		status, answer := callRaw(ctx, r.op.Method, fill(r.op), "", body, ct, hdr)
		if status != http.StatusUnauthorized {
			t.Errorf("%s with a token %s: got %d, want 401: %s", r.op.key(), r.name, status, truncate(string(answer), 160))
		}
	})
	unchanged(ctx, t, before, volatile, fmt.Sprintf("%d requests with forged tokens", len(reqs)))
	t.Logf("%d kinds of forged token × %d operations refused with 401", len(toks), len(env.spec.ops))
}

// TestOversizedBodies sends an 8 MiB body to every operation that takes
// one, as a role allowed to call it: each must be refused with 400 or 413
// (never a 2xx, a 5xx or a hang), and nothing written.
func TestOversizedBodies(t *testing.T) {
	ready(t)
	ctx := context.Background()
	big := bytes.Repeat([]byte("a"), 8<<20)
	jsonBig := append(append([]byte(`{"title":"`), big...), []byte(`"}`)...)
	before, volatile := quiet(ctx, t)
	n := 0
	for _, o := range env.spec.ops {
		if o.Method == http.MethodGet {
			continue
		}
		role := allowedRole(o)
		body, ct := jsonBig, "application/json"
		if !o.JSONBody {
			body, ct = big, "application/pdf"
		}
		start := time.Now()
		status, answer := callRaw(ctx, o.Method, fill(o), token(role, "own"), body, ct, map[string]string{"Idempotency-Key": uuid.NewString()})
		n++
		if status != http.StatusRequestEntityTooLarge && status != http.StatusBadRequest {
			t.Errorf("%s with an 8 MiB body as %s: got %d in %s, want 413 or 400: %s", o.key(), role, status,
				time.Since(start).Round(time.Millisecond), truncate(string(answer), 160))
		}
	}
	unchanged(ctx, t, before, volatile, fmt.Sprintf("%d oversized bodies", n))
	t.Logf("%d operations with a body refuse 8 MiB", n)
}

// allowedRole picks a role the matrix allows for o (enterprise first, the
// most exposed), else manager.
func allowedRole(o operation) string {
	r := policy[o.key()]
	for _, role := range roles {
		if strings.Contains(r.roles, letter[role]) {
			return role
		}
	}
	return manager
}

// hostile are strings every text field must survive: stored verbatim or
// refused with a 4xx naming the problem, never a 5xx.
var hostile = []string{
	`' OR '1'='1' --`,
	`"; DROP TABLE intake.tickets; --`,
	`$1); SELECT pg_sleep(5); --`,
	`<script>alert(1)</script>`,
	`{{7*7}}${7*7}`,
	`../../../../etc/passwd`,
	"line\r\nInjected-Header: 1",
	`\u0000`,
	"nul\x00byte",
	strings.Repeat("长", 3000),
	`%s%n%x`,
	`{"$gt": ""}`,
}

// invalidUTF8 are byte strings that are not UTF-8; spliced raw into JSON.
var invalidUTF8 = [][]byte{{0xff, 0xfe, 0xfd}, {0xc3, 0x28}, {0xe2, 0x82}, []byte("ok\xed\xa0\x80surrogate")}

// TestHostileText puts every hostile string, and raw invalid UTF-8, into
// every free-text field of every JSON body of the OpenAPI, as a role
// allowed to call the operation: invalid UTF-8 must be refused (4xx) and
// write nothing (checked first, on a quiet stack); no answer to a hostile
// string may be a 5xx or a dropped connection.
func TestHostileText(t *testing.T) {
	ready(t)
	ctx := context.Background()
	type req struct {
		op    operation
		field string
		value string
		raw   []byte
	}
	var reqs, bad []req
	for _, o := range env.spec.ops {
		if !o.JSONBody {
			continue
		}
		for _, f := range textFields(o.BodySchema, "") {
			for _, h := range hostile {
				reqs = append(reqs, req{op: o, field: f, value: h})
			}
			for _, b := range invalidUTF8 {
				// The marker is replaced by the raw bytes after marshalling.
				body := mustJSON(bodyWith(f, "@@RAW@@"))
				bad = append(bad, req{op: o, field: f, raw: bytes.Replace(body, []byte("@@RAW@@"), b, 1)})
			}
		}
	}
	if len(reqs) == 0 {
		t.Fatal("no text fields found in the OpenAPI's request bodies")
	}
	before, volatile := quiet(ctx, t)
	parallel(bad, 8, func(r req) {
		status, answer := callRaw(ctx, r.op.Method, fill(r.op), token(allowedRole(r.op), "own"), r.raw,
			"application/json", map[string]string{"Idempotency-Key": uuid.NewString()})
		if status/100 != 4 {
			t.Errorf("%s with invalid UTF-8 in %s: got %d, want a 4xx: %s", r.op.key(), r.field, status, truncate(string(answer), 200))
		}
	})
	unchanged(ctx, t, before, volatile, fmt.Sprintf("%d bodies with invalid UTF-8", len(bad)))
	parallel(reqs, 8, func(r req) {
		status, answer := callRaw(ctx, r.op.Method, fill(r.op), token(allowedRole(r.op), "own"), mustJSON(bodyWith(r.field, r.value)),
			"application/json", map[string]string{"Idempotency-Key": uuid.NewString()})
		if status == 0 || status >= 500 {
			t.Errorf("%s with %s = %q: got %d: %s", r.op.key(), r.field, truncate(r.value, 40), status, truncate(string(answer), 200))
		}
	})
	t.Logf("%d hostile strings and %d invalid UTF-8 bodies over every text field of %d operations", len(reqs), len(bad), countJSON())
}

// TestHostileTextStoredVerbatim files a demand whose title and description
// are hostile strings, reads it back, and wants them exactly as sent.
func TestHostileTextStoredVerbatim(t *testing.T) {
	ready(t)
	ctx := context.Background()
	for _, h := range hostile {
		body := map[string]any{"demand": map[string]any{"title": truncate(h, 100), "description": h}}
		status, answer := callRaw(ctx, http.MethodPost, "/v1/tickets", token(enterprise, "own"), mustJSON(body), "application/json",
			map[string]string{"Idempotency-Key": uuid.NewString()})
		if status/100 == 4 {
			continue // refused, naming the field: fine
		}
		if status/100 != 2 {
			t.Errorf("demand with %q: %d %s", truncate(h, 30), status, truncate(string(answer), 200))
			continue
		}
		var tk struct {
			ID          string `json:"id"`
			Description string `json:"description"`
		}
		_ = json.Unmarshal(answer, &tk)
		status, answer = call(ctx, http.MethodGet, "/v1/tickets/"+tk.ID, token(enterprise, "own"), nil)
		var got struct {
			Description string `json:"description"`
		}
		if status != 200 || json.Unmarshal(answer, &got) != nil {
			t.Errorf("read back %s: %d %s", tk.ID, status, truncate(string(answer), 200))
			continue
		}
		if got.Description != strings.TrimSpace(h) && got.Description != h {
			t.Errorf("demand description %q stored as %q", truncate(h, 40), truncate(got.Description, 40))
		}
	}
}

func countJSON() int {
	n := 0
	for _, o := range env.spec.ops {
		if o.JSONBody {
			n++
		}
	}
	return n
}

// FuzzJSONBodies sends arbitrary bytes as the JSON body of every operation
// that takes one: no 5xx, no dropped connection. `go test` runs the seeds;
// `go test -fuzz FuzzJSONBodies ./security/` explores.
func FuzzJSONBodies(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `null`, `"x"`, `{"a":`, `{"demand":{"title":1}}`, `{"materials":[null]}`,
		`{"action":"accept","items":[` + strings.Repeat(`"x",`, 100) + `"x"]}`, `{"title":"\ud800"}`, "\xff", `{"a":1e999}`,
		`{"working_days":-1}`, `{"year":99999999999999999999}`, strings.Repeat("[", 10000), `{"__proto__":{"admin":true}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ready(t)
		ctx := context.Background()
		for _, o := range env.spec.ops {
			if !o.JSONBody {
				continue
			}
			status, answer := callRaw(ctx, o.Method, fill(o), token(allowedRole(o), "own"), body, "application/json",
				map[string]string{"Idempotency-Key": uuid.NewString()})
			if status == 0 || status >= 500 {
				t.Errorf("%s with body %q: got %d: %s", o.key(), truncate(string(body), 60), status, truncate(string(answer), 200))
			}
		}
	})
}
