# One command to run the bot, one to test it; both set up the virtualenv first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/empirie-bot run

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) benchmarks/outbox_throughput.py
	$(PY) benchmarks/burst.py
	$(PY) benchmarks/button_burst.py
	$(PY) benchmarks/broadcast.py
	$(PY) benchmarks/scale.py
	$(PY) benchmarks/funding.py
	$(PY) benchmarks/footprint.py

clean:
	rm -rf $(VENV) empirie.db empirie.db-* .pytest_cache
