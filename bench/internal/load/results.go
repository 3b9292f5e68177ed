package load

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/db"
)

// Goals of DEVELOPERS.md, as checked by the results.
const (
	GoalSubmitRatio  = 0.5                    // submit rate ≥ 0.5 × pgbench TPS at 32 clients
	GoalSubmitP99    = 50 * time.Millisecond  // at that rate
	GoalPathP99      = 250 * time.Millisecond // submit → assigned + clock started, under load
	GoalFireLagMax   = time.Second            // warnings/breaches within 1 s of their instant
	GoalWorkdayNanos = 1000.0                 // sub-microsecond
)

// Machine describes where the figures were taken.
type Machine struct {
	Host      string `json:"host"`
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	MemGiB    int    `json:"mem_gib"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go"`
	Commit    string `json:"commit"`
	Dirty     bool   `json:"dirty"`
	LoadAvg   string `json:"loadavg_start"`
}

// Summary is a one-line description.
func (m Machine) Summary() string {
	dirty := ""
	if m.Dirty {
		dirty = " (+ uncommitted changes)"
	}
	return fmt.Sprintf("%s: %d × %s, %d GiB, %s, %s; commit %s%s", m.Host, m.Cores, m.CPU, m.MemGiB, m.Kernel, m.GoVersion, m.Commit, dirty)
}

// DescribeMachine reads the host, CPU, memory, kernel and the checkout's commit.
func DescribeMachine(root string) Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), LoadAvg: LoadAvg()}
	m.Host, _ = os.Hostname()
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemGiB = (kb + 512*1024) / (1024 * 1024)
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		m.Dirty = len(strings.TrimSpace(string(out))) > 0
	}
	return m
}

// LoadAvg is /proc/loadavg's 1, 5 and 15 minute figures.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// PGVersion asks the server for its version.
func PGVersion(ctx context.Context, admin string) string {
	if admin == "" {
		return ""
	}
	dsn, err := db.DSN(admin, "")
	if err != nil {
		return ""
	}
	conn, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return ""
	}
	defer conn.Close()
	var v string
	_ = conn.GetContext(ctx, &v, `SHOW server_version`)
	return v
}

// GoBench is one line of `go test -bench` output.
type GoBench struct {
	Name    string             `json:"name"`
	N       int                `json:"n"`
	Metrics map[string]float64 `json:"metrics"` // unit -> value (ns/op, allocs/op, lag-max-ms, ...)
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// RunGoBench runs `go test -run ^$ -bench pattern [-benchtime t] -benchmem pkg` in root.
func RunGoBench(ctx context.Context, root, pkg, pattern, benchtime string, env []string) ([]GoBench, error) {
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchmem", "-count", "1", "-timeout", "15m"}
	if benchtime != "" {
		args = append(args, "-benchtime", benchtime)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, tailLines(string(out), 30))
	}
	var res []GoBench
	for _, line := range strings.Split(string(out), "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		g := GoBench{Name: m[1], N: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				g.Metrics[f[i+1]] = v
			}
		}
		res = append(res, g)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("go test -bench %s %s: no benchmark lines\n%s", pattern, pkg, tailLines(string(out), 30))
	}
	return res, nil
}

func tailLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// Results is everything one run measured.
type Results struct {
	Machine    Machine       `json:"machine"`
	Started    string        `json:"started"`
	Finished   string        `json:"finished"`
	LoadAvgEnd string        `json:"loadavg_end"`
	Options    string        `json:"options"`
	Stack      string        `json:"stack"`
	PGVersion  string        `json:"postgres"`
	PGBench    []PGBench     `json:"pgbench"`
	JetStream  []JSPublish   `json:"jetstream_publish"`
	Phases     []PhaseResult `json:"phases"`
	Workday    []GoBench     `json:"workday"`
	FireDue    []GoBench     `json:"sla_fire_due"`
	Clocks     int           `json:"sla_open_clocks"`
	Notes      []string      `json:"notes,omitempty"`
}

