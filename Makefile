.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
PY := $(VENV)/bin/python
export VIRTUAL_ENV := $(abspath $(VENV))
export PYO3_PYTHON := $(abspath $(PY))
export PATH := $(abspath $(VENV))/bin:$(PATH)
PYTEST_ARGS ?=
FUZZ_CASES ?= 200000
ROUNDS ?= 8
DEMO_SECONDS ?= 30

.PHONY: help
help: ## show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(VENV)/.tools:
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 'maturin>=1.7,<2'
	touch $@

$(VENV)/.built: $(VENV)/.tools pyproject.toml Cargo.toml $(shell find rust -name '*.rs')
	maturin develop --release --extras dev -q
	touch $@

.PHONY: dev
dev: $(VENV)/.built ## create .venv, install Python deps and build the extension (release)

.PHONY: test
test: dev ## install everything, then run cargo test and pytest
	cargo test -q
	$(PY) -m pytest -q $(PYTEST_ARGS)

.PHONY: lint
lint: dev ## cargo fmt --check, clippy -D warnings, ruff, mypy.stubtest
	cargo fmt --all -- --check
	cargo clippy -q --all-targets -- -D warnings
	cargo clippy -q --all-targets --features python -- -D warnings
	$(VENV)/bin/ruff check python tests benches
	$(VENV)/bin/ruff format --check python tests benches
	$(PY) -m mypy.stubtest kfeed._kfeed

.PHONY: fmt
fmt: dev ## format Rust and Python sources
	cargo fmt --all
	$(VENV)/bin/ruff format python tests benches
	$(VENV)/bin/ruff check --fix -q python tests benches

.PHONY: bench
bench: dev ## release benchmarks: criterion per component, instruction counts, fastest passes, Python-level tables vs json/orjson/msgspec, end to end
	cargo bench -q
	$(PY) -m pytest -q benches --benchmark-enable -p no:cacheprovider
	$(PY) -m benches.e2e.run --readme README.md

.PHONY: instructions
instructions: dev ## instructions per message of the core (callgrind): exact on a noisy machine, unlike a time
	cargo bench -q --bench instructions

.PHONY: fastest
fastest: dev ## the fastest of 40 passes per stream of the feed bench: steadier than a median on a loaded host
	cargo bench -q --bench fastest

.PHONY: fastest-ab
fastest-ab: ## make fastest alternated with the build of BASE (a git revision), ROUNDS times each (default 8)
	$(if $(BASE),,$(error give the revision to compare with: make fastest-ab BASE=<git revision>))
	python3 -m benches.alternate --base $(BASE) --rounds $(ROUNDS)

.PHONY: fuzz
fuzz: ## longer property-based fuzzing of the frame parser
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -q --release fuzz

.PHONY: demo
demo: dev ## start the embedded simulator, watch live data for DEMO_SECONDS, exit by itself
	$(PY) -m kfeed.demo --seconds $(DEMO_SECONDS)

.PHONY: clean
clean: ## remove build outputs and the venv
	rm -rf target $(VENV)
