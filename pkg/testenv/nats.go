package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/natsx"
)

// NATS is a fresh embedded JetStream server for one test, with every
// parkdesk stream declared.
type NATS struct {
	// URL reaches the server.
	URL string
	// Conn is a connection for the test's own use.
	Conn *nats.Conn
	// JS is Conn's JetStream context.
	JS jetstream.JetStream
	// Server is the embedded server, for tests that stop it.
	Server *natsx.Embedded
}

// JetStream starts an embedded nats-server with JetStream in a temp dir,
// declares the streams, and shuts it all down when the test ends.
func JetStream(t testing.TB) *NATS {
	t.Helper()
	srv, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatalf("testenv: embedded nats: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, js, err := natsx.Connect(ctx, natsx.Config{URL: srv.URL(), Name: t.Name()})
	if err != nil {
		srv.Shutdown()
		t.Fatalf("testenv: connect embedded nats: %v", err)
	}
	t.Cleanup(func() {
		nc.Close()
		srv.Shutdown()
	})
	if err := natsx.EnsureStreams(ctx, js, natsx.StreamDefaults{}); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return &NATS{URL: srv.URL(), Conn: nc, JS: js, Server: srv}
}
