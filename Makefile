# Two commands on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# the demo needs the runtime plus plots and a progress bar
$(VENV)/.demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[plot,progress]'
	touch $@

# tests also need the PyTorch oracle (a CPU build; exactly this version)
$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,plot,progress,notebooks,dask]'
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

demo: $(VENV)/.demo
	$(BIN)/chainrule demo

test: $(VENV)/.test
	$(BIN)/ruff check .
	CHAINRULE_REQUIRE_TORCH=1 $(BIN)/python -m pytest

bench: $(VENV)/.test
	$(BIN)/pip install --quiet micrograd==0.1.0 pyinstrument
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/moons.py
	$(BIN)/python benchmarks/gpt.py

notebooks: $(VENV)/.test
	$(BIN)/jupyter notebook notebooks/

clean:
	rm -rf $(VENV) chainrule-out .pytest_cache
