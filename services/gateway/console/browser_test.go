package console_test

// The console in a real browser against a real stack: headless Debian
// Chromium (driven over the DevTools protocol by chromedp), the gateway's
// proxy, console and dev clock, and the sla service in process (engine,
// scheduler, outbox relay, HTTP handlers and the SSE stream) over real
// PostgreSQL and embedded JetStream. Time is a dev clock (clock.Offset) the
// test moves, as the dev stack's POST /v1/dev/clock does.
//
// Screenshots go to $PARKDESK_ARTIFACTS/console, else to
// $TMPDIR/parkdesk-artifacts/console; the test logs where.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/services/gateway"
	"github.com/parkdesk/parkdesk/services/gateway/console"
	"github.com/parkdesk/parkdesk/services/sla"
	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

const park = "wangcheng"

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

func at(s string) time.Time {
	v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return v
}

const installChromium = "the console's browser tests need Debian's headless Chromium: " +
	"install it with `make deps` (scripts/deps.sh) or `apt-get install -y chromium fonts-wqy-microhei`, " +
	"or set PARKDESK_CHROMIUM to a Chromium binary"

// chromium finds the browser or fails the test saying how to install it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PARKDESK_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("PARKDESK_CHROMIUM=%s: %v; %s", p, err, installChromium)
		}
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium not found: " + installChromium)
	return ""
}

func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PARKDESK_ARTIFACTS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "parkdesk-artifacts")
	}
	dir := filepath.Join(base, "console")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", dir)
	return dir
}

// stack is the sla service and the gateway, running in this process.
type stack struct {
	t      *testing.T
	db     *sqlx.DB
	js     jetstream.JetStream
	off    *clock.Offset
	base   time.Time
	gw     *httptest.Server
	repo   *sla.Repository
	sign   func(auth.Principal) string
	vers   map[string]int64
	ticket map[string]string // name → ticket id
	wf     map[string]string // name → workflow id
}

var tpl = testenv.Template{Name: "console_sla", Schema: "sla",
	Sets: []db.MigrationSet{outbox.Migrations, inbox.Migrations, calendar.Migrations, sla.Migrations}}

