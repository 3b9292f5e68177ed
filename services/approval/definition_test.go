package approval_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/services/approval"
)

// TestSeedsAreValid: every catalog matter has a definition, and the policy
// applications one exists.
func TestSeedsAreValid(t *testing.T) {
	s := demoSeeds(t)
	byKey := map[string]approval.Definition{}
	for _, d := range s.Definitions {
		byKey[d.Subject+"/"+d.Key()] = d
	}
	for code, m := range s.Catalog.Matters {
		d, ok := byKey["ticket/"+code]
		if !ok {
			t.Errorf("matter %s has no definition", code)
			continue
		}
		if d.Department != m.Department || d.CommitmentDays != m.CommitmentDays || len(d.Materials) != len(m.Materials) {
			t.Errorf("%s: department %s, commitment %d, %d materials; catalog %s, %d, %d", code, d.Department,
				d.CommitmentDays, len(d.Materials), m.Department, m.CommitmentDays, len(m.Materials))
		}
	}
	p, ok := byKey["policy_application/*"]
	if !ok {
		t.Fatal("no definition for policy applications")
	}
	var codes []string
	for _, st := range p.Stages {
		codes = append(codes, st.Code)
	}
	if !equal(codes, []string{"first-review", "second-review", "public-notice", "decision"}) || p.Stages[2].NoticeDays != 5 {
		t.Fatalf("policy stages %v", codes)
	}
	if len(s.Parks) != 5 || s.Parks[0].DecisionPrefix != "望经开审" {
		t.Fatalf("parks %+v", s.Parks)
	}
}

const validDef = `
workflows:
  - code: permit
    name: 施工许可
    subject: ticket
    matter: construction-permit
    acceptance: {department: approval-office}
    tolerant_acceptance: {supplement_days: 5}
    stages:
      - {code: review, name: 审查, department: housing, share_days: 1}
      - code: joint
        name: 会签
        countersign: {mode: quorum, quorum: 2, departments: [planning, eco, police]}
        share_days: 1
        deemed_on_timeout: true
      - {code: decision, name: 决定, department: housing, share_days: 1}
`

// TestDefinitionValidation names every offending field of a bad definition.
func TestDefinitionValidation(t *testing.T) {
	cat := demoSeeds(t).Catalog
	if defs, err := approval.ParseDefinitions([]byte(validDef), cat); err != nil || defs[0].CommitmentDays != 3 || defs[0].LegalDays != 15 {
		t.Fatalf("valid definition: %+v %v", defs, err)
	}
	tests := []struct {
		name        string
		from, to    string
		field, text string
	}{
		{"unknown matter", "matter: construction-permit", "matter: moon-landing", "workflows[0].matter", "unknown matter"},
		{"department not the catalog's", "acceptance: {department: approval-office}", "department: eco\n    acceptance: {department: approval-office}", "workflows[0].department", "catalog"},
		{"unknown department", "department: housing, share_days: 1}\n      - code: joint", "department: mars, share_days: 1}\n      - code: joint", "workflows[0].stages[0].department", "unknown department"},
		{"quorum above the group", "quorum: 2", "quorum: 4", "workflows[0].stages[1].countersign.quorum", "1 to 3"},
		{"quorum in an all-of", "mode: quorum, quorum: 2", "mode: all, quorum: 2", "workflows[0].stages[1].countersign.quorum", "only for mode quorum"},
		{"unknown mode", "mode: quorum", "mode: most", "workflows[0].stages[1].countersign.mode", "must be"},
		{"a group of one", "departments: [planning, eco, police]", "departments: [planning]", "workflows[0].stages[1].countersign.departments", "at least two"},
		{"a department twice", "departments: [planning, eco, police]", "departments: [planning, eco, eco]", "workflows[0].stages[1].countersign.departments[2]", "twice"},
		{"shares beyond the commitment", "share_days: 1}\n      - code: joint", "share_days: 3}\n      - code: joint", "workflows[0].stages", "more than the commitment"},
		{"deemed on the last stage", "{code: decision, name: 决定, department: housing, share_days: 1}", "{code: decision, name: 决定, department: housing, share_days: 1, deemed_on_timeout: true}", "workflows[0].stages[2].deemed_on_timeout", "last stage"},
		{"deemed without a clock", "share_days: 1\n        deemed_on_timeout", "share_days: 0\n        deemed_on_timeout", "workflows[0].stages[1].deemed_on_timeout", "share_days"},
		{"tolerant acceptance the catalog forbids", "matter: construction-permit", "matter: fire-acceptance", "workflows[0].tolerant_acceptance", "does not allow"},
		{"no supplement days", "supplement_days: 5", "supplement_days: 0", "workflows[0].tolerant_acceptance.supplement_days", "1 to 60"},
		{"a notice deciding", "{code: decision, name: 决定, department: housing, share_days: 1}", "{code: decision, name: 决定, kind: public_notice, department: housing, notice_days: 5}", "workflows[0].stages[2].kind", "must be a review"},
		{"a stage code twice", "code: joint", "code: review", "workflows[0].stages[1].code", "twice"},
		{"both department and group", "name: 会签", "name: 会签\n        department: eco", "workflows[0].stages[1].department", "countersign"},
		{"bad code", "code: permit", "code: Permit!", "workflows[0].code", "lower-case"},
		{"unknown subject", "subject: ticket", "subject: wish", "workflows[0].subject", "must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(validDef, tt.from) {
				t.Fatalf("test fixture: %q not in the definition", tt.from)
			}
			_, err := approval.ParseDefinitions([]byte(strings.Replace(validDef, tt.from, tt.to, 1)), cat)
			var ve *fault.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v, want a validation error", err)
			}
			for _, f := range ve.Fields {
				if f.Field == tt.field && strings.Contains(f.Reason, tt.text) {
					return
				}
			}
			t.Fatalf("fields %+v, want %s: ...%s...", ve.Fields, tt.field, tt.text)
		})
	}
	t.Run("a matter served twice", func(t *testing.T) {
		twice := validDef + strings.Replace(strings.TrimPrefix(validDef, "\nworkflows:\n"), "code: permit", "code: permit-2", 1)
		_, err := approval.ParseDefinitions([]byte(twice), cat)
		if err == nil || !strings.Contains(err.Error(), "already served by permit") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("an unknown field", func(t *testing.T) {
		_, err := approval.ParseDefinitions([]byte(strings.Replace(validDef, "share_days: 1}", "share_dayz: 1}", 1)), cat)
		if !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("error %v", err)
		}
	})
}

