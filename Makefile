# Every target installs what it needs first, so each works as the first command on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo serve test screenshots test-fast test-property test-pythons lint bench bench-scale mutants fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	@# the dashboard's browser tests drive Debian's chromium (tests/dashboard); root installs it, else sudo
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| (sudo apt-get update -qq && sudo apt-get install -y -qq chromium)
	@touch $(STAMP)

demo: install
	$(BIN)/hsqbo demo

serve: install
	$(BIN)/hsqbo serve

test: install
	$(BIN)/pytest -n auto

screenshots: install  # the dashboard's browser tests, writing the README's pictures (docs/screenshots/)
	HSQBO_SCREENSHOTS=1 $(BIN)/pytest -n 0 tests/dashboard

test-property: install  # the long property run (hypothesis "nightly" profile); make test runs the "ci" one
	HYPOTHESIS_PROFILE=nightly $(BIN)/pytest -n auto tests/property

# The tests under every supported Python this machine has, each in its own .venv-3.X (made and installed from
# pyproject.toml the first time, again when it changes). A Python that is missing is named and skipped.
PYTHONS       ?= 3.11 3.12 3.13
PYTHONS_TESTS ?= tests/unit
test-pythons:
	@failed=""; ran=""; \
	for v in $(PYTHONS); do \
	  py=$$(command -v python$$v 2>/dev/null); \
	  if [ -z "$$py" ] || ! "$$py" -c 'pass' 2>/dev/null; then \
	    py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -1); fi; \
	  if [ -z "$$py" ]; then echo "test-pythons: no Python $$v on this machine: skipped (uv python install $$v)"; continue; fi; \
	  venv=.venv-$$v; \
	  if [ ! -f $$venv/.installed ] || [ pyproject.toml -nt $$venv/.installed ]; then \
	    echo "test-pythons: Python $$v: installing into $$venv ($$py)"; \
	    { "$$py" -m venv $$venv && $$venv/bin/pip install --quiet --upgrade pip && \
	      $$venv/bin/pip install --quiet -e '.[test]' && touch $$venv/.installed; } || { failed="$$failed $$v(install)"; continue; }; \
	  fi; \
	  echo "test-pythons: Python $$($$venv/bin/python -c 'import sys; print(sys.version.split()[0])'): $(PYTHONS_TESTS)"; \
	  ran="$$ran $$v"; \
	  $$venv/bin/python -m pytest -q -p no:cacheprovider -n 2 $(PYTHONS_TESTS) || failed="$$failed $$v"; \
	done; \
	echo "test-pythons: ran under:$${ran:- none}; failed:$${failed:- none}"; \
	[ -z "$$failed" ]

lint: install  # style, types (sync/ and harness/) and the import layers (the contracts in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/mypy sync harness
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

bench-scale: install  # the growth table with its 100k-contact row (long; figures in bench/results-scale.json)
	$(BIN)/python -m bench --scale --json bench/results-scale.json

mutants: install  # planted bugs the oracle must catch (harness/mutants/catalogue.yaml); not part of make test
	$(BIN)/python -m harness.mutants $(MUTANTS_ARGS)

fuzz: install  # hypothesis over both simulators, the admin API and the receiver: 10,000 requests each (issue 13)
	$(BIN)/python -m harness.fuzz --requests 10000 $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
