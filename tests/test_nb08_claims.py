"""The claims notebook 08's prose makes, held to the values the notebook records and to the
committed experiment records it reads (``notebooks/results/retrieval.json``, ``cold_start.json``).

Nothing here trains a model or parses printed text.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from helpers import experiments

NOTEBOOK = ROOT / "notebooks" / "08_retrieval_and_serving.ipynb"


@pytest.fixture(scope="module")
def retrieval_record():
    return experiments.load("retrieval")


def test_the_notebooks_model_is_the_records_first_seed(records, retrieval_record):
    assert records["two_tower_test"]["ndcg@10"] == pytest.approx(
        retrieval_record["test"]["two_tower"]["ndcg@10"][0], abs=1e-4)


def test_without_the_correction_the_two_tower_is_no_better_than_popularity(records):
    claims = records["retrieval_claims"]
    _, low, high = claims["uncorrected − popularity, ndcg@10"]
    assert low < 0 < high  # "no better than popularity": inside the noise
    mean, low, _ = claims["uncorrected − popularity, recall@10"]
    assert low > 0 and mean == pytest.approx(0.0153, abs=1e-4)  # recall: a little above
    mean, low, _ = claims["two-tower − uncorrected, ndcg@10"]
    assert low > 0.1 and mean == pytest.approx(0.140, abs=0.001)  # the correction: +0.140


def test_with_it_the_two_tower_ranks_as_well_as_the_full_softmax(records):
    claims = records["retrieval_claims"]
    mean, low, high = claims["two-tower − softmax MF, ndcg@10"]
    assert low < 0 < high and mean == pytest.approx(-0.0019, abs=1e-4)
    mean, _, high = claims["two-tower − softmax MF, recall@10"]
    assert high < 0 and mean == pytest.approx(-0.0114, abs=1e-4)  # recall: measurably lower
    mean, low, _ = claims["two-tower − softmax MF, coverage"]
    assert low > 0 and mean == pytest.approx(0.019, abs=1e-3)
    means = records["retrieval_means"]
    assert means["two_tower"] == pytest.approx(0.3183, abs=1e-4)
    assert means["softmax_mf"] == pytest.approx(0.3201, abs=1e-4)


def test_the_chosen_settings_come_from_validation_and_each_variant_had_the_same_grid(retrieval_record):
    names = list(retrieval_record["val_ndcg"])
    corrected = [name for name in names if "correction=True" in name]
    assert len(corrected) * 2 == len(names)  # the same grid with and without the correction
    assert retrieval_record["chosen"]["correction"] is True
    assert retrieval_record["uncorrected_chosen"]["correction"] is False


def test_feature_towers_beat_genre_popularity_on_new_movies_over_the_seeds(records):
    mean, low, _ = records["cold_claims"]["items"]
    assert mean > 0 and low > 0


def test_bulk_index_recall_is_high_at_every_size(records):
    for size, recall in records["bulk_recall"].items():
        assert recall >= 0.85, f"IVF recall@10 {recall} at {size} items"
    assert set(records["bulk_n_probe"]) == set(records["bulk_recall"])


def test_recorded_numbers_are_finite(records):
    for name in ("two_tower_test", "cold_test"):
        assert records[name], name
    values = [value for row in records["cold_test"].values() for value in row.values()]
    assert np.isfinite(values).all()


def test_new_movies_gain_and_new_users_do_not(records):
    mean, low, high = records["cold_claims"]["items"]
    assert mean == pytest.approx(0.0614, abs=1e-4) and low > 0.04
    mean, low, high = records["cold_claims"]["users"]
    assert low < 0 < high and mean == pytest.approx(-0.0021, abs=1e-4)
    cold = records["cold_test"]
    assert cold["new movies: feature towers"]["ndcg@10"] == pytest.approx(0.1821, abs=1e-4)
    assert cold["new movies: feature towers"]["coverage"] > 10 * cold["new movies: genre popularity"]["coverage"]


def test_the_index_numbers_the_prose_reads(records):
    assert records["bulk_recall"]["1682"] == pytest.approx(0.921, abs=1e-3)
    assert records["bulk_n_probe"]["50000"] == 128
