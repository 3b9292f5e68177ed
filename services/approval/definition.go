package approval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// Subjects a workflow runs for.
const (
	// SubjectTicket is a ticket of intake (one workflow per matter; a bundle
	// (一件事) has one per child matter).
	SubjectTicket = "ticket"
	// SubjectPolicyApplication is an application of the policy service.
	SubjectPolicyApplication = "policy_application"
)

// Stage kinds.
const (
	// StageReview is reviewed by one department or a countersign group.
	StageReview = "review"
	// StagePublicNotice is a public notice (公示) of NoticeDays working days
	// during which the SLA clocks are paused, as the law excludes it.
	StagePublicNotice = "public_notice"
)

// Countersign modes (会签) of a review stage; ModeSingle is one department.
const (
	ModeSingle = "single"
	ModeAll    = "all"
	ModeAny    = "any"
	ModeQuorum = "quorum"
)

// AnyPolicy is the Policy of the definition used for applications to a
// policy that has none of its own.
const AnyPolicy = "*"

// Bounds the validation enforces.
const (
	maxStages           = 20
	maxSupplementDays   = 60
	maxVerificationDays = 365
	maxNoticeDays       = 30
)

// Definition is a workflow definition (审批流程): data, seeded per matter (and
// for policy applications), validated on load, versioned. An instance pins the
// version it started with.
type Definition struct {
	// Code names the definition, e.g. "construction-permit".
	Code string `yaml:"code" json:"code"`
	// Version counts the stored revisions of Code, from 1.
	Version int `yaml:"-" json:"version"`
	// Name is shown to people.
	Name string `yaml:"name" json:"name"`
	// Subject is SubjectTicket or SubjectPolicyApplication.
	Subject string `yaml:"subject" json:"subject"`
	// Matter is the catalog matter code a ticket definition serves.
	Matter string `yaml:"matter,omitempty" json:"matter,omitempty"`
	// Policy is the policy code an application definition serves, or AnyPolicy.
	Policy string `yaml:"policy,omitempty" json:"policy,omitempty"`
	// Department is responsible for the matter (the catalog's department).
	Department string `yaml:"department,omitempty" json:"department"`
	// CommitmentDays (承诺时限), LegalDays (法定时限) and WarnDays default to
	// the catalog's for a matter.
	CommitmentDays int `yaml:"commitment_days,omitempty" json:"commitment_days"`
	LegalDays      int `yaml:"legal_days,omitempty" json:"legal_days"`
	WarnDays       int `yaml:"warn_days,omitempty" json:"warn_days"`
	// Acceptance says who accepts (受理).
	Acceptance Acceptance `yaml:"acceptance,omitempty" json:"acceptance"`
	// TolerantAcceptance (容缺受理) is allowed when set.
	TolerantAcceptance *TolerantAcceptance `yaml:"tolerant_acceptance,omitempty" json:"tolerant_acceptance,omitempty"`
	// CommitmentApproval (告知承诺制) is allowed when set.
	CommitmentApproval *CommitmentApproval `yaml:"commitment_approval,omitempty" json:"commitment_approval,omitempty"`
	// Stages run in order; the last one's approval is the final approval.
	Stages []Stage `yaml:"stages" json:"stages"`
	// Materials are the matter's materials, copied from the catalog on load.
	Materials []Material `yaml:"-" json:"materials,omitempty"`
}

// Acceptance says who accepts a workflow (受理).
type Acceptance struct {
	// Department accepts; default the definition's department.
	Department string `yaml:"department,omitempty" json:"department,omitempty"`
	// Auto accepts at once when the workflow opens (e.g. applications the
	// policy service has already checked).
	Auto bool `yaml:"auto,omitempty" json:"auto,omitempty"`
}

// TolerantAcceptance configures 容缺受理.
type TolerantAcceptance struct {
	// SupplementDays is the time the firm has to supply the missing
	// non-key materials, in working days, or the acceptance lapses.
	SupplementDays int `yaml:"supplement_days" json:"supplement_days"`
}

// CommitmentApproval configures 告知承诺制.
type CommitmentApproval struct {
	// VerificationDays is the time to verify the commitment after approval.
	VerificationDays int `yaml:"verification_days" json:"verification_days"`
	// VerificationDepartment verifies; default the definition's department.
	VerificationDepartment string `yaml:"verification_department,omitempty" json:"verification_department,omitempty"`
}

