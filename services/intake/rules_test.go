package intake_test

import (
	"errors"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/services/intake"
)

var (
	permit = intake.Matter{Code: "construction-permit", Name: "施工许可", Department: "housing", TolerantAcceptance: true,
		SupplementDays: 5, Materials: []intake.MaterialSpec{
			{Code: "application-form", Name: "申请表", Key: true}, {Code: "planning-permit", Name: "规划许可证", Key: true},
			{Code: "safety-plan", Name: "安全施工措施", Key: false}, {Code: "funds-proof", Name: "资金承诺书", Key: false}}}
	eia = intake.Matter{Code: "eia-approval", Name: "环评", Department: "eco", SupplementDays: 3, Materials: []intake.MaterialSpec{
		{Code: "application-form", Name: "环评申请书", Key: true}, {Code: "eia-report", Name: "环评报告表", Key: true},
		{Code: "safety-plan", Name: "安全施工措施", Key: false}}}
)

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *fault.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("not a validation error: %v", err)
	}
	out := map[string]string{}
	for _, f := range ve.Fields {
		out[f.Field] = f.Reason
	}
	return out
}

func TestMergeMaterials(t *testing.T) {
	got := intake.MergeMaterials([]intake.Matter{permit, eia})
	want := []struct {
		code    string
		key     bool
		matters []string
	}{
		{"application-form", true, []string{"construction-permit", "eia-approval"}},
		{"planning-permit", true, []string{"construction-permit"}},
		{"safety-plan", false, []string{"construction-permit", "eia-approval"}},
		{"funds-proof", false, []string{"construction-permit"}},
		{"eia-report", true, []string{"eia-approval"}},
	}
	if len(got) != len(want) {
		t.Fatalf("merged %d materials, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Code != w.code || got[i].Key != w.key || !equal(got[i].Matters, w.matters) {
			t.Errorf("material %d = %+v, want %+v", i, got[i], w)
		}
	}
}

