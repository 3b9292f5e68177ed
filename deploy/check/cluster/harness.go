// Package cluster runs parkdesk the way production does, on loopback: a
// 3-node NATS JetStream cluster started from deploy/nats/nats.conf with R3
// streams, PostgreSQL with the roles of deploy/postgres/roles.sql, and two
// replicas of every service that exists (services/<name>/cmd/<name>), each
// connecting as its own PostgreSQL role and NATS user. Its test (make chaos)
// kills -9 a NATS node and a replica of each service under steady load, brings
// them back, and checks that nothing was lost or doubled.
package cluster

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Proc is one child process that can be killed and started again with the
// same command, environment and log file.
type Proc struct {
	Name string
	Bin  string
	Args []string
	Env  []string
	Dir  string
	Log  string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	killed  bool
	exitErr error
	// Crashes counts exits nobody asked for.
	Crashes atomic.Int32
}

// Start starts the process, appending its stdout and stderr to Log.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isDone(p.done) {
		return fmt.Errorf("%s: already running", p.Name)
	}
	f, err := os.OpenFile(p.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "=== %s start %s\n", time.Now().Format(time.RFC3339Nano), p.Name)
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.Env = p.Env
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.killed = cmd, done, false
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.exitErr = err
		if !p.killed {
			p.Crashes.Add(1)
		}
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// Running reports whether the process is alive.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isDone(p.done)
}

// Done is closed when the current run of the process ends.
func (p *Proc) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Kill sends SIGKILL (kill -9) to the process and waits for it to end.
func (p *Proc) Kill() { p.signal(syscall.SIGKILL, 0) }

// Stop sends SIGTERM, then SIGKILL after grace.
func (p *Proc) Stop(grace time.Duration) { p.signal(syscall.SIGTERM, grace) }