func startStack(t *testing.T, start time.Time) *stack {
	t.Helper()
	d := testenv.NewDatabase(t, tpl)
	nt := testenv.JetStream(t)
	v, signer, sign := keys(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	base := clock.NewManual(start)
	off := clock.NewOffset(base)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	run := func(name string, fn func(context.Context) error) {
		wg.Go(func() {
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	store, err := calendar.NewStore(d.DB)
	must(err)
	must(calendar.Seed(ctx, store, "../../../seeds"))
	cache, err := calendar.NewCache(store, calendar.CacheConfig{Logger: logger})
	must(err)
	sched, err := sla.NewScheduler(sla.SchedulerConfig{DB: d.DB, Source: cache, Clock: off, Logger: logger})
	must(err)
	engine, err := sla.NewEngine(sla.EngineConfig{DB: d.DB, Source: cache, Clock: off, Logger: logger, Wake: sched.Poke})
	must(err)
	consumers, err := engine.Consumers(ctx, nt.JS)
	must(err)
	for i, c := range consumers {
		run(fmt.Sprintf("consumer %d", i), c.Run)
	}
	run("scheduler", sched.Run)
	relay, err := outbox.NewRelay(d.DB, nt.JS, outbox.RelayConfig{Schema: "sla", ListenDSN: d.URL, PollInterval: 100 * time.Millisecond, Logger: logger})
	must(err)
	run("relay", relay.Run)
	repo, err := sla.NewRepository(d.DB)
	must(err)
	svc, err := sla.NewService(sla.ServiceConfig{Store: repo, Source: cache, Clock: off, Wake: sched.Poke})
	must(err)
	streams, endStreams := context.WithCancel(context.Background())
	stream, err := sla.NewStreamHandler(sla.StreamConfig{Conn: nt.Conn, Verifier: v, Shutdown: streams, Logger: logger})
	must(err)
	spec, err := json.Marshal(sla.OpenAPI())
	must(err)
	slaMux := http.NewServeMux()
	slaMux.Handle("/v1/sla/", sla.MakeHTTPHandler(svc, v, logger))
	slaMux.Handle("GET /v1/sla/stream", stream)
	slaMux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) { w.Write(spec) })
	slaSrv := httptest.NewServer(slaMux)
	t.Cleanup(slaSrv.Close)

	liaison := httptest.NewServer(fakeLiaison())
	t.Cleanup(liaison.Close)

	// The gateway, mounted as cmd/gateway mounts it with PARKDESK_DEV=1. The
	// sla service and a stand-in for the liaison service (not merged yet) are
	// routed; intake and policy are "not available yet".
	routes, err := gateway.ParseRoutes("/v1/sla=" + slaSrv.URL + ",/v1/calendars=" + slaSrv.URL + ",/v1/liaison=" + liaison.URL)
	must(err)
	proxy, err := gateway.NewProxy(v, routes)
	must(err)
	con, err := console.New(console.Config{Verifier: v, Dev: true})
	must(err)
	devSignIn, err := console.DevSignIn(signer)
	must(err)
	mux := http.NewServeMux()
	mux.Handle("/v1/", console.API(proxy))
	mux.Handle("GET /openapi.json", gateway.OpenAPI(gateway.Spec(true), gateway.Upstreams(routes), nil))
	mux.Handle("/console", con)
	mux.Handle(console.Prefix, con)
	mux.Handle("/v1/dev/clock", console.API(gateway.DevClock(v, off, nopStore{})))
	mux.Handle(console.DevSignInPath, devSignIn)
	gw := httptest.NewServer(httpx.RequestID(httpx.AccessLog(logger)(mux)))
	t.Cleanup(gw.Close)
	t.Cleanup(endStreams) // runs first: open streams end so the servers can close

	return &stack{t: t, db: d.DB, js: nt.JS, off: off, base: start, gw: gw, repo: repo, sign: sign,
		vers: map[string]int64{}, ticket: map[string]string{}, wf: map[string]string{}}
}

// fakeLiaison answers GET /v1/liaison/overview with the shape of the
// liaison service's LiaisonOverview (services/liaison, not merged yet), so
// the officers section is seen with data while policies are still missing.
func fakeLiaison() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"paths":{"/v1/liaison/overview":{"get":{}}}}`)
	})
	mux.HandleFunc("GET /v1/liaison/overview", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"park":"wangcheng","from":"2026-08-19T16:00:00Z","to":"2026-09-18T09:31:00Z",
			"officers":[
			 {"officer_id":"o-1","name":"张伟","status":"active","cap":12,"firms":11,"backup_firms":2,"open_requests":4,"load":11,
			  "pending_acknowledgements":2,"overdue_acknowledgements":1,"acknowledged":9,"avg_response_minutes":42.5,"max_response_minutes":180,
			  "returned":0,"chases":1,"key_firms":5,"key_firms_visited":3,"key_firms_visit_overdue":1,"visit_coverage":0.6,"visits":7,"open_promises":2,"overdue_promises":1},
			 {"officer_id":"o-2","name":"李娜","status":"active","cap":12,"firms":6,"backup_firms":1,"open_requests":1,"load":6,
			  "pending_acknowledgements":0,"overdue_acknowledgements":0,"acknowledged":14,"avg_response_minutes":18,"max_response_minutes":55,
			  "returned":1,"chases":0,"key_firms":4,"key_firms_visited":4,"key_firms_visit_overdue":0,"visit_coverage":1,"visits":9,"open_promises":0,"overdue_promises":0},
			 {"officer_id":"o-3","name":"王强","status":"on_leave","cap":10,"firms":0,"backup_firms":0,"open_requests":0,"load":0,
			  "pending_acknowledgements":0,"overdue_acknowledgements":0,"acknowledged":0,"avg_response_minutes":null,"max_response_minutes":null,
			  "returned":0,"chases":0,"key_firms":0,"key_firms_visited":0,"key_firms_visit_overdue":0,"visit_coverage":null,"visits":0,"open_promises":0,"overdue_promises":0}],
			"unassigned_firms":[{"id":"f-9"}],"waiting_requests":2,"requests_at_manager":1}`)
	})
	return mux
}

type nopStore struct{}

func (nopStore) SetOffset(context.Context, time.Duration) error { return nil }

// now moves the stack's time to ts.
func (s *stack) now(ts time.Time) { s.off.SetOffset(ts.Sub(s.base)) }

func (s *stack) ids(name string) (ticket, wf string) {
	if s.ticket[name] == "" {
		s.ticket[name], s.wf[name] = uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	}
	return s.ticket[name], s.wf[name]
}

// publish sends an event to JetStream as its producer's outbox relay would.
func (s *stack) publish(typ, aggType, aggID string, when time.Time, p proto.Message) {
	s.t.Helper()
	s.vers[aggType+"/"+aggID]++
	ev, err := event.New(typ, park, event.Aggregate{Type: aggType, ID: aggID, Version: s.vers[aggType+"/"+aggID]}, when, p)
	if err != nil {
		s.t.Fatal(err)
	}
	b, err := event.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	msg := nats.NewMsg(ev.Subject)
	msg.Data = b
	msg.Header.Set(event.HeaderType, ev.Type)
	msg.Header.Set(event.HeaderPark, ev.Park)
	if _, err := s.js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(ev.ID)); err != nil {
		s.t.Fatal(err)
	}
}

