package intake

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Calendars estimates working-day deadlines from the calendars the seeds
// ship (parks.yaml and the files it lists). The sla service owns the
// calendars and reports the authoritative supplement deadline with its
// clock; this is the estimate a ticket shows from submission until then.
// A park or year it does not know yields no estimate, never a weekday guess.
type Calendars struct {
	parks map[string]*workday.Calendar
}

// LoadCalendars reads dir/parks.yaml and the calendars it lists.
func LoadCalendars(dir string) (*Calendars, error) {
	data, err := os.ReadFile(filepath.Join(dir, "parks.yaml"))
	if err != nil {
		return nil, err
	}
	var f struct {
		Parks []struct {
			ID          string         `yaml:"id"`
			Timezone    string         `yaml:"timezone"`
			OfficeHours []workday.Span `yaml:"office_hours"`
			Calendars   []string       `yaml:"calendars"`
		} `yaml:"parks"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parks.yaml: %w", err)
	}
	out := &Calendars{parks: map[string]*workday.Calendar{}}
	years := map[string]workday.Year{}
	for _, p := range f.Parks {
		loc := shanghai
		if p.Timezone != "" {
			if loc, err = time.LoadLocation(p.Timezone); err != nil {
				return nil, fmt.Errorf("park %s timezone: %w", p.ID, err)
			}
		}
		var ys []workday.Year
		for _, c := range p.Calendars {
			y, ok := years[c]
			if !ok {
				if y, err = workday.LoadYearFile(filepath.Join(dir, c)); err != nil {
					return nil, fmt.Errorf("park %s calendar %s: %w", p.ID, c, err)
				}
				years[c] = y
			}
			ys = append(ys, y)
		}
		var hours workday.OfficeHours
		if len(p.OfficeHours) > 0 {
			hours = workday.OfficeHours(p.OfficeHours)
		}
		cal, err := workday.New(p.ID, loc, hours, ys...)
		if err != nil {
			return nil, fmt.Errorf("park %s calendar: %w", p.ID, err)
		}
		out.parks[p.ID] = cal
	}
	return out, nil
}

// WorkingDaysFrom returns the end of office hours of the n-th working day after start's date.
func (c *Calendars) WorkingDaysFrom(park string, start time.Time, n int) (time.Time, bool) {
	cal, ok := c.parks[park]
	if !ok {
		return time.Time{}, false
	}
	t, err := cal.AddWorkingDays(start, n)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
