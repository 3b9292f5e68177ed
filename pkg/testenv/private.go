package testenv

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

// startPrivate initialises and starts a throwaway PostgreSQL cluster (fsync
// off) in a temp dir. As root it runs the server as the postgres OS user,
// since initdb refuses to run as root.
func startPrivate(ctx context.Context) (string, func(), error) {
	bin, err := postgresBinDir()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "parkdesk-pg-")
	if err != nil {
		return "", nil, fmt.Errorf("private postgres: temp dir: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("private postgres: chmod: %w", err)
	}
	data := filepath.Join(dir, "data")
	var asUser []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", nil, fmt.Errorf("private postgres: running as root needs the postgres OS user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", nil, fmt.Errorf("private postgres: chown: %w", err)
		}
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	run := func(name string, args ...string) error {
		argv := append(append([]string{}, asUser...), append([]string{filepath.Join(bin, name)}, args...)...)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err := run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("private postgres: %w", err)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off "+
		"-c synchronous_commit=off -c full_page_writes=off -c max_connections=300", port, dir)
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start"); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("private postgres: %w", err)
	}
	stop := func() {
		_ = run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	}
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if err := ping(ctx, url); err != nil {
		stop()
		return "", nil, fmt.Errorf("private postgres: started but unreachable: %w", err)
	}
	return url, stop, nil
}

// postgresBinDir finds the newest installed PostgreSQL server binaries.
func postgresBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", errors.New("no initdb in PATH or /usr/lib/postgresql/*/bin")
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
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
