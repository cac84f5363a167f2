# Every target installs what it needs first, so each works as the first command on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo serve test screenshots test-fast test-property lint bench mutants fuzz clean

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

lint: install  # style, types (sync/ and harness/) and the import layers (the contracts in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/mypy sync harness
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

mutants: install  # planted bugs the oracle must catch (harness/mutants/catalogue.yaml); not part of make test
	$(BIN)/python -m harness.mutants $(MUTANTS_ARGS)

fuzz: install  # hypothesis over both simulators, the admin API and the receiver: 10,000 requests each (issue 13)
	$(BIN)/python -m harness.fuzz --requests 10000 $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
