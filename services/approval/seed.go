package approval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Seeds is what approval reads from the seeds directory (PARKDESK_SEEDS).
type Seeds struct {
	// Definitions from workflows.yaml, normalized and validated against the catalog.
	Definitions []Definition
	// Parks from parks.yaml, with their decision-number prefixes.
	Parks []Park
	// Calendars of the parks, from parks.yaml and the calendar files it lists.
	Calendars CalendarMap
	// Catalog is what the definitions were checked against.
	Catalog Catalog
}

// ReadSeeds reads dir/workflows.yaml, catalog.yaml, departments.yaml and
// parks.yaml (with the calendars it lists) and validates every definition,
// reporting every problem at once.
func ReadSeeds(dir string) (Seeds, error) {
	var s Seeds
	cat, err := readCatalog(dir)
	if err != nil {
		return s, err
	}
	s.Catalog = cat
	data, err := os.ReadFile(filepath.Join(dir, "workflows.yaml"))
	if err != nil {
		return s, err
	}
	if s.Definitions, err = ParseDefinitions(data, cat); err != nil {
		return s, fmt.Errorf("workflows.yaml: %w", err)
	}
	if s.Parks, s.Calendars, err = readParks(dir); err != nil {
		return s, err
	}
	return s, nil
}

// ParseDefinitions decodes a workflows file and validates each definition
// against cat: unknown fields, unknown matters and departments, shares
// beyond the commitment, a matter served twice... every problem is named.
func ParseDefinitions(data []byte, cat Catalog) ([]Definition, error) {
	var f struct {
		Workflows []Definition `yaml:"workflows"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fault.Wrap(fault.ErrInvalid, "workflows: not a valid definitions file", err)
	}
	if len(f.Workflows) == 0 {
		return nil, fault.Invalid("workflows", "no definitions")
	}
	var all []fault.FieldError
	codes, keys := map[string]bool{}, map[string]string{}
	for i := range f.Workflows {
		d := &f.Workflows[i]
		at := fmt.Sprintf("workflows[%d]", i)
		all = append(all, d.Normalize(cat, at)...)
		if codes[d.Code] {
			all = append(all, fault.FieldError{Field: at + ".code", Reason: fmt.Sprintf("%q is defined twice", d.Code)})
		}
		codes[d.Code] = true
		key := d.Subject + "/" + d.Key()
		if prev, dup := keys[key]; dup && d.Key() != "" {
			all = append(all, fault.FieldError{Field: at, Reason: fmt.Sprintf("%s %s is already served by %s", d.Subject, d.Key(), prev)})
		}
		keys[key] = d.Code
	}
	if len(all) > 0 {
		return nil, fault.Fields(fault.ErrInvalid, all...)
	}
	return f.Workflows, nil
}

func readCatalog(dir string) (Catalog, error) {
	cat := Catalog{Matters: map[string]CatalogMatter{}, Departments: map[string]string{}}
	var c struct {
		Matters []CatalogMatter `yaml:"matters"`
	}
	if err := readYAML(filepath.Join(dir, "catalog.yaml"), &c); err != nil {
		return cat, err
	}
	for _, m := range c.Matters {
		cat.Matters[m.Code] = m
	}
	var d struct {
		Departments []struct {
			Code string `yaml:"code"`
			Name string `yaml:"name"`
		} `yaml:"departments"`
	}
	if err := readYAML(filepath.Join(dir, "departments.yaml"), &d); err != nil {
		return cat, err
	}
	for _, x := range d.Departments {
		cat.Departments[x.Code] = x.Name
	}
	if len(cat.Matters) == 0 || len(cat.Departments) == 0 {
		return cat, errors.New("seeds: the catalog lists no matters or no departments")
	}
	return cat, nil
}

func readYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}

// readParks reads parks.yaml: decision prefixes and calendars.
func readParks(dir string) ([]Park, CalendarMap, error) {
	var f struct {
		Parks []struct {
			ID             string   `yaml:"id"`
			Name           string   `yaml:"name"`
			DecisionPrefix string   `yaml:"decision_prefix"`
			Timezone       string   `yaml:"timezone"`
			OfficeHours    []string `yaml:"office_hours"`
			Calendars      []string `yaml:"calendars"`
		} `yaml:"parks"`
	}
	if err := readYAML(filepath.Join(dir, "parks.yaml"), &f); err != nil {
		return nil, nil, err
	}
	var errs []error
	var parks []Park
	cals := CalendarMap{}
	years := map[string]workday.Year{}
	for i, p := range f.Parks {
		at := fmt.Sprintf("parks.yaml: parks[%d] (%s)", i, p.ID)
		if p.ID == "" || p.DecisionPrefix == "" {
			errs = append(errs, fmt.Errorf("%s: id and decision_prefix are required", at))
			continue
		}
		parks = append(parks, Park{ID: p.ID, Name: p.Name, DecisionPrefix: p.DecisionPrefix})
		loc := shanghai
		if p.Timezone != "" {
			l, err := time.LoadLocation(p.Timezone)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: timezone: %w", at, err))
				continue
			}
			loc = l
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
				var err error
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
	return parks, cals, errors.Join(errs...)
}

// Seed stores the seeds' parks and definitions; a definition whose content
// is unchanged is not stored again, so it is safe at every start. It returns
// how many definition versions it stored.
func Seed(ctx context.Context, repo *Repository, s Seeds) (int, error) {
	if err := repo.SaveParks(ctx, s.Parks); err != nil {
		return 0, err
	}
	return repo.SaveDefinitions(ctx, s.Definitions)
}
