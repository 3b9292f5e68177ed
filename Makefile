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
