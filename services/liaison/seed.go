package liaison

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/parkdesk/parkdesk/pkg/event"
)

// SeedFile is seeds/officers.yaml: each park's managers and liaison
// officers, and assignments to honour when the firms register.
type SeedFile struct {
	Managers    []SeedManager    `yaml:"managers"`
	Officers    []SeedOfficer    `yaml:"officers"`
	Assignments []SeedAssignment `yaml:"assignments"`
}

// SeedManager is a park manager.
type SeedManager struct {
	ID    string `yaml:"id"`
	Park  string `yaml:"park"`
	Name  string `yaml:"name"`
	Phone string `yaml:"phone"`
}

// SeedOfficer is a liaison officer.
type SeedOfficer struct {
	ID          string   `yaml:"id"`
	Park        string   `yaml:"park"`
	Name        string   `yaml:"name"`
	Phone       string   `yaml:"phone"`
	Industries  []string `yaml:"industries"`
	Departments []string `yaml:"departments"`
	Cap         int      `yaml:"cap"`
	Status      string   `yaml:"status"`
	Manager     string   `yaml:"manager"`
}

// SeedAssignment pins a firm to its officers when it registers.
type SeedAssignment struct {
	EnterpriseID    string `yaml:"enterprise_id"`
	OfficerID       string `yaml:"officer_id"`
	BackupOfficerID string `yaml:"backup_officer_id"`
}

// ReadSeeds reads and checks dir/officers.yaml against dir/parks.yaml and
// dir/departments.yaml, reporting every problem at once.
func ReadSeeds(dir string) (SeedFile, error) {
	var f SeedFile
	data, err := os.ReadFile(filepath.Join(dir, "officers.yaml"))
	if err != nil {
		return f, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("officers.yaml: %w", err)
	}
	var parks struct {
		Parks []struct {
			ID string `yaml:"id"`
		} `yaml:"parks"`
	}
	var depts struct {
		Departments []struct {
			Code string `yaml:"code"`
		} `yaml:"departments"`
	}
	for name, dst := range map[string]any{"parks.yaml": &parks, "departments.yaml": &depts} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return f, err
		}
		if err := yaml.Unmarshal(b, dst); err != nil {
			return f, fmt.Errorf("%s: %w", name, err)
		}
	}
	knownPark := func(p string) bool {
		return slices.ContainsFunc(parks.Parks, func(x struct {
			ID string `yaml:"id"`
		}) bool {
			return x.ID == p
		})
	}
	knownDept := func(d string) bool {
		return slices.ContainsFunc(depts.Departments, func(x struct {
			Code string `yaml:"code"`
		}) bool {
			return x.Code == d
		})
	}
	var errs []error
	managers := map[string]string{}
	for i, m := range f.Managers {
		at := fmt.Sprintf("officers.yaml: managers[%d] (%s)", i, m.ID)
		switch {
		case m.ID == "" || m.Name == "":
			errs = append(errs, fmt.Errorf("%s: id and name are required", at))
		case !knownPark(m.Park):
			errs = append(errs, fmt.Errorf("%s: park %q is not in parks.yaml", at, m.Park))
		case managers[m.ID] != "":
			errs = append(errs, fmt.Errorf("%s: id is listed twice", at))
		}
		managers[m.ID] = m.Park
	}
	officers := map[string]string{}
	for i, o := range f.Officers {
		at := fmt.Sprintf("officers.yaml: officers[%d] (%s)", i, o.ID)
		if !validUUID(o.ID) {
			errs = append(errs, fmt.Errorf("%s: id must be a UUID", at))
		}
		if officers[o.ID] != "" {
			errs = append(errs, fmt.Errorf("%s: id is listed twice", at))
		}
		officers[o.ID] = o.Park
		if !knownPark(o.Park) {
			errs = append(errs, fmt.Errorf("%s: park %q is not in parks.yaml", at, o.Park))
		}
		if o.Name == "" || o.Cap <= 0 || o.Cap > maxCap {
			errs = append(errs, fmt.Errorf("%s: a name and a cap from 1 to %d are required", at, maxCap))
		}
		if o.Status != "" && !OfficerStatus(o.Status).Valid() {
			errs = append(errs, fmt.Errorf("%s: status must be active, on_leave or left", at))
		}
		for _, c := range o.Industries {
			if !industryCode.MatchString(c) {
				errs = append(errs, fmt.Errorf("%s: industry %q is not a GB/T 4754 code or prefix", at, c))
			}
		}
		for _, d := range o.Departments {
			if !knownDept(d) {
				errs = append(errs, fmt.Errorf("%s: department %q is not in departments.yaml", at, d))
			}
		}
		if o.Manager != "" && managers[o.Manager] != o.Park {
			errs = append(errs, fmt.Errorf("%s: manager %q is not a manager of park %s", at, o.Manager, o.Park))
		}
	}
	for i, a := range f.Assignments {
		at := fmt.Sprintf("officers.yaml: assignments[%d] (%s)", i, a.EnterpriseID)
		if a.EnterpriseID == "" || officers[a.OfficerID] == "" {
			errs = append(errs, fmt.Errorf("%s: enterprise_id and a seeded officer_id are required", at))
		}
		if a.BackupOfficerID != "" && (officers[a.BackupOfficerID] != officers[a.OfficerID] || a.BackupOfficerID == a.OfficerID) {
			errs = append(errs, fmt.Errorf("%s: backup_officer_id must be another seeded officer of the same park", at))
		}
	}
	return f, errors.Join(errs...)
}

