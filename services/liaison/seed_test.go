package liaison_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/services/liaison"
)

const seeds = "../../seeds"

const (
	demoOfficer = "0191c0de-0000-7000-8000-0000000000a1"
	demoFirm    = "0191c0de-0000-7000-8000-000000000001"
)

func TestSeedsAreValidAndIdempotent(t *testing.T) {
	f, err := liaison.ReadSeeds(seeds)
	if err != nil {
		t.Fatal(err)
	}
	parks := map[string]int{}
	for _, o := range f.Officers {
		parks[o.Park]++
	}
	for _, p := range []string{"wangcheng", "changsha-hitech", "changsha-etdz", "liling"} {
		if parks[p] < 3 {
			t.Errorf("park %s has %d officers", p, parks[p])
		}
	}
	e := newEnv(t)
	// A firm registered before the roster existed is flagged, then taken by the seeding.
	e.mustApply(registered(t, "liling", firmID(1), "C3071", false, e.clk.Now()))
	for range 2 {
		if err := liaison.Seed(context.Background(), e.repo, seeds); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count(`SELECT count(*) FROM officers`); n != len(f.Officers) {
		t.Fatalf("%d officers, want %d", n, len(f.Officers))
	}
	if n := len(e.ofType(event.OfficerUpdated)); n != len(f.Officers) {
		t.Fatalf("%d officer events for %d officers", n, len(f.Officers))
	}
	if firm := e.firm(firmID(1)); firm.Flagged || firm.Officer == nil || firm.Officer.Name != "袁志勇" {
		t.Fatalf("the flagged liling ceramics firm went to %+v", firm.Officer)
	}
	// An officer changed through the API is not overwritten by seeding again.
	name := "刘思远（组长）"
	if _, err := e.svc.UpdateOfficer(as(managerOf(park)), demoOfficer, liaison.OfficerPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if err := liaison.Seed(context.Background(), e.repo, seeds); err != nil {
		t.Fatal(err)
	}
	if o, _ := e.repo.Officer(context.Background(), demoOfficer); o.Name != name || o.Park != park {
		t.Fatalf("demo officer %+v", o)
	}
	// The dev stack's demo firm goes to the demo liaison, whatever its industry.
	e.mustApply(registered(t, park, demoFirm, "C2710", false, e.clk.Now()))
	if firm := e.firm(demoFirm); firm.OfficerID != demoOfficer || firm.BackupOfficerID != "0191c0de-0000-7000-8000-0000000000a2" {
		t.Fatalf("demo firm %+v", firm)
	}
}

func TestBadSeedsAreRefusedWithEveryProblem(t *testing.T) {
	parks, _ := os.ReadFile(filepath.Join(seeds, "parks.yaml"))
	depts, _ := os.ReadFile(filepath.Join(seeds, "departments.yaml"))
	tests := []struct {
		name, officers string
		want           []string
	}{
		{"unknown field", "officers:\n  - {id: x, nickname: y}\n", []string{"nickname"}},
		{"many problems", `managers:
  - {id: m1, park: liling, name: 甲}
officers:
  - {id: not-a-uuid, park: nowhere, name: 乙, cap: 0, industries: [制造], departments: [moon], manager: m1}
  - {id: 0191c0de-0000-7000-8000-0000000000e1, park: wangcheng, name: 丙, cap: 5, manager: m1, status: retired}
  - {id: 0191c0de-0000-7000-8000-0000000000e1, park: wangcheng, name: 丁, cap: 5}
assignments:
  - {enterprise_id: f1, officer_id: 0191c0de-0000-7000-8000-0000000000e9}
`, []string{"id must be a UUID", `park "nowhere"`, "cap from 1", `industry "制造"`, `department "moon"`,
			"not a manager of park wangcheng", "status must be", "listed twice", "seeded officer_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, b := range map[string][]byte{"parks.yaml": parks, "departments.yaml": depts, "officers.yaml": []byte(tt.officers)} {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := liaison.ReadSeeds(dir)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
