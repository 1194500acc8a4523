# Two commands do all the set-up on a fresh machine with Python, pip and make:
#   make demo   micrograd train: the moons demo       make test   ruff + the whole test suite
# and for a release: make test-versions (the suite on each Python present), make dist (build + twine check)
PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
# re-install when pyproject.toml changes
HASH     := $(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_OK  := $(VENV)/.demo-$(HASH)
DEV_OK   := $(VENV)/.dev-$(HASH)
ORIGINAL := $(VENV)/micrograd-0.1.0

.PHONY: demo test test-versions dist lint format bench mutation clean

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

# Mutation testing (before each release; not in every CI run): single wrong edits to the derivatives,
# the graph walk, the compiled rules and gradcheck, each run against the targeted tests
# (tools/mutation.py; docs/testing.md). Prints "mutation score: K of N killed, E equivalent".
mutation: $(DEV_OK)
	$(PY) tools/mutation.py

# The suite on each Python version present (on PATH, or one pyenv installed but did not select),
# each in a venv of its own (.venvs/pyX.Y). PyTorch comes
# only from a wheel already on this machine (pip --no-index); where there is none, the tests that
# compare with it skip and the rest run. One line per version; fails if any version fails.
VERSIONS ?= 3.10 3.11 3.12 3.13
test-versions:
	@mkdir -p .venvs; status=0; \
	for v in $(VERSIONS); do \
	    py=$$(for c in $$(command -v python$$v) $$HOME/.pyenv/versions/$$v.*/bin/python$$v; do \
	        $$c -c '' 2>/dev/null && echo $$c && break; done); \
	    [ -n "$$py" ] || { echo "python$$v: not found"; continue; }; \
	    env=.venvs/py$$v; log=.venvs/py$$v.log; \
	    { [ -x $$env/bin/python ] || $$py -m venv $$env; } && \
	    $$env/bin/python -m pip install --quiet -e '.[test]' >$$log 2>&1 || { echo "python$$v: install failed ($$log)"; status=1; continue; }; \
	    if $$env/bin/python -m pip install --quiet --no-index --no-deps torch==2.13.0 >>$$log 2>&1; \
	    then $$env/bin/python -m pip install --quiet torch==2.13.0 >>$$log 2>&1; torch="torch 2.13.0"; \
	    else torch="no torch wheel here: the PyTorch comparisons skip"; fi; \
	    $$env/bin/python -m pytest -q -p no:cacheprovider >>$$log 2>&1; rc=$$?; \
	    echo "python$$v ($$($$env/bin/python -V 2>&1), $$torch): $$(grep -E '^(=+ )?[0-9]+ (passed|failed)' $$log | tail -1 | tr -d '=') (log: $$log)"; \
	    [ $$rc -eq 0 ] || status=1; \
	done; exit $$status

# the sdist and the wheel in dist/, and twine's check of both
dist: $(DEV_OK)
	$(PY) -m pip install --quiet build twine
	rm -rf dist
	$(PY) -m build
	$(PY) -m twine check --strict dist/*

clean:
	rm -rf $(VENV) .venvs build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