// PGBenchAt is the pgbench TPS at c clients, 0 if not measured.
func (r *Results) PGBenchAt(c int) float64 {
	for _, p := range r.PGBench {
		if p.Clients == c {
			return p.TPS
		}
	}
	return 0
}

func (r *Results) phase(name string) *PhaseResult {
	for i := range r.Phases {
		if r.Phases[i].Name == name {
			return &r.Phases[i]
		}
	}
	return nil
}

func (p *PhaseResult) op(name string) *Stats {
	if p == nil {
		return nil
	}
	for i := range p.Ops {
		if p.Ops[i].Op == name {
			return &p.Ops[i]
		}
	}
	return nil
}

// Write writes <out>/<date>-<host>.md and .json and returns their paths.
func (r *Results) Write(out string) (string, string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", "", err
	}
	t, _ := time.Parse(time.RFC3339, r.Started)
	base := filepath.Join(out, t.Format("2006-01-02T1504Z")+"-"+r.Machine.Host)
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(base+".json", append(b, '\n'), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(base+".md", []byte(r.Markdown(filepath.Base(base)+".json")), 0o644); err != nil {
		return "", "", err
	}
	return base + ".md", base + ".json", nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// Goals returns the goal table rows: goal, measured, ratio, verdict.
func (r *Results) Goals() [][4]string {
	var rows [][4]string
	pg32 := r.PGBenchAt(32)
	if g := r.phase("submit-at-goal"); g != nil && pg32 > 0 {
		s := g.op(OpSubmit)
		if s != nil {
			keep := len(g.Undrained) == 0 && g.Dropped == 0 && s.Errors == 0
			ok := s.PerSec >= GoalSubmitRatio*pg32 && float64(s.P99) < float64(GoalSubmitP99.Milliseconds()) && keep
			rows = append(rows, [4]string{
				fmt.Sprintf("submit ≥ 0.5 × pgbench@32 (%.0f/s), p99 < 50 ms, consumers keep up", GoalSubmitRatio*pg32),
				fmt.Sprintf("%.0f/s offered %.0f/s; p99 %.1f ms; %d errors, %d dropped; worst backlog %s %d, drained in %.1f s",
					s.PerSec, g.Rate, s.P99, s.Errors, g.Dropped, g.WorstLag, g.WorstLagN, g.DrainSecs),
				fmt.Sprintf("%.2f × pgbench", s.PerSec/pg32), verdict(ok)})
		}
	}
	if m := r.phase("submit-max"); m != nil && pg32 > 0 {
		if s := m.op(OpSubmit); s != nil {
			rows = append(rows, [4]string{"(most submissions taken, 32 clients, closed loop)",
				fmt.Sprintf("%.0f/s, p50 %.1f p99 %.1f ms", s.PerSec, s.P50, s.P99),
				fmt.Sprintf("%.2f × pgbench", s.PerSec/pg32), "—"})
		}
	}
	for _, name := range []string{"submit-at-goal", "submit-max", "mixed"} {
		g := r.phase(name)
		if g == nil {
			continue
		}
		for _, p := range g.Path {
			if p.N == 0 && p.Missing == 0 {
				continue
			}
			rows = append(rows, [4]string{fmt.Sprintf("event path (%s, %s) p99 < 250 ms", p.Kind, name),
				fmt.Sprintf("p50 %.0f, p99 %.0f ms; %d of %d not seen", p.P50, p.P99, p.Missing, p.N+p.Missing),
				fmt.Sprintf("%.2f × goal", float64(p.P99)/float64(GoalPathP99.Milliseconds())),
				verdict(p.Missing == 0 && float64(p.P99) < float64(GoalPathP99.Milliseconds()))})
		}
	}
	for _, b := range r.FireDue {
		if v, ok := b.Metrics["lag-max-ms"]; ok {
			rows = append(rows, [4]string{fmt.Sprintf("SLA %s: %d open clocks, fired within 1 s of the instant", strings.TrimPrefix(b.Name, "BenchmarkFireDue/"), r.Clocks),
				fmt.Sprintf("lag p50 %.0f, p99 %.0f, max %.0f ms; %.0f clocks/s", b.Metrics["lag-p50-ms"], b.Metrics["lag-p99-ms"], v, b.Metrics["clocks/s"]),
				fmt.Sprintf("%.2f × goal", v/1000), verdict(v < 1000 && r.Clocks >= 1_000_000)})
		}
	}
	worst, name := 0.0, ""
	for _, b := range r.Workday {
		if v := b.Metrics["ns/op"]; v > worst {
			worst, name = v, b.Name
		}
	}
	if name != "" {
		rows = append(rows, [4]string{"working-day arithmetic < 1 µs", fmt.Sprintf("slowest %s %.1f ns/op", name, worst),
			fmt.Sprintf("%.3f × goal", worst/GoalWorkdayNanos), verdict(worst < GoalWorkdayNanos)})
	}
	return rows
}

// Markdown renders the results.
func (r *Results) Markdown(jsonName string) string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# parkdesk benchmark — %s\n\n", r.Started)
	fmt.Fprintf(&b, "- machine: %s\n", m.Summary())
	fmt.Fprintf(&b, "- load average (1/5/15 min): %s at the start, %s at the end", m.LoadAvg, r.LoadAvgEnd)
	fmt.Fprintf(&b, " — the machine is shared; figures taken under other load are noisy\n")
	fmt.Fprintf(&b, "- stack: %s; PostgreSQL %s\n", r.Stack, r.PGVersion)
	fmt.Fprintf(&b, "- options: %s; finished %s; raw figures in %s\n\n", r.Options, r.Finished, jsonName)
	b.WriteString("## Goals\n\n| goal | measured | ratio | verdict |\n|---|---|---|---|\n")
	for _, row := range r.Goals() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row[0], row[1], row[2], row[3])
	}
	if len(r.PGBench) > 0 || len(r.JetStream) > 0 {
		b.WriteString("\n## Baselines (this machine, this run)\n\n| baseline | result |\n|---|---|\n")
		for _, p := range r.PGBench {
			fmt.Fprintf(&b, "| pgbench tpcb-like, scale %d, %d clients, %d s | %.0f TPS (latency avg %.2f ms) |\n", p.Scale, p.Clients, p.Seconds, p.TPS, p.LatAvg)
		}
		for _, j := range r.JetStream {
			extra := ""
			if j.P99Millis > 0 {
				extra = fmt.Sprintf(", p99 %.2f ms", j.P99Millis)
			}
			fmt.Fprintf(&b, "| JetStream publish, %s, file store | %.0f msgs/s%s |\n", j.Mode, j.PerSec, extra)
		}
	}
	pg32 := r.PGBenchAt(32)
	jsSync := 0.0
	for _, j := range r.JetStream {
		if j.Mode == "sync-32" {
			jsSync = j.PerSec
		}
	}
	if len(r.Phases) > 0 {
		b.WriteString("\n## Through the gateway\n\n| phase | op | rate/s | × pgbench@32 | × JetStream sync | p50 ms | p95 ms | p99 ms | max ms | errors |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, p := range r.Phases {
			mode := fmt.Sprintf("%s, %d clients", p.Name, p.Clients)
			if p.Mode == "open" {
				mode = fmt.Sprintf("%s, open loop %.0f/s", p.Name, p.Rate)
			}
			for _, s := range p.Ops {
				fmt.Fprintf(&b, "| %s | %s | %.1f | %s | %s | %.1f | %.1f | %.1f | %.1f | %d |\n", mode, s.Op, s.PerSec,
					ratio(s.PerSec, pg32), ratio(s.PerSec, jsSync), s.P50, s.P95, s.P99, s.Max, s.Errors)
			}
		}
		b.WriteString("\n| phase | event path | seen | not seen | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|\n")
		for _, p := range r.Phases {
			for _, e := range p.Path {
				what := "submit → liaison dispatched + response clock started"
				if e.Kind == "matter" {
					what = "submit → acceptance clock started + workflow opened"
				}
				fmt.Fprintf(&b, "| %s | %s | %d | %d | %.0f | %.0f | %.0f | %.0f |\n", p.Name, what, e.N, e.Missing, e.P50, e.P95, e.P99, e.Max)
			}
		}
		b.WriteString("\n| phase | load avg before → after | worst consumer backlog | drained in | dropped arrivals |\n|---|---|---|---|---|\n")
		for _, p := range r.Phases {
			und := ""
			if len(p.Undrained) > 0 {
				und = fmt.Sprintf(" (NOT drained: %v)", p.Undrained)
			}
			fmt.Fprintf(&b, "| %s | %s → %s | %s %d | %.1f s%s | %d |\n", p.Name, p.LoadAvgFrom, p.LoadAvgTo, p.WorstLag, p.WorstLagN, p.DrainSecs, und, p.Dropped)
		}
		for _, p := range r.Phases {
			for _, s := range p.Ops {
				for e, n := range s.ErrorsBy {
					fmt.Fprintf(&b, "\n- %s %s error ×%d: `%s`", p.Name, s.Op, n, strings.ReplaceAll(e, "`", "'"))
				}
			}
		}
		b.WriteString("\n")
	}
	if len(r.FireDue) > 0 || len(r.Workday) > 0 {
		b.WriteString("\n## Go benchmarks\n\n| benchmark | figures |\n|---|---|\n")
		for _, g := range append(append([]GoBench(nil), r.FireDue...), r.Workday...) {
			var parts []string
			for _, k := range []string{"ns/op", "B/op", "allocs/op", "clocks/op", "clocks/s", "round-trips/op", "lag-p50-ms", "lag-p99-ms", "lag-max-ms"} {
				if v, ok := g.Metrics[k]; ok {
					parts = append(parts, fmt.Sprintf("%s %s", strconv.FormatFloat(v, 'f', -1, 64), k))
				}
			}
			fmt.Fprintf(&b, "| %s | %s |\n", g.Name, strings.Join(parts, ", "))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n- note: %s", n)
	}
	b.WriteString("\n")
	return b.String()
}

