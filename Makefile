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

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

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
# replicas of every service, steady load, kill -9 of a NATS node and of one
# replica of each service; nothing may be lost or doubled. Knobs:
# CHAOS_DURATION (60s), CHAOS_ROUNDS (1), CHAOS_RATE (20/s), CHAOS_REPLICAS (2),
# CHAOS_SERVICES (default: every services/<name>/cmd/<name> with Go files).
chaos: chaos-cluster

chaos-cluster: deps
	cd deploy/check && GOWORK=off PARKDESK_CHAOS=1 $(GO) test -count=1 -timeout 20m -run TestClusterChaos -v ./cluster
