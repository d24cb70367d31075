"""Folding a new user into a trained model (helpers.recommend, notebook 06), on synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data import encode_ids
from helpers.recommend import (
    fold_in_ranking_users,
    fold_in_user,
    new_user_ratings,
    recommend_for_new_user,
)

N_ITEMS, K = 200, 5


@pytest.fixture(scope="module")
def items():
    rng = np.random.default_rng(0)
    return rng.normal(0, 0.5, (N_ITEMS, K)), rng.normal(0, 0.3, N_ITEMS)


def test_recovers_a_known_user_exactly(items):
    item_embeddings, item_bias = items
    true_vector, true_bias, mean = np.array([0.4, -0.2, 0.1, 0.3, -0.5]), 0.25, 3.5
    rated = np.arange(0, N_ITEMS, 4)  # 50 movies
    stars = mean + true_bias + item_bias[rated] + item_embeddings[rated] @ true_vector
    vector, bias = fold_in_user(rated, stars, item_embeddings, item_bias, mean, l2=1e-9)
    np.testing.assert_allclose(vector, true_vector, atol=1e-6)
    assert bias == pytest.approx(true_bias, abs=1e-6)
    predicted = new_user_ratings(vector, bias, item_embeddings, item_bias, mean)
    np.testing.assert_allclose(predicted[rated], stars, atol=1e-6)


def test_recovers_a_known_user_through_the_sigmoid(items):
    item_embeddings, item_bias = items
    true_vector, true_bias, mean, stars_range = np.array([0.3, 0.1, -0.4, 0.2, 0.0]), -0.1, 3.6, (0.5, 5.5)
    rated = np.arange(1, N_ITEMS, 5)
    logit = np.log((mean - 0.5) / (5.5 - mean)) + true_bias + item_bias[rated] + item_embeddings[rated] @ true_vector
    stars = 0.5 + 5.0 / (1.0 + np.exp(-logit))
    vector, bias = fold_in_user(rated, stars, item_embeddings, item_bias, mean, l2=1e-9,
                                rating_range=stars_range)
    np.testing.assert_allclose(vector, true_vector, atol=1e-6)
    assert bias == pytest.approx(true_bias, abs=1e-6)
    predicted = new_user_ratings(vector, bias, item_embeddings, item_bias, mean, stars_range)
    np.testing.assert_allclose(predicted[rated], stars, atol=1e-6)
    assert predicted.min() > 0.5 and predicted.max() < 5.5


def test_is_the_ridge_solution_and_shrinks(items):
    item_embeddings, item_bias = items
    rng = np.random.default_rng(1)
    rated = rng.choice(N_ITEMS, 3, replace=False)  # fewer ratings than unknowns: l2 makes it solvable
    stars = np.array([5.0, 1.0, 4.0])
    vector, bias = fold_in_user(rated, stars, item_embeddings, item_bias, 3.5, l2=2.0)
    design = np.hstack([item_embeddings[rated], np.ones((3, 1))])
    target = stars - 3.5 - item_bias[rated]
    gradient = design.T @ (design @ np.r_[vector, bias] - target) + 2.0 * np.r_[vector, bias]
    np.testing.assert_allclose(gradient, 0.0, atol=1e-10)  # the minimum of the ridge objective
    big_vector, big_bias = fold_in_user(rated, stars, item_embeddings, item_bias, 3.5, l2=1e6)
    assert np.linalg.norm(big_vector) < 1e-4 * np.linalg.norm(vector) + 1e-6
    assert abs(big_bias) < 1e-4


def test_two_ratings_by_hand():
    # k = 1; movie 0 has q = 1, b = 0.5, movie 1 has q = 0, b = −0.5; μ = 3, l2 = 1, stars 5 and 2
    #   y = r − μ − b = [1.5, −0.5],  X = [[1, 1], [0, 1]] (q, then the bias column of ones)
    #   XᵀX + I = [[2, 1], [1, 3]],  Xᵀy = [1.5, 1.0]
    #   w = (1/5) [[3, −1], [−1, 2]] [1.5, 1.0] = [3.5, 0.5] / 5 = [0.7, 0.1]
    item_embeddings, item_bias = np.array([[1.0], [0.0]]), np.array([0.5, -0.5])
    vector, bias = fold_in_user([0, 1], [5.0, 2.0], item_embeddings, item_bias, 3.0, l2=1.0)
    np.testing.assert_allclose(vector, [0.7])
    assert bias == pytest.approx(0.1)
    # μ + b_u + b_i + p·q: 3 + 0.1 + 0.5 + 0.7 = 4.3 and 3 + 0.1 − 0.5 + 0 = 2.6
    predicted = new_user_ratings(vector, bias, item_embeddings, item_bias, 3.0)
    np.testing.assert_allclose(predicted, [4.3, 2.6])


def test_one_rating_is_enough():
    # k = 1, the one rated movie has q = 2 and b = 0; μ = 3, l2 = 1, 5 stars: y = 2, X = [[2, 1]]
    #   XᵀX + I = [[5, 2], [2, 2]],  Xᵀy = [4, 2],  w = (1/6) [[2, −2], [−2, 5]] [4, 2] = [2/3, 1/3]
    vector, bias = fold_in_user([1], [5.0], np.array([[0.0], [2.0]]), np.zeros(2), 3.0, l2=1.0)
    np.testing.assert_allclose(vector, [2 / 3])
    assert bias == pytest.approx(1 / 3)  # a 5-star rating pulls the user up


def test_new_user_ratings_through_the_sigmoid_by_hand():
    # rating_range (1, 5) and μ = 4: logit(μ) = ln((4 − 1) / (5 − 4)) = ln 3, and the stars are
    # 1 + 4 · sigmoid(ln 3 + b_u + b_i + p·q). With p = ln 3, b_u = 0: item 0 (q = 0, b_i = 0)
    # 1 + 4 · 3/4 = 4; item 1 (q = 0, b_i = −ln 3) 1 + 4 · 1/2 = 3; item 2 (q = 1, b_i = 0)
    # sigmoid(2 ln 3) = 9/10, so 1 + 4 · 9/10 = 4.6
    item_embeddings, item_bias = np.array([[0.0], [0.0], [1.0]]), np.array([0.0, -np.log(3), 0.0])
    predicted = new_user_ratings([np.log(3)], 0.0, item_embeddings, item_bias, 4.0,
                                 rating_range=(1.0, 5.0))
    np.testing.assert_allclose(predicted, [4.0, 3.0, 4.6])
    # and fold-in inverts the squashing: one rating of 4.6 stars for item 0 (q = 0), l2 → 0:
    # target logit(4.6) − logit(4) − 0 = ln(3.6 / 0.4) − ln 3 = ln 3, all of it in the bias
    vector, bias = fold_in_user([0], [4.6], item_embeddings, item_bias, 4.0, l2=1e-9,
                                rating_range=(1.0, 5.0))
    assert bias == pytest.approx(np.log(3), abs=1e-6) and vector == pytest.approx([0.0], abs=1e-6)


@pytest.mark.parametrize("item_index, stars, message", [
    ([], [], "rated nothing"),
    ([1, 2], [4.0], "one rating per movie"),
    ([1, N_ITEMS], [4.0, 3.0], "unknown item index"),
    ([-1], [4.0], "unknown item index"),
    ([3, 3], [4.0, 5.0], "appears twice"),
    ([1.0, 2.0], [4.0, 3.0], "integer indices"),
    ([1, 2], [4.0, np.nan], "NaN"),
])
def test_bad_input_says_what_is_wrong(items, item_index, stars, message):
    item_embeddings, item_bias = items
    with pytest.raises(ValueError, match=message):
        fold_in_user(np.asarray(item_index), stars, item_embeddings, item_bias, 3.5)


def test_bad_settings_say_what_is_wrong(items):
    item_embeddings, item_bias = items
    with pytest.raises(ValueError, match="l2 must be positive"):
        fold_in_user([1], [4.0], item_embeddings, item_bias, 3.5, l2=0.0)
    with pytest.raises(ValueError, match="item_bias"):
        fold_in_user([1], [4.0], item_embeddings, item_bias[:-1], 3.5)
    with pytest.raises(ValueError, match="inside rating_range"):
        fold_in_user([1], [5.0], item_embeddings, item_bias, 3.5, rating_range=(1.0, 5.0))
    with pytest.raises(ValueError, match="columns"):
        new_user_ratings(np.zeros(K + 1), 0.0, item_embeddings, item_bias, 3.5)


def test_ranking_fold_in_finds_the_users_taste(items):
    item_embeddings, item_bias = items
    taste = np.array([2.0, 0.0, 0.0, 0.0, 0.0])  # a user who loves factor 0
    liked = np.argsort(-(item_embeddings @ taste))[:10]
    rated = np.zeros((1, N_ITEMS), dtype=bool)
    rated[0, liked] = True
    vector = fold_in_ranking_users(rated, item_embeddings, item_bias, l2=1.0)[0]
    logits = item_embeddings @ vector + item_bias
    shares = np.exp(logits - logits.max())
    shares /= shares.sum()
    gradient = 10 * item_embeddings.T @ shares - item_embeddings[liked].sum(0) + 1.0 * vector
    np.testing.assert_allclose(gradient, 0.0, atol=1e-8)  # Newton converged to the optimum
    assert vector[0] > np.abs(vector[1:]).max()  # it found the factor the user likes
    top20 = np.argsort(-logits)[:20]
    assert len(set(top20) & set(liked)) >= 5


def test_recommend_for_new_user_leaves_out_rated_movies(synthetic):
    _, encoding = encode_ids(synthetic)
    movies = pd.DataFrame({"item_id": encoding.item_ids, "title": [f"movie {i}" for i in encoding.item_ids],
                           "genres": "Drama"})
    scores = np.arange(encoding.n_items, dtype=float)  # the last item scores highest
    rated = encoding.item_ids[-2:]
    table = recommend_for_new_user(scores, rated, encoding, movies, n=5)
    assert list(table.index) == [1, 2, 3, 4, 5]
    assert table["item_id"].tolist() == encoding.item_ids[-7:-2][::-1].tolist()
    assert not set(rated) & set(table["item_id"])
    with pytest.raises(ValueError, match="unknown item_id"):
        recommend_for_new_user(scores, [999_999], encoding, movies)
    with pytest.raises(ValueError, match="one value per item"):
        recommend_for_new_user(scores[:-1], rated, encoding, movies)


def test_ranking_fold_in_of_many_users_at_once_matches_one_by_one(items):
    item_embeddings, item_bias = items
    rng = np.random.default_rng(2)
    rated = np.zeros((6, N_ITEMS), dtype=bool)
    for row, n in enumerate([1, 2, 3, 5, 10, 20]):
        rated[row, rng.choice(N_ITEMS, n, replace=False)] = True
    vectors = fold_in_ranking_users(rated, item_embeddings, item_bias, l2=3.0)
    for row in range(6):
        alone = fold_in_ranking_users(rated[row:row + 1], item_embeddings, item_bias, l2=3.0)
        np.testing.assert_allclose(vectors[row], alone[0], atol=1e-10)  # each row on its own
    more_steps = fold_in_ranking_users(rated, item_embeddings, item_bias, l2=3.0, steps=30)
    np.testing.assert_allclose(vectors, more_steps, atol=1e-8)  # 6 steps have converged
    rated[4] = False
    with pytest.raises(ValueError, match="row 4 has rated nothing"):
        fold_in_ranking_users(rated, item_embeddings, item_bias)
    with pytest.raises(ValueError, match="boolean matrix"):
        fold_in_ranking_users(rated[:, :-1], item_embeddings, item_bias)


def test_bias_only_fold_in_is_the_biases_user_update_on_movielens(movielens):
    # with k = 0 the ridge solution is notebook 04's ALS step for one user: fold-in re-derives it
    from helpers.baselines import Biases
    from helpers.data import movielens_split

    train = movielens_split().train
    biases = Biases(reg_user=15.0).fit(train)
    no_vectors = np.zeros((len(biases.item_bias_), 0))
    for user in (0, 41, 500):
        rows = train[train["user_index"] == user]
        vector, bias = fold_in_user(rows["item_index"].to_numpy(), rows["rating"].to_numpy(),
                                    no_vectors, biases.item_bias_, biases.mean_, l2=15.0)
        assert vector.size == 0
        assert bias == pytest.approx(biases.user_bias_[user], abs=1e-9)
