package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/parkdesk/parkdesk/pkg/httpx"
)

// UpstreamCheck is a readiness check that the upstream's /readyz answers 200.
func UpstreamCheck(u *url.URL, timeout time.Duration) httpx.Check {
	client := &http.Client{Timeout: timeout}
	target := u.JoinPath("/readyz").String()
	return httpx.Check{Name: "upstream " + u.Host, Fn: func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz answered %d", resp.StatusCode)
		}
		return nil
	}}
}
