package calendar

import (
	"context"
	"time"

	"github.com/go-kit/kit/endpoint"

	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct {
	// Get takes a GetRequest and returns a View.
	Get endpoint.Endpoint
	// PutYear takes a PutYearRequest and returns a View.
	PutYear endpoint.Endpoint
	// Due takes a DueRequest and returns a Due.
	Due endpoint.Endpoint
}

// GetRequest asks for a park's calendar.
type GetRequest struct {
	// Park is the park id.
	Park string
}

// PutYearRequest replaces one year of a park's calendar.
type PutYearRequest struct {
	// Park is the park id.
	Park string
	// Year is the new year.
	Year workday.Year
}

// DueRequest asks for a deadline.
type DueRequest struct {
	// Park is the park id.
	Park string
	// Start is the instant counted from.
	Start time.Time
	// WorkingDays is N working days, or 0.
	WorkingDays int
	// WorkingHours is N working hours, or 0.
	WorkingHours int
}

// MakeEndpoints wraps s in endpoints.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Get: func(ctx context.Context, request any) (any, error) {
			req := request.(GetRequest)
			return s.Get(ctx, req.Park)
		},
		PutYear: func(ctx context.Context, request any) (any, error) {
			req := request.(PutYearRequest)
			return s.PutYear(ctx, req.Park, req.Year)
		},
		Due: func(ctx context.Context, request any) (any, error) {
			req := request.(DueRequest)
			return s.Due(ctx, req.Park, req.Start, req.WorkingDays, req.WorkingHours)
		},
	}
}
