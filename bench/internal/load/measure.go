package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// Stats are the latencies and errors of one op in one phase.
type Stats struct {
	Op       string         `json:"op"`
	N        int            `json:"n"`
	Errors   int            `json:"errors"`
	Skipped  int            `json:"skipped,omitempty"`
	Seconds  float64        `json:"seconds"`
	PerSec   float64        `json:"per_sec"`
	P50      Millis         `json:"p50_ms"`
	P95      Millis         `json:"p95_ms"`
	P99      Millis         `json:"p99_ms"`
	Max      Millis         `json:"max_ms"`
	ErrorsBy map[string]int `json:"errors_by,omitempty"`
	samples  []time.Duration
}

// Millis is a duration shown in milliseconds.
type Millis float64

func ms(d time.Duration) Millis { return Millis(float64(d.Microseconds()) / 1000) }

// Recorder collects Stats per op.
type Recorder struct {
	mu  sync.Mutex
	ops map[string]*Stats
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{ops: map[string]*Stats{}} }

// Add records one op's outcome.
func (r *Recorder) Add(op string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.ops[op]
	if s == nil {
		s = &Stats{Op: op, ErrorsBy: map[string]int{}}
		r.ops[op] = s
	}
	switch {
	case err == errSkip:
		s.Skipped++
	case err != nil:
		s.Errors++
		key := err.Error()
		if len(s.ErrorsBy) < 20 || s.ErrorsBy[key] > 0 {
			s.ErrorsBy[key]++
		}
	default:
		s.samples = append(s.samples, d)
	}
}

// Stats summarises the ops over a phase of length el.
func (r *Recorder) Stats(el time.Duration) []Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Stats
	for _, s := range r.ops {
		c := *s
		c.samples = nil
		summarise(&c, s.samples, el)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Op < out[j].Op })
	return out
}

func summarise(s *Stats, samples []time.Duration, el time.Duration) {
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	s.N = len(sorted)
	s.Seconds = el.Seconds()
	if el > 0 {
		s.PerSec = float64(s.N) / el.Seconds()
	}
	if len(s.ErrorsBy) == 0 {
		s.ErrorsBy = nil
	}
	if len(sorted) == 0 {
		return
	}
	s.P50, s.P95, s.P99 = ms(pct(sorted, 0.50)), ms(pct(sorted, 0.95)), ms(pct(sorted, 0.99))
	s.Max = ms(sorted[len(sorted)-1])
}

