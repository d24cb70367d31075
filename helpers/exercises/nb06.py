"""Exercises of notebook 06 (non-negative factors, new users). Each checker computes its answer."""

from __future__ import annotations

from functools import cache

import numpy as np

from helpers.exercises import Exercise, letter_choice, standard_split

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


def _ridge(l2: float | None = None, bias: bool = True,
           subtract: tuple[str, ...] = ("global_mean", "item_bias")) -> np.ndarray:
    """Exercise 1's w = (XᵀX + λI)⁻¹ Xᵀy; the arguments make the typical mistakes."""
    problem = ridge_problem()
    rated = len(problem["ratings"])
    features = problem["item_embeddings"]
    if bias:
        features = np.column_stack([features, np.ones(rated)])
    residual = problem["ratings"] - sum(problem[name] for name in subtract)
    l2 = problem["l2"] if l2 is None else l2
    gram = features.T @ features + l2 * np.identity(features.shape[1])
    return np.linalg.solve(gram, features.T @ residual)


def _ridge_solution() -> np.ndarray:
    return _ridge()


def _ridge_mistakes():
    yield _ridge(l2=0.0), "that solves without the ridge term: add λI to XᵀX."
    yield (_ridge(bias=False),
           "that has no bias: add a column of ones to X, and b_u comes last in w.")
    yield _ridge(subtract=()), "that fits the raw ratings: subtract μ and the item biases first."
    yield (_ridge(subtract=("global_mean",)),
           "that subtracts μ but not the item biases b_j from the ratings.")


@cache
def _biases():
    """Notebook 04's Biases baseline fitted on the standard train split, as exercise 2 asks."""
    from helpers.baselines import Biases

    return Biases().fit(standard_split().train)


def _bias_only_residuals(subtract_item_bias: bool = True) -> np.ndarray:
    split, biases = standard_split(), _biases()
    titles = split.movies.set_index("title")["item_id"]
    items = split.encoding.item_index([int(titles[title]) for title in BIAS_ONLY_USER])
    residuals = np.array(list(BIAS_ONLY_USER.values())) - biases.mean_
    return residuals - biases.item_bias_[items] if subtract_item_bias else residuals


def _bias_only_user_bias(l2: float = BIAS_ONLY_L2, subtract_item_bias: bool = True) -> float:
    residuals = _bias_only_residuals(subtract_item_bias)
    return float(residuals.sum() / (len(residuals) + l2))


def _bias_only_mistakes():
    yield (_bias_only_user_bias(l2=0.0),
           "that is the plain mean of the residuals (λ = 0): divide by the number of ratings + λ.")
    import inspect

    from helpers.recommend import fold_in_user

    default = inspect.signature(fold_in_user).parameters["l2"].default
    yield (_bias_only_user_bias(l2=default),
           f"that uses λ = {default:g} (fold_in_user's default): this exercise has "
           f"λ = {BIAS_ONLY_L2:g}.")
    yield (_bias_only_user_bias(subtract_item_bias=False),
           "that leaves the item biases in: subtract μ and each movie's b_i from its stars.")


def _nonneg_factors(model) -> tuple[np.ndarray, np.ndarray]:
    """The learner's model's factors (``check(answer, model=factor_models["nonneg"])``)."""
    from helpers.nonnegative import factor_matrices

    return factor_matrices(model)


def _nonneg_zero_share(model) -> float:
    """The share of the non-negative model's *user*-factor entries that are exactly 0 (section 2's
    table prints the movies' share, so the exercise asks for the users')."""
    return float((_nonneg_factors(model)[0] == 0).mean())


def _zero_share_mistakes(model):
    user_factors, item_factors = _nonneg_factors(model)
    yield int((user_factors == 0).sum()), "that is a count: divide by the number of entries (.mean())."
    yield 100 * _nonneg_zero_share(model), "that looks like a percentage: give a fraction between 0 and 1."
    yield (float((user_factors != 0).mean()),
           "that is the share of entries that are not zero: compare with == 0.")
    yield (float((item_factors == 0).mean()),
           "that is the movies' share, section 2's table: factor_matrices returns (users, items).")


q1 = Exercise(
    title="Exercise 1",
    hint_text=("The fold-in is a ridge regression: the rated movies' embeddings (plus a 1 for the bias) are the features, the ratings minus what the model already explains are the targets.",
               "stack the embeddings with a column of ones (np.column_stack), subtract μ and the "
              "item biases from the ratings, then np.linalg.solve(XᵀX + λI, Xᵀy)."),
    expected=_ridge_solution,
    mistakes=_ridge_mistakes,
    praise="Three numbers: the user's two factors and, last, their bias.",
)

q2 = Exercise(
    title="Exercise 2",
    hint_text=("With no vector at all, the user's only parameter is b_u: a regularised mean of what μ and the item biases leave unexplained.",
               "with k = 0 the ridge solution is a single number: the sum of the residuals "
              "r − μ − b_i divided by (number of ratings + λ). fold_in_user also accepts an "
              "embedding matrix with 0 columns."),
    expected=_bias_only_user_bias,
    mistakes=_bias_only_mistakes,
    praise="That is exactly the user update of notebook 04's Biases baseline: fold-in with k = 0.",
)

q3 = Exercise(
    title="Exercise 3",
    hint_text=("A share of entries: a mean of a boolean array over all users × factors, of the "
               "user factors this time.",
               "factor_matrices(model) returns (user factors, item factors); compare the user "
               "factors with 0 and take the mean of the boolean array."),
    expected=_nonneg_zero_share,
    mistakes=_zero_share_mistakes,
    needs=("model",),
    rel_tol=1e-2,
    praise="Compare with the movies' share in section 2's table: on both sides each vector uses "
           "only some of the parts, exact zeros that the projection gives and softplus cannot.",
)


FOLD_IN_CHOICES = {
    "a": "λ is too small for users with few ratings",
    "b": "the ratings it scores are the ratings the fold-in was solved on: they say how well w fits "
         "them, not how well it predicts the user's other ratings",
    "c": "a new user's vector should be trained with Adam, not solved in closed form",
    "d": "nothing: every rating of the new user is used, which is the most honest",
}
"""Exercise 4's answers to choose from (answer with the letter)."""


_fold_in_diagnosis = letter_choice(FOLD_IN_CHOICES, {
    "a": "a larger λ would lower the error on seen ratings less, but the problem stays: which "
         "ratings are scored?",
    "b": None,
    "c": "the ridge solution is the exact minimum of the same loss Adam would minimise: the "
         "solver is not the problem. Which ratings are scored?",
    "d": "using every rating to solve and then scoring the same ratings is a leak: section 4.6 "
         "reveals some ratings and scores the others.",
})


q4 = Exercise(
    title="Exercise 4",
    hint_text=("Ask which of the user's ratings the fold-in saw, and which the error is computed on.",
               "Section 4.6 splits each held-out user's ratings in two: revealed ones to fold in, "
               "the rest to score."),
    test=_fold_in_diagnosis,
    praise="An error on the ratings a model was fitted to measures fit, not prediction: with as "
           "many unknowns as ratings it can be near 0 and mean nothing.",
)