// Seed inserts the managers, officers and pinned assignments of
// dir/officers.yaml that are missing; what exists is left as it is, so it is
// safe to run at every start. New officers are published
// (liaison.officer.updated) and may take firms flagged for want of one.
func Seed(ctx context.Context, r *Repository, dir string) error {
	f, err := ReadSeeds(dir)
	if err != nil {
		return fmt.Errorf("liaison: seed %s: %w", dir, err)
	}
	parks := map[string]bool{}
	for _, o := range f.Officers {
		parks[o.Park] = true
	}
	ordered := make([]string, 0, len(parks))
	for p := range parks {
		ordered = append(ordered, p)
	}
	slices.Sort(ordered)
	return r.inTx(ctx, func(t *txn) error {
		for _, p := range ordered {
			if err := t.lockPark(ctx, p); err != nil {
				return err
			}
		}
		for _, m := range f.Managers {
			if _, err := t.tx.ExecContext(ctx, `INSERT INTO managers (id, park, name, phone) VALUES ($1, $2, $3, $4)
				ON CONFLICT (id) DO NOTHING`, m.ID, m.Park, m.Name, m.Phone); err != nil {
				return fmt.Errorf("seed manager %s: %w", m.ID, err)
			}
		}
		for _, o := range f.Officers {
			status := OfficerStatus(o.Status)
			if status == "" {
				status = StatusActive
			}
			if _, err := t.insertOfficer(ctx, Officer{ID: o.ID, Park: o.Park, Name: o.Name, Phone: o.Phone,
				Industries: o.Industries, Departments: o.Departments, Cap: o.Cap, Status: status, ManagerID: o.Manager}); err != nil {
				return err
			}
		}
		for _, a := range f.Assignments {
			if _, err := t.tx.ExecContext(ctx, `INSERT INTO pinned_assignments (enterprise_id, officer_id, backup_officer_id)
				VALUES ($1, $2, $3) ON CONFLICT (enterprise_id) DO NOTHING`, a.EnterpriseID, a.OfficerID, strOrNil(a.BackupOfficerID)); err != nil {
				return fmt.Errorf("seed assignment %s: %w", a.EnterpriseID, err)
			}
		}
		for _, p := range ordered {
			if !event.ValidPark(p) {
				continue
			}
			if _, err := t.assignFlagged(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}
