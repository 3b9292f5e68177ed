package policy

import (
	"context"
	"net/http"

	"github.com/go-kit/kit/endpoint"
)

// Endpoints are the Service's methods as go-kit endpoints.
type Endpoints struct {
	Policies      endpoint.Endpoint
	Policy        endpoint.Endpoint
	CreatePolicy  endpoint.Endpoint
	UpdatePolicy  endpoint.Endpoint
	PublishPolicy endpoint.Endpoint
	ClosePolicy   endpoint.Endpoint
	Ledger        endpoint.Endpoint
	Overview      endpoint.Endpoint
	Matches       endpoint.Endpoint
	Apply         endpoint.Endpoint
	Applications  endpoint.Endpoint
	Application   endpoint.Endpoint
	Withdraw      endpoint.Endpoint
	Disburse      endpoint.Endpoint
	Release       endpoint.Endpoint
	FirmView      endpoint.Endpoint
}

type idRequest struct{ ID string }

type withID[B any] struct {
	ID   string
	Body B
}

type policiesResponse struct {
	Policies []*Policy `json:"policies"`
}

type applicationsResponse struct {
	Applications []*Application `json:"applications"`
}

// created answers 201.
type created struct{ v any }

func (c created) StatusCode() int { return http.StatusCreated }

func (c created) MarshalJSON() ([]byte, error) { return jsonMarshal(c.v) }

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Policies: func(ctx context.Context, req any) (any, error) {
			ps, err := s.Policies(ctx, req.(PolicyQuery))
			return policiesResponse{Policies: ps}, err
		},
		Policy: func(ctx context.Context, req any) (any, error) { return s.Policy(ctx, req.(idRequest).ID) },
		CreatePolicy: func(ctx context.Context, req any) (any, error) {
			p, err := s.CreatePolicy(ctx, req.(PolicyInput))
			return created{p}, err
		},
		UpdatePolicy: func(ctx context.Context, req any) (any, error) {
			r := req.(withID[PolicyInput])
			return s.UpdatePolicy(ctx, r.ID, r.Body)
		},
		PublishPolicy: func(ctx context.Context, req any) (any, error) { return s.PublishPolicy(ctx, req.(idRequest).ID) },
		ClosePolicy: func(ctx context.Context, req any) (any, error) {
			r := req.(withID[CloseInput])
			return s.ClosePolicy(ctx, r.ID, r.Body)
		},
		Ledger:   func(ctx context.Context, req any) (any, error) { return s.Ledger(ctx, req.(idRequest).ID) },
		Overview: func(ctx context.Context, req any) (any, error) { return s.Overview(ctx, req.(OverviewQuery)) },
		Matches:  func(ctx context.Context, req any) (any, error) { return s.Matches(ctx, req.(MatchQuery)) },
		Apply: func(ctx context.Context, req any) (any, error) {
			a, err := s.Apply(ctx, req.(ApplicationInput))
			return created{a}, err
		},
		Applications: func(ctx context.Context, req any) (any, error) {
			as, err := s.Applications(ctx, req.(ApplicationQuery))
			return applicationsResponse{Applications: as}, err
		},
		Application: func(ctx context.Context, req any) (any, error) { return s.Application(ctx, req.(idRequest).ID) },
		Withdraw: func(ctx context.Context, req any) (any, error) {
			r := req.(withID[WithdrawInput])
			return s.Withdraw(ctx, r.ID, r.Body)
		},
		Disburse: func(ctx context.Context, req any) (any, error) {
			r := req.(withID[DisbursementInput])
			return s.Disburse(ctx, r.ID, r.Body)
		},
		Release: func(ctx context.Context, req any) (any, error) {
			r := req.(withID[ReleaseInput])
			return s.Release(ctx, r.ID, r.Body)
		},
		FirmView: func(ctx context.Context, req any) (any, error) { return s.FirmView(ctx, req.(idRequest).ID) },
	}
}
