# One command to run the demo, one to run the tests. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
FLASK := ORDERS_ENV=development $(VENV)/bin/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-fast lint bench clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

## run: set up, load the demo data if the database is empty, then serve the app with a mail worker and a local mailbox
run: $(VENV)/.runtime
	PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) seed-demo --if-empty
	@echo "Open http://$(HOST):$(PORT)/ — demo accounts in README.md; emails land in instance/mail/; the demo LMS at /dev-lms"
	@$(FLASK) mail-sink & sink=$$!; \
	$(FLASK) send-mail --loop & worker=$$!; \
	trap 'kill $$sink $$worker 2>/dev/null' EXIT INT TERM; \
	PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) run --host $(HOST) --port $(PORT)

# Test workers (pytest-xdist): two per core; each gets its own database and live server. A browser
# test waits on Chromium and the live server in turn and keeps ~0.6 of a core busy, so one worker per
# core leaves the machine half idle (2 cores: -n 2 6 min 4–56 s, -n 4 5 min 46 s, -n 6 6 min 11 s).
WORKERS ?= $(shell n=$$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1); echo $$((n * 2)))

## test: set up and run the whole suite (SQLite by default; PostgreSQL too when TEST_DATABASE_URL is set)
test: $(VENV)/.dev
	$(VENV)/bin/python -m pytest -n $(WORKERS)

## test-fast: the suite without the browser tests
test-fast: $(VENV)/.dev
	$(VENV)/bin/python -m pytest -n $(WORKERS) -m "not e2e"

## lint: ruff (pyflakes, pycodestyle with lines of at most 120 columns, import order, bugbear; ruff.toml) and mypy on
## orders/domain, orders/web, orders/cli and orders/worker (mypy.ini)
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## bench: load institution-sized data into PostgreSQL and print the benchmark table
bench: $(VENV)/.dev
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache
