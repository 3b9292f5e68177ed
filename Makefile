# parkdesk — run it with `make dev`, test it with `make test`.
SHELL := /bin/bash
GO ?= go
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)
PKGS := $(addsuffix /...,$(MODULES))
BIN := $(CURDIR)/bin
TOOLS := $(CURDIR)/.bin
# Pinned generator versions, installed from the Go module proxy.
BUF_VERSION := v1.75.0
PROTOC_GEN_GO_VERSION := v1.36.12
TEST_FLAGS ?= -race -count=1 -timeout 12m

.PHONY: all deps build test vet fmt-check lint dev bench proto clean

all: build

deps:
	@scripts/deps.sh

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ $(foreach m,$(MODULES),$(wildcard $(m)/cmd/*)) ./deploy/local/cmd/devstack

test: deps
	$(GO) test $(TEST_FLAGS) $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $(MODULES) | grep -v '\.pb\.go$$' || true); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

lint: vet fmt-check

dev: deps build
	$(BIN)/devstack

# The load generator and benchmark orchestrator (bench/cmd/load): builds and
# starts its own stack on free ports, measures pgbench and a raw JetStream
# publish loop as baselines, loads the gateway (submit, event path, list/read,
# decision), runs the SLA 1,000,000-clock and working-day benchmarks, writes
# bench/results/<date>-<host>.{md,json} and the README's figures. About 6-8
# minutes. BENCH_FLAGS passes options (e.g. -quick, -duration 60s, -clients 64).
bench: deps
	cd bench && $(GO) run ./cmd/load -readme $(CURDIR)/README.md $(BENCH_FLAGS)

proto:
	GOWORK=off GOBIN=$(TOOLS) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	GOWORK=off GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	cd proto && PATH=$(TOOLS):$$PATH buf lint && PATH=$(TOOLS):$$PATH buf generate

clean:
	rm -rf $(BIN) .dev

# --- deployment (deploy/k8s, deploy/nats, deploy/postgres; checks in deploy/check) ---
.PHONY: deploy-check chaos chaos-cluster

# Renders both kustomize overlays, validates them offline against the vendored
# Kubernetes schemas (kubeconform), checks the house rules, and runs
# `nats-server -t` (built from the Go module, version of pkg/go.mod) on deploy/nats.
deploy-check:
	@mkdir -p $(TOOLS)
	@out=$$(gofmt -l deploy/check); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	cd deploy/check && GOWORK=off $(GO) vet ./...
	cd deploy/check && GOWORK=off $(GO) build -o $(TOOLS)/nats-server github.com/nats-io/nats-server/v2
	cd deploy/check && GOWORK=off NATS_SERVER_BIN=$(TOOLS)/nats-server $(GO) test -count=1 -v -run 'Test(Overlays|ValidateRejects|RulesReject|NATS|Accounts|JetStream|Postgres)' .

# The cluster test: 3 NATS nodes (R3), PostgreSQL with per-service roles, two
# replicas of every service, steady load; each round kills -9 a NATS node,
# restarts PostgreSQL in immediate mode (a crash) and kills -9 one replica of
# each service in turn; nothing may be lost or doubled. It prints
# "N submitted, K faults, 0 lost, 0 duplicated" or fails. Knobs:
# CHAOS_DURATION (60s), CHAOS_ROUNDS (1), CHAOS_RATE (20/s), CHAOS_REPLICAS (2),
# CHAOS_PG_RESTART (1), CHAOS_MIN_KILLS (0), CHAOS_SERVICES (default: every
# services/<name>/cmd/<name> with Go files). `make chaos` is the full form
# (5 rounds: at least 5 faults of each kind); CI runs the short form,
# `make chaos CHAOS_ROUNDS=1 CHAOS_DURATION=30s CHAOS_MIN_KILLS=1`.
chaos: CHAOS_ROUNDS ?= 5
chaos: CHAOS_DURATION ?= 150s
chaos: CHAOS_MIN_KILLS ?= 5
chaos:
	$(MAKE) chaos-cluster CHAOS_ROUNDS=$(CHAOS_ROUNDS) CHAOS_DURATION=$(CHAOS_DURATION) CHAOS_MIN_KILLS=$(CHAOS_MIN_KILLS)

chaos-cluster: deps
	cd deploy/check && GOWORK=off PARKDESK_CHAOS=1 $(GO) test -count=1 -timeout 20m -run TestClusterChaos -v ./cluster
