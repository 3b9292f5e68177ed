package calendar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Service manages parks' working-day calendars and answers deadlines.
// Every method checks the caller in ctx (auth.Authenticated).
type Service interface {
	// Get returns the park's calendar. Managers of the park and admins only.
	Get(ctx context.Context, park string) (View, error)
	// PutYear replaces (or adds) one year of the park's calendar and returns
	// the whole calendar. Managers of the park and admins only. The same
	// content twice changes nothing the second time.
	PutYear(ctx context.Context, park string, y workday.Year) (View, error)
	// Due answers the deadline (预计办结时间) workingDays working days, or
	// workingHours working hours, after start; exactly one of them is > 0.
	// Anyone signed in to the park, and admins.
	Due(ctx context.Context, park string, start time.Time, workingDays, workingHours int) (Due, error)
}

// Middleware decorates a Service, e.g. with logging or metrics.
type Middleware func(Service) Service

// Repository is the persistence the service needs; *Store implements it.
type Repository interface {
	// Load returns the park's stored calendar.
	Load(ctx context.Context, park string) (ParkCalendar, error)
	// ReplaceYear stores y on behalf of by, running hook in the transaction.
	ReplaceYear(ctx context.Context, park string, y workday.Year, by string, hook ChangeHook) (ParkCalendar, bool, error)
}

// CachedSource is the Source deadlines are computed from, refreshed by the
// service after each write; *Cache implements it.
type CachedSource interface {
	Source
	// Put caches cal as the park's calendar at revision unless newer is known.
	Put(park string, cal *workday.Calendar, revision int64)
}

type service struct {
	repo  Repository
	cache CachedSource
	hook  ChangeHook
}

// NewService returns the calendar service. hook, when not nil, runs inside
// every transaction that changes a park's calendar (see ChangeHook).
func NewService(repo Repository, cache CachedSource, hook ChangeHook) (Service, error) {
	if repo == nil || cache == nil {
		return nil, errors.New("calendar: new service: nil repository or cache")
	}
	return &service{repo: repo, cache: cache, hook: hook}, nil
}

func (s *service) Get(ctx context.Context, park string) (View, error) {
	if _, err := authorize(ctx, park, auth.RoleManager, auth.RoleAdmin); err != nil {
		return View{}, err
	}
	pc, err := s.repo.Load(ctx, park)
	if err != nil {
		return View{}, err
	}
	return viewOf(pc), nil
}

func (s *service) PutYear(ctx context.Context, park string, y workday.Year) (View, error) {
	p, err := authorize(ctx, park, auth.RoleManager, auth.RoleAdmin)
	if err != nil {
		return View{}, err
	}
	if err := validateYear(y); err != nil {
		return View{}, err
	}
	pc, _, err := s.repo.ReplaceYear(ctx, park, y, p.Subject, s.hook)
	if err != nil {
		return View{}, err
	}
	if cal, err := pc.Calendar(); err == nil {
		s.cache.Put(park, cal, pc.Revision)
	}
	return viewOf(pc), nil
}

// validateYear checks workday.Year.Validate and what parkdesk adds to it:
// the range of years a park may load and a readable source. Every field at
// fault is named.
func validateYear(y workday.Year) error {
	var v fault.Violations
	if y.Year < MinYear || y.Year > MaxYear {
		v.Addf("year", "%d is outside %d-%d", y.Year, MinYear, MaxYear)
		return v.Err(fault.ErrInvalid)
	}
	switch src := strings.TrimSpace(y.Source); {
	case src == "":
		v.Add("source", "required: name the notice the dates come from")
	case !utf8.ValidString(y.Source) || strings.IndexFunc(y.Source, unicode.IsControl) >= 0:
		v.Add("source", "must be printable text")
	case utf8.RuneCountInString(y.Source) > MaxSourceLen:
		v.Addf("source", "at most %d characters", MaxSourceLen)
	}
	if err := y.Validate(); err != nil {
		var we *workday.ValidationError
		if !errors.As(err, &we) {
			return fmt.Errorf("validate year %d: %w", y.Year, err)
		}
		v = append(v, we.Fields...)
	}
	return v.Err(fault.ErrInvalid)
}

// authorize returns the caller when it holds one of roles (any role when
// none are given) and may see park.
func authorize(ctx context.Context, park string, roles ...auth.Role) (auth.Principal, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return p, err
	}
	if len(roles) > 0 {
		if err := p.Require(roles...); err != nil {
			return p, err
		}
	}
	if !p.CanSeePark(park) {
		return p, fault.Forbidden(fmt.Sprintf("park %q is outside your scope", park))
	}
	return p, nil
}
