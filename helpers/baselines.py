r"""Baselines every recommender must beat, in plain NumPy (notebook 04).

Three rating predictors, from the simplest to the one that is hard to beat:

``GlobalMean``   every rating is predicted as the mean train rating :math:`\mu`.
``ItemMean``     a movie's mean train rating (the classic Kaggle lesson's baseline).
``Biases``       :math:`\hat r_{ui} = \mu + b_u + b_i`, user and item offsets fitted by
                 regularised least squares, solved by alternating closed-form steps (ALS).

Each is a small class with ``fit(train)`` (a DataFrame with ``user_index``, ``item_index`` and
``rating`` columns, as ``helpers.data.encode_ids`` makes them) and
``predict(user_index, item_index)`` returning a float64 array. A user or item with no rating in
``train`` (a "cold" one: unseen index, or an index beyond any seen) never raises; it gets the
documented fallback:

- ``GlobalMean``: nothing to fall back from, every pair gets :math:`\mu`;
- ``ItemMean``: an item without train ratings gets :math:`\mu`;
- ``Biases``: an unknown user has :math:`b_u = 0`, an unknown item :math:`b_i = 0`, so the
  prediction keeps what is known (:math:`\mu + b_i`, :math:`\mu + b_u`, or :math:`\mu`).

``known_pairs(train, user_index, item_index)`` marks the rows whose user and item both have train
ratings; the series' learned models predict the other rows with ``Biases``.

The most-popular recommender, the baseline for ranking, is ``helpers.ranking.popularity_scores``.

The maths of ``Biases``. Minimise over the offsets

.. math::
    L(b) = \sum_{(u,i)\in R} (r_{ui} - \mu - b_u - b_i)^2
           + \lambda_u \sum_u b_u^2 + \lambda_i \sum_i b_i^2 .

With the user offsets held fixed, :math:`L` is a sum of independent one-dimensional ridge
problems, one per item, each solved exactly by setting its derivative to zero:

.. math::
    b_i = \frac{\sum_{u \in R(i)} (r_{ui} - \mu - b_u)}{\lambda_i + |R(i)|},
    \qquad
    b_u = \frac{\sum_{i \in R(u)} (r_{ui} - \mu - b_i)}{\lambda_u + |R(u)|}.

Alternating the two updates never increases :math:`L` (each step is an exact minimisation over
one block); with :math:`\lambda_u, \lambda_i > 0`, :math:`L` is a strictly convex quadratic, so
the alternation converges to its single minimum, and a handful of sweeps is enough.
:math:`\lambda` acts as a number of phantom ratings at the mean: an item with 2 ratings and
:math:`\lambda_i = 10` keeps only 2/12 of its apparent offset, one with 400 ratings keeps
400/410 of it. The defaults (:math:`\lambda_i = 10, \lambda_u = 15`, 10 sweeps) are those of
Surprise's ``BaselineOnly``.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from helpers.checks import lookup_or, train_arrays


class GlobalMean:
    """Predict the mean train rating for every (user, item) pair: the baseline of all baselines."""

    name = "global_mean"

    def fit(self, train: pd.DataFrame) -> Self:
        _, _, ratings = train_arrays(train)
        self.mean_ = float(ratings.mean())
        return self

    def predict(self, user_index, item_index) -> np.ndarray:
        return np.full(np.asarray(item_index).size, self.mean_, dtype=np.float64)

    @property
    def n_params(self) -> int:
        return 1


class ItemMean:
    """Predict each item's mean train rating; an item with no train rating gets the global mean."""

    name = "item_mean"

    def fit(self, train: pd.DataFrame) -> Self:
        _, items, ratings = train_arrays(train)
        self.mean_ = float(ratings.mean())
        sums = np.bincount(items, weights=ratings)
        counts = np.bincount(items)
        # items inside the index range but without ratings get the global mean, as unknown ones do
        self.item_means_ = np.where(counts > 0, sums / np.maximum(counts, 1), self.mean_)
        return self

    def predict(self, user_index, item_index) -> np.ndarray:
        return lookup_or(self.item_means_, item_index, fallback=self.mean_)

    @property
    def n_params(self) -> int:
        return 1 + len(self.item_means_)


