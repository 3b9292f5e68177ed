package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
)

var httpClient = &http.Client{Timeout: 30 * time.Second}

// The people of the journeys.
func (s *suite) manager() auth.Principal {
	return auth.Principal{Subject: "e2e-manager", Role: auth.RoleManager, Park: park}
}
func (s *suite) otherManager() auth.Principal {
	return auth.Principal{Subject: "e2e-manager-hitech", Role: auth.RoleManager, Park: otherPark}
}
func (s *suite) admin() auth.Principal {
	return auth.Principal{Subject: "e2e-admin", Role: auth.RoleAdmin}
}
func (s *suite) firm(id string) auth.Principal {
	return auth.Principal{Subject: "e2e-firm-" + id[len(id)-4:], Role: auth.RoleEnterprise, Park: park, EnterpriseID: id}
}
func (s *suite) officer(id string) auth.Principal {
	return auth.Principal{Subject: "e2e-officer-" + id[len(id)-2:], Role: auth.RoleLiaison, Park: park, OfficerID: id}
}

// staff is a member of the park's departments depts, named by them.
func (s *suite) staff(depts ...string) auth.Principal {
	return auth.Principal{Subject: "e2e-staff-" + strings.Join(depts, "-"), Role: auth.RoleStaff, Park: park, Departments: depts}
}

// caller makes requests through the gateway as one principal.
type caller struct {
	s     *suite
	who   string
	token string
}

// as is a caller with a token for p, signed with the stack's secret (a
// principal of the journeys is always valid, so signing cannot fail).
func (s *suite) as(p auth.Principal) caller {
	tok, err := s.signer.Sign(p, 2*time.Hour)
	if err != nil {
		panic(fmt.Sprintf("sign a token for %+v: %v", p, err))
	}
	return caller{s: s, who: p.Subject, token: tok}
}

// response is an answer of the API.
type response struct {
	Method, Path, Who string
	Status            int
	Header            http.Header
	Body              []byte
}

func (r *response) String() string {
	body := string(r.Body)
	if len(body) > 1500 {
		body = body[:1500] + "…"
	}
	return fmt.Sprintf("%s %s as %s: %d %s", r.Method, r.Path, r.Who, r.Status, body)
}

// want fails the test unless the status is one of codes.
func (r *response) want(t *testing.T, codes ...int) *response {
	t.Helper()
	if !slices.Contains(codes, r.Status) {
		t.Fatalf("want %v: %s", codes, r)
	}
	return r
}

// decode reads the JSON body into v.
func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, r, err)
	}
}

// into is want(code) then decode.
func (r *response) into(t *testing.T, code int, v any) {
	t.Helper()
	r.want(t, code).decode(t, v)
}

func (c caller) do(t *testing.T, method, path string, body any, header ...string) *response {
	t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd, ctype = bytes.NewReader(b.data), b.mediaType
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, c.who, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s as %s: read: %v", method, path, c.who, err)
	}
	return &response{Method: method, Path: path, Who: c.who, Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func (c caller) get(t *testing.T, path string) *response {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil)
}

func (c caller) post(t *testing.T, path string, body any, header ...string) *response {
	t.Helper()
	return c.do(t, http.MethodPost, path, body, header...)
}

// rawBody is a request body sent as it is.
type rawBody struct {
	data      []byte
	mediaType string
}

// setClock moves the stack's dev clock to when (forward only).
func (s *suite) setClock(t *testing.T, when time.Time) {
	t.Helper()
	var got struct {
		Now time.Time `json:"now"`
	}
	s.as(s.admin()).post(t, "/v1/dev/clock", map[string]string{"set": when.Format(time.RFC3339Nano)}).into(t, 200, &got)
	if got.Now.Before(when) || got.Now.After(when.Add(time.Minute)) {
		t.Fatalf("the dev clock reads %s after being set to %s", got.Now, when)
	}
}

