package check

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Declared is deploy/nats/jetstream.json: the streams and durable consumers
// the services create, declared in one place.
type Declared struct {
	Streams []struct {
		Name       string   `json:"name"`
		Subjects   []string `json:"subjects"`
		Storage    string   `json:"storage"`
		Retention  string   `json:"retention"`
		Discard    string   `json:"discard"`
		Replicas   int      `json:"num_replicas"`
		Duplicates string   `json:"duplicate_window"`
		MaxAge     string   `json:"max_age"`
	} `json:"streams"`
	Consumers []DeclaredConsumer `json:"consumers"`
}

// DeclaredConsumer is one durable consumer of jetstream.json.
type DeclaredConsumer struct {
	Service        string   `json:"service"`
	Durable        string   `json:"durable_name"`
	Stream         string   `json:"stream"`
	FilterSubjects []string `json:"filter_subjects"`
	AckPolicy      string   `json:"ack_policy"`
	DeliverPolicy  string   `json:"deliver_policy"`
	AckWait        string   `json:"ack_wait"`
	MaxDeliver     int      `json:"max_deliver"`
}

// ParseDeclared decodes jetstream.json.
func ParseDeclared(b []byte) (Declared, error) {
	var d Declared
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("jetstream.json: %w", err)
	}
	return d, nil
}

// Accounts renders deploy/nats/accounts.conf from the declared consumers:
// NATS wildcards match whole tokens only ("sla-*" is a literal), so a
// service's rights over its consumers name each of them.
func Accounts(d Declared) string {
	var b strings.Builder
	b.WriteString(accountsHeader)
	for _, s := range Services {
		up := strings.ToUpper(s.Name)
		var pub []string
		if s.Data {
			pub = append(pub, q(s.Name+".>"))
		}
		pub = append(pub, q("$JS.API.INFO"), q("$JS.API.STREAM.INFO.*"), q("$JS.API.STREAM.CREATE.*"), q("$JS.API.STREAM.UPDATE.*"))
		lines := []string{strings.Join(pub, ", ")}
		for _, c := range d.Consumers {
			if c.Service != s.Name {
				continue
			}
			st, n := c.Stream, c.Durable
			lines = append(lines,
				"# "+n+" on "+st,
				strings.Join([]string{q("dlq." + n + ".>"), q("$JS.API.CONSUMER.CREATE." + st + "." + n), q("$JS.API.CONSUMER.CREATE." + st + "." + n + ".>"),
					q("$JS.API.CONSUMER.DURABLE.CREATE." + st + "." + n)}, ", "),
				strings.Join([]string{q("$JS.API.CONSUMER.INFO." + st + "." + n), q("$JS.API.CONSUMER.MSG.NEXT." + st + "." + n),
					q("$JS.ACK." + st + "." + n + ".>"), q("$JS.ACK.*.*." + st + "." + n + ".>")}, ", "))
		}
		if extra, ok := extraPublish[s.Name]; ok {
			lines = append(lines, extra...)
		}
		sub := []string{q("_INBOX.>")}
		if s.Data {
			sub = append(sub, q(s.Name+".>"))
		}
		fmt.Fprintf(&b, "\n      # %s\n", serviceNote[s.Name])
		fmt.Fprintf(&b, "      {\n        user: %s, password: $NATS_PASSWORD_%s\n        permissions: {\n          publish: { allow: [\n", s.Name, up)
		for _, l := range lines {
			if strings.HasPrefix(l, "#") {
				fmt.Fprintf(&b, "            %s\n", l)
			} else {
				fmt.Fprintf(&b, "            %s,\n", l)
			}
		}
		fmt.Fprintf(&b, "          ] }\n          subscribe: { allow: [ %s ] }\n          allow_responses: true\n        }\n      }\n", strings.Join(sub, ", "))
	}
	b.WriteString("    ]\n  }\n}\n")
	return b.String()
}

func q(s string) string { return `"` + s + `"` }

var serviceNote = map[string]string{
	"intake":   "intake: publishes intake.>, consumes with the intake-* consumers of jetstream.json.",
	"liaison":  "liaison: publishes liaison.>, consumes with the liaison-* consumers of jetstream.json.",
	"approval": "approval: publishes approval.>, consumes with the approval-* consumers of jetstream.json.",
	"policy":   "policy: publishes policy.>, consumes with the policy-* consumers of jetstream.json.",
	"sla":      "sla: publishes sla.>, consumes with the sla-* consumers of jetstream.json.",
	"gateway":  "gateway: owns nothing durable and publishes no events; declares the streams at start-up.",
}

// extraPublish are rights beyond events and consumers.
var extraPublish = map[string][]string{
	"intake": {
		"# material content: the object store bucket intake_materials",
		`"$O.intake_materials.>", "$JS.API.STREAM.MSG.GET.OBJ_intake_materials", "$JS.API.DIRECT.GET.OBJ_intake_materials.>"`,
		`"$JS.API.STREAM.PURGE.OBJ_intake_materials", "$JS.API.CONSUMER.CREATE.OBJ_intake_materials.>", "$JS.API.CONSUMER.DELETE.OBJ_intake_materials.>"`,
		`"$JS.FC.OBJ_intake_materials.>", "$JS.FC.*.*.OBJ_intake_materials.>"`,
	},
}

const accountsHeader = `# parkdesk — accounts and users, included by nats.conf.
#
# GENERATED from jetstream.json by ` + "`go run ./cmd/genaccounts`" + ` in deploy/check;
# deploy-check fails when this file is out of date. Do not edit by hand.
#
# One account, PARKDESK, holds every stream; each service connects as its own
# user (NATS_URL=nats://<service>:<password>@nats:4222) and may publish only:
#   - its own events: <service>.>
#   - the JetStream API it uses: account info, stream info/create/update (every
#     service declares every stream at start-up, pkg/natsx.EnsureStreams), and
#     create/info/next of its own durable consumers (named <service>-<purpose>)
#   - acks of its own consumers' messages ($JS.ACK.<stream>.<consumer>.…, v1 and v2 forms)
#   - its consumers' dead letters: dlq.<consumer>.<subject> (pkg/inbox)
#   - replies to requests it serves (allow_responses)
# and subscribe to replies (_INBOX.>) and its own subjects. NATS wildcards match
# whole tokens only, so every consumer is named. Only the ops user may delete
# or purge a stream. Passwords come from the environment (a Kubernetes
# Secret): NATS_PASSWORD_<USER>.

system_account: SYS

accounts {
  SYS {
    users: [ { user: sys, password: $NATS_PASSWORD_SYS } ]
  }

  PARKDESK {
    jetstream: enabled
    users: [
      # Operators and jobs: stream administration, re-delivery, inspection.
      { user: ops, password: $NATS_PASSWORD_OPS }
`
