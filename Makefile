# irlink: `make demo`, `make test` and `make bench` work on a machine with only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BASE_STAMP := $(VENV)/.installed
STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test lint typecheck unit hil bench generate clean

# irlink alone (no extras), so that `make demo` is quick; the stamps below build on it.
$(BASE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(BASE_STAMP)

$(STAMP): $(BASE_STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## demo: a short session on a simulated waistband, with the live view (no hardware needed)
demo: $(BASE_STAMP)
	$(BIN)/irlink demo

## test: every check: lint, format, types, the tests, then hil/ against the simulators
test: lint typecheck unit hil

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

## hil: the conformance suite; against hardware with `make hil DEVICE=/dev/ttyACM0`
hil: $(STAMP)
	$(BIN)/pytest hil $(if $(DEVICE),--device $(DEVICE))

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	touch $(BENCH_STAMP)

## bench: the speed and link figures recorded in bench/RESULTS.md
bench: $(BENCH_STAMP)
	$(BIN)/python bench/bench_codec.py
	$(BIN)/python bench/bench_sim.py
	$(BIN)/python bench/bench_host.py
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_noisy_link.py
	$(BIN)/python bench/bench_record.py
	$(BIN)/python bench/bench_study.py
	$(BIN)/python bench/bench_security.py
	$(BIN)/python bench/bench_security_link.py

## generate: rewrite what is made from the sources: code, vectors (security's too) and the protocol's catalogue from protocols/, the --json schema, the regimen schema
generate: $(STAMP)
	$(BIN)/python scripts/gen_messages.py
	$(BIN)/python scripts/gen_vectors.py
	$(BIN)/python scripts/gen_security_vectors.py
	$(BIN)/python scripts/gen_protocol_doc.py
	$(BIN)/python scripts/gen_cli_schema.py
	$(BIN)/python scripts/gen_regimen_schema.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache .hypothesis
