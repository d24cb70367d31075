"""The claims notebook 04 makes, read back from its stored outputs and held with tolerances.

The notebook prints one line per model and split (``name  RMSE 0.9395 · MAE 0.7445 · ⏱ …``):
six models on the random split, then the same six on the temporal split. These tests parse those
lines, check the baselines' numbers against a fresh computation (so a stale notebook fails), and
hold the comparisons the prose states.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, read_notebook

from helpers.baselines import Biases, GlobalMean, ItemMean
from helpers.data import encode_ids, random_split, temporal_split
from helpers.metrics import mae, rmse

NOTEBOOK = ROOT / "notebooks" / "04_evaluation_and_baselines.ipynb"
MODELS = ["global mean", "item mean", "biases", "classic MF", "tuned MF", "DNN"]
LEARNED = ["classic MF", "tuned MF", "DNN"]
LINE = re.compile(r"^(?P<name>[\w ]+?)\s+RMSE (?P<rmse>\d+\.\d+) · MAE (?P<mae>\d+\.\d+) · ⏱",
                  re.MULTILINE)
SURPRISE_SVD_RMSE = 0.934  # published (Surprise README, MovieLens 100k, 5-fold CV)


def stdout_text() -> str:
    cells = read_notebook(NOTEBOOK)["cells"]
    return "".join(
        "".join(output.get("text", ""))
        for cell in cells if cell["cell_type"] == "code"
        for output in cell.get("outputs", []) if output.get("name") == "stdout"
    )


@pytest.fixture(scope="module")
def reported() -> dict[str, dict[str, dict[str, float]]]:
    lines = [(m["name"].strip(), float(m["rmse"]), float(m["mae"]))
             for m in LINE.finditer(stdout_text())]
    assert [name for name, *_ in lines] == MODELS * 2, f"unexpected result lines: {lines}"
    splits = {"random": lines[:6], "temporal": lines[6:]}
    return {split: {name: {"rmse": r, "mae": a} for name, r, a in rows}
            for split, rows in splits.items()}


def test_every_assert_cell_ran():
    text = stdout_text()
    assert text.count("held:") == 2, "the notebook's claim cells did not all print 'held:'"


@pytest.mark.parametrize("split", ["random", "temporal"])
def test_baselines_match_a_fresh_computation(movielens, reported, split):
    encoded, _ = encode_ids(*movielens)
    train, test = random_split(encoded) if split == "random" else temporal_split(encoded)
    for name, model in [("global mean", GlobalMean()), ("item mean", ItemMean()),
                        ("biases", Biases())]:
        predicted = model.fit(train).predict(test["user_index"], test["item_index"])
        assert reported[split][name]["rmse"] == pytest.approx(rmse(test["rating"], predicted), abs=1e-4)
        assert reported[split][name]["mae"] == pytest.approx(mae(test["rating"], predicted), abs=1e-4)


@pytest.mark.parametrize("split", ["random", "temporal"])
def test_every_learned_model_beats_the_global_mean_and_the_item_mean(reported, split):
    for name in LEARNED:
        assert reported[split][name]["rmse"] < reported[split]["global mean"]["rmse"] - 0.1, name
        assert reported[split][name]["rmse"] < reported[split]["item mean"]["rmse"], name


def test_tuned_mf_beats_every_baseline_and_has_the_lowest_rmse(reported):
    random = reported["random"]
    assert random["tuned MF"]["rmse"] < random["biases"]["rmse"] - 0.01
    assert random["tuned MF"]["rmse"] == min(row["rmse"] for row in random.values())
    assert random["tuned MF"]["rmse"] < SURPRISE_SVD_RMSE  # "in the same league", for scale


def test_baselines_improve_in_order(reported):
    for split in ("random", "temporal"):
        errors = [reported[split][name]["rmse"] for name in ("global mean", "item mean", "biases")]
        assert errors == sorted(errors, reverse=True), split


def test_tuned_mf_and_dnn_beat_biases_by_a_few_hundredths_the_classic_mf_does_not(reported):
    random = reported["random"]
    for name in ("tuned MF", "DNN"):
        margin = random["biases"]["rmse"] - random[name]["rmse"]
        assert 0 < margin < 0.1, (name, margin)
    assert random["classic MF"]["rmse"] > random["biases"]["rmse"]  # overfitted, as trained


def test_the_temporal_split_is_harder_for_every_model(reported):
    for name in MODELS:
        assert reported["temporal"][name]["rmse"] > reported["random"][name]["rmse"] + 0.04, name
        assert reported["temporal"][name]["mae"] > reported["random"][name]["mae"], name
    order = {split: sorted(MODELS, key=lambda name: reported[split][name]["rmse"])
             for split in reported}
    assert order["random"] == order["temporal"]  # the verdict survives