class Biases:
    """Predict mean + user offset + item offset, the offsets fitted by alternating ridge steps.

    ``reg_user`` and ``reg_item`` are the penalties on user and item offsets; ``n_sweeps`` the
    number of (items, then users) updates. After ``fit``, ``loss_history_`` holds the penalised
    squared error after each sweep, which never increases. Unknown users or items get offset 0.
    """

    name = "biases"

    def __init__(self, reg_user: float = 15.0, reg_item: float = 10.0, n_sweeps: int = 10):
        if reg_user < 0 or reg_item < 0:
            raise ValueError(f"reg_user and reg_item must be 0 or more, got {reg_user}, {reg_item}")
        if int(n_sweeps) < 1:
            raise ValueError(f"n_sweeps must be at least 1, got {n_sweeps}")
        self.reg_user, self.reg_item, self.n_sweeps = float(reg_user), float(reg_item), int(n_sweeps)

    def fit(self, train: pd.DataFrame) -> Self:
        users, items, ratings = train_arrays(train)
        mu = ratings.mean()
        n_users, n_items = users.max() + 1, items.max() + 1
        user_counts = np.bincount(users, minlength=n_users)
        item_counts = np.bincount(items, minlength=n_items)
        user_bias, item_bias = np.zeros(n_users), np.zeros(n_items)
        self.loss_history_ = []
        for _ in range(self.n_sweeps):
            # each line is the exact minimiser of L over one block, the other held fixed
            item_bias = np.bincount(items, ratings - mu - user_bias[users], n_items) / (
                self.reg_item + item_counts)
            user_bias = np.bincount(users, ratings - mu - item_bias[items], n_users) / (
                self.reg_user + user_counts)
            residual = ratings - mu - user_bias[users] - item_bias[items]
            self.loss_history_.append(float(residual @ residual + self.reg_user * user_bias @ user_bias
                                            + self.reg_item * item_bias @ item_bias))
        self.mean_, self.user_bias_, self.item_bias_ = float(mu), user_bias, item_bias
        return self

    def predict(self, user_index, item_index) -> np.ndarray:
        return self.mean_ + lookup_or(self.user_bias_, user_index) + lookup_or(self.item_bias_, item_index)

    @property
    def n_params(self) -> int:
        return 1 + len(self.user_bias_) + len(self.item_bias_)



def known_pairs(train: pd.DataFrame, user_index, item_index) -> np.ndarray:
    """True where both the user and the item have at least one rating in ``train``.

    A learned model's embedding of a user or item without train ratings was never trained, so the
    series predicts the other rows (``~known_pairs(...)``) with ``Biases``, which falls back well.
    """
    users, items, _ = train_arrays(train)
    user_index = np.asarray(user_index).astype(np.int64).ravel()
    item_index = np.asarray(item_index).astype(np.int64).ravel()
    user_known = np.bincount(users, minlength=max(users.max(), user_index.max(initial=0)) + 1) > 0
    item_known = np.bincount(items, minlength=max(items.max(), item_index.max(initial=0)) + 1) > 0
    inside = (user_index >= 0) & (item_index >= 0)
    return inside & user_known[np.maximum(user_index, 0)] & item_known[np.maximum(item_index, 0)]


def with_fallback(predicted, train: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """The series' one rule for users and movies absent from ``train`` (notebook 01).

    A row of ``rows`` whose user or movie has no rating in ``train`` gets the ``Biases``
    baseline's prediction — :math:`\\mu + b_u` for a new movie, :math:`\\mu + b_i` for a new user,
    :math:`\\mu` for both — instead of ``predicted``, whatever the model: a learned vector that no
    rating ever updated says nothing. Every rating model of the series, in every notebook and in
    ``python -m helpers.benchmark``, is scored through this function or the same rule.
    """
    predicted = np.asarray(predicted, dtype=np.float64).ravel()
    if predicted.shape != (len(rows),):
        raise ValueError(f"predicted has {predicted.size} values for {len(rows)} rows")
    known = known_pairs(train, rows["user_index"], rows["item_index"])
    if known.all():
        return predicted
    fallback = Biases().fit(train).predict(rows["user_index"], rows["item_index"])
    return np.where(known, predicted, fallback)


BIASES_GRID = (1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 25.0)
"""The penalties ``choose_biases_strengths`` tries, for users and for items (7 × 7 pairs)."""


def choose_biases_strengths(train: pd.DataFrame, grid=BIASES_GRID) -> dict[str, float]:
    """``reg_user`` and ``reg_item`` of ``Biases`` chosen on a validation split of ``train``.

    Carves the series' validation split (``helpers.selection.carve_validation``), fits ``Biases``
    on the rest for every pair of penalties in ``grid`` and returns the pair with the lowest
    validation RMSE, with that RMSE (notebook 04). ALS is deterministic: no seeds to average.
    """
    from helpers.metrics import rmse
    from helpers.selection import carve_validation

    fit_part, validation = carve_validation(train)
    scores = {(reg_user, reg_item): rmse(validation["rating"], Biases(reg_user, reg_item)
                                         .fit(fit_part)
                                         .predict(validation["user_index"], validation["item_index"]))
              for reg_user in grid for reg_item in grid}
    reg_user, reg_item = min(scores, key=scores.get)
    return {"reg_user": reg_user, "reg_item": reg_item, "validation_rmse": scores[(reg_user, reg_item)]}
