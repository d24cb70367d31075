# The series' commands. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.setup-done
RECBOLE := recbole==1.2.1
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# TensorFlow stays quiet and deterministic in every process these targets start
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED := 0

.PHONY: help setup run test unit nbval lab notebooks experiments student lint clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

setup: $(STAMP)  ## create .venv with the pinned packages, the data package and Graphviz
	@bash tools/ensure_system_packages.sh

$(STAMP): requirements.txt Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(RECBOLE)
	@# a .pth file in the venv: the repo root becomes importable (import helpers) from any folder,
	@# JupyterLab's kernels included, and TensorFlow's C++ start-up lines stay quiet in every
	@# process of the venv, even when a cell imports keras before helpers.setup() runs
	@$(PY) -c 'import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "mf_series.pth").write_text("$(CURDIR)\nimport os; os.environ.setdefault(\"TF_CPP_MIN_LOG_LEVEL\", \"3\"); os.environ.setdefault(\"TF_ENABLE_ONEDNN_OPTS\", \"0\")\n")'
	@touch $(STAMP)

run: setup  ## execute every notebook into build/ (committed notebooks untouched), then the benchmark
	@$(PY) tools/run_notebooks.py --out build $(NOTEBOOKS)
	@$(PY) -m helpers.benchmark

test: setup  ## unit tests, notebook checks and nbval over every notebook
	$(BIN)/pytest tests notebooks

unit: setup  ## only the unit tests (about 1½ minutes: no browser check, no student-copy run, no experiment re-run)
	$(BIN)/pytest tests -k "not test_browser and not student_copies_execute and not experiments_reproduce"

nbval: setup  ## only nbval over the notebooks
	$(BIN)/pytest notebooks

lab: setup  ## open the series in JupyterLab
	$(BIN)/jupyter lab notebooks

notebooks: setup  ## maintainers: re-execute the committed notebooks in place (Restart & Run All)
	@$(PY) tools/run_notebooks.py --in-place $(NOTEBOOKS)

experiments: setup  ## maintainers: re-run the seeded validation experiments into notebooks/results/ (about 11 minutes)
	@$(PY) -m helpers.experiments

student: setup  ## teachers: build/student/, every notebook without outputs and solutions
	@$(PY) tools/student.py --out build/student

lint: setup  ## ruff over helpers, tests, tools and the notebooks
	$(BIN)/ruff check helpers tests tools notebooks

clean:  ## remove build/ (keeps .venv and the data cache)
	rm -rf build
