package calendar

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	// The calendar is meaningless without its time zone; embedding the zone
	// database keeps deadlines right in images that ship no /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Bounds of a year a park may load. They keep every park's loaded years
// within the span workday.New accepts.
const (
	MinYear = 1990
	MaxYear = 2100
)

// MaxSourceLen bounds the length, in characters, of a year's source.
const MaxSourceLen = 500

var parkIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidParkID reports whether id has the form of a park id: lower-case
// letters, digits, '-' and '_', starting with a letter or digit, at most 63
// characters.
func ValidParkID(id string) bool { return parkIDPattern.MatchString(id) }

// Park is a park as its calendar knows it.
type Park struct {
	// ID is the park's slug, e.g. "wangcheng".
	ID string
	// Name is the display name, e.g. 望城经济技术开发区.
	Name string
	// Timezone is the IANA zone whose wall clock the park works by.
	Timezone string
	// OfficeHours are the spans of the park's working day.
	OfficeHours workday.OfficeHours
}

// Validate reports every problem of p, naming the fields as parks.yaml does.
func (p Park) Validate() error {
	var v fault.Violations
	if !ValidParkID(p.ID) {
		v.Addf("id", "%q is not a park id (lower-case letters, digits, '-', '_')", p.ID)
	}
	if strings.TrimSpace(p.Name) == "" {
		v.Add("name", "required")
	}
	if _, err := location(p.Timezone); err != nil {
		v.Addf("timezone", "%q is not a known time zone", p.Timezone)
	}
	if err := p.OfficeHours.Validate(); err != nil {
		v = append(v, renamed(err, "hours", "office_hours")...)
	}
	return v.Err(fault.ErrInvalid)
}

// YearRecord is a stored year of a park's calendar with its audit fields.
type YearRecord struct {
	workday.Year
	// Version starts at 1 and grows by one with every change of the year.
	Version int64
	// UpdatedAt is when the year last changed.
	UpdatedAt time.Time
	// UpdatedBy is the subject of whoever last changed it ("seed" for seeds).
	UpdatedBy string
}

// ParkCalendar is everything stored about a park's calendar.
type ParkCalendar struct {
	// Park is the park.
	Park Park
	// Revision grows by one with every committed change to the park's years,
	// so of two snapshots of a park the one with the higher revision is newer.
	Revision int64
	// Years are the loaded years in increasing order.
	Years []YearRecord
}

// Calendar builds the working-day calendar of the snapshot.
func (pc ParkCalendar) Calendar() (*workday.Calendar, error) {
	loc, err := location(pc.Park.Timezone)
	if err != nil {
		return nil, fmt.Errorf("calendar of park %s: %w", pc.Park.ID, err)
	}
	years := make([]workday.Year, len(pc.Years))
	for i, y := range pc.Years {
		years[i] = y.Year
	}
	cal, err := workday.New(pc.Park.ID, loc, pc.Park.OfficeHours, years...)
	if err != nil {
		return nil, fmt.Errorf("calendar of park %s: %w", pc.Park.ID, err)
	}
	return cal, nil
}

var locations sync.Map // zone name → *time.Location

func location(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "" || strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("time zone %q is not allowed; name an IANA zone such as Asia/Shanghai", name)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// normalized returns y with its lists sorted, so that equal sets of dates
// are stored and compared as equal.
func normalized(y workday.Year) workday.Year {
	y.Off = slices.Clone(y.Off)
	y.Work = slices.Clone(y.Work)
	slices.SortFunc(y.Off, workday.Date.Compare)
	slices.SortFunc(y.Work, workday.Date.Compare)
	return y
}

// renamed returns the fields of a workday.ValidationError in err with the
// prefix from replaced by to, e.g. "hours[1]" → "office_hours[1]".
func renamed(err error, from, to string) fault.Violations {
	var v fault.Violations
	var we *workday.ValidationError
	if !errors.As(err, &we) {
		v.Add(to, err.Error())
		return v
	}
	for _, f := range we.Fields {
		if rest, ok := strings.CutPrefix(f.Field, from); ok {
			f.Field = to + rest
		}
		v = append(v, f)
	}
	return v
}
