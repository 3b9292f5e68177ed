package main

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

// demoPark is the park the demo tokens are scoped to (望城经济技术开发区).
const demoPark = "wangcheng"

// PrintWelcome prints the URL, the running services and a demo token per role.
func (st *Stack) PrintWelcome(w io.Writer) {
	fmt.Fprintf(w, "\nparkdesk dev stack is up\n  API:       http://%s/v1  (spec: http://%s/openapi.json)\n", st.cfg.GatewayAddr, st.cfg.GatewayAddr)
	fmt.Fprintf(w, "  console:   http://%s/console/  (dev sign-in: http://%s/console/dev/signin)\n", st.cfg.GatewayAddr, st.cfg.GatewayAddr)
	fmt.Fprintf(w, "  readiness: http://%s/readyz\n  NATS:      %s   PostgreSQL: %s\n  services: ", st.cfg.GatewayAddr, st.nats.URL(), st.dbURL)
	for _, s := range st.running {
		fmt.Fprintf(w, " %s(:%d)", s.name, s.port)
	}
	fmt.Fprintf(w, " gateway\n  dev clock: POST http://%s/v1/dev/clock {\"advance\":\"24h\"} (manager/admin token)\n\n", st.cfg.GatewayAddr)
	signer, err := auth.NewHMACSigner(st.secret, "parkdesk", "parkdesk-api")
	if err != nil {
		fmt.Fprintf(w, "  (no demo tokens: %v)\n", err)
		return
	}
	fmt.Fprintln(w, "demo tokens (12h), use as: Authorization: Bearer <token>")
	for _, p := range DemoPrincipals() {
		tok, err := signer.Sign(p, 12*time.Hour)
		if err != nil {
			fmt.Fprintf(w, "  %-10s (error: %v)\n", p.Role, err)
			continue
		}
		fmt.Fprintf(w, "  %-10s %s\n", p.Role, tok)
	}
	fmt.Fprintln(w, "\nCtrl-C stops everything.")
}

// DemoPrincipals are the people the demo tokens stand for, matching seeds/.
func DemoPrincipals() []auth.Principal {
	return []auth.Principal{
		{Subject: "demo-enterprise", Role: auth.RoleEnterprise, Park: demoPark, EnterpriseID: "0191c0de-0000-7000-8000-000000000001"},
		{Subject: "demo-liaison", Role: auth.RoleLiaison, Park: demoPark, OfficerID: "0191c0de-0000-7000-8000-0000000000a1"},
		{Subject: "demo-staff", Role: auth.RoleStaff, Park: demoPark, Departments: []string{"approval-office", "housing"}},
		{Subject: "demo-manager", Role: auth.RoleManager, Park: demoPark},
		{Subject: "demo-admin", Role: auth.RoleAdmin},
	}
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
	}()
	return pw
}
