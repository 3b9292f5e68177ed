package sla

import (
	"context"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// shanghai is where periods without a time of day begin and end.
var shanghai = mustLocation("Asia/Shanghai")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

func (s *service) Overview(ctx context.Context, q OverviewQuery) (Overview, error) {
	park, err := managerPark(ctx, q.Park)
	if err != nil {
		return Overview{}, err
	}
	q.Park = park
	var v fault.Violations
	switch q.By {
	case "":
		q.By = ByPark
	case ByPark, ByDepartment, ByMatter, ByOfficer:
	default:
		v.Add("by", "must be park, department, matter or officer")
	}
	now := s.cfg.Clock.Now()
	if q.To.IsZero() {
		q.To = now
	}
	if q.From.IsZero() {
		y, m, _ := q.To.In(shanghai).Date()
		q.From = time.Date(y, m, 1, 0, 0, 0, 0, shanghai)
	}
	if !q.From.Before(q.To) {
		v.Add("from", "must be before to")
	} else if q.To.Sub(q.From) > 3*366*24*time.Hour {
		v.Add("to", "the period may span at most three years")
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return Overview{}, err
	}
	rows, err := s.cfg.Store.Overview(ctx, q)
	if err != nil {
		return Overview{}, err
	}
	if rows == nil {
		rows = []OverviewRow{}
	}
	if q.By == ByDepartment || q.By == ByPark {
		for i := range rows {
			score := DepartmentScore(rows[i])
			rows[i].Score = &score
		}
	}
	return Overview{Park: q.Park, From: q.From.UTC(), To: q.To.UTC(), By: q.By, Groups: rows}, nil
}

func (s *service) Breaches(ctx context.Context, q BreachQuery) (BreachPage, error) {
	park, err := managerPark(ctx, q.Park)
	if err != nil {
		return BreachPage{}, err
	}
	q.Park = park
	var v fault.Violations
	if q.State != "" && q.State != string(StateYellow) && q.State != string(StateRed) {
		v.Add("state", "must be yellow or red")
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PageSize == 0 {
		q.PageSize = DefaultPageSize
	}
	if q.Page < 1 {
		v.Add("page", "must be at least 1")
	}
	if q.PageSize < 1 || q.PageSize > MaxPageSize {
		v.Addf("page_size", "must be between 1 and %d", MaxPageSize)
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return BreachPage{}, err
	}
	return s.cfg.Store.Breaches(ctx, q)
}
