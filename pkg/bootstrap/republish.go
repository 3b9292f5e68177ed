package bootstrap

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/outbox"
)

// Command runs an operator sub-command of a service binary and reports
// whether args named one. Known:
//
//   - "republish -since 30m|RFC3339" marks the service's outbox rows since
//     then unsent, so the next relay re-publishes them (after a broker lost
//     acknowledged messages; consumers are idempotent);
//   - "migrate" applies the service's migrations and exits (a deployment's
//     migration job runs it before the new version rolls out).
//
// Services pass their migration sets so "migrate" needs no other wiring.
func Command(ctx context.Context, cfg Config, args []string, migrations ...db.MigrationSet) (bool, error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case "migrate":
		conn, err := db.Open(ctx, db.Config{URL: cfg.DatabaseURL, Schema: cfg.Service, MaxOpenConns: 2})
		if err != nil {
			return true, err
		}
		defer conn.Close()
		if err := migrate(ctx, conn, cfg.Service, migrations); err != nil {
			return true, err
		}
		fmt.Printf("%s: schema %s migrated\n", cfg.Service, cfg.Service)
		return true, nil
	case "republish":
	default:
		return false, nil
	}
	fs := flag.NewFlagSet("republish", flag.ContinueOnError)
	since := fs.String("since", "", "re-publish events created since this RFC 3339 instant or this long ago (e.g. 30m)")
	if err := fs.Parse(args[1:]); err != nil {
		return true, err
	}
	t, err := parseSince(*since, time.Now())
	if err != nil {
		return true, err
	}
	conn, err := db.Open(ctx, db.Config{URL: cfg.DatabaseURL, Schema: cfg.Service, MaxOpenConns: 2})
	if err != nil {
		return true, err
	}
	defer conn.Close()
	n, err := outbox.Republish(ctx, conn, t)
	if err != nil {
		return true, err
	}
	fmt.Printf("%s: %d events since %s queued for re-publishing\n", cfg.Service, n, t.Format(time.RFC3339))
	return true, nil
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("republish: -since is required")
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("republish: -since %q is neither a duration nor RFC 3339", s)
	}
	return t, nil
}
