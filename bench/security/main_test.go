// Package security tests parkdesk's public API as an attacker would, against
// a real stack the tests start themselves (bench/internal/stack: every
// service binary of the workspace built fresh, embedded JetStream, a fresh
// database): the authorization matrix generated from the gateway's merged
// /openapi.json (every operation × role × own/other scope), forged tokens,
// oversized bodies, injection strings and invalid UTF-8 in every text field
// of every JSON body, and after every refused request a check that nothing
// was half-written (no table of any schema and no JetStream stream changed).
//
// Run: go test ./security/ (in bench/), or `make security`. It needs
// PostgreSQL as the other tests do (PARKDESK_TEST_DATABASE_URL, else
// 127.0.0.1:5432, else a private cluster) and takes well under 90 s once the
// binaries are in the build cache. PARKDESK_SECURITY=off skips it.
package security

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/bench/internal/stack"
	"github.com/parkdesk/parkdesk/pkg/auth"
)

// env is the stack and fixtures shared by every test of the package.
var env struct {
	st      *stack.Stack
	signer  *auth.Signer
	db      *sqlx.DB
	js      jetstream.JetStream
	nc      *nats.Conn
	spec    spec
	fx      fixtures
	err     error
	started time.Time
}

func TestMain(m *testing.M) {
	if os.Getenv("PARKDESK_SECURITY") == "off" {
		fmt.Println("security: skipped (PARKDESK_SECURITY=off)")
		os.Exit(m.Run())
	}
	env.started = time.Now()
	work, err := os.MkdirTemp("", "parkdesk-security-")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	code := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		env.st, env.err = stack.Start(ctx, stack.Config{Work: work, Env: []string{"LOG_LEVEL=warn"}})
		if env.err == nil {
			defer env.st.Stop()
			env.err = setup(ctx)
		}
		if env.err != nil {
			fmt.Fprintf(os.Stderr, "security: stack or fixtures failed: %v\n", env.err)
		} else {
			fmt.Fprintf(os.Stderr, "security: stack and fixtures ready in %s\n", time.Since(env.started).Round(time.Millisecond))
		}
		return m.Run()
	}()
	if env.nc != nil {
		env.nc.Close()
	}
	if env.db != nil {
		env.db.Close()
	}
	if code == 0 {
		os.RemoveAll(work)
	} else {
		fmt.Fprintf(os.Stderr, "security: logs kept in %s\n", work)
	}
	os.Exit(code)
}

// ready fails t when the stack did not come up.
func ready(t *testing.T) {
	t.Helper()
	if os.Getenv("PARKDESK_SECURITY") == "off" {
		t.Skip("PARKDESK_SECURITY=off")
	}
	if env.err != nil {
		t.Fatalf("no stack: %v", env.err)
	}
}

func setup(ctx context.Context) error {
	var err error
	if env.signer, err = env.st.Signer(); err != nil {
		return err
	}
	if env.db, err = env.st.DB(); err != nil {
		return err
	}
	if env.nc, err = nats.Connect(env.st.NATSURL, nats.Name("security-test")); err != nil {
		return err
	}
	if env.js, err = jetstream.New(env.nc); err != nil {
		return err
	}
	if env.spec, err = loadSpec(ctx); err != nil {
		return err
	}
	return makeFixtures(ctx)
}

// principal names of the matrix.
const (
	enterprise = "enterprise"
	liaison    = "liaison"
	staff      = "staff"
	manager    = "manager"
	admin      = "admin"
)

var roles = []string{enterprise, liaison, staff, manager, admin}

// Parks of the fixtures.
const (
	ownPark   = "wangcheng"
	otherPark = "changsha-hitech"
)