func ratio(v, base float64) string {
	if base <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", v/base)
}

// Readme markers between which UpdateReadme writes the latest figures.
const (
	ReadmeBegin = "<!-- bench:begin (written by make bench) -->"
	ReadmeEnd   = "<!-- bench:end -->"
)

// UpdateReadme replaces the text between the markers of readme with the
// goal table of r and a link to the results file.
func (r *Results) UpdateReadme(readme, mdPath string) error {
	b, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, ReadmeBegin), strings.Index(s, ReadmeEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %q … %q section", readme, ReadmeBegin, ReadmeEnd)
	}
	rel, err := filepath.Rel(filepath.Dir(readme), mdPath)
	if err != nil {
		rel = mdPath
	}
	var sec strings.Builder
	sec.WriteString(ReadmeBegin + "\n")
	fmt.Fprintf(&sec, "Latest `make bench` (%s, commit %s, %d cores, load average %s → %s; shared machine, noisy), from [%s](%s):\n\n",
		r.Started, r.Machine.Commit, r.Machine.Cores, r.Machine.LoadAvg, r.LoadAvgEnd, filepath.Base(mdPath), filepath.ToSlash(rel))
	sec.WriteString("| goal | measured | ratio | verdict |\n|---|---|---|---|\n")
	for _, row := range r.Goals() {
		fmt.Fprintf(&sec, "| %s | %s | %s | %s |\n", row[0], row[1], row[2], row[3])
	}
	if len(r.PGBench) > 0 {
		var parts []string
		for _, p := range r.PGBench {
			parts = append(parts, fmt.Sprintf("%.0f TPS at %d", p.TPS, p.Clients))
		}
		fmt.Fprintf(&sec, "\nBaselines in the same run: pgbench tpcb-like %s clients", strings.Join(parts, ", "))
		for _, j := range r.JetStream {
			fmt.Fprintf(&sec, "; JetStream publish %s %.0f msgs/s", j.Mode, j.PerSec)
		}
		sec.WriteString(".\n")
	}
	s = s[:i] + sec.String() + s[j:]
	return os.WriteFile(readme, []byte(s), 0o644)
}