// upload stores content as a material of the caller and returns its reference.
func (c caller) upload(t *testing.T, code string) materialInput {
	t.Helper()
	content := []byte(fmt.Sprintf("%s by %s at %d", code, c.who, time.Now().UnixNano()))
	var u struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	c.post(t, "/v1/tickets/uploads", rawBody{content, "application/pdf"}).into(t, 201, &u)
	sum := sha256.Sum256(content)
	if u.SHA256 != hex.EncodeToString(sum[:]) || u.Size != int64(len(content)) {
		t.Fatalf("upload of %s answered %+v", code, u)
	}
	return materialInput{Code: code, SHA256: u.SHA256}
}

// ---- what the API answers (the fields the journeys check) ----

type liaisonRef struct {
	OfficerID       string `json:"officer_id"`
	BackupOfficerID string `json:"backup_officer_id"`
}

type enterprise struct {
	ID      string     `json:"id"`
	Park    string     `json:"park"`
	Liaison liaisonRef `json:"liaison"`
}

type materialInput struct {
	Code   string `json:"code"`
	SHA256 string `json:"sha256"`
}

type ticketItem struct {
	MatterCode      string   `json:"matter_code"`
	Department      string   `json:"department"`
	WorkflowID      string   `json:"workflow_id"`
	Status          string   `json:"status"`
	Paused          string   `json:"paused"`
	CorrectionItems []string `json:"correction_items"`
	DecisionNumber  string   `json:"decision_number"`
}

type ticketClock struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	MatterCode  string     `json:"matter_code"`
	State       string     `json:"state"`
	Paused      bool       `json:"paused"`
	Deadline    *time.Time `json:"deadline"`
	StoppedLate bool       `json:"stopped_late"`
}