type matter struct{ code, dept string }

var (
	businessLicense    = matter{"business-license", "market"}
	constructionPermit = matter{"construction-permit", "housing"}
	fireAcceptance     = matter{"fire-acceptance", "housing"}
	eiaApproval        = matter{"eia-approval", "eco"}
)

func (s *stack) submitted(name string, m matter, ch intakepb.Channel) {
	ticket, _ := s.ids(name)
	when := s.off.Now()
	s.publish(event.TicketSubmitted, "ticket", ticket, when, &intakepb.TicketSubmitted{
		TicketId: ticket, EnterpriseId: "firm-" + name, Kind: intakepb.TicketKind_TICKET_KIND_MATTER, Channel: ch,
		MatterCodes: []string{m.code}, Departments: []string{m.dept}, SubmittedAt: timestamppb.New(when)})
}

func (s *stack) accepted(name string, m matter, days int32) {
	ticket, wf := s.ids(name)
	when := s.off.Now()
	s.publish(event.WorkflowAccepted, "workflow", wf, when, &approvalpb.WorkflowAccepted{
		WorkflowId: wf, TicketId: ticket, MatterCode: m.code, Department: m.dept, HandlerId: "reviewer-1", OfficerId: "officer-1",
		CommitmentWorkingDays: days, LegalWorkingDays: days * 4, WarnWorkingDays: 1, AcceptedAt: timestamppb.New(when)})
}

func (s *stack) decided(name string, m matter) {
	ticket, wf := s.ids(name)
	when := s.off.Now()
	s.publish(event.WorkflowDecided, "workflow", wf, when, &approvalpb.WorkflowDecided{
		WorkflowId: wf, TicketId: ticket, Outcome: "approved", DecidedAt: timestamppb.New(when),
		SubjectType: "ticket", SubjectId: ticket, MatterCode: m.code})
}

func (s *stack) rated(name string, m matter, score int32) {
	ticket, _ := s.ids(name)
	s.publish(event.TicketRated, "ticket", ticket, s.off.Now(), &intakepb.TicketRated{
		TicketId: ticket, Score: score, Department: m.dept, MatterCode: m.code})
}

// waitRows polls until the query counts want rows.
func (s *stack) waitRows(want int, q string, args ...any) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := s.db.Get(&n, q, args...); err != nil {
			s.t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %d rows of %s %v (have %d)", want, q, args, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *stack) waitClock(name, kind, state string) sla.Clock {
	s.t.Helper()
	ticket, _ := s.ids(name)
	s.waitRows(1, `SELECT count(*) FROM clocks WHERE ticket_id = $1 AND kind = $2 AND state = $3`, ticket, kind, state)
	cs, err := s.repo.TicketClocks(context.Background(), ticket)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, c := range cs {
		if string(c.Kind) == kind {
			return c
		}
	}
	s.t.Fatalf("no %s clock for %s", kind, name)
	return sla.Clock{}
}

// seed tells a fortnight of the park: two tickets finished on time (one
// filed online, both rated), one left to breach, then two accepted on the
// Monday of the test (A with two working days, B with five).
func (s *stack) seed() {
	s.t.Helper()
	s.now(at("2026-09-01 09:40"))
	s.submitted("T1", businessLicense, intakepb.Channel_CHANNEL_ONLINE)
	s.waitClock("T1", "acceptance", "green")
	s.now(at("2026-09-01 10:00"))
	s.accepted("T1", businessLicense, 3)
	s.waitClock("T1", "resolution", "green")
	s.now(at("2026-09-03 15:00"))
	s.decided("T1", businessLicense)
	s.waitClock("T1", "resolution", "stopped")
	s.rated("T1", businessLicense, 5)

	s.now(at("2026-09-07 09:40"))
	s.submitted("T2", constructionPermit, intakepb.Channel_CHANNEL_WINDOW)
	s.submitted("T3", fireAcceptance, intakepb.Channel_CHANNEL_ONLINE)
	s.waitClock("T2", "acceptance", "green")
	s.waitClock("T3", "acceptance", "green")
	s.now(at("2026-09-07 10:00"))
	s.accepted("T2", constructionPermit, 2)
	s.accepted("T3", fireAcceptance, 1)
	s.waitClock("T2", "resolution", "green")
	s.waitClock("T3", "resolution", "green")
	s.now(at("2026-09-08 14:00"))
	s.decided("T2", constructionPermit)
	s.waitClock("T2", "resolution", "stopped")
	s.rated("T2", constructionPermit, 4)

	s.now(at("2026-09-14 09:10"))
	s.submitted("A", constructionPermit, intakepb.Channel_CHANNEL_ONLINE)
	s.waitClock("A", "acceptance", "green")
	s.now(at("2026-09-14 09:30"))
	s.accepted("A", constructionPermit, 2)
	s.accepted("B", eiaApproval, 5)
	s.waitClock("T3", "resolution", "red")
	s.waitClock("B", "resolution", "green")
	a := s.waitClock("A", "resolution", "green")
	s.waitRows(2, `SELECT count(*) FROM tickets WHERE rating IS NOT NULL`)
	s.now(a.WarnAt.Add(time.Minute))
	s.waitClock("A", "resolution", "yellow")
}

