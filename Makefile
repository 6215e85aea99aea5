# Every target builds .venv first when it is missing or pyproject.toml changed.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/penny demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -ra

bench: $(STAMP)
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check assistant tools prompts tests evals bench
	$(BIN)/ruff format --check assistant tools prompts tests evals bench
	$(BIN)/mypy assistant tools
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
