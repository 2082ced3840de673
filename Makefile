# sessionguard — developer tasks. `make` (or `make help`) lists them.
# Every module in go.work is covered; the list is read from go.work itself.
# tools/ (staticcheck, the requirement and snippet checks) is a module of its
# own and deliberately not in go.work, so it stays out of the test loops.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
MODULES   := $(shell $(GO) work edit -json | sed -n 's/.*"DiskPath": "\(.*\)".*/\1/p')
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
BENCHCOUNT ?= 1
DEMO_ADDR ?= 127.0.0.1:8080
# tools/go.mod pins staticcheck; `go tool -modfile` needs GOWORK=off.
STATICCHECK = GOWORK=off $(GO) tool -modfile=$(CURDIR)/tools/go.mod staticcheck
TOOLS_RUN   = GOWORK=off $(GO) -C tools run

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-20s %s\n", $$1, $$2}'

DEMO_FLAGS ?=
.PHONY: demo
demo: ## run the demo (API, second origin, second backend; SQLite in ./demo-data) on $(DEMO_ADDR); open the printed URL (Ctrl-C stops it)
	@mkdir -p bin
	$(GO) build -o bin/demo ./examples/demo
	exec ./bin/demo -addr $(DEMO_ADDR) $(DEMO_FLAGS)

E2E_DIR        := examples/demo/e2e
E2E_FRAMEWORKS := nethttp gin echo fiber
SUDO           := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: e2e-deps
e2e-deps: ## install Debian's chromium and playwright-core (npm ci) when missing; never a browser download
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	@[ -d $(E2E_DIR)/node_modules/playwright-core ] || (cd $(E2E_DIR) && npm ci --no-audit --no-fund)

.PHONY: e2e
e2e: e2e-deps ## browser tests of examples/demo (headless Chromium) against net/http; screenshots in examples/demo/e2e/artifacts/
	cd $(E2E_DIR) && DEMO_FRAMEWORK=nethttp npm test

.PHONY: e2e-all
e2e-all: e2e-deps ## the browser tests against each of the four frameworks
	@for f in $(E2E_FRAMEWORKS); do echo "== e2e $$f"; (cd $(E2E_DIR) && DEMO_FRAMEWORK=$$f npm test); done

# Modules whose tests need a server (PostgreSQL, Redis). `make test` leaves
# them out and says so; `make test-stores` runs them against real servers.
SERVER_MODULES := $(filter ./store/postgres ./store/redis,$(MODULES))
LOCAL_MODULES  := $(filter-out $(SERVER_MODULES),$(MODULES))
SESSIONGUARD_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
SESSIONGUARD_REDIS_URL    ?= redis://127.0.0.1:6379/0
export SESSIONGUARD_POSTGRES_URL SESSIONGUARD_REDIS_URL
# examples/conformance tests that need PostgreSQL and Redis (several
# instances, store faults; docs/stores.md): make test-stores runs them.
SERVER_TESTS := ^(TestMultiInstance|TestStoreFault)

.PHONY: test
test: ## go test every module that needs no server (memory, SQLite), in the workspace and with GOWORK=off
	@for m in $(LOCAL_MODULES); do echo "== test $$m"; (cd $$m && $(GO) test -count=1 -skip '$(SERVER_TESTS)' ./...); done
	@for m in $(LOCAL_MODULES); do echo "== test (GOWORK=off) $$m"; (cd $$m && GOWORK=off $(GO) test -count=1 -skip '$(SERVER_TESTS)' ./...); done
	@if [ -n "$(strip $(SERVER_MODULES))" ]; then echo "== not run by make test (they need PostgreSQL/Redis): $(SERVER_MODULES) and examples/conformance $(SERVER_TESTS); run make test-stores"; fi

.PHONY: test-stores
test-stores: ## the PostgreSQL and Redis store suites against real servers (fails when a server is unreachable; make services starts them)
	@for m in $(SERVER_MODULES); do echo "== test-stores $$m"; (cd $$m && SESSIONGUARD_REQUIRE_SERVERS=1 $(GO) test -count=1 ./...); done
	@for m in $(SERVER_MODULES); do echo "== test-stores (GOWORK=off) $$m"; (cd $$m && SESSIONGUARD_REQUIRE_SERVERS=1 GOWORK=off $(GO) test -count=1 ./...); done
	@for m in $(SERVER_MODULES); do echo "== test-stores (race) $$m"; (cd $$m && SESSIONGUARD_REQUIRE_SERVERS=1 $(GO) test -race -count=1 ./...); done
	@echo "== test-stores ./examples/conformance (several instances, faults)"; cd examples/conformance && SESSIONGUARD_REQUIRE_SERVERS=1 GOWORK=off $(GO) test -count=1 -run '$(SERVER_TESTS)' .

