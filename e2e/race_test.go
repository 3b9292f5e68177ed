//go:build race

package e2e

// raceEnabled: the suite runs under -race (make test), so it builds the
// services with -race too: they reuse the packages go test has compiled for
// every module's tests, and a data race in a service fails the suite.
const raceEnabled = true
