package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"gopkg.in/yaml.v3"

	"github.com/parkdesk/parkdesk/pkg/db"
)

// SeedActor is the created_by of seeded firms.
const SeedActor = "seed"

// Defaults of catalog entries that leave them out.
const (
	DefaultWarnDays       = 1
	DefaultSupplementDays = 5
)

type seedParks struct {
	Parks []struct {
		ID           string `yaml:"id"`
		Name         string `yaml:"name"`
		ShortName    string `yaml:"short_name"`
		TicketPrefix string `yaml:"ticket_prefix"`
	} `yaml:"parks"`
}

type seedDepartments struct {
	Departments []struct {
		Code string `yaml:"code"`
		Name string `yaml:"name"`
	} `yaml:"departments"`
}

type seedMatter struct {
	Code               string         `yaml:"code"`
	Name               string         `yaml:"name"`
	Department         string         `yaml:"department"`
	LegalDays          int            `yaml:"legal_days"`
	CommitmentDays     int            `yaml:"commitment_days"`
	WarnDays           int            `yaml:"warn_days"`
	TolerantAcceptance bool           `yaml:"tolerant_acceptance"`
	CommitmentApproval bool           `yaml:"commitment_approval"`
	SupplementDays     int            `yaml:"supplement_days"`
	Parks              []string       `yaml:"parks"`
	Materials          []MaterialSpec `yaml:"materials"`
}

type seedBundle struct {
	Code           string   `yaml:"code"`
	Name           string   `yaml:"name"`
	Matters        []string `yaml:"matters"`
	CommitmentDays int      `yaml:"commitment_days"`
	LegalDays      int      `yaml:"legal_days"`
	WarnDays       int      `yaml:"warn_days"`
	Parks          []string `yaml:"parks"`
}

type seedCatalog struct {
	Matters []seedMatter `yaml:"matters"`
	Bundles []seedBundle `yaml:"bundles"`
}

type seedEnterprise struct {
	ID            string   `yaml:"id"`
	Park          string   `yaml:"park"`
	USCC          string   `yaml:"uscc"`
	Name          string   `yaml:"name"`
	IndustryCode  string   `yaml:"industry_code"`
	Scale         string   `yaml:"scale"`
	Flags         []string `yaml:"flags"`
	KeyEnterprise bool     `yaml:"key_enterprise"`
	Synthetic     bool     `yaml:"synthetic"`
	NamedIn       string   `yaml:"named_in"`
	Figures       *struct {
		Year           int     `yaml:"year"`
		RevenueFen     int64   `yaml:"revenue_fen"`
		TaxPaidFen     int64   `yaml:"tax_paid_fen"`
		RDRatioPercent float64 `yaml:"rd_ratio_percent"`
		LandAreaMu     float64 `yaml:"land_area_mu"`
		Headcount      int     `yaml:"headcount"`
	} `yaml:"figures"`
}

type seedEnterprises struct {
	Enterprises []seedEnterprise `yaml:"enterprises"`
}

func readYAML(dir, name string, dst any, optional bool) (bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if optional && errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := yaml.Unmarshal(data, dst); err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	return true, nil
}

// SeedData is what the seeds hold for intake, read and checked.
type SeedData struct {
	Parks       []Park
	Departments map[string]string
	Matters     []Matter // one per park it applies to
	Bundles     []Bundle // MatterCodes set; Matters and Materials empty
	Enterprises []Enterprise
}