func pct(sorted []time.Duration, q float64) time.Duration {
	i := int(float64(len(sorted))*q+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Tracker observes, on plain NATS subscriptions, when the events a
// submission causes are published: liaison's dispatch, sla's clock start and
// approval's workflow opening, by ticket id.
type Tracker struct {
	mu         sync.Mutex
	dispatched map[string]time.Time
	clock      map[string]time.Time
	opened     map[string]time.Time
	subs       []*nats.Subscription
}

// Track subscribes on nc.
func Track(nc *nats.Conn) (*Tracker, error) {
	t := &Tracker{dispatched: map[string]time.Time{}, clock: map[string]time.Time{}, opened: map[string]time.Time{}}
	for _, subj := range []string{event.RequestDispatched + ".>", event.ClockStarted + ".>", event.WorkflowOpened + ".>"} {
		s, err := nc.Subscribe(subj, t.handle)
		if err != nil {
			return nil, err
		}
		_ = s.SetPendingLimits(-1, -1)
		t.subs = append(t.subs, s)
	}
	return t, nc.Flush()
}

func (t *Tracker) handle(m *nats.Msg) {
	now := time.Now()
	ev, err := event.Unmarshal(m.Data)
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	first := func(mp map[string]time.Time, id string) {
		if _, ok := mp[id]; !ok && id != "" {
			mp[id] = now
		}
	}
	switch p := ev.Payload.(type) {
	case *liaisonpb.RequestDispatched:
		first(t.dispatched, p.GetTicketId())
	case *slapb.ClockEvent:
		if k := p.GetClock().GetKind(); k == "acceptance" || k == "liaison_response" {
			first(t.clock, p.GetClock().GetTicketId())
		}
	case *approvalpb.WorkflowOpened:
		first(t.opened, p.GetTicketId())
	}
}

// Close unsubscribes.
func (t *Tracker) Close() {
	for _, s := range t.subs {
		_ = s.Unsubscribe()
	}
}

// PathStats is the event path of the submissions of a phase: for a demand,
// submit → liaison dispatched to the firm's officer and its response clock
// started; for a matter, submit → acceptance clock started and approval's
// workflow opened.
type PathStats struct {
	Kind    string `json:"kind"`
	N       int    `json:"n"`
	Missing int    `json:"missing"`
	P50     Millis `json:"p50_ms"`
	P95     Millis `json:"p95_ms"`
	P99     Millis `json:"p99_ms"`
	Max     Millis `json:"max_ms"`
}

// Path computes the event path of subs, waiting up to grace for late events.
func (t *Tracker) Path(subs []Submission, grace time.Duration) []PathStats {
	deadline := time.Now().Add(grace)
	for {
		missing := 0
		t.mu.Lock()
		for _, s := range subs {
			if _, _, ok := t.done(s); !ok {
				missing++
			}
		}
		t.mu.Unlock()
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []PathStats
	for _, kind := range []string{"demand", "matter"} {
		ps := PathStats{Kind: kind}
		var samples []time.Duration
		for _, s := range subs {
			if s.Kind != kind {
				continue
			}
			at, _, ok := t.done(s)
			if !ok {
				ps.Missing++
				continue
			}
			samples = append(samples, at.Sub(s.At))
		}
		slices.Sort(samples)
		ps.N = len(samples)
		if len(samples) > 0 {
			ps.P50, ps.P95, ps.P99, ps.Max = ms(pct(samples, .5)), ms(pct(samples, .95)), ms(pct(samples, .99)), ms(samples[len(samples)-1])
		}
		out = append(out, ps)
	}
	return out
}

// done returns when the last event of s's path was seen.
func (t *Tracker) done(s Submission) (time.Time, string, bool) {
	c, ok1 := t.clock[s.Ticket]
	other, ok2 := t.dispatched[s.Ticket]
	if s.Kind == "matter" {
		other, ok2 = t.opened[s.Ticket]
	}
	if !ok1 || !ok2 {
		return time.Time{}, "", false
	}
	if other.After(c) {
		return other, "", true
	}
	return c, "", true
}

// Lag samples every durable consumer's backlog (pending + unacknowledged).
type Lag struct {
	js      jetstream.JetStream
	mu      sync.Mutex
	Max     map[string]uint64 `json:"max"`
	samples int
}

// NewLag returns a sampler over js.
func NewLag(js jetstream.JetStream) *Lag { return &Lag{js: js, Max: map[string]uint64{}} }

// Sample reads every consumer once; it returns the total backlog.
func (l *Lag) Sample(ctx context.Context) (uint64, map[string]uint64, error) {
	now := map[string]uint64{}
	var total uint64
	names := l.js.StreamNames(ctx)
	var streams []string
	for n := range names.Name() {
		streams = append(streams, n)
	}
	if err := names.Err(); err != nil {
		return 0, nil, err
	}
	for _, sn := range streams {
		st, err := l.js.Stream(ctx, sn)
		if err != nil {
			return 0, nil, err
		}
		cl := st.ListConsumers(ctx)
		for ci := range cl.Info() {
			if ci.Config.Durable == "" {
				continue
			}
			n := ci.NumPending + uint64(ci.NumAckPending)
			now[ci.Name] = n
			total += n
		}
		if err := cl.Err(); err != nil {
			return 0, nil, err
		}
	}
	l.mu.Lock()
	for k, v := range now {
		l.Max[k] = max(l.Max[k], v)
	}
	l.samples++
	l.mu.Unlock()
	return total, now, nil
}

// Run samples every interval until ctx ends.
func (l *Lag) Run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, _, _ = l.Sample(c)
			cancel()
		}
	}
}

// Worst returns the consumer with the largest backlog seen, and that backlog.
func (l *Lag) Worst() (string, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	name, n := "", uint64(0)
	for k, v := range l.Max {
		if v > n || (v == n && k < name) {
			name, n = k, v
		}
	}
	return name, n
}

// Drain waits until every consumer's backlog is zero and returns how long
// it took, or timeout.
func (l *Lag) Drain(ctx context.Context, timeout time.Duration) (time.Duration, map[string]uint64) {
	start := time.Now()
	var last map[string]uint64
	for time.Since(start) < timeout {
		c, cancel := context.WithTimeout(ctx, 3*time.Second)
		total, now, err := l.Sample(c)
		cancel()
		if err == nil && total == 0 {
			return time.Since(start), nil
		}
		last = now
		time.Sleep(200 * time.Millisecond)
	}
	for k, v := range last {
		if v == 0 {
			delete(last, k)
		}
	}
	return timeout, last
}

