package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/deploy/local/stack"
	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// shanghai is the parks' time zone: every instant of the journeys is written in it.
var shanghai = time.FixedZone("CST", 8*3600)

// at is an instant of 2026 in Asia/Shanghai.
func at(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, shanghai)
}

// clockStart is where the stack's dev clock starts: Monday 2026-09-14 09:00,
// the week before the make-up Sunday (09-20) and the Mid-Autumn holiday
// (09-25..27), two weeks before National Day (10-01..07).
var clockStart = at(time.September, 14, 9, 0)

// Ids from seeds/.
const (
	park      = "wangcheng"
	otherPark = "changsha-hitech"
	firmA     = "0191c0de-0000-7000-8000-000000000001" // the demo firm: officer a1, backup a2
	firmB     = "0191c0de-0000-7000-8000-000000000002"
	firmOther = "0191c0de-0000-7000-8000-00000000001e" // a firm of changsha-hitech
	officerA1 = "0191c0de-0000-7000-8000-0000000000a1"
	officerA2 = "0191c0de-0000-7000-8000-0000000000a2"
	officerA3 = "0191c0de-0000-7000-8000-0000000000a3"
)

// suite is the running stack and what the journeys share.
type suite struct {
	base   string
	signer *auth.Signer
	events *recorder
	// policyErr is why the policy service is not running, when its module
	// is in go.work but does not build.
	policyErr error
	policy    bool

	// What a journey leaves for the scopes journey.
	bundle string // journey 1's bundle ticket (firm A)
	demand string // journey 3's demand (firm A)
	rated  string // journey 5's badly rated licence (firm B)
	permit string // journey 2's construction permit (firm A)
}

// TestJourneys runs the service journeys of issue 7 on one stack, in the
// order of the dev-clock time each needs (time only moves forward).
func TestJourneys(t *testing.T) {
	s := startSuite(t)
	t.Run("1_business_startup_bundle", s.journeyBundle)
	t.Run("3_on_call_liaison", s.journeyOnCall)
	t.Run("5_bad_rating_rectification", s.journeyRectification)
	t.Run("2_breach_and_escalation", s.journeyBreach)
	t.Run("4_proactive_policy", s.journeyPolicy)
	t.Run("6_scopes", s.journeyScopes)
}

