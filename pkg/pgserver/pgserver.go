// Package pgserver starts a private PostgreSQL cluster from the installed
// server binaries: a throwaway one for tests, or a persistent one in the dev
// stack's data directory. As root it runs the server as the postgres OS user,
// since initdb refuses to run as root.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Options configures a private cluster.
type Options struct {
	// Dir holds the cluster (Dir/data), its socket and log. Empty means a new
	// temp dir, removed on Stop.
	Dir string
	// Port to listen on at 127.0.0.1; 0 picks a free port.
	Port int
	// Throwaway turns durability off (fsync, synchronous_commit,
	// full_page_writes) for test clusters. Never for data you keep.
	Throwaway bool
}

// Server is a running private cluster.
type Server struct {
	dir     string
	data    string
	port    int
	asUser  []string
	bin     string
	removal bool
}

// Start initialises the cluster if Dir has none and starts it.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{dir: opts.Dir, bin: bin, port: opts.Port}
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "parkdesk-pg-"); err != nil {
			return nil, fmt.Errorf("pgserver: temp dir: %w", err)
		}
		s.removal = true
	} else if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("pgserver: dir: %w", err)
	}
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("pgserver: chmod: %w", err)
	}
	s.data = filepath.Join(s.dir, "data")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgserver: running as root needs the postgres OS user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(s.dir, uid, gid); err != nil {
			return nil, fmt.Errorf("pgserver: chown: %w", err)
		}
		s.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	if s.port == 0 {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(s.data, "PG_VERSION")); err != nil {
		if err := s.run(ctx, "initdb", "-D", s.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
			s.cleanup()
			return nil, err
		}
	}
	conf := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300", s.port, s.dir)
	if opts.Throwaway {
		conf += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if err := s.run(ctx, "pg_ctl", "-D", s.data, "-o", conf, "-l", filepath.Join(s.dir, "log"), "-w", "start"); err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

// URL is the admin URL (database postgres, user postgres).
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Stop stops the server (fast shutdown) and removes a temp dir.
func (s *Server) Stop() error {
	err := s.run(context.Background(), "pg_ctl", "-D", s.data, "-m", "fast", "-w", "stop")
	s.cleanup()
	return err
}

func (s *Server) cleanup() {
	if s.removal {
		os.RemoveAll(s.dir)
	}
}

func (s *Server) run(ctx context.Context, name string, args ...string) error {
	argv := append(append([]string{}, s.asUser...), append([]string{filepath.Join(s.bin, name)}, args...)...)
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgserver %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// BinDir finds the newest installed PostgreSQL server binaries.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", errors.New("pgserver: no initdb in PATH or /usr/lib/postgresql/*/bin (apt-get install -y postgresql)")
	}
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	return filepath.Dir(matches[0]), nil
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgserver: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