// Material is one material of a matter, from the catalog.
type Material struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Key  bool   `json:"key"`
}

// Stage is one step of a definition.
type Stage struct {
	// Code identifies the stage within the definition.
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
	// Kind is StageReview (default) or StagePublicNotice.
	Kind string `yaml:"kind,omitempty" json:"kind"`
	// Department reviews a single-department stage or holds a notice.
	Department string `yaml:"department,omitempty" json:"department,omitempty"`
	// Countersign makes the stage a countersign group (会签, 并联审批).
	Countersign *Countersign `yaml:"countersign,omitempty" json:"countersign,omitempty"`
	// ShareDays is the stage's time share (环节时限) in working days; 0 means
	// no stage clock.
	ShareDays int `yaml:"share_days,omitempty" json:"share_days"`
	// DeemedOnTimeout: a department whose stage clock runs out is deemed
	// to approve (超时默认).
	DeemedOnTimeout bool `yaml:"deemed_on_timeout,omitempty" json:"deemed_on_timeout,omitempty"`
	// NoticeDays is the length of a public notice in working days.
	NoticeDays int `yaml:"notice_days,omitempty" json:"notice_days,omitempty"`
}

// Countersign is a group of departments reviewing in parallel.
type Countersign struct {
	// Mode is ModeAll, ModeAny or ModeQuorum.
	Mode string `yaml:"mode" json:"mode"`
	// Quorum is the approvals a ModeQuorum stage needs.
	Quorum int `yaml:"quorum,omitempty" json:"quorum,omitempty"`
	// Departments review, one task each.
	Departments []string `yaml:"departments" json:"departments"`
}

// Mode returns the stage's review mode: ModeSingle or the countersign's.
func (s Stage) Mode() string {
	if s.Kind == StagePublicNotice {
		return StagePublicNotice
	}
	if s.Countersign != nil {
		return s.Countersign.Mode
	}
	return ModeSingle
}

// Departments returns the departments that get a task when the stage opens.
func (s Stage) Departments() []string {
	if s.Countersign != nil {
		return slices.Clone(s.Countersign.Departments)
	}
	return []string{s.Department}
}

// Needed returns how many of n members must approve for the stage to pass.
func (s Stage) Needed(n int) int {
	switch s.Mode() {
	case ModeAll:
		return n
	case ModeQuorum:
		return min(s.Countersign.Quorum, n)
	}
	return 1
}

// Key is what the definition is looked up by: the matter or the policy.
func (d Definition) Key() string {
	if d.Subject == SubjectTicket {
		return d.Matter
	}
	return d.Policy
}

// StageIndex returns the index of the stage with code, or -1.
func (d Definition) StageIndex(code string) int {
	return slices.IndexFunc(d.Stages, func(s Stage) bool { return s.Code == code })
}

// hasMaterial reports whether m is the code or the name of one of the matter's materials.
func (d Definition) hasMaterial(m string) bool {
	return slices.ContainsFunc(d.Materials, func(x Material) bool { return x.Code == m || x.Name == m })
}

