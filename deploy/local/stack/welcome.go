package stack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
)

// DemoPark is the park the demo tokens are scoped to (望城经济技术开发区).
const DemoPark = "wangcheng"

// DemoToken is a person a demo token stands for, and the label it is printed with.
type DemoToken struct {
	Label     string
	Principal auth.Principal
}

// DemoTokens are the people the demo tokens stand for, matching seeds/: the
// demo firm, its liaison officer, window staff (acceptance, 行政审批服务局)
// who also review for housing, a park manager, an admin, and reviewers of
// the market, police and tax departments (the matters of 企业开办一件事).
func DemoTokens() []DemoToken {
	return []DemoToken{
		{"enterprise", auth.Principal{Subject: "demo-enterprise", Role: auth.RoleEnterprise, Park: DemoPark, EnterpriseID: "0191c0de-0000-7000-8000-000000000001"}},
		{"liaison", auth.Principal{Subject: "demo-liaison", Role: auth.RoleLiaison, Park: DemoPark, OfficerID: "0191c0de-0000-7000-8000-0000000000a1"}},
		{"staff", auth.Principal{Subject: "demo-staff", Role: auth.RoleStaff, Park: DemoPark, Departments: []string{"approval-office", "housing"}}},
		{"manager", auth.Principal{Subject: "demo-manager", Role: auth.RoleManager, Park: DemoPark}},
		{"admin", auth.Principal{Subject: "demo-admin", Role: auth.RoleAdmin}},
		{"reviewer", auth.Principal{Subject: "demo-reviewer", Role: auth.RoleStaff, Park: DemoPark, Departments: []string{"market", "police", "tax"}}},
	}
}

// PrintWelcome prints the URL, the running services and a demo token per role.
func (st *Stack) PrintWelcome(w io.Writer) {
	gw := st.cfg.GatewayAddr
	fmt.Fprintf(w, "\nparkdesk dev stack is up\n  API:       http://%s/v1  (spec: http://%s/openapi.json)\n", gw, gw)
	fmt.Fprintf(w, "  console:   http://%s/console/  (dev sign-in: http://%s/console/dev/signin)\n", gw, gw)
	fmt.Fprintf(w, "  readiness: http://%s/readyz\n  NATS:      %s   PostgreSQL: %s\n  services: ", gw, st.nats.URL(), st.dbURL)
	for _, s := range st.running {
		fmt.Fprintf(w, " %s(:%d)", s.Name, s.Port)
	}
	fmt.Fprintf(w, " gateway\n  dev clock: POST http://%s/v1/dev/clock {\"advance\":\"24h\"} (manager/admin token)\n\n", gw)
	signer, err := st.Signer()
	if err != nil {
		fmt.Fprintf(w, "  (no demo tokens: %v)\n", err)
		return
	}
	fmt.Fprintln(w, "demo tokens (12h), use as: Authorization: Bearer <token>")
	for _, d := range DemoTokens() {
		tok, err := signer.Sign(d.Principal, 12*time.Hour)
		if err != nil {
			fmt.Fprintf(w, "  %-10s (error: %v)\n", d.Label, err)
			continue
		}
		fmt.Fprintf(w, "  %-10s %s\n", d.Label, tok)
	}
	fmt.Fprintln(w, "  (reviewer: staff of market, police and tax; staff: approval-office and housing)")
	fmt.Fprintln(w, "\nCtrl-C stops everything.")
}

func waitReady(ctx context.Context, url string, limit time.Duration, exited <-chan error) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return err
		case <-deadline.C:
			return fmt.Errorf("%s not ready within %s", url, limit)
		case <-tick.C:
		}
	}
}

var outMu sync.Mutex

// prefixWriter prefixes every line a child writes with its name. Closing it
// ends its goroutine.
func prefixWriter(name string, w io.Writer) io.WriteCloser {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			outMu.Lock()
			fmt.Fprintf(w, "%-9s| %s\n", name, sc.Text())
			outMu.Unlock()
		}
		// A line longer than the buffer stops the scanner: keep draining so
		// the child never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, pr)
	}()
	return pw
}
