# Remedy: the README's commands. Run `make run` to use it, `make test` to test it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 5000
# The address messages link to and `demo load` prints: this port, unless REMEDY_BASE_URL says otherwise.
BASE_URL := $(or $(REMEDY_BASE_URL),http://127.0.0.1:$(PORT))

.PHONY: run test assets venv migrate bench system-run system-test system-bench lint

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,bench]'
	@touch $@

venv: $(BIN)/.installed

system-run:
	@tools/system-packages.sh run

system-test:
	@tools/system-packages.sh test

system-bench:
	@tools/system-packages.sh bench

assets: system-run
	@tools/build-assets.sh

migrate: venv
	$(FLASK) db upgrade

## make run: install, build assets, migrate the embedded database, load demo data if empty, then serve the web
## app on http://127.0.0.1:$(PORT) and run the scheduler as its own process. Ctrl-C stops both.
run: system-run venv assets migrate
	@REMEDY_BASE_URL=$(BASE_URL) $(FLASK) demo load --if-empty
	@echo "Remedy: $(BASE_URL)  (Ctrl-C stops the web app and the scheduler)"
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	  export REMEDY_MAIL_CAPTURE=1 REMEDY_DEMO_WITHOUT_TWO_FACTOR=1 REMEDY_BASE_URL=$(BASE_URL); \
	  $(FLASK) scheduler run & \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT)

## make test: ruff, mypy (workflows/), then the whole suite (unit, integration, scheduler, browser). DATABASE_URL selects PostgreSQL.
test: system-test venv assets
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

## make bench: every benchmark, then one table of figure vs target (BENCH_ARGS=--quick for smaller sizes;
## BENCH_DATABASE_URL=postgresql+psycopg://... to run the database benchmarks on PostgreSQL too). Not a test.
bench: system-bench venv
	$(BIN)/python bench/all.py $(BENCH_ARGS)
