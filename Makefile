# Two commands do all the set-up on a fresh machine with Python, pip and make:
#   make demo   micrograd train: the moons demo       make test   ruff + the whole test suite
PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
# re-install when pyproject.toml changes
HASH     := $(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_OK  := $(VENV)/.demo-$(HASH)
DEV_OK   := $(VENV)/.dev-$(HASH)
ORIGINAL := $(VENV)/micrograd-0.1.0

.PHONY: demo test lint format bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEMO_OK): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[train]'
	touch $@

# dev: the test tools, PyTorch as the reference, and the original micrograd
# from PyPI in a folder of its own (its import name collides with ours)
$(DEV_OK): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps --target $(ORIGINAL) micrograd==0.1.0
	touch $@ $(DEMO_OK)

demo: $(DEMO_OK)
	$(VENV)/bin/micrograd train --out runs/moons  # its last line says where the pictures are

test: $(DEV_OK)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

lint: $(DEV_OK)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(DEV_OK)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(DEV_OK)
	$(PY) benchmarks/bench_engine.py --original-dir $(ORIGINAL)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