// fixtures are real resources of firm A in park wangcheng and the ids the
// matrix puts into paths.
type fixtures struct {
	firmA, firmB       string
	officerA, officerB string
	demand, matter     string // tickets of firm A
	request            string // liaison request of the demand
	workflow, task     string // approval of the matter
	clock              string // sla clock of the matter
	policy             string // a policy of the park
	upload             string // sha256 of firm A's uploaded material
	tokens             map[string]map[string]string
}

// token returns the bearer token of role in scope ("own" or "other").
func token(role, scope string) string { return env.fx.tokens[role][scope] }

func makeFixtures(ctx context.Context) error {
	fx := &env.fx
	sign := func(p auth.Principal) string {
		tok, err := env.signer.Sign(p, 2*time.Hour)
		if err != nil {
			panic(err)
		}
		return tok
	}
	mgr := sign(auth.Principal{Subject: "sec-manager", Role: auth.RoleManager, Park: ownPark})
	// Firms with officers: A and B with different officers.
	var firms []struct {
		EnterpriseID string `json:"enterprise_id"`
		OfficerID    string `json:"officer_id"`
		Backup       string `json:"backup_officer_id"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var out struct {
			Firms []struct {
				EnterpriseID string `json:"enterprise_id"`
				OfficerID    string `json:"officer_id"`
				Backup       string `json:"backup_officer_id"`
			} `json:"firms"`
		}
		status, body := call(ctx, http.MethodGet, "/v1/liaison/firms", mgr, nil)
		firms = nil
		if status == 200 && json.Unmarshal(body, &out) == nil {
			for _, f := range out.Firms {
				if f.OfficerID != "" {
					firms = append(firms, f)
				}
			}
		}
		if len(firms) >= 10 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("fixtures: %d firms of %s have officers after 60s (answer %d %s)", len(firms), ownPark, status, body)
		}
		time.Sleep(300 * time.Millisecond)
	}
	sort.Slice(firms, func(i, j int) bool { return firms[i].EnterpriseID < firms[j].EnterpriseID })
	a := firms[0]
	fx.firmA, fx.officerA = a.EnterpriseID, a.OfficerID
	for _, f := range firms[1:] {
		if f.OfficerID != a.OfficerID && f.OfficerID != a.Backup && f.Backup != a.OfficerID {
			fx.firmB, fx.officerB = f.EnterpriseID, f.OfficerID
			break
		}
	}
	if fx.firmB == "" {
		return fmt.Errorf("fixtures: no firm whose officers differ from firm %s's", fx.firmA)
	}
	fx.tokens = map[string]map[string]string{
		enterprise: {
			"own":   sign(auth.Principal{Subject: "sec-firm-a", Role: auth.RoleEnterprise, Park: ownPark, EnterpriseID: fx.firmA}),
			"other": sign(auth.Principal{Subject: "sec-firm-b", Role: auth.RoleEnterprise, Park: ownPark, EnterpriseID: fx.firmB}),
		},
		liaison: {
			"own":   sign(auth.Principal{Subject: "sec-officer-a", Role: auth.RoleLiaison, Park: ownPark, OfficerID: fx.officerA}),
			"other": sign(auth.Principal{Subject: "sec-officer-b", Role: auth.RoleLiaison, Park: ownPark, OfficerID: fx.officerB}),
		},
		staff: {
			"own":   sign(auth.Principal{Subject: "sec-staff", Role: auth.RoleStaff, Park: ownPark, Departments: []string{"approval-office", "finance", "police"}}),
			"other": sign(auth.Principal{Subject: "sec-staff-other", Role: auth.RoleStaff, Park: otherPark, Departments: []string{"approval-office", "finance", "police"}}),
		},
		manager: {
			"own":   mgr,
			"other": sign(auth.Principal{Subject: "sec-manager-other", Role: auth.RoleManager, Park: otherPark}),
		},
		admin: {
			"own":   sign(auth.Principal{Subject: "sec-admin", Role: auth.RoleAdmin}),
			"other": sign(auth.Principal{Subject: "sec-admin", Role: auth.RoleAdmin}),
		},
	}
	firm := token(enterprise, "own")
	content := []byte("%PDF-1.4 security fixture")
	status, body := callRaw(ctx, http.MethodPost, "/v1/tickets/uploads", firm, content, "application/pdf", nil)
	if status/100 != 2 {
		return fmt.Errorf("fixtures: upload: %d %s", status, body)
	}
	var up struct {
		SHA256 string `json:"sha256"`
	}
	_ = json.Unmarshal(body, &up)
	fx.upload = up.SHA256
	submit := func(b string) (string, error) {
		status, body := callRaw(ctx, http.MethodPost, "/v1/tickets", firm, []byte(b), "application/json",
			map[string]string{"Idempotency-Key": uuid.NewString()})
		var tk struct {
			ID string `json:"id"`
		}
		if status/100 != 2 || json.Unmarshal(body, &tk) != nil || tk.ID == "" {
			return "", fmt.Errorf("fixtures: submit %s: %d %s", b, status, body)
		}
		return tk.ID, nil
	}
	var err error
	if fx.demand, err = submit(`{"demand":{"title":"安全测试诉求","description":"fixture"}}`); err != nil {
		return err
	}
	if fx.matter, err = submit(fmt.Sprintf(`{"matter_code":"seal-engraving","materials":[{"code":"business-license-copy","sha256":%q},{"code":"legal-rep-id","sha256":%q}]}`,
		fx.upload, fx.upload)); err != nil {
		return err
	}
	// The events settle: a request, a workflow with its task, a clock.
	deadline = time.Now().Add(30 * time.Second)
	for {
		_ = env.db.GetContext(ctx, &fx.request, `SELECT coalesce((SELECT id::text FROM liaison.requests WHERE ticket_id = $1 LIMIT 1), '')`, fx.demand)
		_ = env.db.GetContext(ctx, &fx.workflow, `SELECT coalesce((SELECT id::text FROM approval.workflows WHERE ticket_id = $1 LIMIT 1), '')`, fx.matter)
		_ = env.db.GetContext(ctx, &fx.task, `SELECT coalesce((SELECT t.id::text FROM approval.tasks t WHERE t.workflow_id::text = $1 LIMIT 1), '')`, fx.workflow)
		_ = env.db.GetContext(ctx, &fx.clock, `SELECT coalesce((SELECT id::text FROM sla.clocks WHERE ticket_id = $1 LIMIT 1), '')`, fx.matter)
		if fx.request != "" && fx.workflow != "" && fx.task != "" && fx.clock != "" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("fixtures did not settle in 30s: request %q workflow %q task %q clock %q", fx.request, fx.workflow, fx.task, fx.clock)
		}
		time.Sleep(200 * time.Millisecond)
	}
	_ = env.db.GetContext(ctx, &fx.policy, `SELECT coalesce((SELECT id::text FROM policy.policies WHERE park = $1 LIMIT 1), '')`, ownPark)
	if fx.policy == "" {
		fx.policy = uuid.NewString()
	}
	return nil
}

var client = &http.Client{Timeout: 15 * time.Second}

// call sends a JSON request (body marshalled unless nil or []byte).
func call(ctx context.Context, method, path, token string, body any) (int, []byte) {
	var b []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	ct := ""
	if b != nil {
		ct = "application/json"
	}
	return callRaw(ctx, method, path, token, b, ct, nil)
}

// callRaw sends one request and returns the status and body (status 0 on a
// transport error, with the error as the body).
func callRaw(ctx context.Context, method, path, token string, body []byte, contentType string, hdr map[string]string) (int, []byte) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, env.st.Gateway+path, rd)
	if err != nil {
		return 0, []byte(err.Error())
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, nil // a live stream: the status is the answer
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b
}

// parallel runs fn over items with n workers.
func parallel[T any](items []T, n int, fn func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for it := range ch {
				fn(it)
			}
		})
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}
