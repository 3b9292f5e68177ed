package calendar

import (
	"slices"
	"time"

	"github.com/parkdesk/parkdesk/pkg/workday"
)

// View is a park's calendar as managers see it.
type View struct {
	// Park is the park id.
	Park string `json:"park"`
	// Name is the park's display name.
	Name string `json:"name"`
	// Timezone is the IANA zone of the park's wall clock.
	Timezone string `json:"timezone"`
	// OfficeHours are the spans of the working day, e.g. ["09:00-12:00", "13:30-17:30"].
	OfficeHours workday.OfficeHours `json:"office_hours"`
	// Revision grows by one with every change to the park's years.
	Revision int64 `json:"revision"`
	// LoadedYears are the years loaded, in increasing order; deadlines
	// reaching any other year are refused.
	LoadedYears []int `json:"loaded_years"`
	// Years are the loaded years with their dates.
	Years []YearView `json:"years"`
}

// YearView is one loaded year of a park's calendar.
type YearView struct {
	// Year is the calendar year.
	Year int `json:"year"`
	// Source names the notice the dates come from.
	Source string `json:"source"`
	// Off lists holidays and holiday-adjusted rest days, sorted.
	Off []workday.Date `json:"off"`
	// Work lists weekend days worked instead (调休上班), sorted.
	Work []workday.Date `json:"work"`
	// Version starts at 1 and grows with every change of the year.
	Version int64 `json:"version"`
	// UpdatedAt is when the year last changed, on the park's wall clock.
	UpdatedAt time.Time `json:"updated_at"`
	// UpdatedBy is who last changed it ("seed" for the shipped seeds).
	UpdatedBy string `json:"updated_by"`
}

func viewOf(pc ParkCalendar) View {
	v := View{
		Park:        pc.Park.ID,
		Name:        pc.Park.Name,
		Timezone:    pc.Park.Timezone,
		OfficeHours: slices.Clone(pc.Park.OfficeHours),
		Revision:    pc.Revision,
		LoadedYears: make([]int, 0, len(pc.Years)),
		Years:       make([]YearView, 0, len(pc.Years)),
	}
	if v.OfficeHours == nil {
		v.OfficeHours = workday.OfficeHours{}
	}
	for _, y := range pc.Years {
		v.LoadedYears = append(v.LoadedYears, y.Year.Year)
		v.Years = append(v.Years, YearView{
			Year:      y.Year.Year,
			Source:    y.Source,
			Off:       nonNil(y.Off),
			Work:      nonNil(y.Work),
			Version:   y.Version,
			UpdatedAt: y.UpdatedAt,
			UpdatedBy: y.UpdatedBy,
		})
	}
	return v
}

func nonNil(ds []workday.Date) []workday.Date {
	if ds == nil {
		return []workday.Date{}
	}
	return slices.Clone(ds)
}
