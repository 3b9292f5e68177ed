package approval

import (
	"context"

	"github.com/go-kit/kit/endpoint"
)

// Endpoints are the Service's methods as go-kit endpoints.
type Endpoints struct {
	Tasks       endpoint.Endpoint
	Task        endpoint.Endpoint
	Decide      endpoint.Endpoint
	Workflows   endpoint.Endpoint
	Workflow    endpoint.Endpoint
	History     endpoint.Endpoint
	Withdraw    endpoint.Endpoint
	Definitions endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Tasks: func(ctx context.Context, req any) (any, error) {
			return s.Tasks(ctx, req.(TaskQuery))
		},
		Task: func(ctx context.Context, req any) (any, error) {
			return s.Task(ctx, req.(idRequest).ID)
		},
		Decide: func(ctx context.Context, req any) (any, error) {
			r := req.(decideRequest)
			return s.Decide(ctx, r.TaskID, r.Body)
		},
		Workflows: func(ctx context.Context, req any) (any, error) {
			return s.Workflows(ctx, req.(WorkflowQuery))
		},
		Workflow: func(ctx context.Context, req any) (any, error) {
			return s.Workflow(ctx, req.(idRequest).ID)
		},
		History: func(ctx context.Context, req any) (any, error) {
			h, err := s.History(ctx, req.(idRequest).ID)
			return historyResponse{History: h}, err
		},
		Withdraw: func(ctx context.Context, req any) (any, error) {
			r := req.(withdrawRequest)
			return s.Withdraw(ctx, r.ID, r.Body.Reason)
		},
		Definitions: func(ctx context.Context, _ any) (any, error) {
			ds, err := s.Definitions(ctx)
			return definitionsResponse{Definitions: ds}, err
		},
	}
}

type idRequest struct{ ID string }

type decideRequest struct {
	TaskID string
	Body   Decision
}

type withdrawRequest struct {
	ID   string
	Body struct {
		Reason string `json:"reason"`
	}
}

type historyResponse struct {
	History []HistoryEntry `json:"history"`
}

type definitionsResponse struct {
	Definitions []Definition `json:"definitions"`
}
