"""The claims notebook 05 makes, recomputed on the real data and compared with its stored outputs.

The notebook states: the rating-trained MF ranks worse than most-popular; the ranking model's
NDCG@10 is at least 1.2 × most-popular's, with better coverage and better on every metric; the
settings chosen on validation are ``RANKING_CONFIG``; the classic top-5 for user 1 repeats movies
the user already rated.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, read_notebook

from helpers.exercises import nb05 as exercises
from helpers.ranking import RANKING_CONFIG, evaluate_ranking, popularity_scores, ranking_scores

NOTEBOOK = ROOT / "notebooks" / "05_embeddings_and_recommendations.ipynb"
ACCURACY = ("precision@10", "recall@10", "ndcg@10", "hit_rate@10")


def notebook_text() -> str:
    """Every stream output of the committed notebook, joined."""
    pieces = []
    for cell in read_notebook(NOTEBOOK)["cells"]:
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                pieces.append("".join(output["text"]))
    return "\n".join(pieces)


@pytest.fixture(scope="module")
def split(movielens):
    train, test, encoding, _ = exercises._split()  # the standard split, shared with the checkers
    return train, test, encoding.n_users, encoding.n_items


@pytest.fixture(scope="module")
def results(split):
    train, test, n_users, n_items = split
    model = exercises._ranking_model()  # fit_ranking_model on the split, with RANKING_CONFIG
    return {"popular": evaluate_ranking(popularity_scores(train, n_users, n_items), train, test),
            "ranking": evaluate_ranking(ranking_scores(model), train, test)}


def test_ranking_model_beats_popularity_by_20_percent(results):
    popular, ranked = results["popular"], results["ranking"]
    assert ranked["ndcg@10"] >= 1.2 * popular["ndcg@10"]
    assert ranked["coverage"] > popular["coverage"]
    assert all(ranked[metric] > popular[metric] for metric in ACCURACY)


def test_notebook_states_the_numbers_the_code_gives(results):
    match = re.search(r"ranking MF NDCG@10 ([\d.]+) = ([\d.]+) × most popular's ([\d.]+); "
                      r"coverage ([\d.]+)% vs ([\d.]+)%", notebook_text())
    assert match, "the notebook no longer prints its headline comparison"
    ndcg, ratio, popular_ndcg, coverage, popular_coverage = map(float, match.groups())
    assert ndcg == pytest.approx(results["ranking"]["ndcg@10"], abs=0.002)
    assert popular_ndcg == pytest.approx(results["popular"]["ndcg@10"], abs=0.002)
    assert ratio >= 1.2
    assert coverage == pytest.approx(100 * results["ranking"]["coverage"], abs=0.2)
    assert popular_coverage == pytest.approx(100 * results["popular"]["coverage"], abs=0.2)


def test_rating_model_ranks_worse_than_popularity(split, results):
    from helpers.models import fit_tuned_mf
    from helpers.recommend import extract_embeddings, score_matrix

    train, test, n_users, n_items = split
    model, _ = fit_tuned_mf(train, n_users, n_items)
    rating_ranked = evaluate_ranking(score_matrix(extract_embeddings(model)), train, test)
    assert rating_ranked["ndcg@10"] < results["popular"]["ndcg@10"]
    assert rating_ranked["ndcg@10"] < results["ranking"]["ndcg@10"]


def test_settings_chosen_on_validation_are_the_helpers_defaults():
    match = re.search(r"best: λ = ([\d.e-]+) after (\d+) epochs", notebook_text())
    assert match, "the notebook no longer prints the settings it chose"
    assert float(match[1]) == RANKING_CONFIG["l2"]
    assert int(match[2]) == RANKING_CONFIG["epochs"]


def test_classic_top5_repeats_rated_movies():
    match = re.search(r"(\d) of the 5 'recommendations' are movies user 1 has already rated",
                      notebook_text())
    assert match and int(match[1]) >= 1
