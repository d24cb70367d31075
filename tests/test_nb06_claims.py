"""The claims notebook 06's prose makes, held to the values the notebook records.

The notebook is committed with the outputs of a clean run (nbval re-executes it and compares);
its cells record the numbers the prose rests on (``helpers.records``), and these tests read the
records and hold the claims with tolerances, without training anything or parsing printed text.
"""

from __future__ import annotations

import pytest

from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "06_nonnegative_and_cold_start.ipynb"


@pytest.fixture(scope="module")
def nonneg(records):
    return records["nonneg_test"]


@pytest.fixture(scope="module")
def curve(records):
    rows = {int(n): row for n, row in records["fold_in_curve"].items()}
    baselines = records["fold_in_baselines"]
    return rows, baselines["fallback RMSE"], baselines["popularity NDCG@10"]


def test_nonneg_costs_a_little_measurably_softplus_more(records):
    costs = records["factor_costs"]
    assert 0 < costs["nonneg"]["low"] and costs["nonneg"]["high"] < 0.01
    assert costs["softplus"]["low"] > costs["nonneg"]["high"]


def test_only_the_star_trek_factor_beats_chance(records):
    assert records["factors_beyond_chance"] == [14]  # the prose names factor 14 alone


def test_nonneg_costs_almost_no_accuracy(nonneg):
    assert set(nonneg) == {"free", "nonneg", "softplus"}
    assert nonneg["free"]["test RMSE"] < 0.93  # a sound model to compare with
    assert abs(nonneg["nonneg"]["test RMSE"] - nonneg["free"]["test RMSE"]) < 0.01
    assert abs(nonneg["nonneg"]["test MAE"] - nonneg["free"]["test MAE"]) < 0.01


def test_softplus_is_the_weaker_route(nonneg):
    assert nonneg["softplus"]["test RMSE"] > nonneg["nonneg"]["test RMSE"] + 0.01


def test_signs_and_exact_zeros(nonneg):
    assert nonneg["free"]["negative entries"] > 0.3
    assert nonneg["nonneg"]["negative entries"] == 0 == nonneg["softplus"]["negative entries"]
    assert nonneg["nonneg"]["entries exactly 0"] > 0.2  # "a large share ... exactly zero"
    assert nonneg["softplus"]["entries exactly 0"] == 0


def test_every_rating_improves_the_predicted_stars(curve):
    rows, fallback, _ = curve
    assert sorted(rows) == [1, 2, 3, 5, 10, 20]
    rmses = [rows[n]["rating fold-in RMSE"] for n in sorted(rows)]
    assert all(value < fallback for value in rmses)
    assert all(later < earlier for earlier, later in zip(rmses, rmses[1:]))
    assert rmses[-1] < fallback - 0.05  # "20 ratings take it well below the fallback"


def test_ranking_fold_in_beats_popularity_clearly_from_ten_ratings(curve):
    rows, _, popularity = curve
    assert all(rows[n]["ranking fold-in NDCG@10"] > popularity + 0.05 for n in (10, 20))
    assert 0 < rows[5]["ranking fold-in NDCG@10"] - popularity < 0.05  # "too small to call"
    assert all(rows[n]["ranking fold-in NDCG@10"] < popularity for n in (1, 2, 3))  # the dip


def test_ranking_by_predicted_stars_never_beats_popularity(curve):
    rows, _, popularity = curve
    assert all(row["rating fold-in NDCG@10"] < popularity for row in rows.values())
