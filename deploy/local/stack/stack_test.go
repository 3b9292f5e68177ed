package stack

import (
	"context"
	"strings"
	"testing"
)

func TestStartRefusesWithoutTheGateway(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(context.Background(), Config{Root: dir, BinDir: dir, DataDir: dir, GatewayAddr: "127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "no gateway binary") {
		t.Fatalf("Start without binaries: %v, want a clear error", err)
	}
	if _, err := Start(context.Background(), Config{Root: dir}); err == nil {
		t.Fatal("Start without a data dir and gateway address: no error")
	}
}

func TestWithDB(t *testing.T) {
	tests := []struct{ admin, name, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "parkdesk",
			"postgres://postgres@127.0.0.1:5432/parkdesk?sslmode=disable"},
		{"postgres://u:p@db:5433/postgres", "e2e_0a1b", "postgres://u:p@db:5433/e2e_0a1b"},
	}
	for _, tt := range tests {
		if got, err := withDB(tt.admin, tt.name); err != nil || got != tt.want {
			t.Errorf("withDB(%q, %q) = %q, %v; want %q", tt.admin, tt.name, got, err, tt.want)
		}
	}
}

func TestServicesRouteDistinctPrefixes(t *testing.T) {
	seen := map[string]string{}
	ports := map[int]string{}
	for _, s := range Services {
		if other, dup := ports[s.Port]; dup {
			t.Errorf("%s and %s share port %d", s.Name, other, s.Port)
		}
		ports[s.Port] = s.Name
		for _, r := range s.Routes {
			if !strings.HasPrefix(r, "/v1/") {
				t.Errorf("%s routes %q outside /v1/", s.Name, r)
			}
			if other, dup := seen[r]; dup {
				t.Errorf("%s and %s both route %s", s.Name, other, r)
			}
			seen[r] = s.Name
		}
	}
}
