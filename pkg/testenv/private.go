package testenv

import (
	"context"
	"fmt"

	"github.com/parkdesk/parkdesk/pkg/pgserver"
)

// startPrivate starts a throwaway cluster for this test binary.
func startPrivate(ctx context.Context) (string, func(), error) {
	srv, err := pgserver.Start(ctx, pgserver.Options{Throwaway: true})
	if err != nil {
		return "", nil, err
	}
	stop := func() { _ = srv.Stop() }
	if err := ping(ctx, srv.URL()); err != nil {
		stop()
		return "", nil, fmt.Errorf("private postgres: started but unreachable: %w", err)
	}
	return srv.URL(), stop, nil
}
