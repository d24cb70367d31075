"""Exercises of notebook 07 (beating strong baselines). The checkers read small given problems and
the committed benchmark record: none trains a model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from helpers.exercises import Exercise, letter_choice

if TYPE_CHECKING:
    import pandas as pd


def ease_problem() -> dict:
    """Exercise 1: five users' chosen movies (a 0/1 matrix over four movies) and EASE's λ."""
    return {
        "chosen": np.array([[1, 1, 0, 0],
                            [1, 1, 1, 0],
                            [0, 1, 1, 0],
                            [0, 0, 1, 1],
                            [1, 0, 0, 1]], dtype=float),
        "l2": 1.0,
    }


def _ease(l2: bool = True, zero_diagonal: bool = True, by_rows: bool = False) -> np.ndarray:
    """Exercise 1's B = −P / diag(P), diag(B) = 0, with P = (XᵀX + λI)⁻¹; the switches make the
    typical mistakes."""
    problem = ease_problem()
    chosen = problem["chosen"]
    gram = chosen.T @ chosen + (problem["l2"] if l2 else 0.0) * np.eye(chosen.shape[1])
    inverse = np.linalg.inv(gram)
    diagonal = np.diag(inverse)
    weights = -inverse / (diagonal[:, None] if by_rows else diagonal)
    if zero_diagonal:
        np.fill_diagonal(weights, 0.0)
    return weights


def _ease_mistakes():
    yield _ease(zero_diagonal=False), ("the diagonal is −1: set diag(B) to 0 (np.fill_diagonal), "
                                       "or each movie would predict itself.")
    yield _ease(l2=False), "that has no penalty: add λI to XᵀX before inverting."
    yield _ease(by_rows=True), ("each row is divided by its diagonal entry: B_ij = −P_ij / P_jj "
                                "divides column j (−P / np.diag(P) broadcasts that way).")
    yield problem_scores(_ease()), "those are the users' scores X·B: the answer is the weights B."


def problem_scores(weights: np.ndarray) -> np.ndarray:
    return ease_problem()["chosen"] @ weights


def implicit_problem() -> dict:
    """Exercise 2: a table y of six movies' implicit vectors (k = 3) and the movies a user rated."""
    return {
        "table": np.array([[0.2, -0.1, 0.4],
                           [0.0, 0.3, 0.1],
                           [-0.3, 0.2, 0.0],
                           [0.1, 0.1, 0.1],
                           [0.5, -0.4, 0.2],
                           [0.0, 0.0, -0.2]]),
        "rated": [0, 2, 5],
    }


def _implicit_sum(scale: str = "sqrt", rows: str = "rated") -> np.ndarray:
    problem = implicit_problem()
    table = problem["table"]
    chosen = table[problem["rated"]] if rows == "rated" else table
    total = chosen.sum(axis=0)
    count = len(problem["rated"])
    return {"sqrt": total / np.sqrt(count), "none": total, "mean": total / count}[scale]


def _implicit_mistakes():
    yield _implicit_sum(scale="none"), "that is the plain sum: scale it by |N(u)|^-½."
    yield _implicit_sum(scale="mean"), ("that is the mean (÷ |N(u)|): SVD++ divides by the square "
                                        "root, so a user who rated more gets a longer vector.")
    yield (_implicit_sum(rows="all"),
           "that sums every movie's row: only the movies the user rated, N(u), count.")


def _recorded_interval(model: str = "tuned_mf", reference: str = "svdpp_tuned",
                       metric: str = "rmse") -> tuple[float, float, float]:
    from helpers.benchmark import recorded_run
    from helpers.selection import paired_interval

    models = recorded_run("random")["models"]
    return paired_interval(models[model]["per_seed"][metric], models[reference]["per_seed"][metric])


def _interval_mistakes():
    flipped = _recorded_interval("svdpp_tuned", "tuned_mf")
    yield flipped, ("the sign is flipped: paired_interval(scores, reference) gives scores − "
                    "reference, and the claim is about the tuned MF, so it comes first.")
    yield _recorded_interval(metric="mae"), "that is MAE: the claim is about RMSE."
    yield _recorded_interval(reference="svdpp"), ("that compares with Surprise's SVD++ at its "
                                                  "defaults: the fair peer is the tuned one.")