// Hash is a digest of the definition's content, version excluded: seeding
// stores a new version only when it changes.
func (d Definition) Hash() string {
	d.Version = 0
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // plain data always marshals
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Catalog is what definitions are checked against: intake's matters and the
// departments (seeds/catalog.yaml, seeds/departments.yaml).
type Catalog struct {
	Matters     map[string]CatalogMatter
	Departments map[string]string
}

// CatalogMatter is one matter (事项) of the catalog.
type CatalogMatter struct {
	Code               string     `yaml:"code"`
	Name               string     `yaml:"name"`
	Department         string     `yaml:"department"`
	LegalDays          int        `yaml:"legal_days"`
	CommitmentDays     int        `yaml:"commitment_days"`
	WarnDays           int        `yaml:"warn_days"`
	TolerantAcceptance bool       `yaml:"tolerant_acceptance"`
	CommitmentApproval bool       `yaml:"commitment_approval"`
	Materials          []Material `yaml:"materials"`
}

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Normalize fills d's defaults from the catalog and checks every rule,
// reporting each offending field (prefixed with at, e.g. "workflows[2]") at once.
func (d *Definition) Normalize(cat Catalog, at string) []fault.FieldError {
	var v fault.Violations
	f := func(name string) string { return at + "." + name }
	// dept checks a department code; field is the full field name.
	dept := func(field, code string) {
		if code == "" {
			v.Add(field, "required")
		} else if _, ok := cat.Departments[code]; !ok {
			v.Addf(field, "unknown department %q", code)
		}
	}
	if !codePattern.MatchString(d.Code) {
		v.Add(f("code"), "must be lower-case letters, digits and '-', at most 63")
	}
	if strings.TrimSpace(d.Name) == "" {
		v.Add(f("name"), "required")
	}
	switch d.Subject {
	case SubjectTicket:
		m, ok := cat.Matters[d.Matter]
		switch {
		case d.Matter == "":
			v.Add(f("matter"), "required for a ticket definition")
		case !ok:
			v.Addf(f("matter"), "unknown matter %q", d.Matter)
		default:
			if d.Department == "" {
				d.Department = m.Department
			} else if d.Department != m.Department {
				v.Addf(f("department"), "the catalog puts %s under %q", d.Matter, m.Department)
			}
			d.CommitmentDays = cmp0(d.CommitmentDays, m.CommitmentDays)
			d.LegalDays = cmp0(d.LegalDays, m.LegalDays)
			d.WarnDays = cmp0(d.WarnDays, m.WarnDays)
			d.Materials = slices.Clone(m.Materials)
			if d.TolerantAcceptance != nil && !m.TolerantAcceptance {
				v.Addf(f("tolerant_acceptance"), "the catalog does not allow tolerant acceptance for %s", d.Matter)
			}
			if d.CommitmentApproval != nil && !m.CommitmentApproval {
				v.Addf(f("commitment_approval"), "the catalog does not allow commitment approval for %s", d.Matter)
			}
		}
		if d.Policy != "" {
			v.Add(f("policy"), "only for a policy_application definition")
		}
	case SubjectPolicyApplication:
		if d.Policy == "" {
			v.Addf(f("policy"), "required: a policy code or %q", AnyPolicy)
		}
		if d.Matter != "" {
			v.Add(f("matter"), "only for a ticket definition")
		}
		if d.TolerantAcceptance != nil {
			v.Add(f("tolerant_acceptance"), "not for policy applications")
		}
		if d.CommitmentApproval != nil {
			v.Add(f("commitment_approval"), "not for policy applications")
		}
		if d.LegalDays == 0 {
			d.LegalDays = d.CommitmentDays
		}
	default:
		v.Addf(f("subject"), "must be %q or %q", SubjectTicket, SubjectPolicyApplication)
	}
	if d.Subject != SubjectTicket || d.Department != "" {
		dept(f("department"), d.Department)
	}
	if d.CommitmentDays <= 0 {
		v.Add(f("commitment_days"), "must be positive")
	}
	if d.LegalDays < d.CommitmentDays {
		v.Add(f("legal_days"), "must not be shorter than commitment_days")
	}
	if d.WarnDays < 0 {
		v.Add(f("warn_days"), "must not be negative")
	}
	if d.Acceptance.Department == "" {
		d.Acceptance.Department = d.Department
	}
	if d.Acceptance.Department != "" {
		dept(f("acceptance.department"), d.Acceptance.Department)
	}
	if t := d.TolerantAcceptance; t != nil && (t.SupplementDays < 1 || t.SupplementDays > maxSupplementDays) {
		v.Addf(f("tolerant_acceptance.supplement_days"), "must be 1 to %d", maxSupplementDays)
	}
	if c := d.CommitmentApproval; c != nil {
		if c.VerificationDays < 1 || c.VerificationDays > maxVerificationDays {
			v.Addf(f("commitment_approval.verification_days"), "must be 1 to %d", maxVerificationDays)
		}
		if c.VerificationDepartment == "" {
			c.VerificationDepartment = d.Department
		}
		if c.VerificationDepartment != "" {
			dept(f("commitment_approval.verification_department"), c.VerificationDepartment)
		}
	}
	d.normalizeStages(&v, f, dept)
	return v
}

func (d *Definition) normalizeStages(v *fault.Violations, f func(string) string, dept func(field, code string)) {
	if len(d.Stages) == 0 || len(d.Stages) > maxStages {
		v.Addf(f("stages"), "must list 1 to %d stages", maxStages)
		return
	}
	seen := map[string]bool{}
	share := 0
	last := len(d.Stages) - 1
	for i := range d.Stages {
		s := &d.Stages[i]
		sf := func(name string) string { return f(fmt.Sprintf("stages[%d].%s", i, name)) }
		if !codePattern.MatchString(s.Code) {
			v.Add(sf("code"), "must be lower-case letters, digits and '-', at most 63")
		} else if seen[s.Code] {
			v.Addf(sf("code"), "%q is used twice", s.Code)
		}
		seen[s.Code] = true
		if strings.TrimSpace(s.Name) == "" {
			v.Add(sf("name"), "required")
		}
		if s.Kind == "" {
			s.Kind = StageReview
		}
		if s.ShareDays < 0 {
			v.Add(sf("share_days"), "must not be negative")
		}
		share += max(s.ShareDays, 0)
		switch s.Kind {
		case StageReview:
			d.normalizeReview(v, s, sf, dept, i == last)
		case StagePublicNotice:
			dept(sf("department"), s.Department)
			if s.Countersign != nil {
				v.Add(sf("countersign"), "a public notice has no countersign")
			}
			if s.NoticeDays < 1 || s.NoticeDays > maxNoticeDays {
				v.Addf(sf("notice_days"), "must be 1 to %d", maxNoticeDays)
			}
			if s.ShareDays != 0 {
				v.Add(sf("share_days"), "a public notice is excluded from the limit: no share")
			}
			if s.DeemedOnTimeout {
				v.Add(sf("deemed_on_timeout"), "not for a public notice")
			}
			if i == last {
				v.Add(sf("kind"), "the last stage decides: it must be a review")
			}
		default:
			v.Addf(sf("kind"), "must be %q or %q", StageReview, StagePublicNotice)
		}
	}
	if d.CommitmentDays > 0 && share > d.CommitmentDays {
		v.Addf(f("stages"), "the stage shares add up to %d working days, more than the commitment of %d", share, d.CommitmentDays)
	}
}

func (d *Definition) normalizeReview(v *fault.Violations, s *Stage, sf func(string) string, dept func(field, code string), final bool) {
	if s.NoticeDays != 0 {
		v.Add(sf("notice_days"), "only for a public notice")
	}
	if s.DeemedOnTimeout && s.ShareDays == 0 {
		v.Add(sf("deemed_on_timeout"), "needs a share_days: the stage clock's timeout deems approval")
	}
	if s.DeemedOnTimeout && final {
		v.Add(sf("deemed_on_timeout"), "not on the last stage: a final approval is never deemed")
	}
	cs := s.Countersign
	switch {
	case cs == nil && s.Department == "":
		v.Add(sf("department"), "required (or a countersign)")
	case cs == nil:
		dept(sf("department"), s.Department)
	case s.Department != "":
		v.Add(sf("department"), "a countersign stage names its departments in countersign.departments")
	default:
		if len(cs.Departments) < 2 {
			v.Add(sf("countersign.departments"), "a countersign needs at least two departments")
		}
		uniq := map[string]bool{}
		for j, dp := range cs.Departments {
			if uniq[dp] {
				v.Addf(sf(fmt.Sprintf("countersign.departments[%d]", j)), "%q is listed twice", dp)
			}
			uniq[dp] = true
			dept(sf(fmt.Sprintf("countersign.departments[%d]", j)), dp)
		}
		switch cs.Mode {
		case ModeAll, ModeAny:
			if cs.Quorum != 0 {
				v.Add(sf("countersign.quorum"), "only for mode quorum")
			}
		case ModeQuorum:
			if cs.Quorum < 1 || cs.Quorum > len(cs.Departments) {
				v.Addf(sf("countersign.quorum"), "must be 1 to %d", len(cs.Departments))
			}
		default:
			v.Addf(sf("countersign.mode"), "must be %q, %q or %q", ModeAll, ModeAny, ModeQuorum)
		}
	}
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
