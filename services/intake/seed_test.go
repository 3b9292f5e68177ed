package intake_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/services/intake"
)

func TestSeedsAreValidAndIdempotent(t *testing.T) {
	data, err := intake.ReadSeeds(seeds)
	if err != nil {
		t.Fatal(err)
	}
	if len(data.Enterprises) < 30 {
		t.Errorf("%d seeded firms, want at least 30", len(data.Enterprises))
	}
	perPark := map[string]int{}
	for _, e := range data.Enterprises {
		perPark[e.Park]++
		if !e.Synthetic {
			t.Errorf("%s is not marked synthetic", e.Name)
		}
	}
	for _, p := range data.Parks {
		if perPark[p.ID] == 0 {
			t.Errorf("park %s has no firms", p.ID)
		}
	}
	e := newEnvOn(t, testenv.DB(t, tpl), testenv.JetStream(t), false)
	ctx := context.Background()
	first, err := intake.Seed(ctx, e.repo, seeds, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if first.Parks != len(data.Parks) || first.Enterprises != len(data.Enterprises) || first.Matters != len(data.Matters) ||
		first.Bundles != len(data.Bundles) {
		t.Fatalf("first seed wrote %+v", first)
	}
	again, err := intake.Seed(ctx, e.repo, seeds, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if again != (intake.SeedResult{}) {
		t.Fatalf("second seed wrote %+v, want nothing", again)
	}
	// Every firm announced once, so that liaison assigns an officer.
	regs := 0
	for _, ev := range e.outbox("") {
		if ev.Type == event.EnterpriseRegistered {
			regs++
			p := ev.Payload.(*intakepb.EnterpriseRegistered)
			if ev.AggregateVersion != 1 || p.GetUscc() == "" || p.GetFigures().GetYear() != 2025 {
				t.Errorf("registered event %+v", p)
			}
		}
	}
	if regs != len(data.Enterprises) {
		t.Errorf("%d registered events, want %d", regs, len(data.Enterprises))
	}
	// The catalog of every park, with bundle materials merged.
	for _, p := range data.Parks {
		ms, err := e.svc.Matters(as(asAdmin), p.ID)
		if err != nil || len(ms) == 0 {
			t.Fatalf("%s matters: %d, %v", p.ID, len(ms), err)
		}
		bs, err := e.svc.Bundles(as(asAdmin), p.ID)
		if err != nil || len(bs) == 0 {
			t.Fatalf("%s bundles: %d, %v", p.ID, len(bs), err)
		}
	}
	b, err := e.svc.Bundle(as(asFirmA), "", "business-startup")
	if err != nil {
		t.Fatal(err)
	}
	codes := []string{}
	for _, m := range b.Materials {
		codes = append(codes, m.Code)
	}
	if !equal(codes, businessStartupAll) || b.CommitmentDays != 1 || len(b.Matters) != 3 {
		t.Fatalf("business-startup: materials %v, commitment %d, %d matters", codes, b.CommitmentDays, len(b.Matters))
	}
}

func TestReadSeedsReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"parks.yaml":       "parks:\n  - {id: p1, name: 园区一}\n",
		"departments.yaml": "departments:\n  - {code: market, name: 市场监督管理局}\n",
		"catalog.yaml": `matters:
  - code: a
    name: 事项A
    department: nowhere
    legal_days: 5
    commitment_days: 9
    materials: [{code: form, name: 表, key: true}]
bundles:
  - {code: b, name: 一件事, matters: [a, ghost], commitment_days: 1, legal_days: 2}
`,
		"enterprises.yaml": "enterprises:\n  - {id: 0191c0de-0000-7000-8000-000000000001, park: p1, name: 某公司, uscc: 91350100M000100Y44, industry_code: C1441, scale: large}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := intake.ReadSeeds(dir)
	if err == nil {
		t.Fatal("broken seeds accepted")
	}
	for _, want := range []string{`unknown department "nowhere"`, "commitment_days <= legal_days", `matter "ghost"`, "uscc: check digit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %q:\n%v", want, err)
		}
	}
}
