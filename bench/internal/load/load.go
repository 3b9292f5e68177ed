// Package load drives parkdesk through its gateway the way its users do and
// measures it: ticket submissions (matters and demands, half each), the event
// path from a submission to the liaison's dispatch and the SLA clock's start
// (observed on NATS), reads, lists and approval decisions. It also tracks
// every durable JetStream consumer's backlog so that "the consumers keep
// up" is a measured fact, not an assumption.
package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/pkg/auth"
)

// Park is the park the load runs in (the demo park of seeds/).
const Park = "wangcheng"

// Ops of the load.
const (
	OpSubmit   = "submit"
	OpRead     = "read"
	OpList     = "list"
	OpDecision = "decision"
)

// Mix is the relative weight of each op in a closed-loop phase.
type Mix map[string]int

// ParseMix reads "submit=40,read=30,list=20,decision=10".
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		var n int
		if _, err := fmt.Sscan(v, &n); !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("mix %q: want op=weight,...", s)
		}
		switch k {
		case OpSubmit, OpRead, OpList, OpDecision:
			m[k] = n
		default:
			return nil, fmt.Errorf("mix: unknown op %q", k)
		}
	}
	return m, nil
}

func (m Mix) pick(r *rand.Rand) string {
	total := 0
	for _, w := range m {
		total += w
	}
	n := r.IntN(max(total, 1))
	for _, op := range []string{OpSubmit, OpRead, OpList, OpDecision} {
		if n < m[op] {
			return op
		}
		n -= m[op]
	}
	return OpSubmit
}

// Target is the system under load.
type Target struct {
	Gateway string // base URL
	Signer  *auth.Signer
	Client  *http.Client
}

// firm is one enterprise of the park with its token and uploaded material.
type firm struct {
	id, token, sum string
	mu             sync.Mutex
	tickets        []string
}

func (f *firm) addTicket(id string) {
	f.mu.Lock()
	f.tickets = append(f.tickets, id)
	if len(f.tickets) > 200 {
		f.tickets = f.tickets[len(f.tickets)-200:]
	}
	f.mu.Unlock()
}

func (f *firm) ticket(r *rand.Rand) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tickets) == 0 {
		return ""
	}
	return f.tickets[r.IntN(len(f.tickets))]
}

// Driver holds what the ops need: firms, a staff token for decisions, and
// the submissions made (for the event path).
type Driver struct {
	t       Target
	firms   []*firm
	staff   string
	manager string
	tasks   chan string
	filling atomic.Bool
	seen    sync.Map // task ids handed out

	mu   sync.Mutex
	subs map[string]Submission // ticket id -> submission
}

// Submission is one ticket answered 2xx.
type Submission struct {
	Ticket string
	Kind   string // matter or demand
	At     time.Time
	Phase  string
}

