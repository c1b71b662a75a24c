# Developer workflow. On a fresh machine:   make demo   then   make test
# Everything runs from the project's own virtualenv (.venv), created by `make setup`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
AUD    := $(BIN)/audiencelang
DEMO_DB := demo/demo.duckdb
# Audiences `make demo` runs on every market once `audiencelang run` exists.
DEMO_AUDIENCES := abandoned_carts new_buyers cart_abandoners lapsed_high_value big_spenders newsletter_winback
DEMO_MARKETS := de us fr

.PHONY: setup demo test test-fast bench bench-large style lint typecheck fmt ci clean help

help:
	@echo "make setup   create $(VENV) and install audiencelang with dev + engine extras"
	@echo "make demo    setup, generate $(DEMO_DB), check + fmt --check examples, run and deliver audiences"
	@echo "make test    the full test suite (the same command CI runs)"
	@echo "make style   ruff + mypy --strict"
	@echo "make bench   benchmarks"
	@echo "make bench-large  the SQL and batch benchmarks on 10M profiles / 200M events (generated on demand)"
	@echo "make ci      what CI runs (.ci/run), on this machine"

$(BIN)/audiencelang: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,engines,lsp]'
	touch $@

setup: $(BIN)/audiencelang

demo: setup
	$(AUD) demo generate --db $(DEMO_DB) --project examples
	$(AUD) check examples
	$(AUD) fmt --check examples
	@if $(AUD) run --help >/dev/null 2>&1; then \
	  for m in $(DEMO_MARKETS); do for a in $(DEMO_AUDIENCES); do \
	    echo "== $$a @ $$m"; \
	    $(AUD) run $$a --project examples --market $$m --db $(DEMO_DB) --as-of 2026-11-01T00:00:00Z || exit $$?; \
	  done; done; \
	else echo "(audiencelang run is not available yet: skipped running audiences)"; fi
	@# deliveries over time (docs/deliver.md): two days, what entered and exited in between
	rm -rf demo/deliveries
	$(AUD) deliver --all --project examples --market de --db $(DEMO_DB) --as-of 2026-10-01T00:00:00Z --output demo/deliveries
	$(AUD) deliver --all --project examples --market de --db $(DEMO_DB) --as-of 2026-11-01T00:00:00Z --output demo/deliveries
	$(AUD) deliver --history newsletter_winback --project examples --db $(DEMO_DB)

# The one test command: README and .ci/run use exactly this.
test: setup
	$(BIN)/pytest -q -n 2

test-fast: setup
	$(BIN)/pytest -q -n 2 -m 'not slow and not spark'

bench: setup
	$(PY) -m pip install -q -e '.[dev,engines,lsp,bench]'
	$(PY) bench/run.py

bench-large: setup
	$(PY) -m pip install -q -e '.[dev,engines,lsp,bench]'
	$(PY) bench/run.py --large

lint: setup
	$(BIN)/ruff check audiencelang tests

typecheck: setup
	$(BIN)/mypy --strict audiencelang

style: lint typecheck

fmt: setup
	$(AUD) fmt --check examples

ci:
	bash .ci/run

clean:
	rm -rf demo .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