func TestCheckMaterials(t *testing.T) {
	cases := []struct {
		name       string
		matters    []intake.Matter
		supplied   []string
		badCredit  bool
		wantFields []string            // 422 fields; nil means accepted
		missing    map[string][]string // accepted as missing (容缺), by matter
		days       int
	}{
		{"all supplied", []intake.Matter{permit}, []string{"application-form", "planning-permit", "safety-plan", "funds-proof"}, false, nil, map[string][]string{}, 0},
		{"every missing key material listed at once", []intake.Matter{permit}, []string{"safety-plan"}, false,
			[]string{"materials.application-form", "materials.planning-permit"}, nil, 0},
		{"non-key missing under tolerant acceptance", []intake.Matter{permit}, []string{"application-form", "planning-permit"}, false,
			nil, map[string][]string{"construction-permit": {"safety-plan", "funds-proof"}}, 5},
		{"no tolerant acceptance for a bad-credit firm", []intake.Matter{permit}, []string{"application-form", "planning-permit", "funds-proof"}, true,
			[]string{"materials.safety-plan"}, nil, 0},
		{"non-key of a matter without tolerant acceptance", []intake.Matter{permit, eia}, []string{"application-form", "planning-permit", "eia-report", "funds-proof"}, false,
			[]string{"materials.safety-plan"}, nil, 0},
		{"unknown material", []intake.Matter{eia}, []string{"application-form", "eia-report", "safety-plan", "photo"}, false,
			[]string{"materials[3].code"}, nil, 0},
		{"key and unknown together", []intake.Matter{eia}, []string{"photo"}, false,
			[]string{"materials.application-form", "materials.eia-report", "materials.safety-plan", "materials[0].code"}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := intake.CheckMaterials(c.matters, c.supplied, c.badCredit)
			if c.wantFields != nil {
				if !errors.Is(err, fault.ErrUnprocessable) {
					t.Fatalf("err = %v, want 422", err)
				}
				f := fields(t, err)
				if len(f) != len(c.wantFields) {
					t.Fatalf("fields %v, want %v", f, c.wantFields)
				}
				for _, w := range c.wantFields {
					if _, ok := f[w]; !ok {
						t.Errorf("field %s not reported in %v", w, f)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Missing) != len(c.missing) || got.SupplementDays != c.days {
				t.Fatalf("missing %v days %d, want %v days %d", got.Missing, got.SupplementDays, c.missing, c.days)
			}
			for m, codes := range c.missing {
				if !equal(got.Missing[m], codes) {
					t.Errorf("%s missing %v, want %v", m, got.Missing[m], codes)
				}
			}
		})
	}
}

func items(statuses ...string) []intake.TicketItem {
	out := make([]intake.TicketItem, len(statuses))
	for i, s := range statuses {
		out[i] = intake.TicketItem{MatterCode: string(rune('a' + i)), Status: s}
	}
	return out
}

func TestDeriveBundleStatus(t *testing.T) {
	cases := []struct {
		name      string
		statuses  []string
		was       string
		status    string
		outcome   string
		stage     string
		completed bool
	}{
		{"nothing accepted", []string{"pending", "pending", "pending"}, "submitted", "submitted", "", "0 of 3 matters completed", false},
		{"one accepted", []string{"accepted", "pending", "pending"}, "submitted", "accepted", "", "0 of 3 matters completed", false},
		{"partial completion", []string{"approved", "accepted", "pending"}, "accepted", "accepted", "", "1 of 3 matters completed", false},
		{"two of three", []string{"approved", "approved", "accepted"}, "accepted", "accepted", "", "2 of 3 matters completed", false},
		{"correction on one", []string{"approved", "correction_requested", "accepted"}, "accepted", "correction_requested", "",
			"1 of 3 matters completed, 1 awaiting correction", false},
		{"all approved", []string{"approved", "approved", "approved"}, "accepted", "completed", "approved", "completed", true},
		{"mixed outcome", []string{"approved", "denied", "not_accepted"}, "accepted", "completed", "partially_approved", "completed", true},
		{"none approved", []string{"denied", "not_accepted", "denied"}, "accepted", "completed", "denied", "completed", true},
		{"all not accepted", []string{"not_accepted", "not_accepted", "not_accepted"}, "submitted", "completed", "not_accepted", "completed", true},
		{"completed stays completed", []string{"approved", "approved", "approved"}, "completed", "completed", "approved", "completed", false},
		{"withdrawn stays withdrawn", []string{"approved", "accepted", "pending"}, "withdrawn", "withdrawn", "", "withdrawn", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := intake.Ticket{Kind: intake.KindBundle, Status: c.was, Items: items(c.statuses...)}
			done := intake.Derive(&tk)
			if tk.Status != c.status || tk.Outcome != c.outcome || tk.Stage != c.stage || done != c.completed {
				t.Fatalf("got %s/%s/%q completed=%v, want %s/%s/%q completed=%v", tk.Status, tk.Outcome, tk.Stage, done,
					c.status, c.outcome, c.stage, c.completed)
			}
		})
	}
}

func TestDeriveSLA(t *testing.T) {
	d := func(s string) *time.Time {
		v, _ := time.Parse(time.RFC3339, s)
		return &v
	}
	cases := []struct {
		name     string
		clocks   []intake.Clock
		state    string
		deadline *time.Time
		supDue   *time.Time
	}{
		{"acceptance only", []intake.Clock{{ID: "a", Kind: "acceptance", State: "green", Deadline: d("2026-03-03T09:30:00Z")}},
			"green", d("2026-03-03T09:30:00Z"), nil},
		{"worst open clock, latest resolution deadline", []intake.Clock{
			{ID: "a", Kind: "acceptance", State: "stopped", Deadline: d("2026-03-03T09:30:00Z")},
			{ID: "r1", Kind: "resolution", State: "green", Deadline: d("2026-03-10T09:30:00Z")},
			{ID: "r2", Kind: "resolution", State: "yellow", Deadline: d("2026-03-12T09:30:00Z")},
			{ID: "s", Kind: "stage", State: "red", Deadline: d("2026-03-04T09:30:00Z")},
		}, "yellow", d("2026-03-12T09:30:00Z"), nil},
		{"supplement clock moves the due date", []intake.Clock{
			{ID: "r1", Kind: "resolution", State: "red", Deadline: d("2026-03-10T09:30:00Z")},
			{ID: "x", Kind: "supplement", State: "green", Deadline: d("2026-03-09T09:30:00Z")},
		}, "red", d("2026-03-10T09:30:00Z"), d("2026-03-09T09:30:00Z")},
		{"all stopped late", []intake.Clock{
			{ID: "r1", Kind: "resolution", State: "stopped", StoppedLate: true},
			{ID: "r2", Kind: "resolution", State: "stopped"},
		}, "late", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := intake.Ticket{SLA: intake.SLA{Clocks: c.clocks}, Supplement: &intake.Supplement{}}
			intake.DeriveSLA(&tk)
			if tk.SLA.State != c.state {
				t.Errorf("state %q, want %q", tk.SLA.State, c.state)
			}
			if (tk.SLA.Deadline == nil) != (c.deadline == nil) || (c.deadline != nil && !tk.SLA.Deadline.Equal(*c.deadline)) {
				t.Errorf("deadline %v, want %v", tk.SLA.Deadline, c.deadline)
			}
			if (tk.Supplement.DueAt == nil) != (c.supDue == nil) || (c.supDue != nil && !tk.Supplement.DueAt.Equal(*c.supDue)) {
				t.Errorf("supplement due %v, want %v", tk.Supplement.DueAt, c.supDue)
			}
		})
	}
}

