"""Exercises of notebook 04 (evaluation and baselines). Each checker computes its answer from the data."""

from __future__ import annotations

from functools import cache

from helpers.baselines import Biases
from helpers.data import encode_ids, load_movielens_100k, random_split, temporal_split
from helpers.exercises import Exercise
from helpers.metrics import mae, rmse


@cache
def _split(kind: str = "random"):
    encoded, _ = encode_ids(*load_movielens_100k())
    return random_split(encoded) if kind == "random" else temporal_split(encoded)


def _user_mean_mae() -> float:
    train, test = _split()
    user_means = train.groupby("user_index")["rating"].mean()
    predicted = test["user_index"].map(user_means).fillna(train["rating"].mean())
    return mae(test["rating"], predicted)


def _two_five_star_offset() -> float:
    train, _ = _split()
    mu = float(train["rating"].mean())
    return 2 * (5 - mu) / (10 + 2)


def _damped_item_mean_rmse() -> float:
    train, test = _split()
    mu = float(train["rating"].mean())
    stats = train.groupby("item_index")["rating"].agg(["sum", "size"])
    damped = (stats["sum"] + 5 * mu) / (stats["size"] + 5)
    predicted = test["item_index"].map(damped).fillna(mu)
    return rmse(test["rating"], predicted)


def _temporal_biases_rmse() -> float:
    train, test = _split("temporal")
    model = Biases().fit(train)
    return rmse(test["rating"], model.predict(test["user_index"], test["item_index"]))


q1 = Exercise(
    "Exercise 1 (user-mean baseline)",
    "train.groupby('user_index')['rating'].mean() gives each user's mean; map it onto "
    "test['user_index'], fill gaps with the global train mean, then helpers.metrics.mae.",
    expected=_user_mean_mae,
    praise="Users differ less than movies do: the item mean is the stronger single baseline.",
)
q2 = Exercise(
    "Exercise 2 (shrinkage by hand)",
    "b_i = Σ (r − μ − b_u) / (λ_i + n_i) with b_u = 0, n_i = 2, λ_i = 10, and μ the mean train rating.",
    expected=_two_five_star_offset,
    praise="Two ratings move the movie only a quarter star above the mean: λ distrusts small samples.",
)
q3 = Exercise(
    "Exercise 3 (damped item mean)",
    "Per item: (sum of its train ratings + 5 μ) / (its number of train ratings + 5); the global "
    "mean μ for an item without train ratings; then RMSE on the test set.",
    expected=_damped_item_mean_rmse,
    praise="Shrinking helps the item mean only a little: the user offsets are what Biases adds most.",
)
q4 = Exercise(
    "Exercise 4 (biases on the temporal split)",
    "temporal_split(encoded), then Biases().fit(train) and predict(test['user_index'], "
    "test['item_index']); compare with test['rating'] using rmse.",
    expected=_temporal_biases_rmse,
    praise="The future is harder to predict than a random sample of the past.",
)