// Phase is one measured stretch of load.
type Phase struct {
	Name     string        `json:"name"`
	Mode     string        `json:"mode"` // closed (clients) or open (rate)
	Clients  int           `json:"clients,omitempty"`
	Rate     float64       `json:"rate,omitempty"`
	Duration time.Duration `json:"-"`
	Mix      Mix           `json:"mix"`
	// MaxInFlight bounds an open-loop phase's outstanding requests; an
	// arrival beyond it is counted as dropped (the system did not keep up).
	MaxInFlight int `json:"-"`
}

// PhaseResult is what a phase measured.
type PhaseResult struct {
	Phase
	Seconds     float64           `json:"seconds"`
	Ops         []Stats           `json:"ops"`
	Dropped     int               `json:"dropped,omitempty"`
	Path        []PathStats       `json:"event_path"`
	LagMax      map[string]uint64 `json:"consumer_backlog_max"`
	WorstLag    string            `json:"worst_consumer"`
	WorstLagN   uint64            `json:"worst_consumer_backlog"`
	DrainSecs   float64           `json:"drain_seconds"`
	Undrained   map[string]uint64 `json:"undrained,omitempty"`
	LoadAvgFrom string            `json:"loadavg_before"`
	LoadAvgTo   string            `json:"loadavg_after"`
}

// RunPhase runs p and measures it.
func (d *Driver) RunPhase(ctx context.Context, p Phase, tr *Tracker, js jetstream.JetStream, loadavg func() string) PhaseResult {
	res := PhaseResult{Phase: p, LoadAvgFrom: loadavg()}
	rec := NewRecorder()
	lag := NewLag(js)
	lctx, lcancel := context.WithCancel(ctx)
	go lag.Run(lctx, time.Second)
	pctx, cancel := context.WithTimeout(ctx, p.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	var dropped int
	if p.Mode == "open" {
		sem := make(chan struct{}, max(p.MaxInFlight, 1))
		interval := time.Duration(float64(time.Second) / p.Rate)
		r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
		next := time.Now()
	loop:
		for {
			next = next.Add(interval)
			if w := time.Until(next); w > 0 {
				select {
				case <-pctx.Done():
					break loop
				case <-time.After(w):
				}
			} else if pctx.Err() != nil {
				break
			}
			select {
			case sem <- struct{}{}:
			default:
				dropped++
				continue
			}
			op := p.Mix.pick(r)
			seed := r.Uint64()
			wg.Go(func() {
				defer func() { <-sem }()
				el, err := d.Do(context.Background(), op, p.Name, rand.New(rand.NewPCG(seed, 1)))
				rec.Add(op, el, err)
			})
		}
	} else {
		for i := range p.Clients {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
				for pctx.Err() == nil {
					op := p.Mix.pick(r)
					el, err := d.Do(context.Background(), op, p.Name, r)
					if pctx.Err() != nil && err == nil && op != OpSubmit {
						break
					}
					rec.Add(op, el, err)
					if err == errSkip {
						time.Sleep(20 * time.Millisecond)
					}
				}
			})
		}
	}
	<-pctx.Done()
	wg.Wait()
	el := time.Since(start)
	res.Seconds = el.Seconds()
	res.Ops = rec.Stats(el)
	res.Dropped = dropped
	drain, undrained := lag.Drain(ctx, 120*time.Second)
	lcancel()
	res.DrainSecs = drain.Seconds()
	res.Undrained = undrained
	res.Path = tr.Path(d.Submissions(p.Name), 10*time.Second)
	res.LagMax = lag.Max
	res.WorstLag, res.WorstLagN = lag.Worst()
	res.LoadAvgTo = loadavg()
	return res
}

// Summary is a one-line description of a phase result.
func (r PhaseResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s", r.Name, r.Mode)
	if r.Mode == "open" {
		fmt.Fprintf(&b, " %.0f/s", r.Rate)
	} else {
		fmt.Fprintf(&b, " %d clients", r.Clients)
	}
	fmt.Fprintf(&b, ", %.0fs):", r.Seconds)
	for _, s := range r.Ops {
		fmt.Fprintf(&b, " %s %.1f/s p50 %.1f p95 %.1f p99 %.1f ms (%d err);", s.Op, s.PerSec, s.P50, s.P95, s.P99, s.Errors)
	}
	for _, p := range r.Path {
		fmt.Fprintf(&b, " path[%s] p99 %.0f ms (%d missing);", p.Kind, p.P99, p.Missing)
	}
	fmt.Fprintf(&b, " worst backlog %s %d, drained in %.1fs", r.WorstLag, r.WorstLagN, r.DrainSecs)
	if r.Dropped > 0 {
		fmt.Fprintf(&b, ", %d arrivals dropped", r.Dropped)
	}
	return b.String()
}