// Setup signs the tokens, waits until the park's firms have officers, and
// uploads one material per firm.
func Setup(ctx context.Context, t Target, nFirms int) (*Driver, error) {
	if t.Client == nil {
		t.Client = &http.Client{Timeout: 30 * time.Second}
	}
	d := &Driver{t: t, tasks: make(chan string, 4096), subs: map[string]Submission{}}
	var err error
	if d.manager, err = t.Signer.Sign(auth.Principal{Subject: "bench-manager", Role: auth.RoleManager, Park: Park}, 6*time.Hour); err != nil {
		return nil, err
	}
	if d.staff, err = t.Signer.Sign(auth.Principal{Subject: "bench-staff", Role: auth.RoleStaff, Park: Park,
		Departments: []string{"approval-office"}}, 6*time.Hour); err != nil {
		return nil, err
	}
	// Firms with an officer (liaison assigns them as intake announces the seeded firms).
	deadline := time.Now().Add(90 * time.Second)
	var ids []string
	stable, last := 0, -1
	for {
		var out struct {
			Firms []struct {
				EnterpriseID string `json:"enterprise_id"`
				OfficerID    string `json:"officer_id"`
			} `json:"firms"`
		}
		status, body, err := d.do(ctx, http.MethodGet, "/v1/liaison/firms", d.manager, nil, nil)
		if err == nil && status == http.StatusOK && json.Unmarshal(body, &out) == nil {
			ids = ids[:0]
			for _, f := range out.Firms {
				if f.OfficerID != "" {
					ids = append(ids, f.EnterpriseID)
				}
			}
			if len(ids) == last && len(ids) > 0 {
				stable++
			} else {
				stable = 0
			}
			last = len(ids)
			if len(ids) >= nFirms || stable >= 6 {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("setup: %d firms of %s with an officer after 90s (want %d; last answer %d %s %v)",
				len(ids), Park, nFirms, status, truncate(string(body), 200), err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	sort.Strings(ids)
	for _, id := range ids[:min(nFirms, len(ids))] {
		tok, err := t.Signer.Sign(auth.Principal{Subject: "bench-" + id, Role: auth.RoleEnterprise, Park: Park, EnterpriseID: id}, 6*time.Hour)
		if err != nil {
			return nil, err
		}
		content := []byte("%PDF-1.4 parkdesk bench material of " + id)
		status, body, err := d.do(ctx, http.MethodPost, "/v1/tickets/uploads", tok, content, map[string]string{"Content-Type": "application/pdf"})
		if err != nil || status/100 != 2 {
			return nil, fmt.Errorf("setup: upload for %s: %d %s %v", id, status, truncate(string(body), 300), err)
		}
		sum := sha256.Sum256(content)
		d.firms = append(d.firms, &firm{id: id, token: tok, sum: hex.EncodeToString(sum[:])})
	}
	return d, nil
}

// Submissions returns the submissions of phase.
func (d *Driver) Submissions(phase string) []Submission {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Submission
	for _, s := range d.subs {
		if s.Phase == phase {
			out = append(out, s)
		}
	}
	return out
}

// do sends one request and reads the answer.
func (d *Driver) do(ctx context.Context, method, path, token string, body []byte, hdr map[string]string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.t.Gateway+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := d.t.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// errSkip marks an op that had nothing to act on (no task to decide yet).
var errSkip = errors.New("nothing to do")

// Do runs one op and returns its latency.
func (d *Driver) Do(ctx context.Context, op, phase string, r *rand.Rand) (time.Duration, error) {
	f := d.firms[r.IntN(len(d.firms))]
	switch op {
	case OpSubmit:
		return d.submit(ctx, f, phase, r)
	case OpRead:
		id := f.ticket(r)
		if id == "" {
			return d.submit(ctx, f, phase, r)
		}
		return d.timed(ctx, http.MethodGet, "/v1/tickets/"+id, f.token, nil, nil, http.StatusOK)
	case OpList:
		return d.timed(ctx, http.MethodGet, "/v1/tickets?page_size=20", f.token, nil, nil, http.StatusOK)
	case OpDecision:
		return d.decide(ctx)
	}
	return 0, fmt.Errorf("unknown op %q", op)
}

func (d *Driver) timed(ctx context.Context, method, path, token string, body []byte, hdr map[string]string, want ...int) (time.Duration, error) {
	start := time.Now()
	status, b, err := d.do(ctx, method, path, token, body, hdr)
	el := time.Since(start)
	if err != nil {
		return el, err
	}
	for _, w := range want {
		if status == w {
			return el, nil
		}
	}
	return el, fmt.Errorf("%s %s: %d %s", method, strings.SplitN(path, "?", 2)[0], status, truncate(string(b), 160))
}

func (d *Driver) submit(ctx context.Context, f *firm, phase string, r *rand.Rand) (time.Duration, error) {
	kind := "matter"
	var body map[string]any
	if r.IntN(2) == 0 {
		kind = "demand"
		body = map[string]any{"demand": map[string]any{"title": "用电增容协调", "description": "bench: 需协调供电公司增容 " + uuid.NewString()[:8]}}
	} else {
		body = map[string]any{"matter_code": "seal-engraving", "materials": []map[string]any{
			{"code": "business-license-copy", "sha256": f.sum, "media_type": "application/pdf"},
			{"code": "legal-rep-id", "sha256": f.sum, "media_type": "application/pdf"},
		}}
	}
	b, _ := json.Marshal(body)
	start := time.Now()
	status, answer, err := d.do(ctx, http.MethodPost, "/v1/tickets", f.token, b, map[string]string{"Idempotency-Key": uuid.NewString()})
	el := time.Since(start)
	if err != nil {
		return el, err
	}
	if status != http.StatusCreated && status != http.StatusOK {
		return el, fmt.Errorf("POST /v1/tickets: %d %s", status, truncate(string(answer), 160))
	}
	var tk struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(answer, &tk); err != nil || tk.ID == "" {
		return el, fmt.Errorf("POST /v1/tickets answered %s", truncate(string(answer), 160))
	}
	f.addTicket(tk.ID)
	d.mu.Lock()
	d.subs[tk.ID] = Submission{Ticket: tk.ID, Kind: kind, At: start, Phase: phase}
	d.mu.Unlock()
	return el, nil
}

// decide accepts one open acceptance task of the police department.
func (d *Driver) decide(ctx context.Context) (time.Duration, error) {
	var id string
	select {
	case id = <-d.tasks:
	default:
		d.fillTasks(ctx)
		select {
		case id = <-d.tasks:
		default:
			return 0, errSkip
		}
	}
	el, err := d.timed(ctx, http.MethodPost, "/v1/tasks/"+id+"/decision", d.staff, []byte(`{"action":"accept"}`),
		map[string]string{"Idempotency-Key": uuid.NewString()}, http.StatusOK)
	return el, err
}

func (d *Driver) fillTasks(ctx context.Context) {
	if !d.filling.CompareAndSwap(false, true) {
		return
	}
	defer d.filling.Store(false)
	status, b, err := d.do(ctx, http.MethodGet, "/v1/tasks?kind=acceptance&page_size=200", d.staff, nil, nil)
	if err != nil || status != http.StatusOK {
		return
	}
	var out struct {
		Items []struct {
			ID         string `json:"id"`
			State      string `json:"state"`
			Actionable bool   `json:"actionable"`
		} `json:"items"`
	}
	if json.Unmarshal(b, &out) != nil {
		return
	}
	for _, t := range out.Items {
		if t.State != "open" || !t.Actionable {
			continue
		}
		if _, dup := d.seen.LoadOrStore(t.ID, true); !dup {
			select {
			case d.tasks <- t.ID:
			default:
			}
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
