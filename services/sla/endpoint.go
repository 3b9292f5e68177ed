package sla

import (
	"context"
	"net/http"

	"github.com/go-kit/kit/endpoint"
)

// Endpoints are the Service's methods as go-kit endpoints, one field per
// method of the same name.
type Endpoints struct {
	Clock            endpoint.Endpoint
	TicketClocks     endpoint.Endpoint
	RequestExtension endpoint.Endpoint
	DecideExtension  endpoint.Endpoint
	Extensions       endpoint.Endpoint
	Overview         endpoint.Endpoint
	Breaches         endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Clock: func(ctx context.Context, req any) (any, error) {
			return s.Clock(ctx, req.(clockRequest).ID)
		},
		TicketClocks: func(ctx context.Context, req any) (any, error) {
			cs, err := s.TicketClocks(ctx, req.(ticketClocksRequest).TicketID)
			return ticketClocksResponse{Clocks: cs}, err
		},
		RequestExtension: func(ctx context.Context, req any) (any, error) {
			r := req.(requestExtensionRequest)
			x, err := s.RequestExtension(ctx, r.ClockID, r.Body)
			return extensionResponse{Extension: x, created: true}, err
		},
		DecideExtension: func(ctx context.Context, req any) (any, error) {
			r := req.(decideExtensionRequest)
			x, err := s.DecideExtension(ctx, r.ID, r.Body)
			return extensionResponse{Extension: x}, err
		},
		Extensions: func(ctx context.Context, req any) (any, error) {
			xs, err := s.Extensions(ctx, req.(ExtensionQuery))
			return extensionsResponse{Extensions: xs}, err
		},
		Overview: func(ctx context.Context, req any) (any, error) {
			return s.Overview(ctx, req.(OverviewQuery))
		},
		Breaches: func(ctx context.Context, req any) (any, error) {
			return s.Breaches(ctx, req.(BreachQuery))
		},
	}
}

type clockRequest struct{ ID string }

type ticketClocksRequest struct{ TicketID string }

type ticketClocksResponse struct {
	Clocks []Clock `json:"clocks"`
}

type requestExtensionRequest struct {
	ClockID string
	Body    ExtensionRequest
}

type decideExtensionRequest struct {
	ID   string
	Body ExtensionDecision
}

type extensionResponse struct {
	Extension
	created bool
}

// StatusCode answers 201 for a new extension.
func (r extensionResponse) StatusCode() int {
	if r.created {
		return http.StatusCreated
	}
	return http.StatusOK
}

type extensionsResponse struct {
	Extensions []Extension `json:"extensions"`
}
