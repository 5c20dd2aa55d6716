# scanpay: `make run` starts the local stack; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test protos lint bench bench-quick chaos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[local,dev,bench]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/scanpay dev up --demo

test: install
	$(BIN)/pytest

protos: install
	$(BIN)/python -m services.kit.protogen

bench: install
	$(BIN)/python -m bench.run_all

bench-quick: install
	$(BIN)/python -m bench.run_all --quick

chaos: install
	$(BIN)/python -m bench.chaos

lint: install
	$(BIN)/ruff check services tests bench

clean:
	rm -rf .run .pytest_cache
