# Developer loop. The package is also installable with plain `pip install .`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: venv compile debug sanitize test test-installed bench lint clean

venv:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q "Cython>=3.1,<4" numpy "setuptools>=77" blake3
	$(PY) -m pip install -q -e '.[dev]' --no-build-isolation

# Build the extensions in place (release flags).
compile:
	$(PY) setup.py build_ext --inplace -q

# Bounds checks on, -O0 -g, C asserts kept.
debug:
	POUW_DEBUG=1 $(PY) setup.py build_ext --inplace -q --force

# ASan + UBSan build of the kernels (into build/sanitize; src/ is left alone) and the
# kernel tests on it with libasan preloaded. CI runs it after the suite (.ci/run).
sanitize:
	PY=$(PY) bash .ci/sanitize

# Tests against the in-place build.
test:
	PYTHONPATH=src $(PY) -m pytest

# What CI does: a fresh venv, a non-editable install, the suite on the installed package.
test-installed:
	bash .ci/run

bench:
	PYTHONPATH=src $(PY) -m pytest benchmarks --benchmark-only --benchmark-columns=mean,ops -q
	PYTHONPATH=src $(PY) benchmarks/run_all.py
	PYTHONPATH=src $(PY) benchmarks/plot_proving.py   # redraws results/proving.png from results/proving.json

lint:
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	$(PY) -m mypy

clean:
	rm -rf build dist *.egg-info src/*.egg-info
	find src -name '*.so' -delete
	find src/pouw/_native -maxdepth 1 -name '*.c' -delete
	find src/pouw/_native -maxdepth 1 -name '*.html' -delete
