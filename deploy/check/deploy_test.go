package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/parkdesk/parkdesk/pkg/event"
)

func root(t *testing.T) string {
	t.Helper()
	r, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestOverlays renders each overlay as `kubectl kustomize` would, validates
// every object against the vendored Kubernetes schemas (kubeconform, strict,
// offline) and checks the house rules.
func TestOverlays(t *testing.T) {
	r := root(t)
	for _, overlay := range []string{"dev", "prod"} {
		t.Run(overlay, func(t *testing.T) {
			out, err := Render(filepath.Join(r, "deploy", "k8s", "overlays", overlay))
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(out, "schemas"); err != nil {
				t.Errorf("kubeconform:\n%v", err)
			}
			objs, err := Split(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := Rules(objs, overlay == "prod"); err != nil {
				t.Errorf("rules:\n%v", err)
			}
			t.Logf("%s: %d objects valid", overlay, len(objs))
		})
	}
}

// TestValidateRejects proves the validation can fail: an unknown field, a
// wrong type and a kind without a schema are each reported.
func TestValidateRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  portz: []\n",
		"wrong type":    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: three\n  selector: {}\n  template: {}\n",
		"no schema":     "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: x\n",
	} {
		if err := Validate([]byte(doc), "schemas"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok := "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n  - port: 80\n"
	if err := Validate([]byte(ok), "schemas"); err != nil {
		t.Errorf("valid Service rejected: %v", err)
	}
}

var (
	natsOnce sync.Once
	natsBin  string
	natsErr  error
)

// natsServer returns the nats-server binary of the version in go.mod:
// $NATS_SERVER_BIN (make deploy-check builds it there), else built now.
func natsServer(t *testing.T) string {
	t.Helper()
	natsOnce.Do(func() {
		if b := os.Getenv("NATS_SERVER_BIN"); b != "" {
			natsBin = b
			return
		}
		dir, err := os.MkdirTemp("", "parkdesk-nats-server-")
		if err != nil {
			natsErr = err
			return
		}
		natsBin = filepath.Join(dir, "nats-server")
		out, err := exec.Command("go", "build", "-o", natsBin, "github.com/nats-io/nats-server/v2").CombinedOutput()
		if err != nil {
			natsErr = &buildError{err: err, out: string(out)}
		}
	})
	if natsErr != nil {
		t.Fatalf("build nats-server: %v", natsErr)
	}
	return natsBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// TestNATSConfig runs `nats-server -t` on deploy/nats/nats.conf (which
// includes accounts.conf) with the environment a node gets, and checks the
// durability setting and that a missing variable is refused.
func TestNATSConfig(t *testing.T) {
	conf := filepath.Join(root(t), "deploy", "nats", "nats.conf")
	bin := natsServer(t)
	out, err := TestConfig(bin, conf, NATSTestEnv(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "is valid") {
		t.Fatalf("nats-server -t: %s", out)
	}
	env := slices.DeleteFunc(NATSTestEnv(t.TempDir()), func(s string) bool { return strings.HasPrefix(s, "NATS_PASSWORD_SLA=") })
	if _, err := TestConfig(bin, conf, env); err == nil {
		t.Error("nats-server -t accepted the config without NATS_PASSWORD_SLA")
	}
	opts := processConfig(t, conf)
	if !opts.SyncAlways {
		t.Error("jetstream sync_interval is not \"always\" (see the durability note in nats.conf)")
	}
	if opts.Cluster.Name != "parkdesk" || len(opts.Routes) != 3 {
		t.Errorf("cluster %q with %d routes, want parkdesk with 3", opts.Cluster.Name, len(opts.Routes))
	}
}

func processConfig(t *testing.T, conf string) *server.Options {
	t.Helper()
	for _, kv := range NATSTestEnv(t.TempDir()) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("process %s: %v", conf, err)
	}
	return opts
}

// TestNATSPermissions checks each service's NATS user: it may publish its
// own events and its consumers' dead letters, and nothing of another service;
// it may not delete or purge streams; gateway publishes no events.
func TestNATSPermissions(t *testing.T) {
	opts := processConfig(t, filepath.Join(root(t), "deploy", "nats", "nats.conf"))
	b, err := os.ReadFile(filepath.Join(root(t), "deploy", "nats", "jetstream.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDeclared(b)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]*server.User{}
	for _, u := range opts.Users {
		users[u.Username] = u
	}
	if got := sortedKeys(users); !slices.Equal(got, sorted(NATSUsers)) {
		t.Fatalf("users %v, want %v", got, sorted(NATSUsers))
	}
	services := []string{"intake", "liaison", "approval", "policy", "sla", "gateway"}
	for _, svc := range services {
		u := users[svc]
		if u.Account == nil || u.Account.Name != "PARKDESK" {
			t.Errorf("%s: not in account PARKDESK", svc)
		}
		if u.Permissions == nil || u.Permissions.Publish == nil {
			t.Errorf("%s: no publish permissions: it could publish anything", svc)
			continue
		}
		allow := u.Permissions.Publish.Allow
		may := func(subject string) bool {
			return slices.ContainsFunc(allow, func(p string) bool { return server.SubjectMatchesFilter(subject, p) })
		}
		own := svc != "gateway"
		if got := may(svc + ".ticket.submitted.wangcheng"); got != own {
			t.Errorf("%s: may publish its own events: %v, want %v", svc, got, own)
		}
		for _, c := range d.Consumers {
			mine := c.Service == svc
			for _, s := range []string{
				event.DeadLetterSubject(c.Durable, "x.y.z.wangcheng"),
				"$JS.API.CONSUMER.MSG.NEXT." + c.Stream + "." + c.Durable,
				"$JS.API.CONSUMER.CREATE." + c.Stream + "." + c.Durable,
				"$JS.ACK." + c.Stream + "." + c.Durable + ".1.5.5.1700000000.0",
			} {
				if may(s) != mine {
					t.Errorf("%s: may publish %s: %v, want %v", svc, s, !mine, mine)
				}
			}
		}
		for _, other := range services {
			if other != svc && may(other+".ticket.submitted.wangcheng") {
				t.Errorf("%s may publish %s's events", svc, other)
			}
		}
		for _, s := range []string{"$JS.API.STREAM.DELETE.SLA", "$JS.API.STREAM.PURGE.SLA", "$JS.API.CONSUMER.DELETE.SLA.sla-intake",
			"dlq.x.y", "$JS.API.CONSUMER.CREATE.SLA.rogue", "$JS.API.CONSUMER.MSG.NEXT.SLA.rogue"} {
			if may(s) {
				t.Errorf("%s may publish %s", svc, s)
			}
		}
	}
	if users["ops"].Permissions != nil {
		t.Error("ops: restricted; it is the operators' and jobs' user")
	}
}

// TestAccountsGenerated checks accounts.conf is what jetstream.json makes.
func TestAccountsGenerated(t *testing.T) {
	dir := filepath.Join(root(t), "deploy", "nats")
	b, err := os.ReadFile(filepath.Join(dir, "jetstream.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDeclared(b)
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(filepath.Join(dir, "accounts.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != Accounts(d) {
		t.Error("deploy/nats/accounts.conf is out of date: run `go run ./cmd/genaccounts` in deploy/check")
	}
}

// TestJetStreamDeclared checks deploy/nats/jetstream.json against
// pkg/event.Streams() and the natsx defaults the services create streams
// with, and that every consumer belongs to its service and stream.
func TestJetStreamDeclared(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "deploy", "nats", "jetstream.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDeclared(b)
	if err != nil {
		t.Fatal(err)
	}
	want := event.Streams()
	if len(d.Streams) != len(want) {
		t.Fatalf("%d streams declared, pkg/event has %d", len(d.Streams), len(want))
	}
	subjects := map[string][]string{}
	for i, s := range d.Streams {
		if s.Name != want[i].Name || !slices.Equal(s.Subjects, want[i].Subjects) {
			t.Errorf("stream %d: %s %v, pkg/event has %s %v", i, s.Name, s.Subjects, want[i].Name, want[i].Subjects)
		}
		subjects[s.Name] = s.Subjects
		if s.Storage != "file" || s.Retention != "limits" || s.Discard != "old" || s.Replicas != 3 {
			t.Errorf("stream %s: %s/%s/%s R%d, want file/limits/old R3", s.Name, s.Storage, s.Retention, s.Discard, s.Replicas)
		}
		if dur(t, s.Duplicates) != 10*time.Minute || dur(t, s.MaxAge) != 30*24*time.Hour {
			t.Errorf("stream %s: duplicates %s, max age %s; natsx creates 10m and 720h", s.Name, s.Duplicates, s.MaxAge)
		}
	}
	seen := map[string]bool{}
	for _, c := range d.Consumers {
		if seen[c.Durable] {
			t.Errorf("consumer %s declared twice", c.Durable)
		}
		seen[c.Durable] = true
		if !strings.HasPrefix(c.Durable, c.Service+"-") {
			t.Errorf("consumer %s: not named <service>-<purpose> for %s", c.Durable, c.Service)
		}
		ss, ok := subjects[c.Stream]
		if !ok {
			t.Errorf("consumer %s: unknown stream %s", c.Durable, c.Stream)
		}
		for _, f := range c.FilterSubjects {
			if !slices.ContainsFunc(ss, func(s string) bool { return server.SubjectMatchesFilter(f, s) }) {
				t.Errorf("consumer %s: filter %s outside stream %s %v", c.Durable, f, c.Stream, ss)
			}
		}
		if c.AckPolicy != "explicit" || c.DeliverPolicy != "all" || c.MaxDeliver <= 0 || dur(t, c.AckWait) <= 0 {
			t.Errorf("consumer %s: ack %s, deliver %s, max deliver %d, ack wait %s", c.Durable, c.AckPolicy, c.DeliverPolicy, c.MaxDeliver, c.AckWait)
		}
	}
}

// TestPostgresRoles checks roles.sql names a role and schema for every
// service that owns data, and grants nothing on another service's schema.
func TestPostgresRoles(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "deploy", "postgres", "roles.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	sql := strings.Join(lines, "\n")
	for _, s := range Services {
		has := strings.Contains(sql, "CREATE SCHEMA IF NOT EXISTS "+s.Name+" AUTHORIZATION "+s.Name+";")
		if has != s.Data {
			t.Errorf("%s: schema owned by its role in roles.sql: %v, want %v", s.Name, has, s.Data)
		}
	}
	for _, bad := range []string{" SUPERUSER", " CREATEDB", " CREATEROLE", " REPLICATION", " BYPASSRLS", "GRANT ALL"} {
		if strings.Contains(sql, bad) {
			t.Errorf("roles.sql contains %q", bad)
		}
	}
}

func dur(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Errorf("duration %q: %v", s, err)
	}
	return d
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestRulesReject proves the house rules can fail: each mutation of the
// rendered prod overlay is reported.
func TestRulesReject(t *testing.T) {
	out, err := Render(filepath.Join(root(t), "deploy", "k8s", "overlays", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func([]Object) []Object{
		"no PDB": func(objs []Object) []Object {
			return slices.DeleteFunc(objs, func(o Object) bool { return o.ID() == "PodDisruptionBudget/sla" })
		},
		"no migration job": func(objs []Object) []Object {
			return slices.DeleteFunc(objs, func(o Object) bool { return o.ID() == "Job/intake-migrate" })
		},
		"liveness on /readyz": func(objs []Object) []Object {
			for _, o := range objs {
				if o.ID() == "Deployment/approval" {
					o.Get("spec", "template", "spec", "containers", 0, "livenessProbe", "httpGet").(map[string]any)["path"] = "/readyz"
				}
			}
			return objs
		},
		"sla open to anyone": func(objs []Object) []Object {
			return append(objs, Object{"kind": "NetworkPolicy", "metadata": map[string]any{"name": "oops"},
				"spec": map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "sla"}},
					"ingress": []any{map[string]any{}}}})
		},
		"a secret in prod": func(objs []Object) []Object {
			return append(objs, Object{"kind": "Secret", "metadata": map[string]any{"name": "leak"}})
		},
		"unpinned image": func(objs []Object) []Object {
			for _, o := range objs {
				if o.ID() == "Deployment/gateway" {
					o.Get("spec", "template", "spec", "containers", 0).(map[string]any)["image"] = "parkdesk/gateway"
				}
			}
			return objs
		},
	} {
		objs, err := Split(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := Rules(objs, true); err != nil {
			t.Fatalf("prod overlay fails the rules before %s: %v", name, err)
		}
		if err := Rules(mutate(objs), true); err == nil {
			t.Errorf("%s: not reported", name)
		}
	}
}
