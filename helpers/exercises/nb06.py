"""Exercises of notebook 06 (non-negative factors, new users). Each checker computes its answer."""

from __future__ import annotations

from functools import cache

import numpy as np

from helpers.exercises import Exercise

BIAS_ONLY_USER = {"Liar Liar": 5.0, "Twister": 5.0, "Fargo": 3.0}
"""The new user of exercise 2: three titles and their stars."""
BIAS_ONLY_L2 = 15.0


def ridge_problem() -> dict:
    """Exercise 1's small fold-in: a model with k = 2 factors, a new user who rated 3 movies."""
    return {
        "item_embeddings": np.array([[1.0, 0.0], [0.5, 1.0], [0.0, -1.0]]),  # the 3 rated movies
        "item_bias": np.array([0.2, -0.1, 0.0]),
        "ratings": np.array([5.0, 4.0, 2.0]),
        "global_mean": 3.5,
        "l2": 1.0,
    }


def _ridge_solution() -> np.ndarray:
    problem = ridge_problem()
    rated = len(problem["ratings"])
    features = np.column_stack([problem["item_embeddings"], np.ones(rated)])
    residual = problem["ratings"] - problem["global_mean"] - problem["item_bias"]
    gram = features.T @ features + problem["l2"] * np.identity(features.shape[1])
    return np.linalg.solve(gram, features.T @ residual)


@cache
def _split():
    from helpers.data import encode_ids, load_movielens_100k, random_split

    ratings, movies = load_movielens_100k()
    encoded, encoding = encode_ids(ratings, movies)
    train, _ = random_split(encoded)
    return train, encoding, movies


def _bias_only_user_bias() -> float:
    from helpers.baselines import Biases

    train, encoding, movies = _split()
    biases = Biases().fit(train)
    titles = movies.set_index("title")["item_id"]
    items = encoding.item_index([int(titles[title]) for title in BIAS_ONLY_USER])
    residuals = np.array(list(BIAS_ONLY_USER.values())) - biases.mean_ - biases.item_bias_[items]
    return float(residuals.sum() / (len(residuals) + BIAS_ONLY_L2))


@cache
def _nonneg_model():
    """The notebook's non-negative model, trained again (seeded: the same weights)."""
    from helpers.nonnegative import fit_factor_mf

    train, encoding, _ = _split()
    return fit_factor_mf(train, encoding.n_users, encoding.n_items, "nonneg")


def _nonneg_zero_share() -> float:
    from helpers.nonnegative import factor_matrices

    return float((factor_matrices(_nonneg_model())[1] == 0).mean())


q1 = Exercise(
    title="Exercise 1",
    hint_text="stack the embeddings with a column of ones (np.column_stack), subtract μ and the "
              "item biases from the ratings, then np.linalg.solve(XᵀX + λI, Xᵀy).",
    expected=_ridge_solution,
    praise="Three numbers: the user's two factors and, last, their bias.",
)

q2 = Exercise(
    title="Exercise 2",
    hint_text="with k = 0 the ridge solution is a single number: the sum of the residuals "
              "r − μ − b_i divided by (number of ratings + λ). fold_in_user also accepts an "
              "embedding matrix with 0 columns.",
    expected=_bias_only_user_bias,
    praise="That is exactly the user update of notebook 04's Biases baseline: fold-in with k = 0.",
)

q3 = Exercise(
    title="Exercise 3",
    hint_text="factor_matrices(model) returns (user factors, item factors); compare the item "
              "factors with 0 and take the mean of the boolean array.",
    expected=_nonneg_zero_share,
    rel_tol=1e-2,
    praise="Exact zeros are what the projection gives and softplus cannot: each movie uses only "
           "some of the parts.",
)
