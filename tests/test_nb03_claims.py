"""Notebook 03's claims, held to the values it records and to the recorded experiments.

The notebook records its numbers with ``helpers.records.record``; the seeded validation
experiments behind its choices are in ``notebooks/results/`` (``helpers.experiments``). These
tests read both — never printed prose — and re-fit the final recipe to check its test score.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import ROOT, read_notebook, tensorflow_only
from helpers import experiments
from helpers.selection import paired_interval

NOTEBOOK = ROOT / "notebooks" / "03_improving_the_model.ipynb"


@pytest.fixture(scope="module")
def steps():
    return experiments.load("steps")["val_rmse"]


def interval(steps, name, versus):
    return paired_interval(steps[name], steps[versus])


def test_the_notebook_records_what_the_tests_read(records):
    for name in ("chosen_l2", "checks", "final_recipe_choice", "penalty_comparison", "classic_test",
                 "tuned_test"):
        assert name in records, f"notebook 03 records no {name!r}: run `make notebooks`"


def test_each_claimed_step_holds_over_seeds(steps):
    assert interval(steps, "2 · + global mean", "1 · plain MF, early stopping, cosine LR")[1] > 0
    assert interval(steps, "3 · + user and item biases", "2 · + global mean")[2] < 0
    low, high = interval(steps, "3 · + user and item biases", "1 · plain MF, early stopping, cosine LR")[1:]
    assert low <= 0 <= high  # the prose: no measurable difference without regularisation
    for penalty in ("4a · + whole-table L2", "4b · + per-example L2"):
        assert interval(steps, penalty, "3 · + user and item biases")[2] < -0.01
    assert interval(steps, "5 · + output range (0.5, 5.5)", "4b · + per-example L2")[2] < 0


def test_the_recorded_checks_match_the_experiments(records, steps):
    for name, row in records["checks"].items():
        assert row["mean"] == pytest.approx(np.mean(steps[name]), abs=1e-4)


def test_tuned_config_is_the_searchs_choice():
    from helpers.models import TUNED_CONFIG

    search = experiments.load("final_recipe")
    best = min(search["val_rmse"], key=lambda name: np.mean(search["val_rmse"][name]))
    assert search["chosen"] == {"k": TUNED_CONFIG["k"], "l2": TUNED_CONFIG["l2"]}
    assert best == f"k={TUNED_CONFIG['k']}, λ={TUNED_CONFIG['l2']}"


def test_final_model_beats_the_classic_one_on_test(records):
    assert records["tuned_test"]["rmse"] < records["classic_test"]["rmse"] - 0.05
    assert records["tuned_test"]["mae"] < records["classic_test"]["mae"] - 0.03


def test_prose_quotes_the_recorded_test_numbers(records):
    cells = read_notebook(NOTEBOOK)["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for key in ("classic_test", "tuned_test"):
        assert f"{records[key]['rmse']:.4f}" in markdown, f"the prose should quote {key} RMSE"


@tensorflow_only("a fresh run against the value recorded on TensorFlow (JAX draws other weights)")
def test_final_recipe_reproduces_on_the_real_split(records):
    from helpers.data import movielens_split
    from helpers.metrics import rmse
    from helpers.models import fit_tuned_mf, predict_ratings

    split = movielens_split()
    train, test, encoding = split.train, split.test, split.encoding
    model, _ = fit_tuned_mf(train, encoding.n_users, encoding.n_items)
    predicted = predict_ratings(model, test["user_index"], test["item_index"])
    assert np.isfinite(predicted).all() and predicted.min() > 0.5 and predicted.max() < 5.5
    assert rmse(test["rating"], predicted) == pytest.approx(records["tuned_test"]["rmse"], abs=3e-4)


def test_records_are_plain_json(records):
    assert json.loads(json.dumps(records)) == records


def test_the_penalties_are_within_the_noise_at_the_final_settings(records):
    penalty = experiments.load("final_recipe")["penalty"]
    assert penalty["95% low"] <= 0 <= penalty["95% high"] and penalty["kept"] == "per_example"
    assert records["penalty_comparison"] == penalty
