# Korgoo: `make demo` runs the monitoring centre's demo, `make test` the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test system-deps lint serve bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Korgoo needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/korgoo demo

serve: $(BIN)/.installed
	$(BIN)/korgoo serve

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# The tests start private PostgreSQL and Mosquitto instances; the packages they
# run from (and Chromium) come from the distribution, installed when missing.
# pytest's exit 5 (no test ran) fails the target like any other failure.
test: system-deps lint
	$(BIN)/pytest -q

system-deps:
	PYTHON=$(PYTHON) scripts/ensure-system-deps

bench: $(BIN)/.installed
	$(BIN)/korgoo bench engine
	$(BIN)/korgoo bench gateways

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