.PHONY: bench-stores
bench-stores: ## the three stores' refresh benchmarks in one run (store/bench; make services first; BENCHTIME, BENCHCOUNT)
	cd store/bench && SESSIONGUARD_REQUIRE_SERVERS=1 $(GO) test -run '^$$' -bench BenchmarkRefresh -benchmem -benchtime=$(BENCHTIME) -count=$(BENCHCOUNT) .

.PHONY: services
services: ## install (Debian packages) and start PostgreSQL and Redis on loopback when they are not running
	bash .ci/services

.PHONY: race
race: ## go test -race every module that needs no server (make test-stores covers the others)
	@for m in $(LOCAL_MODULES); do echo "== race $$m"; (cd $$m && $(GO) test -race -count=1 -skip '$(SERVER_TESTS)' ./...); done

.PHONY: vet
vet: ## go vet every module
	@for m in $(MODULES); do echo "== vet $$m"; (cd $$m && $(GO) vet ./...); done

.PHONY: fmt
fmt: ## gofmt -w every Go file
	gofmt -w $(MODULES) tools

.PHONY: fmt-check
fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $(MODULES) tools); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: lint
lint: fmt-check vet staticcheck tools-test check-requirements check-snippets ## gofmt check, go vet, staticcheck, requirement and snippet checks, no toolchain lines in go.mod
	@if grep -l '^toolchain' $$(for m in $(MODULES) tools; do echo $$m/go.mod; done); then echo "toolchain lines are not allowed"; exit 1; fi

.PHONY: staticcheck
staticcheck: ## staticcheck every module (the version pinned in tools/go.mod)
	@rc=0; for m in $(MODULES); do echo "== staticcheck $$m"; (cd $$m && $(STATICCHECK) ./...) || rc=1; done; exit $$rc

.PHONY: tools-test
tools-test: ## vet and test the tools/ module (the checks below)
	cd tools && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test -count=1 ./...

.PHONY: check-requirements
check-requirements: ## fail if modules require different versions of a dependency, or of the core (docs/releasing.md)
	$(TOOLS_RUN) ./cmd/checkreqs -root $(CURDIR)

.PHONY: check-snippets
check-snippets: ## fail if a Go snippet of a README or doc.go is not in a compiled example (CONTRIBUTING.md)
	$(TOOLS_RUN) ./cmd/snippets -root $(CURDIR)

.PHONY: tidy-check
tidy-check: ## go mod tidy every module (tools/ too), then fail if anything changed
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy); done
	cd tools && GOWORK=off $(GO) mod tidy
	git diff --exit-code -- '*go.mod' '*go.sum'

.PHONY: bench
bench: ## run every benchmark with -benchmem (BENCHTIME, BENCHCOUNT)
	@for m in $(MODULES); do echo "== bench $$m"; (cd $$m && $(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=$(BENCHCOUNT) ./...); done

.PHONY: bench-compare
bench-compare: ## compare each adapter with its framework's usual JWT middleware (bench/; BENCHTIME, BENCHCOUNT)
	cd bench && $(GO) test -run '^$$' -bench BenchmarkMiddleware -benchmem -benchtime=$(BENCHTIME) -count=$(BENCHCOUNT) .

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each
	@for m in $(MODULES); do \
	  for pkg in $$(cd $$m && $(GO) list ./...); do \
	    for f in $$(cd $$m && $(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	      echo "== fuzz $$pkg $$f"; (cd $$m && $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg); \
	    done; \
	  done; \
	done

.PHONY: cover
cover: ## test coverage per module (cover.out in each module)
	@for m in $(MODULES); do echo "== cover $$m"; (cd $$m && $(GO) test -count=1 -coverprofile=cover.out ./... | tail -n +1); done

.PHONY: examples
examples: ## build and test the example modules
	@for m in $(filter ./examples/%,$(MODULES)); do echo "== examples $$m"; (cd $$m && $(GO) vet ./... && $(GO) test -count=1 ./...); done

LOAD_DURATION    ?= 3s
LOAD_CONCURRENCY ?= 8
LOAD_ROUNDS      ?= 3

.PHONY: load
load: ## drive examples/conformance over loopback per framework: req/s, p50/p99 (LOAD_DURATION, LOAD_CONCURRENCY, LOAD_ROUNDS)
	@mkdir -p bin
	$(GO) build -o bin/conformance ./examples/conformance
	$(GO) run ./bench/cmd/load -server bin/conformance -duration $(LOAD_DURATION) -concurrency $(LOAD_CONCURRENCY) -rounds $(LOAD_ROUNDS)

.PHONY: header-sizes
header-sizes: ## every framework answers alike for request headers from 1 KiB to 1 MiB (examples/conformance)
	cd examples/conformance && $(GO) test -count=1 -run TestHeaderSizesAgree .

.PHONY: ci
ci: services lint test test-stores race e2e ## what CI runs
