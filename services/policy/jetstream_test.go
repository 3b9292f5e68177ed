package policy_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/policypb"
	"github.com/parkdesk/parkdesk/services/policy"
)

func publish(t testing.TB, js jetstream.JetStream, ev event.Event) {
	t.Helper()
	b, err := event.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(ev.Subject)
	msg.Data = b
	if _, err := js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(ev.ID)); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestThroughJetStream: intake's firm and liaison's assignment arrive over
// JetStream, a proactive policy offers, the liaison confirms for the firm,
// the relay publishes the application to the POLICY stream, approval's
// decision arrives over JetStream and reserves the budget.
func TestThroughJetStream(t *testing.T) {
	d := testenv.NewDatabase(t, tpl)
	nt := testenv.JetStream(t)
	e := newEnvOn(t, d.DB)
	cs, err := e.engine.Consumers(context.Background(), nt.JS)
	if err != nil {
		t.Fatal(err)
	}
	relay, err := outbox.NewRelay(e.db, nt.JS, outbox.RelayConfig{Schema: "policy", ListenDSN: d.URL, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, len(cs)+1)
	for _, c := range cs {
		go func() { _ = c.Run(ctx); done <- struct{}{} }()
	}
	go func() { _ = relay.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		for range len(cs) + 1 {
			<-done
		}
	})
	pol := e.publish(proactive("wc-hitech", 500_000_000))
	f := firmN(1)
	publish(t, nt.JS, e.ev(event.EnterpriseRegistered, "enterprise", f.ID, registeredPB(f)))
	publish(t, nt.JS, e.ev(event.OfficerAssigned, "assignment", f.ID, assignedPB(f.ID, "officer-1")))
	var offer policy.Offer
	waitFor(t, "the offer and the officer", func() bool {
		v, err := e.svc.FirmView(as(liaisonUser("officer-1")), f.ID)
		if err != nil || len(v.Offers) == 0 {
			return false
		}
		offer = v.Offers[0]
		return true
	})
	a, err := e.svc.Apply(as(liaisonUser("officer-1")), policy.ApplicationInput{OfferID: offer.ID})
	if err != nil || a.PolicyID != pol.ID || a.Channel != policy.ChannelOffer || a.SubmittedRole != "liaison" {
		t.Fatalf("confirm %+v %v", a, err)
	}
	cons, err := nt.JS.OrderedConsumer(context.Background(), event.StreamPolicy, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{event.PolicyApplicationSubmitted + ".>"}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(20 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got, err := event.Unmarshal(msg.Data())
	if err != nil || got.Payload.(*policypb.ApplicationSubmitted).GetApplicationId() != a.ID || msg.Subject() != "policy.application.submitted.wangcheng" {
		t.Fatalf("submitted on the stream: %v %v", got, err)
	}
	wf := "wf-js"
	publish(t, nt.JS, e.decided(a, wf, "approved", "望经开审〔2026〕0009号"))
	waitFor(t, "the reservation", func() bool {
		got, err := e.repo.Application(context.Background(), a.ID)
		return err == nil && got.State == policy.AppApproved
	})
	if b, err := e.repo.Balance(context.Background(), pol.ID); err != nil || !b.Balanced || b.ReservedFen != 20_000_000 {
		t.Fatalf("balance %+v %v", b, err)
	}
}

// TestHTTP: the routes through go-kit with real tokens; the firm's matches
// are served under both paths, an offer is confirmed with {offer_id}, and
// bad input is a problem naming the field.
func TestHTTP(t *testing.T) {
	e := newEnv(t)
	f := firmN(1)
	e.register(f)
	e.publish(proactive("wc-hitech", 500_000_000))
	secret := strings.Repeat("k", 32)
	v, err := auth.NewVerifier(auth.Config{Issuer: "parkdesk", Audience: "parkdesk-api", HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(secret, "parkdesk", "parkdesk-api")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(policy.MakeHTTPHandler(e.svc, v, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	do := func(p *auth.Principal, method, path, body string) (int, string, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		if p != nil {
			tok, err := signer.Sign(*p, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, resp.Header.Get("Content-Type"), out
	}
	firm, mgr := firmUser(f.ID), manager
	code, _, byPath := do(&firm, "GET", "/v1/enterprises/"+f.ID+"/policy-matches", "")
	code2, _, byQuery := do(&mgr, "GET", "/v1/policy-matches?enterprise_id="+f.ID, "")
	if code != 200 || code2 != 200 {
		t.Fatalf("matches %d %d", code, code2)
	}
	m1, m2 := byPath["matches"].([]any), byQuery["matches"].([]any)
	if len(m1) != 1 || len(m2) != 1 || m1[0].(map[string]any)["amount_fen"].(float64) != 20_000_000 ||
		m1[0].(map[string]any)["offer"] == nil || byPath["eligible_fen"] != byQuery["eligible_fen"] {
		t.Fatalf("matches %v / %v", byPath, byQuery)
	}
	offer := m1[0].(map[string]any)["offer"].(map[string]any)["id"].(string)
	tests := []struct {
		name   string
		p      *auth.Principal
		method string
		path   string
		body   string
		status int
		field  string
	}{
		{"no token", nil, "GET", "/v1/policies", "", 401, ""},
		{"bad rule", &mgr, "POST", "/v1/policies", `{"code":"wc-x","document_number":"d","title":"t","issuer":"i","period":"2026",
			"window_from":"2026-01-01","window_to":"2026-12-31","mode":"application","eligibility":[{"label":"l","rule":"revenue >= 5"}],
			"benefit":{"kind":"fixed","amount_fen":100},"budget_fen":1000}`, 400, "eligibility[0].rule"},
		{"money as a string", &mgr, "POST", "/v1/policies", `{"budget_fen":"much"}`, 400, "budget_fen"},
		{"eligible flag", &firm, "GET", "/v1/policy-matches?eligible=maybe", "", 400, "eligible"},
		{"confirm the offer", &firm, "POST", "/v1/policy-applications", `{"offer_id":"` + offer + `"}`, 201, ""},
		{"confirm again", &firm, "POST", "/v1/policy-applications", `{"offer_id":"` + offer + `"}`, 409, ""},
		{"the firm's view", &firm, "GET", "/v1/policy-applications/firm", "", 200, ""},
		{"overview", &mgr, "GET", "/v1/policies/overview", "", 200, ""},
		{"overview of a firm", &firm, "GET", "/v1/policies/overview", "", 403, ""},
		{"unknown application", &mgr, "GET", "/v1/policy-applications/nope", "", 404, ""},
		{"payment without reference", &mgr, "POST", "/v1/policy-applications/nope/disbursement", `{}`, 400, "reference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := do(tc.p, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if status >= 400 && ctype != "application/problem+json" {
				t.Fatalf("content type %q", ctype)
			}
			if tc.field != "" && !strings.Contains(mustJSON(body), `"`+tc.field+`"`) {
				t.Fatalf("problem does not name %s: %v", tc.field, body)
			}
		})
	}
	// Every route served is documented.
	spec := policy.OpenAPI()["paths"].(map[string]any)
	for _, p := range []string{"/v1/policies", "/v1/policies/{id}", "/v1/policies/{id}/publish", "/v1/policies/{id}/close",
		"/v1/policies/{id}/ledger", "/v1/policies/overview", "/v1/policy-matches", "/v1/enterprises/{id}/policy-matches",
		"/v1/policy-applications", "/v1/policy-applications/firm", "/v1/policy-applications/{id}",
		"/v1/policy-applications/{id}/withdraw", "/v1/policy-applications/{id}/disbursement", "/v1/policy-applications/{id}/release"} {
		if spec[p] == nil {
			t.Fatalf("%s is not in the OpenAPI fragment", p)
		}
	}
	if _, err := json.Marshal(policy.OpenAPI()); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
