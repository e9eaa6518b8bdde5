# Wuye — see README.md. `make run` and `make test` are the two set-up commands.
GO       ?= go
BIN      := bin
PKGS     := ./... ./sdk/...
export GOFLAGS ?= -buildvcs=false

.PHONY: run build test lint bench proto clean ui openapi

## run: build everything and start the embedded default (SQLite + in-process queue), with the demo's
## devices simulated next to it (cmd/wuye-devsim: plate cameras, door controller, lifts, a CCTV camera)
run: build
	@./$(BIN)/wuye-devsim & sim=$$!; trap 'kill $$sim 2>/dev/null' EXIT INT TERM; ./$(BIN)/wuye serve

# Plugin main packages: plugins/<name> and plugins/drivers/<name>, each built
# to bin/plugins/<name> and bin/plugins/drivers/<name>, where `wuye serve`
# registers them from (WUYE_PLUGIN_DIR). A plugin with a go.mod of its own is
# built inside its folder.
PLUGIN_PKGS := $(patsubst %/,%,$(sort $(dir $(filter-out %_test.go,$(wildcard plugins/*/*.go plugins/drivers/*/*.go)))))

## build: the wuye binary and every plugin binary into ./bin
build:
	@mkdir -p $(BIN)/plugins/drivers
	$(GO) build -o $(BIN)/wuye ./cmd/wuye
	$(GO) build -o $(BIN)/wuye-devsim ./cmd/wuye-devsim
	@set -e; for p in $(PLUGIN_PKGS); do \
		out="$(abspath $(BIN))/plugins/$${p#plugins/}"; \
		if [ -f "$$p/go.mod" ]; then echo "(cd $$p && $(GO) build -o $$out .)"; (cd "$$p" && $(GO) build -o "$$out" .); \
		else echo "$(GO) build -o $$out ./$$p"; $(GO) build -o "$$out" "./$$p"; fi; \
	done

# The race detector needs a C compiler; where there is none the tests run without it.
RACE := $(shell command -v "$$($(GO) env CC)" >/dev/null 2>&1 && echo -race)

# The console's browser tests run after the rest, alone and without the race
# detector: they drive Chromium against a server in process, and next to the
# other packages on a 2-core machine, with every handler instrumented, their
# waits became timing flakes. Each API path they cross runs under -race in
# the packages' own tests.
E2E := ./core/web/e2e

## test: the whole suite (with the race detector when a C compiler is present), then the browser
## tests; Postgres/Redis/MQTT halves run when WUYE_TEST_POSTGRES_URL / _REDIS_ADDR / _MQTT_ADDR are set
test:
	$(GO) test $(RACE) -count=1 -timeout 60m $$($(GO) list $(PKGS) | grep -v '/core/web/e2e$$')
	$(GO) test -count=1 -timeout 30m $(E2E)

## lint: gofmt check + go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: the benchmarks named in the issues, printed as a table (raw output in bench.out;
## WUYE_BENCH_SKIP_1M=1 leaves out the million-resident search, whose first run seeds for a minute)
bench:
	bash .ci/bench

## ui: rebuild the web console (core/web/dist, committed and embedded) from the lockfile;
## `make run` needs no Node. `go build -tags noui` leaves the console out.
ui:
	cd core/web && npm ci && npm run build

## openapi: refresh the console's copy of the OpenAPI document and its TypeScript types
openapi:
	$(GO) run ./cmd/wuye openapi -o core/web/openapi.json
	cd core/web && npm run gen:api

## proto: regenerate committed gRPC code of the SDK
proto:
	$(GO) generate ./sdk/...

clean:
	rm -rf $(BIN) bench.out
