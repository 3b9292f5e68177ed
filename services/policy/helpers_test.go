package policy_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

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
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/services/policy"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const park = "wangcheng"

var tpl = testenv.Template{Name: "policy", Schema: "policy",
	Sets: []db.MigrationSet{outbox.Migrations, inbox.Migrations, policy.Migrations}}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

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
	seeds     policy.Seeds
	seedsErr  error
)

// demoSeeds reads the repository's seeds once (policies.yaml validated).
func demoSeeds(t testing.TB) policy.Seeds {
	t.Helper()
	seedsOnce.Do(func() { seeds, seedsErr = policy.ReadSeeds("../../seeds") })
	if seedsErr != nil {
		t.Fatal(seedsErr)
	}
	return seeds
}

type env struct {
	t      testing.TB
	db     *sqlx.DB
	clk    *clock.Manual
	repo   *policy.Repository
	svc    policy.Service
	engine *policy.Engine
	seq    map[string]int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, testenv.DB(t, tpl))
}

func newEnvOn(t testing.TB, conn *sqlx.DB) *env {
	t.Helper()
	e := &env{t: t, db: conn, clk: clock.NewManual(at(t, "2026-03-10 10:00")), seq: map[string]int64{}}
	var err error
	if e.repo, err = policy.NewRepository(conn, demoSeeds(t).Calendars); err != nil {
		t.Fatal(err)
	}
	if e.svc, err = policy.NewService(policy.ServiceConfig{Store: e.repo, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	if e.engine, err = policy.NewEngine(policy.EngineConfig{Repo: e.repo, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	return e
}

func as(p auth.Principal) context.Context { return auth.WithPrincipal(context.Background(), p) }

var (
	manager = auth.Principal{Subject: "mgr-1", Role: auth.RoleManager, Park: park}
	finance = auth.Principal{Subject: "fin-1", Role: auth.RoleStaff, Park: park, Departments: []string{"finance"}}
	window  = auth.Principal{Subject: "win-1", Role: auth.RoleStaff, Park: park, Departments: []string{"approval-office"}}
	admin   = auth.Principal{Subject: "admin-1", Role: auth.RoleAdmin}
)

func firmUser(id string) auth.Principal {
	return auth.Principal{Subject: "user-" + id, Role: auth.RoleEnterprise, Park: park, EnterpriseID: id}
}

func liaisonUser(officer string) auth.Principal {
	return auth.Principal{Subject: "liaison-" + officer, Role: auth.RoleLiaison, Park: park, OfficerID: officer}
}

func firmID(n int) string { return fmt.Sprintf("0191c0de-0000-7000-8000-%012x", 0xf000+n) }

// ev builds an event of aggregate aggType/id with its next version.
func (e *env) ev(typ, aggType, id string, p proto.Message) event.Event {
	e.t.Helper()
	return e.evIn(park, typ, aggType, id, p)
}

func (e *env) evIn(pk, typ, aggType, id string, p proto.Message) event.Event {
	e.t.Helper()
	e.seq[aggType+"/"+id]++
	ev, err := event.New(typ, pk, event.Aggregate{Type: aggType, ID: id, Version: e.seq[aggType+"/"+id]}, e.clk.Now(), p)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

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

func figuresPB(f policy.Figures) *intakepb.DeclaredFigures {
	return &intakepb.DeclaredFigures{Year: int32(f.Year), RevenueFen: f.RevenueFen, TaxPaidFen: f.TaxPaidFen,
		RdRatioPercent: f.RDRatioPercent, LandAreaMu: f.LandAreaMu, Headcount: int32(f.Headcount)}
}

// register announces f as intake would.
func (e *env) register(f policy.Firm) {
	e.t.Helper()
	e.registerIn(park, f)
}

func (e *env) registerIn(pk string, f policy.Firm) {
	e.t.Helper()
	e.mustApply(e.evIn(pk, event.EnterpriseRegistered, "enterprise", f.ID, &intakepb.EnterpriseRegistered{EnterpriseId: f.ID,
		Uscc: "91430112MA4PD00000", Name: f.Name, IndustryCode: f.IndustryCode, Scale: f.Scale, Flags: f.Flags,
		KeyEnterprise: f.KeyEnterprise, Figures: figuresPB(f.Figures)}))
}

// change announces f's new profile as intake would.
func (e *env) change(f policy.Firm, fields ...string) {
	e.t.Helper()
	e.mustApply(e.changed(f, fields...))
}

func (e *env) changed(f policy.Firm, fields ...string) event.Event {
	e.t.Helper()
	return e.ev(event.EnterpriseProfileChanged, "enterprise", f.ID, &intakepb.EnterpriseProfileChanged{EnterpriseId: f.ID,
		ChangedFields: fields, Uscc: "91430112MA4PD00000", Name: f.Name, IndustryCode: f.IndustryCode, Scale: f.Scale,
		Flags: f.Flags, KeyEnterprise: f.KeyEnterprise, Figures: figuresPB(f.Figures)})
}

// assign announces the firm's liaison officer as liaison would.
func (e *env) assign(firm, officer string) {
	e.t.Helper()
	e.mustApply(e.ev(event.OfficerAssigned, "assignment", firm, &liaisonpb.OfficerAssigned{EnterpriseId: firm, OfficerId: officer}))
}

// firmN is a high-tech medium firm with R&D 5% of 2亿元.
func firmN(n int) policy.Firm {
	return policy.Firm{ID: firmID(n), Park: park, Name: fmt.Sprintf("演示企业%03d", n), IndustryCode: "C3823", Scale: "medium",
		Flags: []string{"high-tech"}, Figures: policy.Figures{Year: 2025, RevenueFen: 20_000_000_000, TaxPaidFen: 600_000_000,
			RDRatioPercent: 5, LandAreaMu: 50, Headcount: 300}}
}

// publish saves in as a draft and publishes it, as the park's manager.
func (e *env) publish(in policy.PolicyInput) *policy.Policy {
	e.t.Helper()
	p, err := e.svc.CreatePolicy(as(manager), in)
	if err != nil {
		e.t.Fatalf("create %s: %v", in.Code, err)
	}
	if _, err := e.svc.PublishPolicy(as(manager), p.ID); err != nil {
		e.t.Fatalf("publish %s: %v", in.Code, err)
	}
	p, err = e.svc.Policy(as(manager), p.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// proactive is a 免申即享 policy: high-tech firms get 20万元.
func proactive(code string, budget int64) policy.PolicyInput {
	in := input(code)
	in.Title, in.Mode, in.WindowFrom = "高新技术企业认定奖励", policy.ModeProactive, "2026-01-01"
	in.Eligibility = []policy.Rule{{Label: "高新技术企业", Expr: `flags has "high-tech"`}, {Label: "无失信记录", Expr: `not flags has "bad-credit"`}}
	in.Benefit, in.PerFirmCapFen, in.BudgetFen, in.Materials = policy.Benefit{Kind: policy.BenefitFixed, AmountFen: 20_000_000}, 0, budget, nil
	return in
}

func material(code string) policy.Material {
	sum := sha256.Sum256([]byte(code))
	return policy.Material{Code: code, Name: code, SHA256: hex.EncodeToString(sum[:]), Size: 1024, Ref: "nats-os://policy/" + code}
}

// decided is approval.workflow.decided of an application's workflow.
func (e *env) decided(app *policy.Application, wf, outcome, number string) event.Event {
	return e.ev(event.WorkflowDecided, "workflow", wf, &approvalpb.WorkflowDecided{WorkflowId: wf, Outcome: outcome,
		DecisionNumber: number, DecidedAt: timestamppb.New(e.clk.Now()), EnterpriseId: app.EnterpriseID,
		SubjectType: "policy_application", SubjectId: app.ID, Transition: &approvalpb.Transition{Actor: "fin-1", Reason: "符合条件"}})
}

// approve runs approval's events of an application's workflow up to an approval.
func (e *env) approve(app *policy.Application, number string) string {
	e.t.Helper()
	wf := "wf-" + app.ID
	e.mustApply(
		e.ev(event.WorkflowOpened, "workflow", wf, &approvalpb.WorkflowOpened{WorkflowId: wf, SubjectType: "policy_application",
			SubjectId: app.ID, DefinitionCode: "policy-application"}),
		e.ev(event.WorkflowAccepted, "workflow", wf, &approvalpb.WorkflowAccepted{WorkflowId: wf, SubjectType: "policy_application",
			SubjectId: app.ID, CommitmentWorkingDays: 15}),
		e.ev(event.StageOpened, "workflow", wf, &approvalpb.StageOpened{WorkflowId: wf, StageName: "初审", StageCode: "first-review"}),
		e.decided(app, wf, "approved", number))
	return wf
}

// outboxed decodes the outbox, filtered by type when types are given.
func (e *env) outboxed(types ...string) []event.Event {
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
		if len(types) == 0 || contains(types, ev.Type) {
			out = append(out, ev)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func wantKind(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err %v, want %v", err, kind)
	}
}

// fields returns a validation error's reasons by field.
func fields(err error) map[string]string {
	var ve *fault.ValidationError
	out := map[string]string{}
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			out[f.Field] = f.Reason
		}
	}
	return out
}

func registeredPB(f policy.Firm) *intakepb.EnterpriseRegistered {
	return &intakepb.EnterpriseRegistered{EnterpriseId: f.ID, Uscc: "91430112MA4PD00000", Name: f.Name, IndustryCode: f.IndustryCode,
		Scale: f.Scale, Flags: f.Flags, KeyEnterprise: f.KeyEnterprise, Figures: figuresPB(f.Figures)}
}

func assignedPB(firm, officer string) *liaisonpb.OfficerAssigned {
	return &liaisonpb.OfficerAssigned{EnterpriseId: firm, OfficerId: officer}
}
