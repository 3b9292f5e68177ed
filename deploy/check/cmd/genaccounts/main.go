// Command genaccounts writes deploy/nats/accounts.conf from
// deploy/nats/jetstream.json: each service's NATS user gets rights over
// exactly the consumers declared for it. Run from deploy/check:
// `go run ./cmd/genaccounts` (go generate does it).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/parkdesk/parkdesk/deploy/check"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genaccounts:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := check.Root()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "deploy", "nats")
	b, err := os.ReadFile(filepath.Join(dir, "jetstream.json"))
	if err != nil {
		return err
	}
	d, err := check.ParseDeclared(b)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "accounts.conf"), []byte(check.Accounts(d)), 0o644)
}
