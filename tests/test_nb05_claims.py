"""The claims notebook 05 makes, recomputed on the real data and compared with its stored outputs.

The notebook states: the rating-trained MF ranks worse than most-popular; the ranking model's
NDCG@10 is at least 1.2 × most-popular's, with better coverage and better on every metric; the
settings chosen on validation are ``RANKING_CONFIG``; the classic top-5 for user 1 repeats movies
the user already rated; the embedding maps' neighbours share genre and era beyond chance; the
item bias discounts thin evidence and generous raters.
"""

from __future__ import annotations

import pytest

from conftest import ROOT, reference_ranking_model, reference_rating_model, tensorflow_only
from helpers.exercises import nb05 as exercises
from helpers.ranking import RANKING_CONFIG, evaluate_ranking, popularity_scores, ranking_scores

NOTEBOOK = ROOT / "notebooks" / "05_embeddings_and_recommendations.ipynb"
ACCURACY = ("precision@10", "recall@10", "ndcg@10", "hit_rate@10")


@pytest.fixture(scope="module")
def split():
    data = exercises.standard_split()  # movielens_split(), cached and shared with the checkers
    return data.train, data.test, data.encoding.n_users, data.encoding.n_items


@pytest.fixture(scope="module")
def results(split):
    train, test, n_users, n_items = split
    model = reference_ranking_model()  # fit_ranking_model on the split, with RANKING_CONFIG
    return {"popular": evaluate_ranking(popularity_scores(train, n_users, n_items), train, test),
            "ranking": evaluate_ranking(ranking_scores(model), train, test)}


def test_ranking_model_beats_popularity_by_20_percent(results):
    popular, ranked = results["popular"], results["ranking"]
    assert ranked["ndcg@10"] >= 1.2 * popular["ndcg@10"]
    assert ranked["coverage"] > popular["coverage"]
    assert all(ranked[metric] > popular[metric] for metric in ACCURACY)


@tensorflow_only("a fresh run against the values recorded on TensorFlow (JAX draws other weights)")
def test_notebook_records_the_numbers_the_code_gives(results, records):
    recorded = records["ranking_test"]
    for model in ("ranking", "popular"):
        for metric in (*ACCURACY, "coverage"):
            assert recorded[model][metric] == pytest.approx(results[model][metric], abs=0.002)
    assert recorded["ranking"]["ndcg@10"] >= 1.2 * recorded["popular"]["ndcg@10"]


def test_rating_model_ranks_worse_than_popularity(split, results):
    from helpers.recommend import extract_embeddings, score_matrix

    train, test, n_users, n_items = split
    model = reference_rating_model()
    rating_ranked = evaluate_ranking(score_matrix(extract_embeddings(model)), train, test)
    assert rating_ranked["ndcg@10"] < results["popular"]["ndcg@10"]
    assert rating_ranked["ndcg@10"] < results["ranking"]["ndcg@10"]


def test_settings_chosen_on_validation_are_the_helpers_defaults(records):
    assert records["ranking_choice"] == {"l2": RANKING_CONFIG["l2"], "epochs": RANKING_CONFIG["epochs"]}


def test_classic_top5_repeats_rated_movies(records):
    assert records["classic_top5_already_rated"] >= 1


def test_the_maps_claims_hold_in_k_dimensions(records):
    """Section 5's measured sentence: neighbours share genre and era beyond chance, and t-SNE keeps
    more of each movie's neighbours on the page than PCA does."""
    measured = records["map_neighbours"]
    assert measured["same_genre"] > 1.5 * measured["chance_genre"]
    assert measured["old_neighbours"] > 2 * measured["old_share"]
    assert measured["kept"]["t-SNE"] > 2 * measured["kept"]["PCA"]


def test_the_bias_is_the_mean_discounted_for_thin_evidence_and_generous_raters(records):
    """Section 5's bias reading: the perfect-mean movies have few ratings and far lower biases than
    the top one, and the bias beyond the mean falls with the raters' own generosity."""
    reading = records["bias_reading"]
    assert reading["perfect_movies"] >= 5 and reading["perfect_max_ratings"] <= 5
    assert reading["perfect_max_bias"] < 0.5 * reading["top_bias"]
    assert reading["generosity_r"] < -0.15