// FuzzParseDefinitions: any input is parsed or refused, never a panic, and
// what is accepted has stages whose shares fit the commitment.
func FuzzParseDefinitions(f *testing.F) {
	f.Add([]byte(validDef))
	f.Add([]byte("workflows: []"))
	f.Add([]byte("workflows:\n  - {code: x, subject: policy_application, policy: '*', name: n, department: finance, commitment_days: 1, stages: [{code: a, name: a, department: finance}]}"))
	cat := demoSeeds(f).Catalog
	f.Fuzz(func(t *testing.T, data []byte) {
		defs, err := approval.ParseDefinitions(data, cat)
		if err != nil {
			return
		}
		for _, d := range defs {
			share := 0
			for _, s := range d.Stages {
				share += s.ShareDays
			}
			if len(d.Stages) == 0 || share > d.CommitmentDays || d.Stages[len(d.Stages)-1].Kind != approval.StageReview {
				t.Fatalf("accepted %+v", d)
			}
		}
	})
}

// TestSeedIsIdempotent: seeding twice stores nothing new; a changed
// definition is a new version, and a running workflow keeps its own.
func TestSeedIsIdempotent(t *testing.T) {
	e := newEnv(t)
	s := demoSeeds(t)
	n, err := approval.Seed(context.Background(), e.repo, s)
	if err != nil || n != 0 {
		t.Fatalf("second seed stored %d, err %v", n, err)
	}
	running := e.open("business-license")
	changed := append([]approval.Definition(nil), s.Definitions...)
	for i := range changed {
		if changed[i].Code == "business-license" {
			d := changed[i]
			d.Stages = append([]approval.Stage{}, d.Stages...)
			d.Stages[0].Name = "审核并决定"
			changed[i] = d
		}
	}
	if n, err := e.repo.SaveDefinitions(context.Background(), changed); err != nil || n != 1 {
		t.Fatalf("stored %d, err %v, want the changed one", n, err)
	}
	fresh := e.open("business-license")
	if running = e.workflow(running.ID); running.Definition.Version != 1 || running.Definition.Stages[0].Name != "审核决定" {
		t.Fatalf("running workflow on %d %q", running.Definition.Version, running.Definition.Stages[0].Name)
	}
	if fresh.Definition.Version != 2 || fresh.Definition.Stages[0].Name != "审核并决定" {
		t.Fatalf("new workflow on %d %q", fresh.Definition.Version, fresh.Definition.Stages[0].Name)
	}
	defs, err := e.svc.Definitions(as(authEnterprise("firm-1")))
	if err != nil || len(defs) != len(s.Definitions) {
		t.Fatalf("%d definitions, err %v", len(defs), err)
	}
}
