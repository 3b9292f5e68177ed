package intake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// Limits on request fields.
const (
	MaxNameLength        = 200
	MaxTitleLength       = 200
	MaxDescriptionLength = 4000
	MaxCommentLength     = 1000
	MaxMaterials         = 50
	MaxIdempotencyKey    = 200
)

var (
	industryCodeRE = regexp.MustCompile(`^[A-T]([0-9]{2}([0-9]{1,2})?)?$`)
	sha256RE       = regexp.MustCompile(`^[0-9a-f]{64}$`)
	mediaTypeRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$`)
	codeRE         = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
)

// shanghai is the zone ticket-number years and human dates are read in.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

func textProblem(v *fault.Violations, field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "required")
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Addf(field, "at most %d characters", max)
	}
}

// normaliseFlags checks flags against Flags and returns them sorted, once each.
func normaliseFlags(v *fault.Violations, field string, flags []string) []string {
	out := []string{}
	for i, f := range flags {
		if !slices.Contains(Flags, f) {
			v.Addf(fmt.Sprintf("%s[%d]", field, i), "must be one of %s", strings.Join(Flags, ", "))
			continue
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

func checkFigures(v *fault.Violations, f *Figures) {
	if f == nil {
		return
	}
	if f.Year < 2000 || f.Year > 2100 {
		v.Add("figures.year", "must be a year between 2000 and 2100")
	}
	if f.RevenueFen < 0 {
		v.Add("figures.revenue_fen", "must not be negative")
	}
	if f.TaxPaidFen < 0 {
		v.Add("figures.tax_paid_fen", "must not be negative")
	}
	if f.RDRatioPercent < 0 || f.RDRatioPercent > 100 || math.IsNaN(f.RDRatioPercent) {
		v.Add("figures.rd_ratio_percent", "must be between 0 and 100")
	}
	if f.LandAreaMu < 0 || f.LandAreaMu > 1e9 || math.IsNaN(f.LandAreaMu) {
		v.Add("figures.land_area_mu", "must not be negative")
	}
	if f.Headcount < 0 {
		v.Add("figures.headcount", "must not be negative")
	}
	// Stored to two decimals.
	f.RDRatioPercent = math.Round(f.RDRatioPercent*100) / 100
	f.LandAreaMu = math.Round(f.LandAreaMu*100) / 100
}

// NormaliseEnterprise checks a registration and returns it normalised
// (USCC upper-cased, flags sorted). Every problem is reported at once.
func NormaliseEnterprise(in EnterpriseInput) (EnterpriseInput, error) {
	var v fault.Violations
	in.USCC = strings.ToUpper(strings.TrimSpace(in.USCC))
	if reason := usccProblem(in.USCC); reason != "" {
		v.Add("uscc", reason)
	}
	in.Name = strings.TrimSpace(in.Name)
	textProblem(&v, "name", in.Name, MaxNameLength, true)
	if in.Park == "" {
		v.Add("park", "required")
	}
	in.IndustryCode = strings.ToUpper(strings.TrimSpace(in.IndustryCode))
	if !industryCodeRE.MatchString(in.IndustryCode) {
		v.Add("industry_code", "must be a GB/T 4754 code: a section letter A–T, optionally followed by 2 to 4 digits (e.g. C3981)")
	}
	if !slices.Contains(Scales, in.Scale) {
		v.Addf("scale", "must be one of %s", strings.Join(Scales, ", "))
	}
	in.Flags = normaliseFlags(&v, "flags", in.Flags)
	checkFigures(&v, in.Figures)
	return in, v.Err(fault.ErrInvalid)
}

// ApplyPatch changes e by p and returns the names of the fields that changed.
// figuresOnly restricts the patch to the declared figures (the firm itself).
func ApplyPatch(e *Enterprise, p EnterprisePatch, figuresOnly bool) ([]string, error) {
	var v fault.Violations
	if figuresOnly {
		for field, set := range map[string]bool{"name": p.Name != nil, "industry_code": p.IndustryCode != nil,
			"scale": p.Scale != nil, "flags": p.Flags != nil, "key_enterprise": p.KeyEnterprise != nil} {
			if set {
				v.Add(field, "a firm may change only its declared figures")
			}
		}
	}
	var changed []string
	if p.Name != nil {
		n := strings.TrimSpace(*p.Name)
		textProblem(&v, "name", n, MaxNameLength, true)
		if n != e.Name {
			e.Name, changed = n, append(changed, "name")
		}
	}
	if p.IndustryCode != nil {
		c := strings.ToUpper(strings.TrimSpace(*p.IndustryCode))
		if !industryCodeRE.MatchString(c) {
			v.Add("industry_code", "must be a GB/T 4754 code: a section letter A–T, optionally followed by 2 to 4 digits (e.g. C3981)")
		}
		if c != e.IndustryCode {
			e.IndustryCode, changed = c, append(changed, "industry_code")
		}
	}
	if p.Scale != nil {
		if !slices.Contains(Scales, *p.Scale) {
			v.Addf("scale", "must be one of %s", strings.Join(Scales, ", "))
		}
		if *p.Scale != e.Scale {
			e.Scale, changed = *p.Scale, append(changed, "scale")
		}
	}
	if p.Flags != nil {
		f := normaliseFlags(&v, "flags", *p.Flags)
		if !slices.Equal(f, e.Flags) {
			e.Flags, changed = f, append(changed, "flags")
		}
	}
	if p.KeyEnterprise != nil && *p.KeyEnterprise != e.KeyEnterprise {
		e.KeyEnterprise, changed = *p.KeyEnterprise, append(changed, "key_enterprise")
	}
	if p.Figures != nil {
		f := *p.Figures
		checkFigures(&v, &f)
		if e.Figures == nil || *e.Figures != f {
			e.Figures, changed = &f, append(changed, "figures")
		}
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return nil, err
	}
	return changed, nil
}

// MergeMaterials is a bundle's merged material list: each material once, in
// the order the matters list them, key if any matter holds it key, with the
// matters that need it.
func MergeMaterials(matters []Matter) []MaterialSpec {
	var out []MaterialSpec
	index := map[string]int{}
	for _, m := range matters {
		for _, spec := range m.Materials {
			i, ok := index[spec.Code]
			if !ok {
				index[spec.Code] = len(out)
				out = append(out, MaterialSpec{Code: spec.Code, Name: spec.Name, Key: spec.Key, Matters: []string{m.Code}})
				continue
			}
			out[i].Key = out[i].Key || spec.Key
			out[i].Matters = append(out[i].Matters, m.Code)
		}
	}
	return out
}

// MaterialCheck is the verdict on a submission's materials against its matters.
type MaterialCheck struct {
	// Missing maps each matter to its non-key materials accepted as missing (容缺).
	Missing map[string][]string
	// SupplementDays is the longest supplement period of those matters.
	SupplementDays int
}

// MissingCodes lists every material accepted as missing, once, sorted.
func (c MaterialCheck) MissingCodes() []string {
	var out []string
	for _, codes := range c.Missing {
		for _, code := range codes {
			if !slices.Contains(out, code) {
				out = append(out, code)
			}
		}
	}
	slices.Sort(out)
	return out
}

// CheckMaterials compares the supplied material codes with what the matters
// require. A missing key material, or a missing non-key one where tolerant
// acceptance is not allowed (by the matter, or for a firm with a bad-credit
// flag), is a 422 listing every such material at once as
// "materials.<code>"; a supplied code no matter asks for is a 422 too.
func CheckMaterials(matters []Matter, supplied []string, badCredit bool) (MaterialCheck, error) {
	have := map[string]bool{}
	for _, c := range supplied {
		have[c] = true
	}
	check := MaterialCheck{Missing: map[string][]string{}}
	var v fault.Violations
	wanted := map[string]bool{}
	reported := map[string]bool{}
	merged := MergeMaterials(matters)
	byCode := map[string]MaterialSpec{}
	for _, m := range merged {
		byCode[m.Code] = m
		wanted[m.Code] = true
	}
	for _, spec := range merged {
		if have[spec.Code] {
			continue
		}
		if spec.Key {
			v.Addf("materials."+spec.Code, "key material missing: %s", spec.Name)
			reported[spec.Code] = true
			continue
		}
		for _, m := range matters {
			if !slices.ContainsFunc(m.Materials, func(s MaterialSpec) bool { return s.Code == spec.Code }) {
				continue
			}
			switch {
			case reported[spec.Code]:
			case !m.TolerantAcceptance:
				v.Addf("materials."+spec.Code, "required: %s (%s does not allow tolerant acceptance)", spec.Name, m.Code)
				reported[spec.Code] = true
			case badCredit:
				v.Addf("materials."+spec.Code, "required: %s (tolerant acceptance is not offered to a firm with a bad-credit flag)", spec.Name)
				reported[spec.Code] = true
			default:
				check.Missing[m.Code] = append(check.Missing[m.Code], spec.Code)
				check.SupplementDays = max(check.SupplementDays, m.SupplementDays)
			}
		}
	}
	for i, c := range supplied {
		if !wanted[c] {
			v.Addf(fmt.Sprintf("materials[%d].code", i), "%q is not a material of this submission", c)
		}
	}
	if err := v.Err(fault.ErrUnprocessable); err != nil {
		return MaterialCheck{}, err
	}
	for code := range check.Missing {
		if len(check.Missing[code]) == 0 {
			delete(check.Missing, code)
		}
	}
	if len(check.Missing) == 0 {
		check.SupplementDays = 0
	}
	return check, nil
}

// CheckMaterialInputs checks the shape of materials in a request: codes,
// hashes, sizes, media types, no code twice.
func CheckMaterialInputs(field string, ms []MaterialInput, freeCodes bool) error {
	var v fault.Violations
	if len(ms) > MaxMaterials {
		v.Addf(field, "at most %d materials", MaxMaterials)
	}
	seen := map[string]bool{}
	for i, m := range ms {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !codeRE.MatchString(m.Code) {
			v.Add(f+".code", "required: a catalog material code (lower-case letters, digits, '-')")
		} else if seen[m.Code] && !freeCodes {
			v.Add(f+".code", "given twice")
		}
		seen[m.Code] = true
		if !sha256RE.MatchString(m.SHA256) {
			v.Add(f+".sha256", "must be the 64 lower-case hex digits of the content's SHA-256")
		}
		if m.Size < 0 {
			v.Add(f+".size", "must not be negative")
		}
		if m.MediaType != "" && !mediaTypeRE.MatchString(m.MediaType) {
			v.Add(f+".media_type", "must be a media type such as application/pdf")
		}
		textProblem(&v, f+".name", m.Name, MaxNameLength, false)
	}
	return v.Err(fault.ErrInvalid)
}

// ValidIdempotencyKey checks an Idempotency-Key: 1 to 200 printable ASCII characters.
func ValidIdempotencyKey(key string) error {
	if key == "" {
		return fault.Invalid("Idempotency-Key", "header required")
	}
	if len(key) > MaxIdempotencyKey {
		return fault.Invalidf("Idempotency-Key", "at most %d characters", MaxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return fault.Invalid("Idempotency-Key", "printable ASCII only")
		}
	}
	return nil
}

// RequestHash is the fingerprint of a submission compared when an
// Idempotency-Key is used again: the request as decoded, re-encoded.
func RequestHash(r SubmitRequest) string {
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FormatTicketNumber is the human number of a ticket, e.g. WCJK-2026-000123.
func FormatTicketNumber(prefix string, year int, n int64) string {
	return fmt.Sprintf("%s-%04d-%06d", prefix, year, n)
}

// defaultPrefixes are the ticket number prefixes of the demo parks.
var defaultPrefixes = map[string]string{
	"wangcheng":       "WCJK", // 望城经开区
	"changsha-hitech": "CSGX", // 长沙高新区
	"changsha-etdz":   "CSJK", // 长沙经开区
	"liling":          "LLJK", // 醴陵经开区
	"zhongfang":       "ZFGY", // 中方县工业集中区
}

// TicketPrefix returns the ticket number prefix of park: the configured one
// if given, the demo parks' own, else the park id's letters and digits,
// upper-cased, at most 8.
func TicketPrefix(park, configured string) string {
	if configured != "" {
		return configured
	}
	if p, ok := defaultPrefixes[park]; ok {
		return p
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(park) {
		if (r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') && b.Len() < 8 {
			b.WriteRune(r)
		}
	}
	for b.Len() < 2 {
		b.WriteByte('X')
	}
	return b.String()
}

// RatingLevels are the five levels of GB/T 39734, by score.
var RatingLevels = map[int]string{5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

// BadRating reports whether a score opens a rectification (不满意, 非常不满意).
func BadRating(score int) bool { return score <= 2 }

// Derive recomputes a matter or bundle ticket's status, outcome and stage
// from its items, and reports whether it has just completed. Demands and
// rectifications keep the status their handlers give them.
func Derive(t *Ticket) (completed bool) {
	if t.Kind != KindMatter && t.Kind != KindBundle {
		t.Stage = t.Status
		return false
	}
	before := t.Status
	terminal, accepted, correction := 0, 0, 0
	counts := map[string]int{}
	for _, it := range t.Items {
		counts[it.Status]++
		switch {
		case it.Terminal():
			terminal++
		case it.Status == ItemCorrectionRequested:
			correction++
		case it.Status == ItemAccepted:
			accepted++
		}
	}
	n := len(t.Items)
	switch {
	case t.Status == StatusWithdrawn:
	case n > 0 && terminal == n:
		t.Status = StatusCompleted
		t.Outcome = outcome(counts, n)
	case correction > 0:
		t.Status = StatusCorrectionRequested
	case accepted > 0 || terminal > 0:
		t.Status = StatusAccepted
	default:
		t.Status = StatusSubmitted
	}
	t.Stage = stage(t, terminal, correction)
	return before != StatusCompleted && t.Status == StatusCompleted
}

func outcome(counts map[string]int, n int) string {
	switch {
	case counts[ItemApproved] == n:
		return OutcomeApproved
	case counts[ItemApproved] > 0:
		return OutcomePartial
	case counts[ItemNotAccepted] == n:
		return OutcomeNotAccepted
	case counts[ItemWithdrawn] == n:
		return OutcomeWithdrawn
	case counts[ItemLapsed] == n:
		return OutcomeLapsed
	}
	return OutcomeDenied
}

func stage(t *Ticket, terminal, correction int) string {
	switch t.Status {
	case StatusWithdrawn, StatusCompleted:
		return t.Status
	}
	if t.Kind == KindMatter && len(t.Items) == 1 {
		it := t.Items[0]
		switch {
		case it.Status == ItemCorrectionRequested:
			return "correction requested"
		case it.Stage != "":
			return it.Stage
		case it.Status == ItemPending:
			return "awaiting acceptance"
		}
		return it.Status
	}
	s := fmt.Sprintf("%d of %d matters completed", terminal, len(t.Items))
	if correction > 0 {
		s += fmt.Sprintf(", %d awaiting correction", correction)
	}
	return s
}

// ClockStates orders SLA states from best to worst.
var clockRank = map[string]int{"": 0, "stopped": 1, "green": 2, "yellow": 3, "red": 4}

// DeriveSLA recomputes a ticket's SLA summary from its clocks: the worst
// state among the open clocks that measure the ticket (acceptance,
// resolution, rectification); the latest open resolution deadline, else the
// acceptance or rectification one; when none is open, "stopped" (or "late"
// when one finished past its deadline). The supplement due date follows an
// open supplement clock.
func DeriveSLA(t *Ticket) {
	s := SLA{Clocks: t.SLA.Clocks}
	var anyOpen, anyStopped, late bool
	var resolution, other *time.Time
	for _, c := range t.SLA.Clocks {
		open := c.State == "green" || c.State == "yellow" || c.State == "red"
		if c.Kind == "supplement" {
			if open && c.Deadline != nil && t.Supplement != nil {
				d := *c.Deadline
				t.Supplement.DueAt = &d
			}
			continue
		}
		if c.Kind != "acceptance" && c.Kind != "resolution" && c.Kind != "rectification" {
			continue
		}
		if !open {
			if c.State == "stopped" {
				anyStopped = true
				late = late || c.StoppedLate
			}
			continue
		}
		anyOpen = true
		if clockRank[c.State] > clockRank[s.State] {
			s.State = c.State
		}
		s.Paused = s.Paused || c.Paused
		if c.Deadline == nil {
			continue
		}
		d := *c.Deadline
		if c.Kind == "resolution" {
			if resolution == nil || d.After(*resolution) {
				resolution = &d
				if c.LegalDeadline != nil {
					ld := *c.LegalDeadline
					s.LegalDeadline = &ld
				}
			}
		} else if other == nil || d.After(*other) {
			other = &d
		}
	}
	switch {
	case resolution != nil:
		s.Deadline = resolution
	case other != nil:
		s.Deadline = other
	}
	if !anyOpen && anyStopped {
		s.State = "stopped"
		if late {
			s.State = "late"
		}
		s.Deadline, s.LegalDeadline = t.SLA.Deadline, t.SLA.LegalDeadline
	}
	t.SLA = s
}
