# The two entry points of README.md. Both create .venv on first use.
PYTHON ?= python3
# The suite runs on SQLite and again on this PostgreSQL (a schema per test, dropped after).
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
# The seed families the development set (tests/data/eval) holds to recall 0.95, precision 0.90.
FAMILIES := --key tag:mediation --key tag:drones --key tag:minsk
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test test-slow lint format clean chromium lock

$(BIN)/vigil: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.test-extras: $(BIN)/vigil
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

# The screenshot test draws the digest in headless Chromium, from Debian's packages.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	    echo "installing Debian's chromium (for the digest screenshot test)"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

run: $(BIN)/vigil
	$(BIN)/vigil run

test: $(VENV)/.test-extras chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/vigil rules check
	$(BIN)/vigil rules eval tests/data/eval $(FAMILIES) --min-recall 0.95 --min-precision 0.90 --format json >/dev/null
	$(BIN)/pytest -m "not slow"
	@$(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)').close()" 2>/dev/null || { \
	    echo "PostgreSQL is not reachable at $(PG_URL): start it, or set PG_URL=..."; exit 1; }
	VIGIL_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not slow"

# The slow checks: multi-worker scale-out (a Prefect server on PostgreSQL, two workers), the
# SIGKILL loop, which runs on both stores, and vigil serve for minutes, killed and restarted.
# About seven minutes.
test-slow: $(VENV)/.test-extras
	$(BIN)/pytest -m slow
	VIGIL_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -m slow tests/flows/test_kill.py

# requirements.lock: what a fresh install of vigil (with the postgres extra) resolves to today.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet '.[postgres]'
	{ sed -n '1,4p' requirements.lock; .lock-venv/bin/pip freeze --exclude vigil; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

lint: $(VENV)/.test-extras
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.test-extras
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .vigil .pytest_cache .mypy_cache
