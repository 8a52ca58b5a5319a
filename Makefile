# TicketDesk: everyday tasks. `make help` lists them.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
# The web server listens on HOST:PORT. Exported, so every process started here (the web
# server, the scheduler that sends the e-mails, the set-up commands) builds the links in
# e-mails from them: ticketdesk/settings.py takes BASE_URL when it is set (environment or
# `make run BASE_URL=https://desk.example.com`), else http://HOST:PORT.
export HOST PORT

# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-x -k tickets"
PYTEST_ARGS ?=
# Parallel test processes (pytest-xdist); each gets its own PostgreSQL database.
PYTEST_WORKERS ?= 2
# When set, `make test` runs the suite a second time against this database
# (e.g. postgresql+psycopg://user:pass@127.0.0.1:54329/ticketdesk_test).
TEST_DATABASE_URL ?=
export TEST_DATABASE_URL

FLASK   := $(BIN)/flask --app wsgi
PYTEST  := $(BIN)/python -m pytest
PYBABEL := $(BIN)/pybabel
# The exact versions, with their hashes, that `make` installs: what running needs, and that
# plus the tests' and linters' tools. `make lock` writes both from pyproject.toml.
RUN_LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# Written after a successful install; redone when the lock or pyproject.toml changes.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

TRANSLATIONS := ticketdesk/translations

.DEFAULT_GOAL := help

.PHONY: help venv install run db-ready serve serve-web serve-scheduler urls test test-sqlite test-database \
        messages translations lock clean reset-db bench bench-mail bench-ingest lint

help: ## List the available targets
	@echo "TicketDesk make targets:"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'
	@echo "Variables: PYTHON=$(PYTHON) HOST=$(HOST) PORT=$(PORT) PYTEST_ARGS PYTEST_WORKERS TEST_DATABASE_URL TICKETS BENCH_SKIP MAILS INGEST"

# ---------------------------------------------------------------- install ---

venv: $(DEV_STAMP) ## Create .venv and install TicketDesk with its dev tools
install: $(DEV_STAMP) ## Same as venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Hash-checked install of the lock, then TicketDesk itself (editable, nothing more resolved).
# The dev lock holds every version of the run lock, so installing it makes both stamps.
$(RUN_STAMP): $(RUN_LOCK) pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install --require-hashes -r $(RUN_LOCK)
	$(BIN)/python -m pip install --no-deps -e .
	@touch $@

$(DEV_STAMP): $(DEV_LOCK) $(RUN_LOCK) pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --no-deps -e .
	@touch $@ $(RUN_STAMP)

# uv reads no pip configuration: it is given the index pip installs from (PIP_INDEX_URL or
# pip's global.index-url) when one is set; both use PyPI otherwise. The versions already in a
# lock are kept unless UPGRADE=1; the dev lock takes the run lock's versions as constraints.
UPGRADE ?=
LOCK_COMPILE = $(BIN)/uv pip compile --quiet pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) \
	$${index:+--index-url "$$index"}

lock: $(DEV_STAMP) ## Write requirements.lock and requirements-dev.lock from pyproject.toml (UPGRADE=1: newest allowed)
	index="$${PIP_INDEX_URL:-$$($(BIN)/python -m pip config get global.index-url 2>/dev/null)}"; \
	  $(LOCK_COMPILE) -o $(RUN_LOCK) && \
	  $(LOCK_COMPILE) --group dev -c $(RUN_LOCK) -o $(DEV_LOCK)

# -------------------------------------------------------------------- run ---
# `run` prepares the database, then starts the processes that make up a
# running TicketDesk: the web server (serve-web) and, beside it, the scheduler
# process for background jobs (serve-scheduler). `serve` starts the scheduler in
# the background and the web server in the foreground; when the web server exits
# (Ctrl-C), the shell's trap stops the scheduler with SIGTERM and waits for it,
# so it finishes a running job and releases its lease. A process started by a
# shell with `&` ignores Ctrl-C's SIGINT, hence the trap.

run db-ready serve serve-web serve-scheduler urls: export FLASK_APP = wsgi

run: db-ready ## Upgrade the database, load demo data if empty, serve web + scheduler on http://HOST:PORT
	$(serve_with_scheduler)

# One process (`flask prepare`) does what took six: db upgrade, seed-playbooks,
# demo-data --if-empty, seed-routing, seed-sla and outbox transport, with the same output.
db-ready: $(RUN_STAMP) ## Apply migrations; shipped playbooks, demo data if empty, default routing rules and SLA policies
	$(FLASK) prepare

serve: $(RUN_STAMP) ## Serve the web app with the scheduler beside it; one Ctrl-C stops both
	@$(FLASK) outbox transport | sed 's/^/==> /'
	$(serve_with_scheduler)

define serve_with_scheduler
@echo "==> Scheduler: $(FLASK) scheduler run (in the background)"
@$(FLASK) scheduler run & scheduler=$$!; \
  trap 'kill -TERM $$scheduler 2>/dev/null; wait $$scheduler' EXIT; \
  trap 'exit 130' INT; trap 'exit 143' TERM; \
  echo "==> TicketDesk on http://$(HOST):$(PORT)  (Ctrl-C stops the web server and the scheduler)"; \
  $(FLASK) run --host $(HOST) --port $(PORT)
endef

serve-web: $(RUN_STAMP) ## Serve the web app only (no database preparation, no scheduler)
	@$(FLASK) outbox transport | sed 's/^/==> /'
	@echo "==> TicketDesk on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

serve-scheduler: $(RUN_STAMP) ## Run the background jobs only (one process holds the lease, others wait)
	@$(FLASK) outbox transport | sed 's/^/==> /'
	$(FLASK) scheduler run

urls: ## Print where the web app listens, where e-mail links point and the outbox page
	@echo "==> TicketDesk listens on http://$(HOST):$(PORT)"
	@$(FLASK) outbox transport | sed 's/^/==> /'

# ------------------------------------------------------------------- test ---
# The suite reads TICKETDESK_TEST_DATABASE_URL; unset means SQLite in memory.
# Both runs must pass.

test: $(DEV_STAMP) ## Lint, then run the tests on SQLite, then on TEST_DATABASE_URL if set
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  $(MAKE) --no-print-directory test-database; \
	else \
	  echo "==> TEST_DATABASE_URL is not set: skipping the second run"; \
	fi

test-sqlite: $(DEV_STAMP)
	@echo "==> Tests on SQLite (in memory)"
	env -u TICKETDESK_TEST_DATABASE_URL $(PYTEST) -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-database: $(DEV_STAMP)
	@if [ -z "$$TEST_DATABASE_URL" ]; then echo "TEST_DATABASE_URL is not set" >&2; exit 2; fi
	@echo "==> Tests on $$(printf '%s' "$$TEST_DATABASE_URL" | sed -E 's#//([^:/@]*):[^@]*@#//\1:***@#')"
	TICKETDESK_TEST_DATABASE_URL="$$TEST_DATABASE_URL" $(PYTEST) -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# ------------------------------------------------------------------ bench ---
# A fresh SQLite database in bench/.work/ with TICKETS bulk tickets, the SLA sweep
# timed in process, then gunicorn (production config) and timed pages; writes
# bench/results.json. BENCH_SKIP leaves out pages, e.g. BENCH_SKIP=dashboard.

TICKETS    ?= 100000
BENCH_SKIP ?=

bench: $(DEV_STAMP) ## Benchmark queue, ticket page, search, dashboard, SLA sweep (TICKETS=100000, BENCH_SKIP=)
	$(BIN)/python bench/run.py --tickets $(TICKETS) $(if $(BENCH_SKIP),--skip $(BENCH_SKIP))

# MAILS customer-like e-mails queued into a fresh SQLite database in bench/.work/ and sent
# by one outbox run to a local SMTP server (aiosmtpd, its own process); writes
# bench/results-mail.json.
MAILS ?= 1000

bench-mail: $(DEV_STAMP) ## Benchmark the outbox: MAILS=1000 e-mails sent over SMTP, messages per second
	$(BIN)/python bench/mail_send.py --messages $(MAILS)

# INGEST messages made from the test corpus taken in through the service into a fresh,
# migrated and seeded SQLite database in bench/.work/, then 50 more through one
# `flask mail ingest` process each; writes bench/results-ingest.json.
INGEST ?= 1000

bench-ingest: $(DEV_STAMP) ## Benchmark received mail: INGEST=1000 messages through the service, 50 through the pipe
	$(BIN)/python bench/mail_ingest.py --messages $(INGEST) --pipe 50

# ------------------------------------------------------------ translations ---

messages: $(RUN_STAMP) ## Extract translatable text into ticketdesk/translations/messages.pot
	@mkdir -p $(TRANSLATIONS)
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext -o $(TRANSLATIONS)/messages.pot .

translations: $(RUN_STAMP) ## Compile the translation catalogs (.po -> .mo), if any
	@if ls $(TRANSLATIONS)/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
	  echo "$(PYBABEL) compile -d $(TRANSLATIONS)"; \
	  $(PYBABEL) compile -d $(TRANSLATIONS); \
	else \
	  echo "No translation catalogs in $(TRANSLATIONS) yet: nothing to compile"; \
	fi

# ------------------------------------------------------------------ tidy ---

clean: ## Remove .venv and caches (keeps the local database)
	rm -rf $(VENV) .pytest_cache .hypothesis build dist *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

reset-db: ## Delete the local SQLite database (instance/ticketdesk.db)
	rm -f instance/ticketdesk.db

# ------------------------------------------------------------------- lint ---
# ruff with the rule set in pyproject.toml ([tool.ruff]): the linter, then the formatter in
# check mode, which changes nothing (`$(BIN)/ruff format .` applies it). Then the package
# boundaries in pyproject.toml ([tool.importlinter]): services and core never import the web,
# CLI or demo layers, models and core never import services, and no import circle between
# service packages (docs/architecture.md).

lint: $(DEV_STAMP) ## Lint (ruff check), check the formatting (ruff format --check) and the package boundaries (lint-imports)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/lint-imports
