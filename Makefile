# cityloop — two commands: `make demo` and `make test`. Everything else is a helper target.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test install install-test system-deps messages lint format bench clean

demo: install messages
	$(BIN)/cityloop migrate --verbosity 0
	$(BIN)/cityloop demo
	$(BIN)/cityloop serve --host $(HOST) --port $(PORT)

# The suite's data directory; .ci/run gives each of its two concurrent passes its own.
TEST_DATA_DIR ?= $(CURDIR)/var/test

test: install-test system-deps messages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CITYLOOP_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m pytest; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed
	@$(MAKE) --no-print-directory system-fonts

install-test: $(VENV)/.installed-test

# System packages: fonts for Chinese PDFs/charts, chromium for the browser test, haproxy and
# pgbouncer for the several-nodes test. Installed
# when we are root; otherwise say what degrades and go on.
system-fonts:
	@sh scripts/system-deps.sh fonts documents

system-deps:
	@sh scripts/system-deps.sh fonts chromium documents deploy

# Compiled catalogs are files made from the .po: rebuilt only when the .po is newer, so two
# `make test` running at once (CI's two passes) never rewrite a catalog the other is reading.
MO := $(patsubst %.po,%.mo,$(wildcard src/cityloop/locale/*/LC_MESSAGES/django.po))

messages: $(MO)

%.mo: %.po | $(BIN)/python
	$(BIN)/python -m babel.messages.frontend compile -i $< -o $@.tmp --statistics 2>&1 | tail -1
	mv $@.tmp $@

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var test-output .pytest_cache
