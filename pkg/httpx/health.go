package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// ReadyTimeout bounds a whole /readyz run; a check still running then fails.
const ReadyTimeout = 2 * time.Second

// Check is one readiness check, e.g. pinging PostgreSQL or NATS.
type Check struct {
	// Name identifies the check in the /readyz response; it must be unique.
	Name string
	// Fn returns nil when the dependency is usable. It must honour ctx.
	Fn func(context.Context) error
}

// Health returns a handler serving GET /healthz, which answers 200 as long
// as the process serves HTTP, and GET /readyz, which runs every check
// concurrently within ReadyTimeout and answers 200 {"status":"ready"} or a
// 503 problem naming the failed checks. Check errors are logged with
// slog.Default, not sent. It panics on a check without a name or function,
// or on a duplicate name.
func Health(checks ...Check) http.Handler {
	return health(ReadyTimeout, checks)
}

func health(timeout time.Duration, checks []Check) http.Handler {
	seen := make(map[string]bool, len(checks))
	for _, c := range checks {
		if c.Name == "" || c.Fn == nil {
			panic("httpx: Health: check needs a name and a function")
		}
		if seen[c.Name] {
			panic("httpx: Health: duplicate check " + c.Name)
		}
		seen[c.Name] = true
	}
	checks = slices.Clone(checks)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		failed := runChecks(r.Context(), timeout, checks)
		if len(failed) == 0 {
			writeStatus(w, "ready")
			return
		}
		names := make([]string, len(failed))
		for i, f := range failed {
			names[i] = f.Field
		}
		writeProblemBody(w, Problem{
			Type:      "about:blank",
			Title:     http.StatusText(http.StatusServiceUnavailable),
			Status:    http.StatusServiceUnavailable,
			Detail:    "not ready: " + strings.Join(names, ", "),
			Instance:  r.URL.Path,
			RequestID: RequestIDFrom(r.Context()),
			Errors:    failed,
		})
	})
	return mux
}

type checkResult struct {
	name string
	err  error
}

// runChecks returns the failed checks sorted by name. Checks that ignore
// their context are abandoned at the deadline; their goroutine ends when
// they return.
func runChecks(ctx context.Context, timeout time.Duration, checks []Check) []fault.FieldError {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	results := make(chan checkResult, len(checks))
	for _, c := range checks {
		go func() {
			results <- checkResult{name: c.Name, err: safeCheck(ctx, c)}
		}()
	}

	var failed []fault.FieldError
	pending := make(map[string]bool, len(checks))
	for _, c := range checks {
		pending[c.Name] = true
	}
	for len(pending) > 0 {
		select {
		case res := <-results:
			delete(pending, res.name)
			if res.err != nil {
				failed = append(failed, checkFailure(ctx, res.name, res.err))
			}
		case <-ctx.Done():
			for name := range pending {
				failed = append(failed, checkFailure(ctx, name, ctx.Err()))
			}
			pending = nil
		}
	}
	slices.SortFunc(failed, func(a, b fault.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return failed
}

func safeCheck(ctx context.Context, c Check) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("check %s panicked: %v", c.Name, v)
		}
	}()
	return c.Fn(ctx)
}

func checkFailure(ctx context.Context, name string, err error) fault.FieldError {
	slog.Default().WarnContext(ctx, "readiness check failed", "check", name, "err", err)
	reason := "failed"
	if errors.Is(err, context.DeadlineExceeded) {
		reason = "timed out"
	}
	return fault.FieldError{Field: name, Reason: reason}
}

func writeStatus(w http.ResponseWriter, status string) {
	w.Header().Set("Content-Type", JSONContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, "{\"status\":%q}\n", status)
}
