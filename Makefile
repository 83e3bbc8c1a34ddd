# One command to run the bot, one to test it; both set up the virtualenv first (from the lock).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
LOCK := requirements-dev.lock

.PHONY: run test lint bench lock clean

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r $(LOCK)
	$(PY) -m pip install -q --no-deps -e .
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/empirie-bot run

# format, lint, types (layers are a test: tests/test_layers.py)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) benchmarks/outbox_throughput.py
	$(PY) benchmarks/outbox_claim.py
	$(PY) benchmarks/outbox_storage.py
	$(PY) benchmarks/burst.py
	$(PY) benchmarks/button_burst.py
	$(PY) benchmarks/booking_storm.py
	$(PY) benchmarks/broadcast.py
	$(PY) benchmarks/reply_latency.py
	$(PY) benchmarks/scale.py
	$(PY) benchmarks/pages.py
	$(PY) benchmarks/funding.py
	$(PY) benchmarks/funding_digest.py
	$(PY) benchmarks/roster_import.py
	$(PY) benchmarks/footprint.py

# refresh both lock files after changing dependencies in pyproject.toml (needs uv)
lock:
	uv pip compile pyproject.toml --extra telegram --extra teams --extra postgres \
		--python-version 3.11 --generate-hashes -q -o requirements.lock
	uv pip compile pyproject.toml --extra dev \
		--python-version 3.11 --generate-hashes -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) empirie.db empirie.db-* .pytest_cache .mypy_cache
