package intake

import (
	"context"
	"net/http"

	"github.com/go-kit/kit/endpoint"
)

// Endpoints are the Service's methods as go-kit endpoints.
type Endpoints struct {
	RegisterEnterprise endpoint.Endpoint
	UpdateEnterprise   endpoint.Endpoint
	Enterprise         endpoint.Endpoint
	Enterprises        endpoint.Endpoint
	Matters            endpoint.Endpoint
	Matter             endpoint.Endpoint
	Bundles            endpoint.Endpoint
	Bundle             endpoint.Endpoint
	Upload             endpoint.Endpoint
	Submit             endpoint.Endpoint
	Ticket             endpoint.Endpoint
	Tickets            endpoint.Endpoint
	SupplyMaterials    endpoint.Endpoint
	Rate               endpoint.Endpoint
	Withdraw           endpoint.Endpoint
	Resolve            endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		RegisterEnterprise: func(ctx context.Context, req any) (any, error) {
			e, err := s.RegisterEnterprise(ctx, req.(EnterpriseInput))
			return enterpriseResponse{Enterprise: e, created: true}, err
		},
		UpdateEnterprise: func(ctx context.Context, req any) (any, error) {
			r := req.(updateEnterpriseRequest)
			e, err := s.UpdateEnterprise(ctx, r.ID, r.Patch)
			return enterpriseResponse{Enterprise: e}, err
		},
		Enterprise: func(ctx context.Context, req any) (any, error) {
			e, err := s.Enterprise(ctx, req.(idRequest).ID)
			return enterpriseResponse{Enterprise: e}, err
		},
		Enterprises: func(ctx context.Context, req any) (any, error) {
			return s.Enterprises(ctx, req.(EnterpriseQuery))
		},
		Matters: func(ctx context.Context, req any) (any, error) {
			ms, err := s.Matters(ctx, req.(catalogRequest).Park)
			return mattersResponse{Matters: ms}, err
		},
		Matter: func(ctx context.Context, req any) (any, error) {
			r := req.(catalogRequest)
			return s.Matter(ctx, r.Park, r.Code)
		},
		Bundles: func(ctx context.Context, req any) (any, error) {
			bs, err := s.Bundles(ctx, req.(catalogRequest).Park)
			return bundlesResponse{Bundles: bs}, err
		},
		Bundle: func(ctx context.Context, req any) (any, error) {
			r := req.(catalogRequest)
			return s.Bundle(ctx, r.Park, r.Code)
		},
		Upload: func(ctx context.Context, req any) (any, error) {
			r := req.(uploadRequest)
			u, err := s.Upload(ctx, r.MediaType, r.Content)
			return uploadResponse{Upload: u}, err
		},
		Submit: func(ctx context.Context, req any) (any, error) {
			r := req.(submitRequest)
			t, created, err := s.Submit(ctx, r.Key, r.Body)
			return ticketResponse{Ticket: t, created: created, replayed: !created}, err
		},
		Ticket: func(ctx context.Context, req any) (any, error) {
			t, err := s.Ticket(ctx, req.(idRequest).ID)
			return ticketResponse{Ticket: t}, err
		},
		Tickets: func(ctx context.Context, req any) (any, error) {
			return s.Tickets(ctx, req.(TicketQuery))
		},
		SupplyMaterials: func(ctx context.Context, req any) (any, error) {
			r := req.(supplyRequest)
			t, err := s.SupplyMaterials(ctx, r.ID, r.Body)
			return ticketResponse{Ticket: t}, err
		},
		Rate: func(ctx context.Context, req any) (any, error) {
			r := req.(rateRequest)
			t, err := s.Rate(ctx, r.ID, r.Body)
			return ticketResponse{Ticket: t}, err
		},
		Withdraw: func(ctx context.Context, req any) (any, error) {
			r := req.(withdrawRequest)
			t, err := s.Withdraw(ctx, r.ID, r.Body)
			return ticketResponse{Ticket: t}, err
		},
		Resolve: func(ctx context.Context, req any) (any, error) {
			r := req.(resolveRequest)
			t, err := s.Resolve(ctx, r.ID, r.Body)
			return ticketResponse{Ticket: t}, err
		},
	}
}

type idRequest struct{ ID string }

type updateEnterpriseRequest struct {
	ID    string
	Patch EnterprisePatch
}

type catalogRequest struct{ Park, Code string }

type uploadRequest struct {
	MediaType string
	Content   []byte
}

type submitRequest struct {
	Key  string
	Body SubmitRequest
}

type supplyRequest struct {
	ID   string
	Body SupplyRequest
}

type rateRequest struct {
	ID   string
	Body RatingInput
}

type withdrawRequest struct {
	ID   string
	Body WithdrawInput
}

type resolveRequest struct {
	ID   string
	Body ResolutionInput
}

type enterpriseResponse struct {
	Enterprise
	created bool
}

// StatusCode answers 201 for a registration.
func (r enterpriseResponse) StatusCode() int {
	if r.created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// Headers sets Location for a registration.
func (r enterpriseResponse) Headers() http.Header {
	if !r.created {
		return nil
	}
	return http.Header{"Location": {"/v1/enterprises/" + r.ID}}
}

type mattersResponse struct {
	Matters []Matter `json:"matters"`
}

type bundlesResponse struct {
	Bundles []Bundle `json:"bundles"`
}

type uploadResponse struct {
	Upload
}

// StatusCode answers 201.
func (uploadResponse) StatusCode() int { return http.StatusCreated }

type ticketResponse struct {
	Ticket
	created  bool
	replayed bool
}

// StatusCode answers 201 for a new ticket.
func (r ticketResponse) StatusCode() int {
	if r.created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// Headers sets Location for a new ticket and marks a replayed one.
func (r ticketResponse) Headers() http.Header {
	switch {
	case r.created:
		return http.Header{"Location": {"/v1/tickets/" + r.ID}}
	case r.replayed:
		return http.Header{"Location": {"/v1/tickets/" + r.ID}, "Idempotent-Replayed": {"true"}}
	}
	return nil
}
