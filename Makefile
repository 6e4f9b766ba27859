# The two commands of the README. Both create and reuse .venv in the checkout.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: up test lint bench clean

# The pinned requirements, then the project itself (editable, no dependencies): that
# provides the `attune` command in $(VENV)/bin.
$(STAMP): requirements/base.txt requirements/dev.txt requirements/constraints.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

## Start the whole platform on the embedded default (Ctrl-C stops it).
up: $(STAMP)
	$(PY) manage.py up

## Run the tests (against ATTUNE_DATABASE_URL / ATTUNE_BROKER_URL when set, else embedded).
test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var