LEAK_CHOICES = {
    "a": "the implicit sums read which movies each user rated in the test set",
    "b": "the neighbourhood matrices are too large for memory",
    "c": "the model needs the test ratings' stars to train",
    "d": "nothing: more implicit feedback is always better",
}
"""Exercise 4's answers to choose from (answer with the letter)."""


_leak_test = letter_choice(LEAK_CHOICES, {
    "a": None,
    "b": "1,682 × 943 floats are 6 MB: memory is not the problem. Which rows does split.ratings hold?",
    "c": "no star of a test rating enters the sums (they are 0/1 weights). Which pairs do?",
    "d": ("more feedback from the future is a leak: at prediction time a recommender cannot know "
          "which movies a user will rate next."),
})


q1 = Exercise(
    title="Exercise 1",
    hint_text=('Start from the Gram matrix XᵀX plus λ on its diagonal, invert it; section 4 then divides each column by its diagonal entry and zeroes the diagonal.',
               "P = np.linalg.inv(X.T @ X + λ * np.eye(n_items)); B = −P / np.diag(P); then "
              "np.fill_diagonal(B, 0). Four by four."),
    expected=_ease,
    mistakes=_ease_mistakes,
    praise="Column j of B says how much choosing each other movie predicts movie j.",
)

q2 = Exercise(
    title="Exercise 2",
    hint_text=("Which rows of the table belong to the user's movies? Sum them, then scale by |N(u)|^(-1/2), not by 1/|N(u)|.",
               "select the rows of the table for the rated movies, sum them over axis 0, and divide "
              "by np.sqrt(the number of rated movies)."),
    expected=_implicit_sum,
    mistakes=_implicit_mistakes,
    praise="That is the vector ImplicitSum adds to p_u for this user.",
)

q3 = Exercise(
    title="Exercise 3",
    hint_text=("Pair by seed: both models' five test RMSEs, in the same seed order, go into paired_interval.",
               "run[\"models\"][name][\"per_seed\"][\"rmse\"] holds a model's five test RMSEs, one "
              "per seed; paired_interval(scores, reference) returns (mean, low, high)."),
    expected=_recorded_interval,
    mistakes=_interval_mistakes,
    praise="Does the interval include 0? That decides the verdict.",
)

q4 = Exercise(
    title="Exercise 4",
    hint_text=('Ask what the neighbourhood matrix knows about a test pair when it is built from every rating.',
               "split.ratings holds every rating, train and test. What does a 1 in the "
              "neighbourhood matrix say about a test pair?"),
    test=_leak_test,
    praise="Koren's Netflix models could use those pairs (the Prize published them); a recommender "
           "in production cannot.",
)


BASELINES = ("global_mean", "item_mean", "biases")


def _increases(models: str = "learned") -> pd.Series:
    from helpers.benchmark import recorded_run, seeds_table

    standard = seeds_table(recorded_run("random"), "rating")["rmse"]
    temporal = seeds_table(recorded_run("temporal"), "rating")["rmse"]
    increase = temporal - standard
    return increase.drop(list(BASELINES)) if models == "learned" else increase


def _largest_increase() -> str:
    return str(_increases().idxmax())


def _increase_mistakes():
    from helpers.benchmark import recorded_run, seeds_table

    yield str(_increases("all").idxmax()), "that is a baseline: the question is about the learned models."
    yield str(_increases().idxmin()), "that model loses the least: take the largest increase."
    temporal = seeds_table(recorded_run("temporal"), "rating")["rmse"].drop(list(BASELINES))
    if str(temporal.idxmax()) != _largest_increase():
        yield str(temporal.idxmax()), ("that model has the highest temporal RMSE, not the largest "
                                       "increase: subtract its standard-split RMSE first.")


q5 = Exercise(
    title="Exercise 5",
    hint_text=('Temporal minus standard mean RMSE, per model; leave out the three baselines before you pick the largest.',
               "seeds_table(run, \"rating\")[\"rmse\"] and the same for recorded_run(\"temporal\") are "
              "two Series indexed by model name: subtract them, drop the three baselines, idxmax()."),
    expected=_largest_increase,
    mistakes=_increase_mistakes,
    praise="Its settings were tuned on the standard split's validation rows, which overlap the "
           "temporal test: a tuned setting need not transfer to another split.",
)
