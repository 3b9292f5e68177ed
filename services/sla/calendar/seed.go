package calendar

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/parkdesk/parkdesk/pkg/workday"
)

// SeedActor is the updated_by of the years Seed inserts.
const SeedActor = "seed"

// seedFile is the part of parks.yaml the calendar reads; the other fields
// belong to other services.
type seedFile struct {
	Parks []struct {
		ID          string   `yaml:"id"`
		Name        string   `yaml:"name"`
		Timezone    string   `yaml:"timezone"`
		OfficeHours []string `yaml:"office_hours"`
		Calendars   []string `yaml:"calendars"`
	} `yaml:"parks"`
}

// Seed reads dir/parks.yaml and the calendar files it lists (paths relative
// to dir) and inserts the parks and years that are not stored yet, in one
// transaction. It never changes a stored park or year, so it is safe to run
// at every start and never undoes a manager's PUT. A park without
// office_hours gets workday.DefaultOfficeHours. Every problem in the files
// is reported before anything is written.
//
// Seed writes below the service: it runs no ChangeHook.
func Seed(ctx context.Context, store *Store, dir string) error {
	if store == nil {
		return errors.New("calendar: seed: nil store")
	}
	parks, err := readSeeds(dir)
	if err != nil {
		return fmt.Errorf("calendar: seed %s: %w", dir, err)
	}
	if _, _, err := store.InsertMissing(ctx, parks, SeedActor); err != nil {
		return fmt.Errorf("calendar: seed %s: %w", dir, err)
	}
	return nil
}

func readSeeds(dir string) ([]SeedPark, error) {
	data, err := os.ReadFile(filepath.Join(dir, "parks.yaml"))
	if err != nil {
		return nil, err
	}
	var f seedFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parks.yaml: %w", err)
	}
	if len(f.Parks) == 0 {
		return nil, errors.New("parks.yaml lists no parks")
	}
	years := map[string]workday.Year{} // by file, each read once
	seen := map[string]bool{}
	var errs []error
	out := make([]SeedPark, 0, len(f.Parks))
	for i, p := range f.Parks {
		at := fmt.Sprintf("parks.yaml: parks[%d] (%s)", i, p.ID)
		if seen[p.ID] {
			errs = append(errs, fmt.Errorf("%s: id is listed twice", at))
		}
		seen[p.ID] = true
		sp := SeedPark{Park: Park{ID: p.ID, Name: p.Name, Timezone: p.Timezone}}
		for j, s := range p.OfficeHours {
			var span workday.Span
			if err := span.UnmarshalText([]byte(s)); err != nil {
				errs = append(errs, fmt.Errorf("%s: office_hours[%d]: %w", at, j, err))
			}
			sp.Park.OfficeHours = append(sp.Park.OfficeHours, span)
		}
		if len(p.OfficeHours) == 0 {
			sp.Park.OfficeHours = workday.DefaultOfficeHours
		}
		if err := sp.Park.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at, err))
		}
		loaded := map[int]string{}
		for j, name := range p.Calendars {
			if !filepath.IsLocal(name) {
				errs = append(errs, fmt.Errorf("%s: calendars[%d]: %q must be a path inside %s", at, j, name, dir))
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
			if prev, dup := loaded[y.Year]; dup {
				errs = append(errs, fmt.Errorf("%s: calendars[%d]: %s and %s both give year %d", at, j, prev, name, y.Year))
				continue
			}
			loaded[y.Year] = name
			sp.Years = append(sp.Years, y)
		}
		out = append(out, sp)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