// devClock moves time as a manager would with the dev stack's API.
func (s *stack) devClock(body string) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.gw.URL+"/v1/dev/clock", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.sign(auth.Principal{Subject: "m-api", Role: auth.RoleManager, Park: park}))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		s.t.Fatalf("dev clock %s: %d %s", body, resp.StatusCode, b)
	}
}

func TestConsoleInBrowser(t *testing.T) {
	browser := chromium(t)
	shots := artifactDir(t)
	began := time.Now()
	st := startStack(t, at("2026-09-01 09:00"))
	st.seed()
	t.Logf("stack up and seeded in %s", time.Since(began).Round(time.Millisecond))
	ticketA, _ := st.ids("A")
	ticketB, _ := st.ids("B")
	ticketT3, _ := st.ids("T3")
	clockA := st.waitClock("A", "resolution", "yellow")
	clockB := st.waitClock("B", "resolution", "green")

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Env("TMPDIR="+t.TempDir()), // its singleton files go with the test
		chromedp.WindowSize(1366, 900),
	)
	t.Cleanup(cancelAlloc) // runs before the stack's cleanups: the browser leaves first
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	var (
		mu      sync.Mutex
		jsFails []string
	)
	// Listen starts the browser: it runs on the tab's context, without a timeout.
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			mu.Lock()
			d := ev.ExceptionDetails
			desc := d.Text
			if d.Exception != nil {
				desc += " " + d.Exception.Description
			}
			jsFails = append(jsFails, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, desc))
			mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				mu.Lock()
				jsFails = append(jsFails, fmt.Sprintf("console.error %v", ev.Args))
				mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}
	tab := ctx
	ctx, cancelRun := context.WithTimeout(ctx, 90*time.Second)
	defer cancelRun()

	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			_ = shot(tab, shots, "failed-"+name)
			t.Fatalf("%s: %v", name, err)
		}
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	screenshot := func(name string) {
		t.Helper()
		if err := shot(tab, shots, name); err != nil {
			t.Fatal(err)
		}
	}
	row := func(ticket, state string) chromedp.CSS {
		return css(fmt.Sprintf(`#board-table tr[data-ticket-id=%q][data-state=%q]`, ticket, state))
	}

	// Sign in through the dev stack's sign-in: no token in sight of scripts.
	step("open the console", chromedp.Navigate(st.gw.URL+"/console/"), chromedp.WaitVisible(css(`#signin #dev-signin`)))
	screenshot("01-signin")
	step("dev sign-in", chromedp.Click(css(`#dev-signin`)), chromedp.WaitVisible(css(`#board-table`)))
	if v := eval(`document.cookie.includes('` + console.CookieName + `')`); v != false {
		t.Errorf("the session cookie is readable from JavaScript (%v)", v)
	}

	// The board: T3 breached (and escalated), A warned, most urgent first.
	step("see the board",
		chromedp.WaitVisible(row(ticketT3, "red")),
		chromedp.WaitVisible(row(ticketA, "yellow")),
		chromedp.WaitVisible(css(`#live[data-live="live"]`)))
	order := fmt.Sprint(eval(`[...document.querySelectorAll('#board-table tbody tr')].map(r => r.dataset.ticketId)`))
	if want := fmt.Sprint([]any{ticketT3, ticketA}); order != want {
		t.Errorf("board order %v, want T3 (red) then A (yellow) %v", order, want)
	}
	screenshot("02-board")

	// Move the clock past A's deadline from outside the page: the breach must
	// arrive over the stream, in the same page (no reload, no polling).
	eval(`window.__parkdeskMarker = 'same page'`)
	st.devClock(fmt.Sprintf(`{"set":%q}`, clockA.Deadline.Add(time.Minute).Format(time.RFC3339)))
	step("a new breach appears live",
		chromedp.WaitVisible(row(ticketA, "red")),
		chromedp.WaitVisible(css(fmt.Sprintf(`#feed li.ev-breached[data-clock-id=%q]`, clockA.ID))))
	if v := eval(`window.__parkdeskMarker || 'reloaded'`); v != "same page" {
		t.Errorf("the page reloaded (%v)", v)
	}
	if v := text(`#tile-red .tile-value`); v != "2" {
		t.Errorf("red tile %q, want 2", v)
	}
	screenshot("03-breach-live")

	// The console's own dev clock (a cookie-authenticated POST) warns B.
	advance := clockB.WarnAt.Add(time.Minute).Sub(st.off.Now())
	step("move the dev clock from the console",
		chromedp.SendKeys(css(`#dev-clock-input`), advance.String()),
		chromedp.Click(css(`#dev-clock-apply`)),
		chromedp.WaitVisible(row(ticketB, "yellow")),
		// The stream tells state only; the console reads a new clock's matter.
		chromedp.WaitVisible(css(fmt.Sprintf(`#board-table tr[data-ticket-id=%q][data-matter="eia-approval"]`, ticketB))))
	if v := text(`#dev-clock-msg`); v != "已拨动时钟" {
		t.Errorf("dev clock message %q", v)
	}

	// A ticket's timeline: the SLA clocks' story; intake is not routed yet.
	step("open A's timeline",
		chromedp.Click(css(fmt.Sprintf(`tr[data-ticket-id=%q] a.ticket-link`, ticketA))),
		chromedp.WaitVisible(css(`#timeline li.tl-red`)),
		chromedp.WaitVisible(css(`#timeline li.tl-yellow`)),
		chromedp.WaitVisible(css(`#ticket-info .notice[data-state="unavailable"]`)))
	timeline := text(`#timeline`)
	for _, want := range []string{"受理计时开始", "办结计时开始", "办结预警（黄灯）", "办结超时（红灯）"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("timeline lacks %q:\n%s", want, timeline)
		}
	}
	screenshot("04-ticket-timeline")

	// Figures from the sla overview; officers and policies are not there yet.
	step("figures",
		chromedp.Click(css(`#nav-figures`)),
		chromedp.WaitVisible(css(`#dept-table tr[data-key="housing"]`)),
		chromedp.WaitVisible(css(`#trend-chart circle`)),
		chromedp.WaitVisible(css(`#matter-table`)))
	screenshot("05-figures")
	step("officers", chromedp.Click(css(`#nav-officers`)), chromedp.WaitVisible(css(`#officers-table tbody tr`)))
	if v := text(`#officers-table tbody tr:first-child`); !strings.Contains(v, "张伟") {
		t.Errorf("the officer with an overdue acknowledgement is not first: %q", v)
	}
	screenshot("06-officers")
	step("policies", chromedp.Click(css(`#nav-policies`)), chromedp.WaitVisible(css(`#policies-body .notice[data-state="unavailable"]`)))
	screenshot("07-policies-not-yet")

	// English, then the wall display.
	step("english",
		chromedp.Click(css(`#lang-toggle`)),
		chromedp.Click(css(`#nav-board`)),
		chromedp.WaitVisible(row(ticketA, "red")))
	if v := text(`#nav-board`); v != "Live board" {
		t.Errorf("nav in English: %q", v)
	}
	screenshot("08-board-en")
	step("wall display",
		chromedp.EmulateViewport(1920, 1080),
		chromedp.Click(css(`#lang-toggle`)),
		chromedp.Click(css(`#wall-toggle`)),
		chromedp.WaitVisible(css(`html.wall #board-table`)),
		chromedp.WaitVisible(row(ticketB, "yellow")))
	screenshot("09-wall")

	step("sign out", chromedp.Click(css(`#signout`)), chromedp.WaitVisible(css(`#signin`)))

	mu.Lock()
	defer mu.Unlock()
	if len(jsFails) > 0 {
		t.Errorf("JavaScript errors:\n%s", strings.Join(jsFails, "\n"))
	}
	t.Logf("browser test done in %s", time.Since(began).Round(time.Millisecond))
}

func shot(tab context.Context, dir, name string) error {
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", name, err)
	}
	if !bytes.HasPrefix(buf, []byte("\x89PNG")) {
		return errors.New("screenshot " + name + " is not a PNG")
	}
	return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}
