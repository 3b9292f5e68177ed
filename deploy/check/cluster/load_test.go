package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/natsx"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
)

const (
	park = "wangcheng"
	// firm is the first enterprise of seeds/enterprises.yaml (park wangcheng).
	firm = "0191c0de-0000-7000-8000-000000000001"
)

// backdays is how long ago the published workflows were accepted, in days,
// round-robin: with 2 working days promised and a warning 1 day ahead, the
// older ones are due for a warning and a breach as soon as their clock starts,
// so warnings and breaches fire all through the run.
var backdays = []int{0, 2, 5, 10, 20}

// start is one workflow.accepted event JetStream acknowledged.
type start struct {
	workflow string
	back     int
}

// submission is one POST /v1/tickets answered 2xx.
type submission struct {
	key, ticket string
}

// load is the steady load of the run.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	starts      []start
	unacked     map[string]bool // published, never acknowledged: may or may not exist
	pubErrors   int
	submissions []submission
	unanswered  int // submissions never answered 2xx
	subErrors   map[string]int
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// submitted is how many submissions were acknowledged: workflow starts
// JetStream acknowledged plus tickets answered 2xx.
func (l *load) submitted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.starts) + len(l.submissions)
}

func (l *load) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := fmt.Sprintf("%d workflow starts published (%d publish retries, %d never acknowledged)", len(l.starts), l.pubErrors, len(l.unacked))
	if l.subErrors != nil {
		s += fmt.Sprintf(", %d tickets submitted (%d never answered 2xx)", len(l.submissions), l.unanswered)
	}
	return s
}

// startLoad publishes approval.workflow.accepted as the approval service
// would (as the approval NATS user, Nats-Msg-Id = event id, retried until
// acknowledged) at cfg.rate per second; and, when intake and the gateway run,
// submits tickets through the gateway with an Idempotency-Key, retried with
// the same key until answered.
func startLoad(t *testing.T, ctx context.Context, nc *NATSCluster, f *fleet, cfg config) *load {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	l := &load{cancel: cancel, unacked: map[string]bool{}}
	conn, js, err := natsx.Connect(ctx, natsx.Config{URL: nc.URLs("approval", 1), Name: "chaos-load"})
	if err != nil {
		t.Fatalf("connect as approval: %v", err)
	}
	t.Cleanup(conn.Close)
	l.wg.Go(func() {
		tick := time.NewTicker(time.Second / time.Duration(cfg.rate))
		defer tick.Stop()
		var inflight sync.WaitGroup
		defer inflight.Wait()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			back := backdays[i%len(backdays)]
			inflight.Go(func() { l.publishStart(js, back) })
		}
	})
	if f.services["intake"] != nil && f.services["gateway"] != nil {
		l.subErrors = map[string]int{}
		base := "http://" + f.services["gateway"].LB.Addr
		token, sum, err := ticketSetup(ctx, base, f)
		if err != nil {
			t.Errorf("ticket load through the gateway could not start: %v", err)
		} else {
			l.wg.Go(func() {
				tick := time.NewTicker(500 * time.Millisecond)
				defer tick.Stop()
				var inflight sync.WaitGroup
				defer inflight.Wait()
				for {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
					inflight.Go(func() { l.submit(base, token, sum) })
				}
			})
		}
	}
	return l
}

// publishStart publishes one start and retries it (same id) for up to a minute.
func (l *load) publishStart(js jetstream.JetStream, back int) {
	now := time.Now()
	accepted := now.Add(-time.Duration(back) * 24 * time.Hour)
	wf, ticket := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	ev, err := event.New(event.WorkflowAccepted, park, event.Aggregate{Type: "workflow", ID: wf, Version: 1}, now,
		&approvalpb.WorkflowAccepted{
			WorkflowId: wf, TicketId: ticket, MatterCode: "construction-permit", Department: "housing",
			CommitmentWorkingDays: 2, LegalWorkingDays: 10, WarnWorkingDays: 1, AcceptedAt: timestamppb.New(accepted),
		})
	if err != nil {
		panic(err)
	}
	b, err := event.Marshal(ev)
	if err != nil {
		panic(err)
	}
	deadline := now.Add(time.Minute)
	for {
		msg := nats.NewMsg(ev.Subject)
		msg.Data = b
		msg.Header.Set(event.HeaderType, ev.Type)
		msg.Header.Set(event.HeaderPark, ev.Park)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.ID))
		cancel()
		l.mu.Lock()
		switch {
		case err == nil:
			l.starts = append(l.starts, start{workflow: wf, back: back})
			delete(l.unacked, wf)
			l.mu.Unlock()
			return
		case time.Now().After(deadline):
			l.unacked[wf] = true
			l.mu.Unlock()
			return
		}
		l.unacked[wf] = true
		l.pubErrors++
		l.mu.Unlock()
		time.Sleep(250 * time.Millisecond)
	}
}

// ticketSetup signs an enterprise token and uploads the material every
// ticket refers to.
func ticketSetup(ctx context.Context, base string, f *fleet) (string, string, error) {
	var secret string
	for _, e := range f.services["gateway"].Replicas[0].Env {
		if v, ok := cutPrefix(e, "AUTH_HMAC_SECRET="); ok {
			secret = v
		}
	}
	signer, err := auth.NewHMACSigner(secret, "parkdesk", "parkdesk-api")
	if err != nil {
		return "", "", err
	}
	token, err := signer.Sign(auth.Principal{Subject: "chaos-firm", Role: auth.RoleEnterprise, Park: park, EnterpriseID: firm}, 2*time.Hour)
	if err != nil {
		return "", "", err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/tickets/uploads", bytes.NewReader([]byte("%PDF-1.4 chaos material")))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/pdf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("upload: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return "", "", fmt.Errorf("upload: %s: %s", resp.Status, body)
	}
	var up struct {
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(body, &up); err != nil || up.SHA256 == "" {
		return "", "", fmt.Errorf("upload answered %s", body)
	}
	return token, up.SHA256, nil
}

// submit posts one seal-engraving ticket with its key materials and retries
// with the same Idempotency-Key until answered 2xx, for up to a minute.
func (l *load) submit(base, token, sum string) {
	key := uuid.Must(uuid.NewV7()).String()
	body, _ := json.Marshal(map[string]any{
		"enterprise_id": firm, "matter_code": "seal-engraving",
		"materials": []map[string]any{
			{"code": "business-license-copy", "sha256": sum, "media_type": "application/pdf"},
			{"code": "legal-rep-id", "sha256": sum, "media_type": "application/pdf"},
		},
	})
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/tickets", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := client.Do(req)
		status, answer := 0, ""
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			status, answer = resp.StatusCode, string(b)
		}
		if status/100 == 2 {
			var tk struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal([]byte(answer), &tk)
			l.mu.Lock()
			l.submissions = append(l.submissions, submission{key: key, ticket: tk.ID})
			l.mu.Unlock()
			return
		}
		l.mu.Lock()
		if err != nil {
			l.subErrors["transport"]++
		} else {
			l.subErrors[fmt.Sprintf("%d %s", status, truncate(answer, 160))]++
		}
		if time.Now().After(deadline) || (status/100 == 4 && status != http.StatusTooManyRequests && status != http.StatusConflict) {
			l.unanswered++
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		time.Sleep(500 * time.Millisecond)
	}
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
