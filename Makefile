# The series' commands. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.setup-done
# the data package's version is pinned in one place, helpers/data.py (RECBOLE_VERSION = "…")
RECBOLE_VERSION := $(shell sed -n 's/^RECBOLE_VERSION *= *"\([^"]*\)".*/\1/p' helpers/data.py)
DATA_STAMP := $(VENV)/.recbole-$(RECBOLE_VERSION)
# the quick tests: pytest's groups (markers) are set in the root conftest.py, see pyproject.toml
QUICK := not notebooks and not browser and not slow
# TensorFlow stays quiet and deterministic in every process these targets start
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED := 0

.PHONY: help setup run test test-backends unit nbval lab notebooks experiments scaling readme student teacher lint serve clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 15

setup: $(STAMP) $(DATA_STAMP)  ## create .venv with the pinned packages, the data package and Graphviz
	@bash tools/ensure_system_packages.sh

# remade only when requirements.txt changes (editing this Makefile reinstalls nothing)
$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# a .pth file in the venv: the repo root becomes importable (import helpers) from any folder,
	@# JupyterLab's kernels included, and TensorFlow's C++ start-up lines stay quiet in every
	@# process of the venv, even when a cell imports keras before helpers.setup() runs
	@$(PY) -c 'import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "mf_series.pth").write_text("$(CURDIR)\nimport os; os.environ.setdefault(\"TF_CPP_MIN_LOG_LEVEL\", \"3\"); os.environ.setdefault(\"TF_ENABLE_ONEDNN_OPTS\", \"0\")\n")'
	@touch $(STAMP)

# the data package, once per version: a new RECBOLE_VERSION in helpers/data.py installs it
$(DATA_STAMP): | $(STAMP)
	@test -n "$(RECBOLE_VERSION)" || { echo 'no RECBOLE_VERSION = "…" line in helpers/data.py' >&2; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps recbole==$(RECBOLE_VERSION)
	@rm -f $(VENV)/.recbole-* && touch $@

run: setup  ## execute every notebook into build/ (committed notebooks untouched), then the benchmark
	@$(PY) -m tools.run_notebooks --out build
	@$(PY) -m helpers.benchmark

test: setup  ## every check: unit tests, notebook checks, nbval, student copies, browser, slow re-runs
	$(BIN)/pytest tests notebooks

# the same lessons on JAX: the quick tests, then every notebook executed, its own checks holding
# (on JAX the random draws differ, so stored outputs are not compared: `reproduces` in helpers/checks.py);
# then the quick tests on PyTorch, whose CPU build comes from PyTorch's own index (PyPI's Linux wheel
# pulls GBs of CUDA libraries): where it cannot be installed, that part says so and is skipped
TORCH_CPU = torch==2.13.0+cpu setuptools==80.9.0 --extra-index-url https://download.pytorch.org/whl/cpu
test-backends: setup  ## the quick tests and every notebook again on JAX, then the quick tests on PyTorch
	KERAS_BACKEND=jax $(BIN)/pytest tests -m "$(QUICK)"
	KERAS_BACKEND=jax $(PY) -m tools.run_notebooks --out build/jax
	@if $(PY) -m pip install --quiet --disable-pip-version-check $(TORCH_CPU); then \
	  echo "KERAS_BACKEND=torch $(BIN)/pytest tests -m \"$(QUICK)\""; \
	  KERAS_BACKEND=torch $(BIN)/pytest tests -m "$(QUICK)"; \
	else echo "PyTorch's CPU build (torch==2.13.0+cpu) could not be installed: the PyTorch tests are skipped"; fi

unit: setup  ## only the quick tests (about 1½ minutes): not the notebooks, browser or slow groups
	$(BIN)/pytest tests -m "$(QUICK)"

nbval: setup  ## only nbval over the notebooks
	$(BIN)/pytest notebooks

lab: setup  ## open the series in JupyterLab
	$(BIN)/jupyter lab notebooks

notebooks: setup  ## maintainers: re-execute the committed notebooks in place (Restart & Run All)
	@$(PY) -m tools.run_notebooks --in-place

experiments: setup  ## maintainers: re-run the seeded validation experiments into notebooks/results/ (about 55 minutes)
	@$(PY) -m helpers.experiments

scaling: setup  ## maintainers: re-record notebook 09's curves, 100k to 10M synthetic ratings (about 12 minutes)
	@$(PY) -m helpers.scaling
	@$(PY) -m helpers.scaling --lazy

readme: setup  ## maintainers: re-run the benchmark, regenerate the README tables, results and figures
	@$(PY) -m tools.update_readme --run

student: setup  ## teachers: build/student/, every notebook without outputs and solutions
	@$(PY) -m tools.student --out build/student

teacher: setup  ## teachers: build/teacher/, every notebook with outputs, solutions and questionnaire answers
	@$(PY) -m tools.teacher --out build/teacher

lint: setup  ## ruff over helpers, tests, tools and the notebooks
	$(BIN)/ruff check conftest.py helpers tests tools notebooks

serve: setup  ## serve recommendations over HTTP on port PORT (default 8000); builds build/serving/ on first run
	@$(PY) -m helpers.serving --port $${PORT:-8000}

clean:  ## remove build/ (keeps .venv and the data cache)
	rm -rf build
