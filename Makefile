# Tickhub: `make demo` to see it, `make test` to check it. Both install what they need first.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= debug
BIN := .build/$(CONFIG)
export TICKHUB_BIN_DIR := $(CURDIR)/$(BIN)

.PHONY: setup build release install test unit e2e demo bench bench-smoke clean

# The Debian packages and Python tools, then the chart library the dashboard draws candles with (from a pinned
# PyPI wheel into the ignored clients/dashboard/vendor/; scripts/chart-library.sh).
setup:
	@bash scripts/setup.sh
	@bash scripts/chart-library.sh

build: setup
	$(SWIFT) build -c $(CONFIG)

release:
	$(MAKE) build CONFIG=release

# `make install PREFIX=/usr/local` (DESTDIR for staging): the three binaries in bin/, and in share/tickhub/ the
# dashboard, the OpenAPI document, the example configuration and the demo portfolio, where the hub finds them.
PREFIX ?= /usr/local
INSTALL_CONFIG ?= release
SHARE := $(DESTDIR)$(PREFIX)/share/tickhub
install:
	$(MAKE) build CONFIG=$(INSTALL_CONFIG)
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/dashboard
	install -m 755 .build/$(INSTALL_CONFIG)/tickhub .build/$(INSTALL_CONFIG)/tickhub-sim .build/$(INSTALL_CONFIG)/tickhub-bench $(DESTDIR)$(PREFIX)/bin/
	find clients/dashboard -maxdepth 1 -type f ! -name '.*' -exec install -m 644 {} $(SHARE)/dashboard/ \;
	if [ -d clients/dashboard/vendor ]; then install -d $(SHARE)/dashboard/vendor && \
	  find clients/dashboard/vendor -maxdepth 1 -type f ! -name '.*' -exec install -m 644 {} $(SHARE)/dashboard/vendor/ \; ; fi
	install -m 644 docs/openapi.yaml config/tickhub.example.json config/sim-portfolio.json $(SHARE)/

unit: setup
	$(SWIFT) test

e2e: build
	python3 -m pytest -q Tests/e2e

bench-smoke: build
	bash bench/run.sh --smoke

# Unit tests, then end-to-end tests against real processes, then the benchmark harness at tiny scale.
# The tests against a real nats-server measure leases and failovers in seconds: they run apart, one at a time, so
# that the rest of the suite running beside them on two cores cannot stretch those seconds.
NATS_SUITES := ^(NATSLinkTests|RelayTests)\.
test: setup
	$(SWIFT) build
	$(SWIFT) test --skip '$(NATS_SUITES)'
	$(SWIFT) test --skip-build --no-parallel --filter '$(NATS_SUITES)'
	python3 -m pytest -q Tests/e2e
	bash bench/run.sh --smoke
	bash bench/soak.sh --minutes 2
	bash scripts/fuzz.sh --seconds 10

demo: build
	$(BIN)/tickhub --demo --listen 127.0.0.1:$${PORT:-8080}

bench: setup
	$(SWIFT) build -c release
	bash bench/run.sh

# Thirty minutes of client churn and TWS faults against the hub, judging whether its memory and file
# descriptors stay flat (bench/README.md, Soak); `make test` runs two minutes of it.
.PHONY: soak
soak: build
	bash bench/soak.sh

# libFuzzer targets over the TWS codec, the symbol grammar, quote patches, the positions CSV, the Yahoo and Alpha
# Vantage responses and publish bodies, two minutes each (docs/tws-protocol-notes.md, Fuzzing); fuzz-smoke is the
# ten seconds each that `make test` runs.
.PHONY: fuzz fuzz-smoke
fuzz:
	FUZZ_SEED=$${FUZZ_SEED:-0} bash scripts/fuzz.sh --seconds $${FUZZ_SECONDS:-120}

fuzz-smoke:
	bash scripts/fuzz.sh --seconds 10

clean:
	rm -rf .build
