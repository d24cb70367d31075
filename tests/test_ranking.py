"""helpers.ranking: baselines, the softmax ranking model and the evaluation protocol (notebook 05)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data import encode_ids, random_split
from helpers.ranking import (
    RANKING_CONFIG,
    build_ranking_model,
    evaluate_ranking,
    fit_ranking_model,
    implicit_targets,
    popularity_scores,
    random_scores,
    ranking_scores,
    validation_curve,
)
from helpers.recommend import extract_embeddings, score_matrix

TINY = pd.DataFrame({"user_index": [0, 0, 1, 2, 2, 2], "item_index": [0, 1, 1, 1, 2, 3],
                     "rating": [5.0, 3.0, 4.0, 1.0, 5.0, 4.0]})


@pytest.fixture(scope="module")
def split(synthetic):
    ratings, encoding = encode_ids(synthetic)
    train, test = random_split(ratings)
    return train, test, encoding.n_users, encoding.n_items


def test_popularity_counts_train_ratings():
    scores = popularity_scores(TINY, n_users=3, n_items=5)
    assert scores.shape == (3, 5)
    assert scores[0].tolist() == [1, 3, 1, 1, 0] and (scores == scores[0]).all()


def test_random_scores_are_seeded():
    assert np.array_equal(random_scores(3, 4, seed=1), random_scores(3, 4, seed=1))
    assert not np.array_equal(random_scores(3, 4, seed=1), random_scores(3, 4, seed=2))


def test_implicit_targets_spread_each_user_over_their_items():
    targets = implicit_targets(TINY, n_users=4, n_items=5)
    np.testing.assert_allclose(targets[0], [0.5, 0.5, 0, 0, 0])
    np.testing.assert_allclose(targets[2], [0, 1 / 3, 1 / 3, 1 / 3, 0])
    assert targets[3].sum() == 0  # a user without ratings has nothing to learn from


def test_evaluate_ranking_by_hand():
    test = pd.DataFrame({"user_index": [0, 1, 1], "item_index": [2, 0, 4], "rating": [4.0, 5.0, 2.0]})
    scores = np.tile(np.arange(5.0)[::-1], (3, 1))  # every user prefers lower indices
    # user 0 has seen 0, 1 -> top-1 is item 2, relevant: hit. user 1 has seen 1 -> top-1 is 0: hit
    report = evaluate_ranking(scores, TINY, test, k=1)
    assert report["precision@1"] == 1.0 and report["users"] == 2
    assert report["coverage"] == pytest.approx(2 / 5)  # user 2's top-1 is item 0 as well


def test_model_shapes_and_layer_names():
    model = build_ranking_model(7, 11, embedding_dim=3)
    assert model.output_shape == (None, 11)
    embeddings = extract_embeddings(model)
    assert embeddings["user_embeddings"].shape == (7, 3)
    assert embeddings["item_embeddings"].shape == (11, 3)
    assert embeddings["item_bias"].shape == (11,)


def test_fit_is_deterministic_and_learns(split):
    train, test, n_users, n_items = split
    model, history = fit_ranking_model(train, n_users, n_items, epochs=20, embedding_dim=8,
                                       batch_size=8)
    again, _ = fit_ranking_model(train, n_users, n_items, epochs=20, embedding_dim=8,
                                 batch_size=8)
    losses = history.history["loss"]
    assert losses[-1] < 0.9 * losses[0]
    scores = ranking_scores(model)
    assert scores.shape == (n_users, n_items)
    np.testing.assert_array_equal(scores, ranking_scores(again))
    np.testing.assert_allclose(scores, score_matrix(extract_embeddings(model)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ranking_scores(model, [2, 0]), scores[[2, 0]], rtol=1e-6)
    # on its own training data the model ranks the users' items far above chance
    learned = evaluate_ranking(scores, train.iloc[:0], train, k=5)["ndcg@5"]
    chance = evaluate_ranking(random_scores(n_users, n_items), train.iloc[:0], train, k=5)["ndcg@5"]
    assert learned > 2 * chance


def test_bad_settings_raise(split):
    train, _, n_users, n_items = split
    with pytest.raises(ValueError, match="unknown settings"):
        fit_ranking_model(train, n_users, n_items, epoch=3)
    model = build_ranking_model(4, 5, embedding_dim=2)
    with pytest.raises(ValueError, match="user_index must lie"):
        ranking_scores(model, [4])
    # user embeddings 4 · 2 = 8, item scores: kernel 2 · 5 + bias 5 = 15
    assert model.count_params() == 8 + 15
    assert build_ranking_model(4, 5).get_layer("user_embedding").output_dim == RANKING_CONFIG["embedding_dim"]


def test_validation_curve_has_one_ndcg_per_epoch(split):
    train, _, n_users, n_items = split
    fit_part, valid_part = random_split(train)
    curve = validation_curve(fit_part, valid_part, n_users, n_items, k=5, epochs=4,
                             embedding_dim=4, batch_size=8)
    assert len(curve) == 4 and all(0 <= value <= 1 for value in curve)
    # the last epoch's value is what evaluate_ranking says about the same fitted model
    model, _ = fit_ranking_model(fit_part, n_users, n_items, epochs=4, embedding_dim=4, batch_size=8)
    assert curve[-1] == pytest.approx(
        evaluate_ranking(ranking_scores(model), fit_part, valid_part, k=5)["ndcg@5"])
