package security

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// operation is one method × path of the merged OpenAPI.
type operation struct {
	Method, Path string
	JSONBody     bool
	BodySchema   map[string]any // resolved request schema (JSON bodies)
	Query        []string       // required query parameters
	Stream       bool           // text/event-stream answer
}

func (o operation) key() string { return o.Method + " " + o.Path }

type spec struct {
	ops     []operation
	schemas map[string]any
}

// loadSpec reads GET /openapi.json through the gateway.
func loadSpec(ctx context.Context) (spec, error) {
	status, body := call(ctx, http.MethodGet, "/openapi.json", "", nil)
	if status != 200 {
		return spec{}, fmt.Errorf("GET /openapi.json: %d %s", status, body)
	}
	var raw struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return spec{}, err
	}
	s := spec{schemas: raw.Components.Schemas}
	for path, ops := range raw.Paths {
		for method, rawOp := range ops {
			m := strings.ToUpper(method)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m) {
				continue
			}
			var op struct {
				Parameters []struct {
					Name, In string
					Required bool
				} `json:"parameters"`
				RequestBody *struct {
					Content map[string]struct {
						Schema map[string]any `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
				Responses map[string]struct {
					Content map[string]any `json:"content"`
				} `json:"responses"`
			}
			if err := json.Unmarshal(rawOp, &op); err != nil {
				return spec{}, fmt.Errorf("%s %s: %w", m, path, err)
			}
			o := operation{Method: m, Path: path}
			for _, p := range op.Parameters {
				if p.In == "query" && p.Required {
					o.Query = append(o.Query, p.Name)
				}
			}
			if op.RequestBody != nil {
				if c, ok := op.RequestBody.Content["application/json"]; ok {
					o.JSONBody = true
					o.BodySchema = s.resolve(c.Schema, 0)
				}
			}
			for _, r := range op.Responses {
				if _, ok := r.Content["text/event-stream"]; ok {
					o.Stream = true
				}
			}
			if strings.HasSuffix(path, "/stream") {
				o.Stream = true
			}
			s.ops = append(s.ops, o)
		}
	}
	sort.Slice(s.ops, func(i, j int) bool { return s.ops[i].key() < s.ops[j].key() })
	return s, nil
}

// resolve inlines $ref (to a depth).
func (s spec) resolve(v map[string]any, depth int) map[string]any {
	if v == nil || depth > 6 {
		return v
	}
	if ref, ok := v["$ref"].(string); ok {
		name := ref[strings.LastIndex(ref, "/")+1:]
		if sc, ok := s.schemas[name].(map[string]any); ok {
			return s.resolve(sc, depth+1)
		}
		return map[string]any{}
	}
	out := map[string]any{}
	for k, x := range v {
		switch k {
		case "properties":
			props := map[string]any{}
			for pk, pv := range x.(map[string]any) {
				if m, ok := pv.(map[string]any); ok {
					props[pk] = s.resolve(m, depth+1)
				}
			}
			out[k] = props
		case "items":
			if m, ok := x.(map[string]any); ok {
				out[k] = s.resolve(m, depth+1)
			}
		default:
			out[k] = x
		}
	}
	return out
}

// textFields lists the dotted paths of every free-text string field of a
// schema (no enum, no format), arrays as "[]".
func textFields(sc map[string]any, prefix string) []string {
	var out []string
	switch sc["type"] {
	case "string":
		if _, enum := sc["enum"]; !enum && sc["format"] == nil {
			out = append(out, prefix)
		}
	case "array":
		if it, ok := sc["items"].(map[string]any); ok {
			out = append(out, textFields(it, prefix+"[]")...)
		}
	default:
		if props, ok := sc["properties"].(map[string]any); ok {
			keys := make([]string, 0, len(props))
			for k := range props {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				out = append(out, textFields(props[k].(map[string]any), p)...)
			}
		}
	}
	return out
}

// bodyWith builds a JSON body setting the field at dotted path to v.
func bodyWith(path string, v any) map[string]any {
	root := map[string]any{}
	cur := root
	parts := strings.Split(path, ".")
	for i, p := range parts {
		arr := strings.HasSuffix(p, "[]")
		name := strings.TrimSuffix(p, "[]")
		last := i == len(parts)-1
		switch {
		case last && arr:
			cur[name] = []any{v}
		case last:
			cur[name] = v
		case arr:
			next := map[string]any{}
			cur[name] = []any{next}
			cur = next
		default:
			next := map[string]any{}
			cur[name] = next
			cur = next
		}
	}
	return root
}

// fill returns the operation's path with fixture ids, and its required
// query parameters.
func fill(o operation) string {
	fx := env.fx
	p := o.Path
	id := uuid.NewString()
	switch {
	case strings.HasPrefix(p, "/v1/tickets/{id}/resolution"):
		id = fx.demand
	case strings.HasPrefix(p, "/v1/tickets/{id}"):
		id = fx.matter
	case strings.HasPrefix(p, "/v1/enterprises/{id}"), strings.HasPrefix(p, "/v1/liaison/firms/{id}"):
		id = fx.firmA
	case strings.HasPrefix(p, "/v1/liaison/requests/{id}"):
		id = fx.request
	case strings.HasPrefix(p, "/v1/officers/{id}"):
		id = fx.officerA
	case strings.HasPrefix(p, "/v1/workflows/{id}"):
		id = fx.workflow
	case strings.HasPrefix(p, "/v1/tasks/{id}"):
		id = fx.task
	case strings.HasPrefix(p, "/v1/sla/clocks/{id}"):
		id = fx.clock
	case strings.HasPrefix(p, "/v1/policies/{id}"):
		id = fx.policy
	}
	r := strings.NewReplacer("{id}", id, "{park}", ownPark, "{year}", "2026", "{code}", codeFor(p))
	p = r.Replace(p)
	var q []string
	for _, name := range o.Query {
		switch name {
		case "ticket_id":
			q = append(q, "ticket_id="+fx.matter)
		case "start":
			q = append(q, "start="+time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Format(time.RFC3339)+"&working_days=3")
		case "enterprise_id":
			q = append(q, "enterprise_id="+fx.firmA)
		case "park":
			q = append(q, "park="+ownPark)
		default:
			q = append(q, name+"=x")
		}
	}
	if len(q) > 0 {
		p += "?" + strings.Join(q, "&")
	}
	return p
}

func codeFor(p string) string {
	if strings.Contains(p, "/bundles/") {
		return "business-startup"
	}
	return "seal-engraving"
}

// snapshot is a digest of every row of every table of every service schema
// and the message count of every stream.
type snapshot map[string]string

func takeSnapshot(ctx context.Context, t *testing.T) snapshot {
	t.Helper()
	var tables []string
	if err := env.db.SelectContext(ctx, &tables, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)
		FROM information_schema.tables WHERE table_type = 'BASE TABLE'
		AND table_schema NOT IN ('pg_catalog', 'information_schema', 'public') ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	s := snapshot{}
	for _, tb := range tables {
		var digest string
		if err := env.db.GetContext(ctx, &digest, `SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM `+tb+` x`); err != nil {
			t.Fatalf("snapshot %s: %v", tb, err)
		}
		s[tb] = digest
	}
	names := env.js.StreamNames(ctx)
	for n := range names.Name() {
		st, err := env.js.Stream(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s["stream "+n] = fmt.Sprint(info.State.Msgs, "/", info.State.LastSeq)
	}
	return s
}

// drained reports whether every outbox is sent and every durable consumer
// has nothing pending or unacknowledged.
func drained(ctx context.Context) bool {
	var unsent int
	var schemas []string
	if err := env.db.SelectContext(ctx, &schemas, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox'`); err != nil {
		return false
	}
	for _, sc := range schemas {
		var n int
		if err := env.db.GetContext(ctx, &n, `SELECT count(*) FROM `+sc+`.outbox WHERE sent_at IS NULL`); err != nil {
			return false
		}
		unsent += n
	}
	if unsent > 0 {
		return false
	}
	names := env.js.StreamNames(ctx)
	for n := range names.Name() {
		st, err := env.js.Stream(ctx, n)
		if err != nil {
			return false
		}
		cl := st.ListConsumers(ctx)
		for ci := range cl.Info() {
			if ci.NumPending > 0 || ci.NumAckPending > 0 {
				return false
			}
		}
	}
	return true
}

func (a snapshot) diff(b snapshot) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// quiet waits until two snapshots a second apart agree (the stack has
// settled: relays sent, consumers caught up) and returns the tables that
// still changed in between as volatile.
func quiet(ctx context.Context, t *testing.T) (snapshot, map[string]bool) {
	t.Helper()
	prev := takeSnapshot(ctx, t)
	volatile := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	same := 0
	for {
		time.Sleep(500 * time.Millisecond)
		cur := takeSnapshot(ctx, t)
		d := prev.diff(cur)
		if len(d) == 0 && drained(ctx) {
			same++
		} else {
			same = 0
		}
		if same >= 2 || time.Now().After(deadline) {
			for _, k := range d {
				volatile[k] = true
			}
			return cur, volatile
		}
		prev = cur
	}
}

// unchanged fails t if anything but volatile changed since before.
func unchanged(ctx context.Context, t *testing.T, before snapshot, volatile map[string]bool, what string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // a refused request's events would be relayed by now
	after := takeSnapshot(ctx, t)
	var changed []string
	for _, k := range before.diff(after) {
		if !volatile[k] {
			changed = append(changed, k)
		}
	}
	if len(changed) > 0 {
		t.Errorf("after %s, these changed although every request was refused (half-written?): %v", what, changed)
	}
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
