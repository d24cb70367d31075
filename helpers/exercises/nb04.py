"""Exercises of notebook 04 (evaluation and baselines). Each checker computes its answer from the data."""

from __future__ import annotations

import pandas as pd

from helpers.baselines import Biases
from helpers.exercises import Exercise, letter_choice, standard_split
from helpers.metrics import mae, rmse

ITEM_REG = 10
"""λ_i of exercise 2 (the default ``reg_item`` of ``Biases``)."""
PHANTOM_RATINGS = 5
"""The phantom ratings of μ in exercise 3's damped item mean."""


def _mean_by(fit_on: pd.DataFrame, column: str, test: pd.DataFrame) -> pd.Series:
    """Each test row's mean ``fit_on`` rating of its user or item (``column``); μ where unknown."""
    means = fit_on.groupby(column)["rating"].mean()
    return test[column].map(means).fillna(fit_on["rating"].mean())


def _user_mean_mae() -> float:
    split = standard_split()
    return mae(split.test["rating"], _mean_by(split.train, "user_index", split.test))


def _user_mean_mistakes():
    split = standard_split()
    truth = split.test["rating"]
    yield (rmse(truth, _mean_by(split.train, "user_index", split.test)),
           "that is the RMSE of the user means: the question asks for the MAE.")
    yield (mae(truth, _mean_by(split.train, "item_index", split.test)),
           "that is the item mean's MAE: group by user_index, not item_index.")
    yield (mae(truth, _mean_by(split.ratings, "user_index", split.test)),
           "those user means include the test ratings: compute them from train only.")


def _two_ratings_offset(mu: float, divisor: float) -> float:
    return 2 * (5 - mu) / divisor


def _train_mean() -> float:
    return float(standard_split().train["rating"].mean())


def _two_five_star_offset() -> float:
    return _two_ratings_offset(_train_mean(), ITEM_REG + 2)


def _offset_mistakes():
    mu = _train_mean()
    yield (_two_ratings_offset(mu, 2),
           "that is the unshrunk offset (the plain mean minus μ): divide by λ_i + n_i, not n_i.")
    yield (_two_ratings_offset(mu, ITEM_REG),
           "that divides by λ_i alone: the denominator is λ_i + n_i.")
    yield (_two_ratings_offset(mu, ITEM_REG + 2) / 2,
           "that counts one 5-star rating in the sum: Σ runs over both of them.")


def _damped_item_means(fit_on: pd.DataFrame, test: pd.DataFrame, phantom: int) -> pd.Series:
    mu = float(fit_on["rating"].mean())
    stats = fit_on.groupby("item_index")["rating"].agg(["sum", "size"])
    damped = (stats["sum"] + phantom * mu) / (stats["size"] + phantom)
    return test["item_index"].map(damped).fillna(mu)


def _damped_item_mean_rmse() -> float:
    split = standard_split()
    return rmse(split.test["rating"], _damped_item_means(split.train, split.test, PHANTOM_RATINGS))


def _damped_mistakes():
    split = standard_split()
    truth = split.test["rating"]
    yield (rmse(truth, _damped_item_means(split.train, split.test, 0)),
           "that is the plain item mean: add the 5 phantom ratings of μ to every movie.")
    yield (mae(truth, _damped_item_means(split.train, split.test, PHANTOM_RATINGS)),
           "that is the MAE of the damped item mean: the question asks for the RMSE.")
    yield (rmse(truth, _damped_item_means(split.ratings, split.test, PHANTOM_RATINGS)),
           "those item means include the test ratings: compute them from train only.")


def _biases_on(split_name: str, metric=rmse) -> float:
    split = standard_split(split_name)
    model = Biases().fit(split.train)
    return metric(split.test["rating"], model.predict(split.test["user_index"], split.test["item_index"]))


def _temporal_biases_rmse() -> float:
    """The biases baseline on the *global* temporal split (section 7 prints the per-user one)."""
    return _biases_on("global_temporal")


def _temporal_biases_mistakes():
    yield (_biases_on("random"),
           "that is the biases' RMSE on the random split: fit and score on the global temporal split.")
    yield (_biases_on("temporal"),
           "that is the per-user temporal split of section 7: use movielens_split(\"global_temporal\").")
    yield (_biases_on("global_temporal", mae),
           "that is the MAE on the global temporal split: the question asks for the RMSE.")


q1 = Exercise(
    "Exercise 1 (user-mean baseline)",
    ('Like the item mean, but grouped by user; a test user without training ratings still needs a prediction.',
               "train.groupby('user_index')['rating'].mean() gives each user's mean; map it onto "
    "test['user_index'], fill gaps with the global train mean, then helpers.metrics.mae."),
    expected=_user_mean_mae,
    mistakes=_user_mean_mistakes,
    praise="Users differ less than movies do: the item mean is the stronger single baseline.",
)
q2 = Exercise(
    "Exercise 2 (shrinkage by hand)",
    ('One ALS update is a regularised mean of the residuals: λ_i acts like extra ratings of size zero.',
               "b_i = Σ (r − μ − b_u) / (λ_i + n_i) with b_u = 0, n_i = 2, λ_i = 10, and μ the mean train rating."),
    expected=_two_five_star_offset,
    mistakes=_offset_mistakes,
    praise="Two ratings move the movie only a quarter star above the mean: λ distrusts small samples.",
)
q3 = Exercise(
    "Exercise 3 (damped item mean)",
    ("Phantom ratings: add 5 ratings of value μ to every movie's sum and count.",
               "Per item: (sum of its train ratings + 5 μ) / (its number of train ratings + 5); the global "
    "mean μ for an item without train ratings; then RMSE on the test set."),
    expected=_damped_item_mean_rmse,
    mistakes=_damped_mistakes,
    praise="Shrinking helps the item mean only a little: the user offsets are what Biases adds most.",
)
q4 = Exercise(
    "Exercise 4 (biases on the global temporal split)",
    ('The same three steps as on the standard split: fit on the global temporal train, predict its test, score.',
               "movielens_split('global_temporal'), then Biases().fit on its train and predict(test['user_index'], "
    "test['item_index']); compare with test['rating'] using rmse."),
    expected=_temporal_biases_rmse,
    mistakes=_temporal_biases_mistakes,
    praise="One cut-off time for everyone is the hardest test: most test users have few or no "
           "training ratings, so the user offsets, learned from nothing, fall back to 0.",
)


UNFAIR_CHOICES = {
    "a": "nothing: a lower RMSE is a lower RMSE",
    "b": "the two RMSEs come from different test sets: the claim needs both models on the same split",
    "c": "RMSE is the wrong metric for a temporal split: use MAE",
    "d": "the biases baseline should have been trained longer",
}
"""Exercise 5's answers to choose from (answer with the letter)."""


_unfair_test = letter_choice(UNFAIR_CHOICES, {
    "a": "look at where each number comes from: section 7 shows every model's RMSE rising by "
         "0.05 or more from one split to the other.",
    "b": None,
    "c": "MAE would show the same problem: which test set did each number come from?",
    "d": "the biases baseline is solved in closed form, there is nothing to train longer. "
         "Which test set did each number come from?",
})


q5 = Exercise(
    "Exercise 5 (an unfair comparison)",
    ("Ask of each of the two numbers: which test set was it computed on?",
     "Section 7's slope chart: how much does a model's RMSE move from one split to the other, "
     "compared with the gap the colleague claims?"),
    test=_unfair_test,
    praise="A split changes every model's RMSE by more than most gains between models: compare "
           "models only on the same test set, with the same protocol.",
)