type ticket struct {
	ID               string       `json:"id"`
	Number           string       `json:"number"`
	Park             string       `json:"park"`
	EnterpriseID     string       `json:"enterprise_id"`
	Kind             string       `json:"kind"`
	Channel          string       `json:"channel"`
	BundleCode       string       `json:"bundle_code"`
	MatterCode       string       `json:"matter_code"`
	Status           string       `json:"status"`
	Outcome          string       `json:"outcome"`
	Departments      []string     `json:"departments"`
	Items            []ticketItem `json:"items"`
	Liaison          liaisonRef   `json:"liaison"`
	LiaisonRequestID string       `json:"liaison_request_id"`
	RelatedTicketID  string       `json:"related_ticket_id"`
	Resolution       string       `json:"resolution"`
	SLA              struct {
		State    string        `json:"state"`
		Deadline *time.Time    `json:"deadline"`
		Paused   bool          `json:"paused"`
		Clocks   []ticketClock `json:"clocks"`
	} `json:"sla"`
	Rating *struct {
		Score                 int    `json:"score"`
		Level                 string `json:"level"`
		RectificationTicketID string `json:"rectification_ticket_id"`
	} `json:"rating"`
	SubmittedAt time.Time  `json:"submitted_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Timeline    []struct {
		Type    string `json:"type"`
		Summary string `json:"summary"`
	} `json:"timeline"`
}

func (tk ticket) item(matter string) ticketItem {
	for _, it := range tk.Items {
		if it.MatterCode == matter {
			return it
		}
	}
	return ticketItem{}
}

type task struct {
	ID            string `json:"id"`
	WorkflowID    string `json:"workflow_id"`
	Kind          string `json:"kind"`
	StageCode     string `json:"stage_code"`
	Department    string `json:"department"`
	State         string `json:"state"`
	Outcome       string `json:"outcome"`
	TicketID      string `json:"ticket_id"`
	SubjectID     string `json:"subject_id"`
	MatterCode    string `json:"matter_code"`
	WorkflowState string `json:"workflow_state"`
	Actionable    bool   `json:"actionable"`
}

type workflow struct {
	ID             string `json:"id"`
	State          string `json:"state"`
	MatterCode     string `json:"matter_code"`
	DecisionNumber string `json:"decision_number"`
	HandlerID      string `json:"handler_id"`
	Tasks          []task `json:"tasks"`
}

type slaClock struct {
	ID              string    `json:"id"`
	Park            string    `json:"park"`
	Kind            string    `json:"kind"`
	SubjectID       string    `json:"subject_id"`
	WorkflowID      string    `json:"workflow_id"`
	TicketID        string    `json:"ticket_id"`
	Department      string    `json:"department"`
	OfficerID       string    `json:"officer_id"`
	HandlerID       string    `json:"handler_id"`
	MatterCode      string    `json:"matter_code"`
	StartedAt       time.Time `json:"started_at"`
	Budget          int       `json:"budget"`
	ExtensionDays   int       `json:"extension_days"`
	State           string    `json:"state"`
	Deadline        time.Time `json:"deadline"`
	WarnAt          time.Time `json:"warn_at"`
	EscalationLevel int       `json:"escalation_level"`
	StoppedLate     bool      `json:"stopped_late"`
	Pauses          []struct {
		Reason string `json:"reason"`
	} `json:"pauses"`
}

// tasksOf polls the caller's work queue until it holds n open tasks of kind
// for ticket, and returns them by matter.
func (c caller) tasksOf(t *testing.T, ticketID, kind string, n int) map[string]task {
	t.Helper()
	out := map[string]task{}
	eventually(t, 30*time.Second, fmt.Sprintf("%d open %s tasks of ticket %s in %s's queue", n, kind, ticketID, c.who), func() (bool, string) {
		var page struct {
			Items []task `json:"items"`
		}
		c.get(t, "/v1/tasks?page_size=200&kind="+kind).into(t, 200, &page)
		clear(out)
		for _, tk := range page.Items {
			if tk.TicketID == ticketID && tk.State == "open" {
				out[tk.MatterCode+"/"+tk.Department] = tk
			}
		}
		return len(out) == n, fmt.Sprintf("%v", out)
	})
	return out
}

// decide acts on a task and returns the workflow after it.
func (c caller) decide(t *testing.T, taskID string, d map[string]any) workflow {
	t.Helper()
	var res struct {
		Workflow workflow `json:"workflow"`
	}
	c.post(t, "/v1/tasks/"+taskID+"/decision", d).into(t, 200, &res)
	return res.Workflow
}

// ticketWhen polls a ticket until cond holds.
func (c caller) ticketWhen(t *testing.T, id, what string, cond func(ticket) bool) ticket {
	t.Helper()
	var tk ticket
	eventually(t, 30*time.Second, "ticket "+id+": "+what, func() (bool, string) {
		r := c.get(t, "/v1/tickets/"+id)
		if r.Status != 200 {
			return false, r.String()
		}
		tk = ticket{}
		r.decode(t, &tk)
		return cond(tk), fmt.Sprintf("status %s, items %+v, sla %+v", tk.Status, tk.Items, tk.SLA)
	})
	return tk
}

// clocksOf polls the ticket's SLA clocks until cond holds for them.
func (c caller) clocksOf(t *testing.T, ticketID, what string, cond func([]slaClock) bool) []slaClock {
	t.Helper()
	var cs []slaClock
	eventually(t, 30*time.Second, "clocks of ticket "+ticketID+": "+what, func() (bool, string) {
		var page struct {
			Clocks []slaClock `json:"clocks"`
		}
		c.get(t, "/v1/sla/clocks?ticket_id="+ticketID).into(t, 200, &page)
		cs = page.Clocks
		return cond(cs), fmt.Sprintf("%+v", cs)
	})
	return cs
}

// clockOf returns the first clock of kind (and subject, when given).
func clockOf(cs []slaClock, kind, subject string) (slaClock, bool) {
	for _, c := range cs {
		if c.Kind == kind && (subject == "" || c.SubjectID == subject) {
			return c, true
		}
	}
	return slaClock{}, false
}

func local(ts time.Time) string { return ts.In(shanghai).Format("2006-01-02 15:04:05") }