// startSuite builds the services, starts the stack on free ports with a
// fresh database and data directory, and subscribes to every stream.
func startSuite(t *testing.T) *suite {
	t.Helper()
	start := time.Now()
	root := repoRoot(t)
	work, err := os.MkdirTemp("", "parkdesk-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(work, "stack.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(work, "bin")
	t.Cleanup(func() {
		logFile.Close()
		os.RemoveAll(bin)
		if t.Failed() {
			t.Logf("stack logs kept in %s; their errors and warnings:\n%s", logPath, problems(logPath, 60))
			return
		}
		os.RemoveAll(work)
	})

	s := &suite{}
	s.policyErr = buildServices(t, root, bin)
	_, err = os.Stat(filepath.Join(bin, "policy"))
	s.policy = err == nil
	t.Logf("services built in %s (policy: built %v, error %v)", time.Since(start).Round(100*time.Millisecond), s.policy, s.policyErr)

	admin := testenv.ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dbName := "e2e_" + randomHex(6)
	dbURL, err := stack.EnsureDatabase(ctx, admin, dbName)
	if err != nil {
		t.Fatalf("e2e: create database %s: %v", dbName, err)
	}
	t.Cleanup(func() {
		if err := stack.DropDatabase(context.Background(), admin, dbName); err != nil {
			t.Logf("drop database %s: %v", dbName, err)
		}
	})

	s.events = newRecorder()
	ports := map[string]int{}
	for _, svc := range stack.Services {
		ports[svc.Name] = freePort(t)
	}
	gatewayAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	st, err := stack.Start(ctx, stack.Config{
		Root: root, BinDir: bin, DataDir: filepath.Join(work, "data"),
		GatewayAddr: gatewayAddr, Ports: ports, DatabaseURL: dbURL,
		ClockStart:     clockStart,
		BeforeServices: s.events.subscribe,
		Stdout:         logFile, Stderr: logFile,
		ReadyTimeout: 2 * time.Minute,
	})
	if err != nil {
		s.events.close()
		t.Fatalf("e2e: the stack did not start: %v", err)
	}
	t.Cleanup(func() {
		s.events.close()
		st.Stop()
		if races := dataRaces(logPath); races != "" {
			t.Errorf("a service reported a data race (built with -race):\n%s", races)
		}
	})
	var running []string
	for _, r := range st.Running() {
		running = append(running, r.Name)
	}
	for _, want := range []string{"intake", "liaison", "approval", "sla"} {
		if !slices.Contains(running, want) {
			t.Fatalf("e2e: service %s is not running (running: %v)", want, running)
		}
	}
	s.base = st.GatewayURL()
	if s.signer, err = st.Signer(); err != nil {
		t.Fatal(err)
	}
	t.Logf("stack up in %s: %v and the gateway at %s", time.Since(start).Round(100*time.Millisecond), running, s.base)
	s.waitSeeded(t)
	return s
}

// waitSeeded waits until the seeds have gone round: the demo firm's officer
// (assigned by liaison from seeds/officers.yaml) is on its profile in intake.
func (s *suite) waitSeeded(t *testing.T) {
	t.Helper()
	var e enterprise
	eventually(t, 60*time.Second, "the demo firm's liaison officer reaches intake", func() (bool, string) {
		r := s.as(s.manager()).get(t, "/v1/enterprises/"+firmA)
		if r.Status != 200 {
			return false, r.String()
		}
		r.decode(t, &e)
		return e.Liaison.OfficerID == officerA1, fmt.Sprintf("liaison %+v", e.Liaison)
	})
}

// buildServices builds, into bin, the gateway and every command of every
// service module in go.work (go build -o bin/ ./services/<x>/cmd/<x>). The
// policy service is built on its own: while it is being written it may not
// build, and then only its journey fails (the error is returned).
func buildServices(t *testing.T, root, bin string) (policyErr error) {
	t.Helper()
	out, err := goCmd(root, "list", "-m", "-f", "{{.Dir}}")
	if err != nil {
		t.Fatalf("e2e: go list -m: %v\n%s", err, out)
	}
	var core, policy []string
	for _, dir := range strings.Fields(out) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || !strings.HasPrefix(rel, "services"+string(filepath.Separator)) {
			continue
		}
		cmds, _ := filepath.Glob(filepath.Join(dir, "cmd", "*"))
		for _, c := range cmds {
			if fi, err := os.Stat(c); err != nil || !fi.IsDir() {
				continue
			}
			pkg := "./" + filepath.ToSlash(filepath.Join(rel, "cmd", filepath.Base(c)))
			if filepath.Base(dir) == "policy" {
				policy = append(policy, pkg)
			} else {
				core = append(core, pkg)
			}
		}
	}
	if !slices.Contains(core, "./services/gateway/cmd/gateway") {
		t.Fatalf("e2e: no gateway command among the workspace's services: %v", core)
	}
	build := []string{"build", "-o", bin + string(filepath.Separator)}
	if raceEnabled {
		build = append(build, "-race")
	}
	if out, err := goCmd(root, append(build, core...)...); err != nil {
		t.Fatalf("e2e: building the services failed: %v\n%s", err, out)
	}
	if len(policy) > 0 {
		if out, err := goCmd(root, append(build, policy...)...); err != nil {
			return fmt.Errorf("%v\n%s", err, out)
		}
	}
	return nil
}

func goCmd(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("e2e: no go.work above the test's directory")
		}
		dir = parent
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// dataRaces returns the race detector's reports in the log, if any.
func dataRaces(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.Contains(line, "WARNING: DATA RACE"):
			in = true
		case in && strings.Contains(line, "=================="):
			in = false
			out = append(out, line)
		}
		if in && len(out) < 400 {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// problems returns up to n lines of the log that are errors or warnings.
func problems(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "readiness check failed") || strings.Contains(line, `"path":"/readyz"`) ||
			strings.Contains(line, "dev clock enabled") {
			continue
		}
		if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, "panic") {
			out = append(out, line)
		}
	}
	if len(out) > n {
		out = append([]string{fmt.Sprintf("(%d earlier lines left out)", len(out)-n)}, out[len(out)-n:]...)
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, "\n")
}

// eventually polls cond until it holds, failing the test with its last
// description after limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", limit, what, last)
		}
		<-tick.C
	}
}
