# derive — one-command set-up, demo and tests.
#
#   make demo    set everything up, then run the demo steps (DEMO_STEPS below)
#   make test    set everything up, then run the test suite (not the benchmarks)
#   make bench   run the benchmarks in tests/benchmarks (~10 min; writes tests/benchmarks/RESULTS.md)
#
# Set-up works on a fresh Debian machine with Python 3.11, as root or with sudo:
#   - .venv is created if missing (scripts/ensure-venv.sh; installs python3-venv if needed),
#   - `pip install -e .[dev]` runs only when pyproject.toml is newer than .venv/.installed,
#   - TeX Live is apt-installed only when a tool is missing (scripts/ensure-tex.sh).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all venv tex test demo bench

all: test

# ------------------------------------------------------------------ set-up

venv: $(STAMP)

$(PY):
	PYTHON=$(PYTHON) scripts/ensure-venv.sh $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[dev]'
	touch $@

tex:
	@scripts/ensure-tex.sh

# ------------------------------------------------------------------ tests

test: venv tex
	$(PY) -m pytest -q --ignore=tests/benchmarks

# The benchmark-only extra (torch CPU build, numexpr) is installed when missing; where it
# cannot be, its columns are skipped with a note. Results: tests/benchmarks/RESULTS.md.
# Every library gets BENCH_THREADS threads (NumPy's elementwise code has one).
BENCH_THREADS ?= 1
bench: venv tex
	@$(PY) -c 'import torch, numexpr' 2>/dev/null || $(PY) -m pip install -e '.[dev,bench]' \
	  || echo "bench: the bench extra (torch, numexpr) could not be installed; its columns are skipped"
	BENCH_THREADS=$(BENCH_THREADS) OMP_NUM_THREADS=$(BENCH_THREADS) \
	  OPENBLAS_NUM_THREADS=$(BENCH_THREADS) NUMEXPR_NUM_THREADS=$(BENCH_THREADS) \
	  $(PY) -m pytest tests/benchmarks -q -s -p no:cacheprovider -o 'python_files=bench_*.py'

# ------------------------------------------------------------------ demo
# The demo is a list of steps, run in this order. To add one: define a target
# `demo-<something>:` below (it may assume the venv and TeX are ready) and append
# its name to DEMO_STEPS.
DEMO_STEPS := demo-supermarket demo-verify-layers demo-graph demo-reports demo-new
.PHONY: $(DEMO_STEPS)

demo: venv tex
	@for step in $(DEMO_STEPS); do \
	  echo; echo "==> $$step"; \
	  $(MAKE) --no-print-directory $$step || exit 1; \
	done

# The tutorial's computational-graph example with the hand-written Mul/Add layers.
demo-supermarket:
	$(PY) -m layers.supermarket

# Check the hand-written layers against the derived gradients (exit 1 on any finding).
demo-verify-layers:
	$(VENV)/bin/derive verify layers

# The supermarket figure for the same formula, from the engine: values on every arrow.
demo-graph:
	$(VENV)/bin/derive graph "rice*rice_num + flour*flour_num" --at rice=2.6,rice_num=10,flour=2.4,flour_num=10

# Every catalog operator's derivation report as PDF, plus the index, in build/reports.
demo-reports:
	@start=$$(date +%s); \
	$(VENV)/bin/derive report --all --format pdf --out build/reports --force; \
	echo "reports: $(CURDIR)/build/reports/index.pdf and one PDF per operator next to it" \
	     "($$(( $$(date +%s) - start )) s)"

# (--force: build/ is the demo's own folder; files from before derive marked its outputs are replaced)
# A new activation from its formula alone: build/new/mish.py (layer class), mish.pdf (report),
# mish.verify.json (the verifier's result on the generated class).
demo-new:
	$(VENV)/bin/derive new mish --formula "x*tanh(softplus(x))" --out build/new --force