// ReadSeeds reads parks.yaml, departments.yaml, catalog.yaml and (if there)
// enterprises.yaml from dir, and reports every problem in them at once.
// Catalog entries without a parks list apply to every park.
func ReadSeeds(dir string) (SeedData, error) {
	var sp seedParks
	var sd seedDepartments
	var sc seedCatalog
	var se seedEnterprises
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, f := range []struct {
		name     string
		dst      any
		optional bool
	}{{"parks.yaml", &sp, false}, {"departments.yaml", &sd, false}, {"catalog.yaml", &sc, false}, {"enterprises.yaml", &se, true}} {
		if _, err := readYAML(dir, f.name, f.dst, f.optional); err != nil {
			return SeedData{}, fmt.Errorf("intake seeds: %w", err)
		}
	}
	out := SeedData{Departments: map[string]string{}}
	var parkIDs []string
	for _, p := range sp.Parks {
		prefix := TicketPrefix(p.ID, p.TicketPrefix)
		if p.ID == "" || p.Name == "" {
			bad("parks.yaml: a park needs an id and a name")
			continue
		}
		out.Parks = append(out.Parks, Park{ID: p.ID, Name: p.Name, ShortName: p.ShortName, TicketPrefix: prefix})
		parkIDs = append(parkIDs, p.ID)
	}
	for _, d := range sd.Departments {
		out.Departments[d.Code] = d.Name
	}
	parksOf := func(what string, list []string) []string {
		if len(list) == 0 {
			return parkIDs
		}
		for _, p := range list {
			if !slices.Contains(parkIDs, p) {
				bad("%s: unknown park %q", what, p)
			}
		}
		return list
	}
	matters := map[string]map[string]Matter{} // park → code → matter
	for _, m := range sc.Matters {
		what := "catalog.yaml matter " + m.Code
		if !codeRE.MatchString(m.Code) {
			bad("%s: code must be lower-case letters, digits and '-'", what)
		}
		if m.Name == "" {
			bad("%s: name required", what)
		}
		if _, ok := out.Departments[m.Department]; !ok {
			bad("%s: unknown department %q", what, m.Department)
		}
		if m.CommitmentDays <= 0 || m.LegalDays < m.CommitmentDays {
			bad("%s: need 0 < commitment_days <= legal_days", what)
		}
		if m.WarnDays == 0 {
			m.WarnDays = DefaultWarnDays
		}
		if m.SupplementDays == 0 {
			m.SupplementDays = DefaultSupplementDays
		}
		if len(m.Materials) == 0 {
			bad("%s: materials required", what)
		}
		seen := map[string]bool{}
		for _, spec := range m.Materials {
			if !codeRE.MatchString(spec.Code) || spec.Name == "" || seen[spec.Code] {
				bad("%s: material %q needs a unique code and a name", what, spec.Code)
			}
			seen[spec.Code] = true
		}
		for _, park := range parksOf(what, m.Parks) {
			if matters[park] == nil {
				matters[park] = map[string]Matter{}
			}
			if _, dup := matters[park][m.Code]; dup {
				bad("%s: listed twice for park %s", what, park)
			}
			mm := Matter{Park: park, Code: m.Code, Name: m.Name, Department: m.Department, LegalDays: m.LegalDays,
				CommitmentDays: m.CommitmentDays, WarnDays: m.WarnDays, TolerantAcceptance: m.TolerantAcceptance,
				CommitmentApproval: m.CommitmentApproval, SupplementDays: m.SupplementDays, Materials: m.Materials}
			matters[park][m.Code] = mm
			out.Matters = append(out.Matters, mm)
		}
	}
	for _, b := range sc.Bundles {
		what := "catalog.yaml bundle " + b.Code
		if !codeRE.MatchString(b.Code) || b.Name == "" {
			bad("%s: needs a code and a name", what)
		}
		if len(b.Matters) < 2 {
			bad("%s: a bundle has at least two matters", what)
		}
		if b.CommitmentDays <= 0 || b.LegalDays < b.CommitmentDays {
			bad("%s: need 0 < commitment_days <= legal_days", what)
		}
		for _, park := range parksOf(what, b.Parks) {
			warn := b.WarnDays
			for _, c := range b.Matters {
				m, ok := matters[park][c]
				if !ok {
					bad("%s: matter %q is not in park %s's catalog", what, c, park)
					continue
				}
				if b.WarnDays == 0 {
					warn = max(warn, m.WarnDays)
				}
			}
			out.Bundles = append(out.Bundles, Bundle{Park: park, Code: b.Code, Name: b.Name, MatterCodes: b.Matters,
				CommitmentDays: b.CommitmentDays, LegalDays: b.LegalDays, WarnDays: max(warn, 1)})
		}
	}
	ids, usccs := map[string]bool{}, map[string]bool{}
	for i, s := range se.Enterprises {
		what := fmt.Sprintf("enterprises.yaml #%d %s", i+1, s.Name)
		in := EnterpriseInput{USCC: s.USCC, Name: s.Name, Park: s.Park, IndustryCode: s.IndustryCode, Scale: s.Scale,
			Flags: s.Flags, KeyEnterprise: s.KeyEnterprise}
		if s.Figures != nil {
			f := Figures(*s.Figures)
			in.Figures = &f
		}
		norm, err := NormaliseEnterprise(in)
		if err != nil {
			bad("%s: %v", what, err)
			continue
		}
		if !validUUID(s.ID) {
			bad("%s: id must be a UUID", what)
		}
		if !slices.Contains(parkIDs, s.Park) {
			bad("%s: unknown park %q", what, s.Park)
		}
		if ids[s.ID] || usccs[norm.USCC] {
			bad("%s: id or USCC listed twice", what)
		}
		ids[s.ID], usccs[norm.USCC] = true, true
		out.Enterprises = append(out.Enterprises, Enterprise{ID: strings.ToLower(s.ID), USCC: norm.USCC, Name: norm.Name,
			Park: norm.Park, IndustryCode: norm.IndustryCode, Scale: norm.Scale, Flags: norm.Flags,
			KeyEnterprise: norm.KeyEnterprise, Figures: norm.Figures, Synthetic: s.Synthetic})
	}
	if len(problems) > 0 {
		return SeedData{}, fmt.Errorf("intake seeds in %s:\n  %s", dir, strings.Join(problems, "\n  "))
	}
	return out, nil
}

