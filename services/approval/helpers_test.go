package approval_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/approval"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const park = "wangcheng"

var tpl = testenv.Template{Name: "approval", Schema: "approval",
	Sets: []db.MigrationSet{outbox.Migrations, inbox.Migrations, approval.Migrations}}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at parses "2006-01-02 15:04" on Shanghai's wall clock.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var (
	seedsOnce sync.Once
	seeds     approval.Seeds
	seedsErr  error
)

// demoSeeds reads the repository's seeds once.
func demoSeeds(t testing.TB) approval.Seeds {
	t.Helper()
	seedsOnce.Do(func() { seeds, seedsErr = approval.ReadSeeds("../../seeds") })
	if seedsErr != nil {
		t.Fatal(seedsErr)
	}
	return seeds
}

// env is one test's service and engine over a fresh database and a manual clock.
type env struct {
	t      testing.TB
	db     *sqlx.DB
	clk    *clock.Manual
	repo   *approval.Repository
	svc    approval.Service
	engine *approval.Engine
	seq    map[string]int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, testenv.DB(t, tpl))
}

func newEnvOn(t testing.TB, conn *sqlx.DB) *env {
	t.Helper()
	s := demoSeeds(t)
	e := &env{t: t, db: conn, clk: clock.NewManual(at(t, "2026-03-02 09:30")), seq: map[string]int64{}}
	var err error
	if e.repo, err = approval.NewRepository(conn, s.Calendars); err != nil {
		t.Fatal(err)
	}
	if _, err := approval.Seed(context.Background(), e.repo, s); err != nil {
		t.Fatal(err)
	}
	if e.svc, err = approval.NewService(approval.ServiceConfig{Store: e.repo, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	if e.engine, err = approval.NewEngine(approval.EngineConfig{Repo: e.repo, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	return e
}

// ev builds an event of aggregate aggType/id with its next version.
func (e *env) ev(typ, aggType, id string, p proto.Message) event.Event {
	e.t.Helper()
	e.seq[aggType+"/"+id]++
	ev, err := event.New(typ, park, event.Aggregate{Type: aggType, ID: id, Version: e.seq[aggType+"/"+id]}, e.clk.Now(), p)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// apply runs the engine's handler on ev in a transaction, as the inbox does.
func (e *env) apply(ev event.Event) error {
	return db.InTx(context.Background(), e.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		return e.engine.Handle(context.Background(), tx, ev)
	})
}

func (e *env) mustApply(evs ...event.Event) {
	e.t.Helper()
	for _, ev := range evs {
		if err := e.apply(ev); err != nil {
			e.t.Fatalf("apply %s: %v", ev.Type, err)
		}
	}
}

// ticket is a ticket submission.
type ticket struct {
	id, enterprise, bundle string
	matters, missing       []string
	commitment             int32
}

func (e *env) submitted(tk ticket) event.Event {
	kind := intakepb.TicketKind_TICKET_KIND_MATTER
	if tk.bundle != "" {
		kind = intakepb.TicketKind_TICKET_KIND_BUNDLE
	}
	if tk.enterprise == "" {
		tk.enterprise = "firm-1"
	}
	return e.ev(event.TicketSubmitted, "ticket", tk.id, &intakepb.TicketSubmitted{TicketId: tk.id, Number: "WC-" + tk.id,
		EnterpriseId: tk.enterprise, Kind: kind, Channel: intakepb.Channel_CHANNEL_ONLINE, MatterCodes: tk.matters,
		BundleCode: tk.bundle, CommitmentWorkingDays: tk.commitment, LegalWorkingDays: 15, Title: "施工许可",
		SubmittedAt: timestamppb.New(e.clk.Now()), MissingNonKeyMaterials: tk.missing})
}

// open submits a one-matter ticket and returns its workflow.
func (e *env) open(matter string, missing ...string) *approval.Workflow {
	e.t.Helper()
	return e.openFor("firm-1", matter, missing...)
}

func (e *env) openFor(firm, matter string, missing ...string) *approval.Workflow {
	e.t.Helper()
	id := uuid.NewString()
	e.mustApply(e.submitted(ticket{id: id, enterprise: firm, matters: []string{matter}, missing: missing}))
	page, err := e.repo.Workflows(context.Background(), approval.WorkflowQuery{TicketID: id, Page: 1, PageSize: 10})
	if err != nil || len(page.Items) != 1 {
		e.t.Fatalf("workflows of %s: %v %v", id, page.Items, err)
	}
	return e.workflow(page.Items[0].ID)
}

func (e *env) workflow(id string) *approval.Workflow {
	e.t.Helper()
	w, err := e.repo.Workflow(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// openTask returns the workflow's open task of kind in dept.
func (e *env) openTask(wf string, kind approval.TaskKind, dept string) *approval.Task {
	e.t.Helper()
	w := e.workflow(wf)
	for _, t := range w.Tasks {
		if t.State == approval.TaskOpen && t.Kind == kind && t.Department == dept {
			return t
		}
	}
	e.t.Fatalf("workflow %s (%s) has no open %s task in %s", wf, w.State, kind, dept)
	return nil
}

// as returns a context authenticated as p.
func as(p auth.Principal) context.Context {
	return auth.WithPrincipal(context.Background(), p)
}

// staff is a staff member of the park in depts.
func staff(subject string, depts ...string) auth.Principal {
	return auth.Principal{Subject: subject, Role: auth.RoleStaff, Park: park, Departments: depts}
}

var (
	window   = staff("window-1", "approval-office")
	housing  = staff("housing-1", "housing")
	planning = staff("planning-1", "planning")
	eco      = staff("eco-1", "eco")
	police   = staff("police-1", "police")
	commerce = staff("commerce-1", "commerce")
	finance  = staff("finance-1", "finance")
	market   = staff("market-1", "market")
	manager  = auth.Principal{Subject: "m-1", Role: auth.RoleManager, Park: park}
)

// decide acts as p on the open task of kind in p's first department.
func (e *env) decide(p auth.Principal, wf string, kind approval.TaskKind, d approval.Decision) (approval.DecisionResult, error) {
	e.t.Helper()
	t := e.openTask(wf, kind, p.Departments[0])
	return e.svc.Decide(as(p), t.ID, d)
}

func (e *env) mustDecide(p auth.Principal, wf string, kind approval.TaskKind, d approval.Decision) approval.DecisionResult {
	e.t.Helper()
	r, err := e.decide(p, wf, kind, d)
	if err != nil {
		e.t.Fatalf("%s %s on %s: %v", p.Subject, d.Action, wf, err)
	}
	return r
}

func (e *env) accept(wf string, d ...approval.Decision) {
	e.t.Helper()
	dec := approval.Decision{Action: approval.ActionAccept}
	if len(d) > 0 {
		dec = d[0]
	}
	e.mustDecide(window, wf, approval.TaskAcceptance, dec)
}

func approve() approval.Decision { return approval.Decision{Action: approval.ActionApprove} }

// outboxed returns the workflow's events in the outbox, in order.
func (e *env) outboxed(wf string) []event.Event {
	e.t.Helper()
	var rows [][]byte
	if err := e.db.Select(&rows, `SELECT data FROM outbox ORDER BY seq`); err != nil {
		e.t.Fatal(err)
	}
	var out []event.Event
	for _, r := range rows {
		ev, err := event.Unmarshal(r)
		if err != nil {
			e.t.Fatal(err)
		}
		if wf == "" || ev.AggregateID == wf {
			out = append(out, ev)
		}
	}
	return out
}

func types(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// last returns the workflow's last event of typ.
func (e *env) last(wf, typ string) event.Event {
	e.t.Helper()
	evs := e.outboxed(wf)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			return evs[i]
		}
	}
	e.t.Fatalf("workflow %s published no %s: %v", wf, typ, types(evs))
	return event.Event{}
}

func (e *env) count(typ, wf string) int {
	n := 0
	for _, ev := range e.outboxed(wf) {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// clockEvent builds an sla.clock.* event of a clock.
func (e *env) clockEvent(typ, clockID, kind, subject, ticketID, dept string, state slapb.ClockState, deadline time.Time) event.Event {
	return e.ev(typ, "clock", clockID, &slapb.ClockEvent{Clock: &slapb.Clock{ClockId: clockID, Kind: kind, SubjectId: subject,
		TicketId: ticketID, Department: dept, State: state, StartedAt: timestamppb.New(e.clk.Now()),
		Deadline: timestamppb.New(deadline)}})
}

// breach builds sla.clock.breached of a clock of kind on subject.
func (e *env) breach(kind, subject, ticketID string) event.Event {
	return e.clockEvent(event.ClockBreached, "clock-"+kind+"-"+subject, kind, subject, ticketID, "", slapb.ClockState_CLOCK_STATE_RED, e.clk.Now())
}

func isKind(err, kind error) bool { return errors.Is(err, kind) }

func wantKind(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want %v", err, kind)
	}
}

func equal(a, b []string) bool { return slices.Equal(a, b) }

var _ = fault.ErrConflict

var errRetryLater = inbox.ErrRetryLater

// authEnterprise is the firm id's user.
func authEnterprise(id string) auth.Principal {
	return auth.Principal{Subject: "u-" + id, Role: auth.RoleEnterprise, Park: park, EnterpriseID: id}
}
