# Two commands for a fresh Debian machine with Python 3.11 (see README):
#   make demo   set everything up and run the whole platform
#   make test   set everything up and run every test (the quality gate included)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test setup system-deps lint typecheck soak bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests and the demo need (Chromium for browser tests, PostgreSQL for the
# second database run, a CJK font for Chinese text in offline web mode); installed only when
# missing.
system-deps:
	scripts/install-system-deps.sh

demo: setup system-deps
	$(BIN)/chargepile demo

test: setup system-deps
	scripts/run-tests.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# Long fault and load tests, not part of `make test`.
soak: setup system-deps
	scripts/run-soak.sh

bench: setup system-deps
	scripts/run-benchmarks.sh

# Regenerates docs/screenshots/ (each app's screenshot script drives it in headless Chromium).
screenshots: setup system-deps
	for m in tests/*/screenshots.py; do \
		$(BIN)/python -m $$(echo $${m%.py} | tr / .) || exit 1; \
	done

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
