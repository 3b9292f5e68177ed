package bootstrap_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"testing/fstest"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/bootstrap"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/natsx"
	"github.com/parkdesk/parkdesk/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var notes = db.MigrationSet{Name: "notes", FS: fstest.MapFS{
	"00001_notes.sql": {Data: []byte("-- +goose Up\nCREATE TABLE notes (id int PRIMARY KEY);\n")},
}}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAppServesHealthReadinessAndMetrics(t *testing.T) {
	d := testenv.NewDatabase(t, testenv.Template{Name: "bootempty", Schema: "boot"})
	nt := testenv.JetStream(t)
	addr := freeAddr(t)
	cfg := bootstrap.Config{
		Service:     "notesvc",
		HTTPAddr:    addr,
		DatabaseURL: d.URL,
		NATSURL:     nt.URL,
		Auth:        auth.Config{Issuer: "parkdesk", Audience: "parkdesk-api", HMACSecret: "0123456789abcdef0123456789abcdef"},
		Dev:         true,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, err := bootstrap.New(ctx, cfg, notes)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	var n int
	if err := app.DB.Get(&n, `SELECT count(*) FROM notesvc.notes`); err != nil {
		t.Fatalf("service migrations did not run in its schema: %v", err)
	}
	if err := app.DB.Get(&n, `SELECT count(*) FROM notesvc.outbox`); err != nil {
		t.Fatalf("outbox migrations did not run: %v", err)
	}
	api := http.NewServeMux()
	api.HandleFunc("GET /v1/ping", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "pong") })
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, api) }()

	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for status(base+"/readyz") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 200, "/v1/ping": 200, "/nope": 404, bootstrap.DevClockPath: 200} {
		if got := status(base + path); got != want {
			t.Errorf("GET %s = %d, want %d", path, got, want)
		}
	}
	// The dev clock tells the offset it follows, as stored in the dev stack's bucket.
	kv, err := natsx.DevClockKV(ctx, nt.JS)
	if err != nil {
		t.Fatal(err)
	}
	if err := natsx.SetDevOffset(ctx, kv, 90*time.Minute); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		var st bootstrap.DevClockState
		resp, err := http.Get(base + bootstrap.DevClockPath)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
		}
		if err == nil && st.OffsetNS == int64(90*time.Minute) && st.Now.After(time.Now().Add(89*time.Minute)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never told the stored offset: %+v, %v", bootstrap.DevClockPath, st, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	nt.Server.Shutdown() // the broker goes away: not ready, still alive
	deadline = time.Now().Add(10 * time.Second)
	for status(base+"/readyz") != 503 {
		if time.Now().After(deadline) {
			t.Fatal("still ready without NATS")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := status(base + "/healthz"); got != 200 {
		t.Errorf("healthz = %d without NATS, want 200", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not stop")
	}
}

func TestFromEnvValidates(t *testing.T) {
	t.Setenv("AUTH_HMAC_SECRET", "")
	if _, err := bootstrap.FromEnv("svc", ":1"); err == nil {
		t.Error("no key configured, yet accepted")
	}
	t.Setenv("AUTH_HMAC_SECRET", "0123456789abcdef0123456789abcdef")
	t.Setenv("LOG_LEVEL", "loud")
	if _, err := bootstrap.FromEnv("svc", ":1"); err == nil {
		t.Error("bad LOG_LEVEL accepted")
	}
	t.Setenv("LOG_LEVEL", "debug")
	cfg, err := bootstrap.FromEnv("svc", ":1")
	if err != nil || cfg.NATSURL != "nats://127.0.0.1:4222" || cfg.Auth.Issuer != "parkdesk" {
		t.Errorf("cfg %+v, err %v", cfg, err)
	}
}

func TestMigrateCommandMigratesAndExits(t *testing.T) {
	d := testenv.NewDatabase(t, testenv.Template{Name: "bootempty", Schema: "boot"})
	cfg := bootstrap.Config{Service: "jobsvc", DatabaseURL: d.URL}
	handled, err := bootstrap.Command(context.Background(), cfg, []string{"migrate"}, notes)
	if !handled || err != nil {
		t.Fatalf("migrate = %v, %v", handled, err)
	}
	var n int
	for _, table := range []string{"jobsvc.notes", "jobsvc.outbox", "jobsvc.processed_events"} {
		if err := d.DB.Get(&n, `SELECT count(*) FROM `+table); err != nil {
			t.Errorf("%s missing after migrate: %v", table, err)
		}
	}
	if handled, _ := bootstrap.Command(context.Background(), cfg, []string{"serve"}); handled {
		t.Error("an unknown sub-command was taken as an operator command")
	}
}