func (p *Proc) signal(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	if p.cmd == nil || isDone(p.done) {
		p.mu.Unlock()
		return
	}
	p.killed = true
	pid, done := p.cmd.Process.Pid, p.done
	p.mu.Unlock()
	_ = syscall.Kill(-pid, sig)
	if sig != syscall.SIGKILL {
		select {
		case <-done:
			return
		case <-time.After(grace):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	<-done
}

// Tail returns the last n lines of the process's log.
func (p *Proc) Tail(n int) string { return tail(p.Log, n) }

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// grepCount counts the lines of path containing any of words.
func grepCount(path string, words ...string) (int, string) {
	f, err := os.Open(path)
	if err != nil {
		return 0, ""
	}
	defer f.Close()
	n, first := 0, ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		for _, w := range words {
			if strings.Contains(sc.Text(), w) {
				if n == 0 {
					first = sc.Text()
				}
				n++
				break
			}
		}
	}
	return n, first
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func secret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// waitHTTP polls url until it answers 200, p exits, or timeout passes.
func waitHTTP(ctx context.Context, u string, timeout time.Duration, p *Proc) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	last := errors.New("no answer")
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("status %d", resp.StatusCode)
		} else {
			last = err
		}
		var done <-chan struct{}
		if p != nil {
			done = p.Done()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within %s: %v", u, timeout, last)
		case <-done:
			return fmt.Errorf("%s exited before %s was ready", p.Name, u)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// NATSNode is one nats-server of the cluster.
type NATSNode struct {
	*Proc
	Client, Cluster, Monitor int
}

// ClientURL is the node's client URL with user and password.
func (n *NATSNode) ClientURL(user, password string) string {
	return fmt.Sprintf("nats://%s:%s@127.0.0.1:%d", url.PathEscape(user), url.PathEscape(password), n.Client)
}

// NATSCluster is three nats-server processes running deploy/nats/nats.conf.
type NATSCluster struct {
	Nodes     []*NATSNode
	Passwords map[string]string // NATS user -> password
}

// StartNATS starts three nodes with conf, stores under dir, logs under logs.
func StartNATS(ctx context.Context, bin, conf, dir, logs string, users []string) (*NATSCluster, error) {
	c := &NATSCluster{Passwords: map[string]string{}}
	for _, u := range users {
		c.Passwords[u] = secret()
	}
	routePassword := secret()
	for i := range 3 {
		n := &NATSNode{}
		var err error
		for _, p := range []*int{&n.Client, &n.Cluster, &n.Monitor} {
			if *p, err = freePort(); err != nil {
				return nil, err
			}
		}
		c.Nodes = append(c.Nodes, n)
		_ = i
	}
	for i, n := range c.Nodes {
		env := append(os.Environ(),
			fmt.Sprintf("NATS_SERVER_NAME=n%d", i),
			"NATS_HOST=127.0.0.1",
			fmt.Sprintf("NATS_CLIENT_PORT=%d", n.Client),
			fmt.Sprintf("NATS_CLUSTER_PORT=%d", n.Cluster),
			fmt.Sprintf("NATS_MONITOR_PORT=%d", n.Monitor),
			"NATS_STORE_DIR="+filepath.Join(dir, fmt.Sprintf("n%d", i)),
			"NATS_ROUTE_PASSWORD="+routePassword,
		)
		for j, m := range c.Nodes {
			env = append(env, fmt.Sprintf("NATS_ROUTE_%d=nats-route://route:%s@127.0.0.1:%d", j+1, routePassword, m.Cluster))
		}
		for u, pw := range c.Passwords {
			env = append(env, "NATS_PASSWORD_"+strings.ToUpper(u)+"="+pw)
		}
		n.Proc = &Proc{Name: fmt.Sprintf("nats-n%d", i), Bin: bin, Args: []string{"-c", conf}, Env: env,
			Dir: filepath.Dir(conf), Log: filepath.Join(logs, fmt.Sprintf("nats-n%d.log", i))}
		if err := n.Start(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	for _, n := range c.Nodes {
		if err := n.WaitReady(ctx, 60*time.Second); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return c, nil
}

// WaitReady waits until the node's JetStream is up.
func (n *NATSNode) WaitReady(ctx context.Context, timeout time.Duration) error {
	if err := waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz?js-enabled-only=true", n.Monitor), timeout, n.Proc); err != nil {
		return fmt.Errorf("%s: %w\n%s", n.Name, err, n.Tail(30))
	}
	return nil
}

// URLs lists every node's client URL for user, starting at node first.
func (c *NATSCluster) URLs(user string, first int) string {
	var urls []string
	for i := range c.Nodes {
		urls = append(urls, c.Nodes[(first+i)%len(c.Nodes)].ClientURL(user, c.Passwords[user]))
	}
	return strings.Join(urls, ",")
}

// Stop stops every node.
func (c *NATSCluster) Stop() {
	for _, n := range c.Nodes {
		if n.Proc != nil {
			n.Stop(10 * time.Second)
		}
	}
}

// Service is the replicas of one service behind a load balancer (as a
// Kubernetes Service would put them).
type Service struct {
	Name     string
	Replicas []*Replica
	LB       *LB
}

// Replica is one process of a service.
type Replica struct {
	*Proc
	Addr string
}

// Ready waits for the replica's /readyz.
func (r *Replica) Ready(ctx context.Context, timeout time.Duration) error {
	if err := waitHTTP(ctx, "http://"+r.Addr+"/readyz", timeout, r.Proc); err != nil {
		return fmt.Errorf("%s: %w\n--- last log lines ---\n%s", r.Name, err, r.Tail(40))
	}
	return nil
}

// LB spreads HTTP requests over a service's replicas round-robin and moves to
// the next replica when one refuses the connection (nothing was sent yet).
type LB struct {
	srv      *http.Server
	Addr     string
	backends []string
	next     atomic.Uint64
}

// NewLB listens on a free loopback port and proxies to backends.
func NewLB(backends []string) (*LB, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	lb := &LB{Addr: l.Addr().String(), backends: backends}
	proxy := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.Out.URL.Scheme, r.Out.URL.Host = "http", "lb" },
		Transport:     lb,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, "lb: "+err.Error(), http.StatusBadGateway)
		},
	}
	lb.srv = &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = lb.srv.Serve(l) }()
	return lb, nil
}

var lbTransport = &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 5 * time.Second}

// RoundTrip sends r to the next replica that accepts the connection.
func (lb *LB) RoundTrip(r *http.Request) (*http.Response, error) {
	start := lb.next.Add(1)
	var last error
	for i := range lb.backends {
		out := r.Clone(r.Context())
		out.URL.Host = lb.backends[(int(start)+i)%len(lb.backends)]
		resp, err := lbTransport.RoundTrip(out)
		if err == nil {
			return resp, nil
		}
		last = err
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			return nil, err
		}
	}
	return nil, last
}

// Close stops the balancer.
func (lb *LB) Close() { _ = lb.srv.Close() }
