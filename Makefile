# Agora: `make run` starts the marketplace, `make test` runs every test. Both install what is
# missing first (Python venv, npm packages, Debian packages), and do nothing when it is there.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
FORGE = $(firstword $(wildcard node_modules/@foundry-rs/forge-linux-*/bin/forge))
ETHERS := frontend/static/vendor/ethers.min.js
# chromium: the dashboard's browser tests and `make screenshots` drive it through Playwright.
DEB_PACKAGES := chromium

.PHONY: run test test-contracts test-python contracts programs snapshot lint slither bench screenshots deps clean

run: deps
	$(VENV)/bin/agora up

test: deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory slither
	$(MAKE) --no-print-directory test-contracts
	$(MAKE) --no-print-directory test-python

test-contracts: deps
	cd contracts && ../$(FORGE) test

# Two test processes, each taking whole files (module fixtures start once): most tests wait on
# the chain, the store or Ray more than they compute (docs/toolchain.md). PYTEST_WORKERS=0: one.
PYTEST_WORKERS ?= 2
test-python: deps programs
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

contracts: deps
	$(PY) tools/artifacts.py

# Example programs, C compiled to WebAssembly with zig (examples/programs/build/).
PROGRAMS := $(patsubst examples/programs/%.c,examples/programs/build/%.wasm,$(wildcard examples/programs/*.c))
programs: deps $(PROGRAMS)

examples/programs/build/%.wasm: examples/programs/%.c examples/programs/agora.h
	@mkdir -p $(@D)
	$(VENV)/bin/agora program build $< -o $@

# Gas of every unit test, committed so a regression shows in review (contracts/.gas-snapshot).
snapshot: deps
	cd contracts && ../$(FORGE) snapshot --no-match-contract Invariant

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Static analysis of the contracts; fails on a high-severity finding.
slither: deps $(STAMPS)/slither
	$(PY) tools/slither.py

bench: deps
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# A screenshot of each dashboard page, over a small market made for it (docs/screenshots/).
screenshots: deps programs
	$(PY) tools/screenshots.py docs/screenshots

deps: $(STAMPS)/python $(STAMPS)/npm $(STAMPS)/debian $(ETHERS)

# The dashboard's one library, ethers' ESM build, served from frontend/static/vendor/.
$(ETHERS): $(STAMPS)/npm
	@mkdir -p $(@D)
	cp node_modules/ethers/dist/ethers.min.js $@

$(STAMPS)/python: pyproject.toml constraints.txt
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# slither needs web3 < 8, so it gets a venv of its own.
$(STAMPS)/slither: Makefile
	@mkdir -p $(STAMPS)
	test -x .venv-slither/bin/python || $(PYTHON) -m venv .venv-slither
	.venv-slither/bin/python -m pip install --quiet --disable-pip-version-check slither-analyzer==0.11.6
	@touch $@

# Foundry's own binaries beside the venv's tools (npm's .bin wrappers exit 0 when the tool fails).
$(STAMPS)/npm: package.json package-lock.json $(STAMPS)/python
	@mkdir -p $(STAMPS)
	npm install --no-audit --no-fund --loglevel=error
	for tool in forge cast anvil; do ln -sf "$$(pwd)/$$(ls -d node_modules/@foundry-rs/$$tool-linux-*/bin/$$tool | head -1)" $(VENV)/bin/$$tool; done
	@touch $@

$(STAMPS)/debian: Makefile
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi
	@touch $@

clean:
	rm -rf $(STAMPS) contracts/out contracts/cache .pytest_cache .mypy_cache .ruff_cache
