package liaison

import (
	"context"
	"net/http"

	"github.com/go-kit/kit/endpoint"
)

// Endpoints are the Service's methods as go-kit endpoints.
type Endpoints struct {
	Officers      endpoint.Endpoint
	Officer       endpoint.Endpoint
	CreateOfficer endpoint.Endpoint
	UpdateOfficer endpoint.Endpoint
	Firms         endpoint.Endpoint
	Firm          endpoint.Endpoint
	Reassign      endpoint.Endpoint
	Queue         endpoint.Endpoint
	Requests      endpoint.Endpoint
	Request       endpoint.Endpoint
	Acknowledge   endpoint.Endpoint
	Return        endpoint.Endpoint
	Chase         endpoint.Endpoint
	Redispatch    endpoint.Endpoint
	LogVisit      endpoint.Endpoint
	Visits        endpoint.Endpoint
	MakePromise   endpoint.Endpoint
	ClosePromise  endpoint.Endpoint
	Promises      endpoint.Endpoint
	Overview      endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Officers: func(ctx context.Context, req any) (any, error) {
			os, err := s.Officers(ctx, req.(OfficerQuery))
			return officersResponse{Officers: os}, err
		},
		Officer: func(ctx context.Context, req any) (any, error) {
			return s.Officer(ctx, req.(idRequest).ID)
		},
		CreateOfficer: func(ctx context.Context, req any) (any, error) {
			o, err := s.CreateOfficer(ctx, req.(OfficerInput))
			return created{o}, err
		},
		UpdateOfficer: func(ctx context.Context, req any) (any, error) {
			r := req.(updateOfficerRequest)
			return s.UpdateOfficer(ctx, r.ID, r.Body)
		},
		Firms: func(ctx context.Context, req any) (any, error) {
			fs, err := s.Firms(ctx, req.(FirmQuery))
			return firmsResponse{Firms: fs}, err
		},
		Firm: func(ctx context.Context, req any) (any, error) {
			return s.Firm(ctx, req.(idRequest).ID)
		},
		Reassign: func(ctx context.Context, req any) (any, error) {
			r := req.(reassignRequest)
			return s.Reassign(ctx, r.ID, r.Body)
		},
		Queue: func(ctx context.Context, _ any) (any, error) {
			rs, err := s.Queue(ctx)
			return requestsResponse{Requests: rs}, err
		},
		Requests: func(ctx context.Context, req any) (any, error) {
			rs, err := s.Requests(ctx, req.(RequestQuery))
			return requestsResponse{Requests: rs}, err
		},
		Request: func(ctx context.Context, req any) (any, error) {
			return s.Request(ctx, req.(idRequest).ID)
		},
		Acknowledge: func(ctx context.Context, req any) (any, error) {
			return s.Acknowledge(ctx, req.(idRequest).ID)
		},
		Return: func(ctx context.Context, req any) (any, error) {
			r := req.(returnRequest)
			return s.Return(ctx, r.ID, r.Body)
		},
		Chase: func(ctx context.Context, req any) (any, error) {
			r := req.(chaseRequest)
			c, err := s.Chase(ctx, r.ID, r.Body)
			return created{c}, err
		},
		Redispatch: func(ctx context.Context, req any) (any, error) {
			r := req.(redispatchRequest)
			return s.Redispatch(ctx, r.ID, r.Body)
		},
		LogVisit: func(ctx context.Context, req any) (any, error) {
			v, err := s.LogVisit(ctx, req.(VisitInput))
			return created{v}, err
		},
		Visits: func(ctx context.Context, req any) (any, error) {
			vs, err := s.Visits(ctx, req.(VisitQuery))
			return visitsResponse{Visits: vs}, err
		},
		MakePromise: func(ctx context.Context, req any) (any, error) {
			p, err := s.MakePromise(ctx, req.(PromiseInput))
			return created{p}, err
		},
		ClosePromise: func(ctx context.Context, req any) (any, error) {
			r := req.(closePromiseRequest)
			return s.ClosePromise(ctx, r.ID, r.Body)
		},
		Promises: func(ctx context.Context, req any) (any, error) {
			ps, err := s.Promises(ctx, req.(PromiseQuery))
			return promisesResponse{Promises: ps}, err
		},
		Overview: func(ctx context.Context, req any) (any, error) {
			return s.Overview(ctx, req.(OverviewQuery))
		},
	}
}

type idRequest struct{ ID string }

type updateOfficerRequest struct {
	ID   string
	Body OfficerPatch
}

type reassignRequest struct {
	ID   string
	Body Reassignment
}

type returnRequest struct {
	ID   string
	Body ReturnInput
}

type chaseRequest struct {
	ID   string
	Body ChaseInput
}

type redispatchRequest struct {
	ID   string
	Body RedispatchInput
}

type closePromiseRequest struct {
	ID   string
	Body PromiseOutcome
}

// created answers 201 with the new resource.
type created struct{ v any }

func (c created) MarshalJSON() ([]byte, error) { return jsonMarshal(c.v) }

// StatusCode is 201 Created.
func (created) StatusCode() int { return http.StatusCreated }

type officersResponse struct {
	Officers []Officer `json:"officers"`
}

type firmsResponse struct {
	Firms []Firm `json:"firms"`
}

type requestsResponse struct {
	Requests []Request `json:"requests"`
}

type visitsResponse struct {
	Visits []Visit `json:"visits"`
}

type promisesResponse struct {
	Promises []Promise `json:"promises"`
}