// SeedResult counts what Seed wrote.
type SeedResult struct {
	Parks, Matters, Bundles, Enterprises int
}

// Seed loads the seeds in dir in one transaction: parks and departments
// (inserted, names updated; a park's ticket prefix never changes once
// stored), the catalog (upserted: the seeds are its source), and firms
// (inserted when neither their id nor their USCC is known, each announced
// with intake.enterprise.registered so that liaison assigns an officer;
// a stored firm is never changed). Running it again changes nothing.
func Seed(ctx context.Context, repo *Repository, dir string, now time.Time) (SeedResult, error) {
	data, err := ReadSeeds(dir)
	if err != nil {
		return SeedResult{}, err
	}
	var res SeedResult
	err = db.InTx(ctx, repo.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		res = SeedResult{}
		return seedTx(ctx, tx, data, now, &res)
	})
	return res, err
}

func seedTx(ctx context.Context, tx *sqlx.Tx, data SeedData, now time.Time, res *SeedResult) error {
	// One seeder at a time (replicas start together).
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('intake-seed'))`); err != nil {
		return err
	}
	for _, p := range data.Parks {
		r, err := tx.ExecContext(ctx, `INSERT INTO parks (id, name, short_name, ticket_prefix) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, short_name = EXCLUDED.short_name
			WHERE (parks.name, parks.short_name) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.short_name)`,
			p.ID, p.Name, p.ShortName, p.TicketPrefix)
		if err != nil {
			return fmt.Errorf("seed park %s: %w", p.ID, err)
		}
		n, _ := r.RowsAffected()
		res.Parks += int(n)
	}
	for code, name := range data.Departments {
		if _, err := tx.ExecContext(ctx, `INSERT INTO departments (code, name) VALUES ($1, $2)
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name`, code, name); err != nil {
			return fmt.Errorf("seed department %s: %w", code, err)
		}
	}
	for i, m := range data.Matters {
		materials, err := json.Marshal(m.Materials)
		if err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO matters (park, code, name, department, legal_days, commitment_days, warn_days,
			tolerant_acceptance, commitment_approval, supplement_days, materials, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (park, code) DO UPDATE SET name = EXCLUDED.name, department = EXCLUDED.department,
				legal_days = EXCLUDED.legal_days, commitment_days = EXCLUDED.commitment_days, warn_days = EXCLUDED.warn_days,
				tolerant_acceptance = EXCLUDED.tolerant_acceptance, commitment_approval = EXCLUDED.commitment_approval,
				supplement_days = EXCLUDED.supplement_days, materials = EXCLUDED.materials, position = EXCLUDED.position
			WHERE (matters.name, matters.department, matters.legal_days, matters.commitment_days, matters.warn_days,
				matters.tolerant_acceptance, matters.commitment_approval, matters.supplement_days, matters.materials, matters.position)
				IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.department, EXCLUDED.legal_days, EXCLUDED.commitment_days,
				EXCLUDED.warn_days, EXCLUDED.tolerant_acceptance, EXCLUDED.commitment_approval, EXCLUDED.supplement_days,
				EXCLUDED.materials, EXCLUDED.position)`,
			m.Park, m.Code, m.Name, m.Department, m.LegalDays, m.CommitmentDays, m.WarnDays, m.TolerantAcceptance,
			m.CommitmentApproval, m.SupplementDays, materials, i)
		if err != nil {
			return fmt.Errorf("seed matter %s/%s: %w", m.Park, m.Code, err)
		}
		n, _ := r.RowsAffected()
		res.Matters += int(n)
	}
	for i, b := range data.Bundles {
		r, err := tx.ExecContext(ctx, `INSERT INTO bundles (park, code, name, matters, commitment_days, legal_days, warn_days, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (park, code) DO UPDATE SET name = EXCLUDED.name, matters = EXCLUDED.matters,
				commitment_days = EXCLUDED.commitment_days, legal_days = EXCLUDED.legal_days, warn_days = EXCLUDED.warn_days,
				position = EXCLUDED.position
			WHERE (bundles.name, bundles.matters, bundles.commitment_days, bundles.legal_days, bundles.warn_days, bundles.position)
				IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.matters, EXCLUDED.commitment_days, EXCLUDED.legal_days,
				EXCLUDED.warn_days, EXCLUDED.position)`,
			b.Park, b.Code, b.Name, arr(b.MatterCodes), b.CommitmentDays, b.LegalDays, b.WarnDays, i)
		if err != nil {
			return fmt.Errorf("seed bundle %s/%s: %w", b.Park, b.Code, err)
		}
		n, _ := r.RowsAffected()
		res.Bundles += int(n)
	}
	for _, e := range data.Enterprises {
		e := e
		ok, err := insertEnterprise(ctx, tx, &e, SeedActor, now, origin{})
		if err != nil {
			return fmt.Errorf("seed enterprise %s: %w", e.Name, err)
		}
		if ok {
			res.Enterprises++
		}
	}
	return nil
}