func TestNormaliseEnterprise(t *testing.T) {
	good := intake.EnterpriseInput{USCC: " 91430112ma4pd0016u", Name: " 澳优 ", Park: park, IndustryCode: "c1441", Scale: "large",
		Flags: []string{"listed", "high-tech", "listed"}, Figures: &intake.Figures{Year: 2025, RDRatioPercent: 3.456}}
	got, err := intake.NormaliseEnterprise(good)
	if err != nil {
		t.Fatal(err)
	}
	if got.USCC != "91430112MA4PD0016U" || got.Name != "澳优" || got.IndustryCode != "C1441" ||
		!equal(got.Flags, []string{"high-tech", "listed"}) || got.Figures.RDRatioPercent != 3.46 {
		t.Fatalf("normalised %+v", got)
	}
	bad := intake.EnterpriseInput{USCC: "91430112MA4PD0016X", IndustryCode: "Z99", Scale: "huge", Flags: []string{"famous"},
		Figures: &intake.Figures{Year: 1990, RevenueFen: -1, RDRatioPercent: 120}}
	_, err = intake.NormaliseEnterprise(bad)
	f := fields(t, err)
	for _, w := range []string{"uscc", "name", "park", "industry_code", "scale", "flags[0]", "figures.year", "figures.revenue_fen", "figures.rd_ratio_percent"} {
		if _, ok := f[w]; !ok {
			t.Errorf("%s not reported: %v", w, f)
		}
	}
}

func TestApplyPatch(t *testing.T) {
	name, scale := "新名", "medium"
	base := intake.Enterprise{Name: "旧名", Scale: "large", Flags: []string{"listed"}}
	cases := []struct {
		name        string
		patch       intake.EnterprisePatch
		figuresOnly bool
		changed     []string
		invalid     string
	}{
		{"name and scale", intake.EnterprisePatch{Name: &name, Scale: &scale}, false, []string{"name", "scale"}, ""},
		{"same values change nothing", intake.EnterprisePatch{Flags: &[]string{"listed"}}, false, nil, ""},
		{"figures", intake.EnterprisePatch{Figures: &intake.Figures{Year: 2025, Headcount: 10}}, true, []string{"figures"}, ""},
		{"a firm may not change its flags", intake.EnterprisePatch{Flags: &[]string{}}, true, nil, "flags"},
		{"bad figures", intake.EnterprisePatch{Figures: &intake.Figures{Year: 2025, Headcount: -1}}, false, nil, "figures.headcount"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := base
			changed, err := intake.ApplyPatch(&e, c.patch, c.figuresOnly)
			if c.invalid != "" {
				if _, ok := fields(t, err)[c.invalid]; !ok {
					t.Fatalf("err %v does not name %s", err, c.invalid)
				}
				return
			}
			if err != nil || !equal(changed, c.changed) {
				t.Fatalf("changed %v, %v; want %v", changed, err, c.changed)
			}
		})
	}
}

func TestTicketNumbers(t *testing.T) {
	cases := []struct{ park, configured, want string }{
		{"wangcheng", "", "WCJK"}, {"changsha-hitech", "", "CSGX"}, {"liling", "", "LLJK"},
		{"wangcheng", "WC", "WC"}, {"new-park-9", "", "NEWPARK9"}, {"x", "", "XX"},
	}
	for _, c := range cases {
		if got := intake.TicketPrefix(c.park, c.configured); got != c.want {
			t.Errorf("TicketPrefix(%s, %s) = %s, want %s", c.park, c.configured, got, c.want)
		}
	}
	if got := intake.FormatTicketNumber("WCJK", 2026, 123); got != "WCJK-2026-000123" {
		t.Errorf("number %s", got)
	}
}
