package policy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parkdesk/parkdesk/pkg/workday"
)

// SeedPolicy is one policy of seeds/policies.yaml: the input, plus whether
// to publish it.
type SeedPolicy struct {
	PolicyInput `yaml:",inline"`
	// Status is draft or published (the default).
	Status string `yaml:"status"`
}

// Seeds are what policy reads from PARKDESK_SEEDS.
type Seeds struct {
	Policies  []SeedPolicy
	Calendars CalendarMap
}

// ReadSeeds reads policies.yaml (optional) and parks.yaml with the calendars
// it lists, validating every policy; every problem is reported at once.
func ReadSeeds(dir string) (Seeds, error) {
	var s Seeds
	var errs []error
	var f struct {
		Policies []SeedPolicy `yaml:"policies"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "policies.yaml"))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return s, err
	default:
		if err := yaml.Unmarshal(b, &f); err != nil {
			return s, fmt.Errorf("policies.yaml: %w", err)
		}
	}
	seen := map[string]bool{}
	for i, p := range f.Policies {
		at := fmt.Sprintf("policies.yaml: policies[%d] (%s)", i, p.Code)
		if p.Park == "" {
			errs = append(errs, fmt.Errorf("%s: park is required", at))
		}
		if seen[p.Park+"/"+p.Code] {
			errs = append(errs, fmt.Errorf("%s: listed twice", at))
		}
		seen[p.Park+"/"+p.Code] = true
		if p.Status == "" {
			f.Policies[i].Status = StatusPublished
		} else if p.Status != StatusDraft && p.Status != StatusPublished {
			errs = append(errs, fmt.Errorf("%s: status must be draft or published", at))
		}
		if _, err := Compile(p.PolicyInput); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at, err))
		}
	}
	s.Policies = f.Policies
	if s.Calendars, err = readCalendars(dir); err != nil {
		errs = append(errs, err)
	}
	return s, errors.Join(errs...)
}

// readCalendars reads parks.yaml's office hours and calendar files.
func readCalendars(dir string) (CalendarMap, error) {
	var f struct {
		Parks []struct {
			ID          string   `yaml:"id"`
			Timezone    string   `yaml:"timezone"`
			OfficeHours []string `yaml:"office_hours"`
			Calendars   []string `yaml:"calendars"`
		} `yaml:"parks"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "parks.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return CalendarMap{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parks.yaml: %w", err)
	}
	cals := CalendarMap{}
	years := map[string]workday.Year{}
	var errs []error
	for i, p := range f.Parks {
		at := fmt.Sprintf("parks.yaml: parks[%d] (%s)", i, p.ID)
		loc := shanghai
		if p.Timezone != "" {
			if loc, err = time.LoadLocation(p.Timezone); err != nil {
				errs = append(errs, fmt.Errorf("%s: timezone: %w", at, err))
				continue
			}
		}
		var hours workday.OfficeHours
		for j, h := range p.OfficeHours {
			var span workday.Span
			if err := span.UnmarshalText([]byte(h)); err != nil {
				errs = append(errs, fmt.Errorf("%s: office_hours[%d]: %w", at, j, err))
			}
			hours = append(hours, span)
		}
		var ys []workday.Year
		for j, name := range p.Calendars {
			if !filepath.IsLocal(name) {
				errs = append(errs, fmt.Errorf("%s: calendars[%d]: %q must be inside %s", at, j, name, dir))
				continue
			}
			y, ok := years[name]
			if !ok {
				if y, err = workday.LoadYearFile(filepath.Join(dir, name)); err != nil {
					errs = append(errs, fmt.Errorf("%s: calendars[%d]: %w", at, j, err))
					continue
				}
				years[name] = y
			}
			ys = append(ys, y)
		}
		cal, err := workday.New(p.ID, loc, hours, ys...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at, err))
			continue
		}
		cals[p.ID] = cal
	}
	return cals, errors.Join(errs...)
}

// SeedResult says what Seed did.
type SeedResult struct {
	Created   int
	Published int
	Existing  int
}

// Seed stores the seeds' policies that the park does not have yet (by
// code) and publishes those marked published whose window has not ended;
// a policy stored already is left as it is, so seeding is safe at every start.
func Seed(ctx context.Context, repo *Repository, s Seeds, now time.Time) (SeedResult, error) {
	var res SeedResult
	for _, sp := range s.Policies {
		var exists bool
		if err := repo.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM policies WHERE park = $1 AND code = $2)`,
			sp.Park, sp.Code); err != nil {
			return res, fmt.Errorf("seed %s: %w", sp.Code, err)
		}
		if exists {
			res.Existing++
			continue
		}
		p, err := repo.SavePolicy(ctx, sp.Park, "", sp.PolicyInput, "seed", now)
		if err != nil {
			return res, fmt.Errorf("seed %s: %w", sp.Code, err)
		}
		res.Created++
		if sp.Status == StatusPublished && now.Before(p.to) {
			if _, err := repo.PublishPolicy(ctx, p.ID, "seed", now); err != nil {
				return res, fmt.Errorf("seed %s: publish: %w", sp.Code, err)
			}
			res.Published++
		}
	}
	return res, nil
}
