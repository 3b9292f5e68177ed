// Package e2e is parkdesk's end-to-end suite: it builds every service, starts
// the real stack (package deploy/local/stack: embedded JetStream, a fresh
// PostgreSQL database, each service as its own process, the gateway) on free
// ports, and drives the service journeys of issue 7 only through the
// gateway's public HTTP API with role tokens, moving time with the dev clock
// and asserting the events that crossed NATS. It has tests only:
//
//	go test -race -count=1 ./e2e/...   (or make test)
//
// On failure the stack's logs are kept and their path is printed.
package e2e
