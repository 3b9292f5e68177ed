package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ShutdownTimeout bounds graceful shutdown: in-flight requests get this long
// to finish before their connections are closed.
const ShutdownTimeout = 10 * time.Second

// Serve listens on srv.Addr and serves until ctx is done, then shuts down
// gracefully within ShutdownTimeout. It returns nil after a clean shutdown
// and an error when listening or serving fails or shutdown times out.
//
// Shutdown does not cancel the contexts of in-flight requests, so a
// long-lived stream (SSE) should also watch a shutdown signal of its own or
// it holds shutdown until the timeout closes it.
func Serve(ctx context.Context, srv *http.Server, logger *slog.Logger) error {
	if srv == nil || logger == nil {
		return errors.New("httpx: serve: nil server or logger")
	}
	addr := srv.Addr
	if addr == "" {
		addr = ":http"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("httpx: serve: %w", err)
	}
	return serve(ctx, srv, ln, logger, ShutdownTimeout)
}

func serve(ctx context.Context, srv *http.Server, ln net.Listener, logger *slog.Logger, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.InfoContext(ctx, "http server listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("httpx: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	logger.InfoContext(ctx, "http server shutting down", "addr", ln.Addr().String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		<-errc
		return fmt.Errorf("httpx: shutdown %s: %w", ln.Addr(), err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpx: serve %s: %w", ln.Addr(), err)
	}
	return nil
}
