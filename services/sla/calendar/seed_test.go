package calendar_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

func TestSeedThenGet(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		park, name, hours string
	}{
		{"wangcheng", "望城经济技术开发区", "09:00-12:00,13:30-17:30"},
		{"changsha-etdz", "长沙经济技术开发区", "08:30-12:00,14:00-17:30"},
		{"liling", "醴陵经济开发区", "09:00-12:00,13:30-17:30"},
	}
	for _, tt := range tests {
		t.Run(tt.park, func(t *testing.T) {
			v, err := e.Svc.Get(asCaller(admin), tt.park)
			if err != nil {
				t.Fatal(err)
			}
			if v.Name != tt.name || v.Timezone != "Asia/Shanghai" || v.OfficeHours.String() != tt.hours {
				t.Errorf("park = %q %q %q, want %q Asia/Shanghai %q", v.Name, v.Timezone, v.OfficeHours, tt.name, tt.hours)
			}
			if !slices.Equal(v.LoadedYears, []int{2025, 2026}) {
				t.Fatalf("loaded years = %v, want [2025 2026]", v.LoadedYears)
			}
			y := v.Years[1]
			if !slices.Contains(y.Off, mustDate(t, "2026-10-01")) || !slices.Contains(y.Work, mustDate(t, "2026-09-20")) {
				t.Errorf("2026 lacks off 2026-10-01 or work 2026-09-20: %+v", y)
			}
			if len(y.Off) != 33 || len(y.Work) != 6 || y.Version != 1 || y.UpdatedBy != calendar.SeedActor {
				t.Errorf("2026: %d off, %d work, version %d by %q; want 33, 6, 1 by seed", len(y.Off), len(y.Work), y.Version, y.UpdatedBy)
			}
			if _, off := y.UpdatedAt.Zone(); off != 8*3600 {
				t.Errorf("updated_at %v is not on the park's wall clock", y.UpdatedAt)
			}
		})
	}
}

func TestGetOverHTTP(t *testing.T) {
	e := newEnv(t, nil)
	rec := e.do(t, &manager, "GET", "/v1/calendars/wangcheng", "")
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	for _, want := range []string{`"office_hours":["09:00-12:00","13:30-17:30"]`, `"loaded_years":[2025,2026]`, `"2026-09-20"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("body lacks %s: %s", want, rec.Body)
		}
	}
}

func TestSeedIsIdempotentAndKeepsManagerChanges(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	before := load(t, e.Store, "wangcheng")
	changed := before.Years[1].Year
	changed.Source = "park override"
	changed.Off = changed.Off[1:]
	if _, err := e.Svc.PutYear(asCaller(manager), "wangcheng", changed); err != nil {
		t.Fatal(err)
	}
	if err := calendar.Seed(ctx, e.Store, seedsDir); err != nil {
		t.Fatal(err)
	}
	after := load(t, e.Store, "wangcheng")
	y := after.Years[1]
	if y.Source != "park override" || y.Version != 2 || y.UpdatedBy != manager.Subject || len(y.Off) != len(changed.Off) {
		t.Errorf("seeding again overwrote the manager's 2026: %+v", y)
	}
	if after.Revision != before.Revision+1 {
		t.Errorf("revision = %d, want %d (one PUT, no seed change)", after.Revision, before.Revision+1)
	}
}

func TestSeedRejectsBadFilesAndWritesNothing(t *testing.T) {
	cal2026, err := os.ReadFile(filepath.Join(seedsDir, "calendars", "cn-2026.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	park := func(extra string) string {
		return "parks:\n  - id: newpark\n    name: 新园区\n    timezone: Asia/Shanghai\n    calendars: [cn-2026.yaml]\n" + extra
	}
	tests := []struct {
		name, parks, want string
	}{
		{"bad time zone", strings.Replace(park(""), "Asia/Shanghai", "Mars/Olympus", 1), "timezone"},
		{"missing calendar file", strings.Replace(park(""), "cn-2026.yaml", "cn-2099.yaml", 1), "cn-2099.yaml"},
		{"calendar outside dir", strings.Replace(park(""), "cn-2026.yaml", "../cn-2026.yaml", 1), "must be a path inside"},
		{"bad office hours", park("    office_hours: [\"12:00-09:00\"]\n"), "office_hours[0]"},
		{"same year twice", strings.Replace(park(""), "[cn-2026.yaml]", "[cn-2026.yaml, copy.yaml]", 1), "both give year 2026"},
		{"duplicate park", park("  - id: newpark\n    name: again\n    timezone: Asia/Shanghai\n"), "listed twice"},
		{"no parks", "parks: []\n", "no parks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			dir := t.TempDir()
			for name, data := range map[string][]byte{"parks.yaml": []byte(tt.parks), "cn-2026.yaml": cal2026, "copy.yaml": cal2026} {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := calendar.Seed(context.Background(), e.Store, dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Seed error = %v, want one mentioning %q", err, tt.want)
			}
			if _, err := e.Store.Load(context.Background(), "newpark"); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("newpark after a failed seed: %v, want not found", err)
			}
		})
	}
}

func TestSeedAddsNewYearsToExistingParks(t *testing.T) {
	e := newEnv(t, nil)
	dir := t.TempDir()
	parks := "parks:\n  - id: wangcheng\n    name: renamed\n    timezone: Asia/Shanghai\n    calendars: [y2027.yaml]\n"
	y2027 := "year: 2027\nsource: test\noff: [2027-01-01]\nwork: []\n"
	for name, data := range map[string]string{"parks.yaml": parks, "y2027.yaml": y2027} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := calendar.Seed(context.Background(), e.Store, dir); err != nil {
		t.Fatal(err)
	}
	pc := load(t, e.Store, "wangcheng")
	if !slices.Equal(yearsOf(pc), []int{2025, 2026, 2027}) || pc.Park.Name != "望城经济技术开发区" {
		t.Errorf("after seeding 2027: years %v, name %q; want 2027 added and the park untouched", yearsOf(pc), pc.Park.Name)
	}
	if y := pc.Years[2]; !slices.Equal(y.Off, []workday.Date{mustDate(t, "2027-01-01")}) {
		t.Errorf("2027 off = %v", y.Off)
	}
}
