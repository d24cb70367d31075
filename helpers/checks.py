"""Input checks and safe lookups: utilities the lessons call but do not teach.

The notebooks show the ideas (a model, a loss, a metric) in as few lines as they take; the checks
that turn a learner's mistake into one clear sentence live here, so the taught code stays short.
Each function raises ``ValueError`` with what was wrong and what to do.

``check_sizes``     table sizes and widths are positive integers (every ``fit_*`` of the series)
``train_arrays``    a ratings frame's index and rating columns, checked (the baselines, notebook 04)
``check_train``     the same, and its indices fit the model's tables (the Keras models)
``lookup_or``       ``values[index]`` with a fallback for indices outside the table
``check_new_user``  a new user's rated items, before a fold-in (notebook 06)
``configure``       a model's ``*_CONFIG`` with a call's overrides, unknown settings refused
``reproduces``      a live seed-42 run against the recorded seeds, on any Keras backend
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRAIN_COLUMNS = ("user_index", "item_index", "rating")


def check_sizes(n_users, n_items, k) -> None:
    """The table sizes and the width must be positive integers."""
    for name, value in (("n_users", n_users), ("n_items", n_items), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def train_arrays(train: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three columns a model fits on, checked: non-negative integer indices, finite ratings."""
    if not isinstance(train, pd.DataFrame):
        raise ValueError(f"train must be a DataFrame with columns {TRAIN_COLUMNS}, "
                         f"got {type(train).__name__}")
    missing = [name for name in TRAIN_COLUMNS if name not in train.columns]
    if missing:
        raise ValueError(f"train has no column {missing}: encode it first with "
                         "helpers.data.encode_ids")
    if len(train) == 0:
        raise ValueError("train is empty: a model needs at least one rating to fit")
    users = train["user_index"].to_numpy()
    items = train["item_index"].to_numpy()
    if users.dtype.kind not in "iu" or items.dtype.kind not in "iu":
        raise ValueError("user_index and item_index must be integers: use helpers.data.encode_ids")
    if users.min() < 0 or items.min() < 0:
        raise ValueError("user_index and item_index must be 0 or more: use helpers.data.encode_ids")
    ratings = train["rating"].to_numpy(dtype=np.float64)
    if not np.isfinite(ratings).all():
        raise ValueError("train has missing or infinite ratings: drop or fix those rows first")
    return users.astype(np.int64), items.astype(np.int64), ratings


def check_train(train: pd.DataFrame, n_users: int, n_items: int) -> None:
    """``train_arrays``' checks, and every index fits a table of ``n_users`` × ``n_items`` rows."""
    users, items, _ = train_arrays(train)
    for column, values, size in (("user_index", users, n_users), ("item_index", items, n_items)):
        if values.max() >= size:
            raise ValueError(f"{column} must lie in 0..{size - 1}, got {values.min()}..{values.max()}: "
                             "encode train and the model's sizes with the same encoding")


def lookup_or(values: np.ndarray, index, fallback: float = 0.0) -> np.ndarray:
    """``values[index]``, with ``fallback`` for indices outside 0..len(values)-1."""
    index = np.asarray(index).astype(np.int64).ravel()
    inside = (index >= 0) & (index < len(values))
    out = np.full(index.shape, fallback, dtype=np.float64)
    out[inside] = values[index[inside]]
    return out


def check_new_user(item_index, item_embeddings: np.ndarray, ratings=None) -> np.ndarray:
    """The rated item indices as int64, after the checks every fold-in needs."""
    n_items = len(item_embeddings)
    item_index = np.asarray(item_index).ravel()
    if item_index.size == 0:
        raise ValueError("the new user has rated nothing: fold-in needs at least one rating "
                         "(recommend popular movies until they rate some)")
    if item_index.dtype.kind not in "iu":
        raise ValueError(f"item_index must hold integer indices, got {item_index.dtype}: "
                         "map movie ids with encoding.item_index(...)")
    outside = item_index[(item_index < 0) | (item_index >= n_items)]
    if outside.size:
        raise ValueError(f"unknown item index {outside[:5].tolist()}: indices run from 0 to "
                         f"{n_items - 1} (map movie ids with encoding.item_index(...))")
    if np.unique(item_index).size != item_index.size:
        raise ValueError("a movie appears twice among the new user's ratings: keep one rating each")
    if ratings is not None and np.size(ratings) != item_index.size:
        raise ValueError(f"{item_index.size} movies but {np.size(ratings)} ratings: "
                         "give one rating per movie")
    return item_index.astype(np.int64)


def configure(config: dict, overrides: dict) -> dict:
    """``config`` with ``overrides`` applied; an unknown setting is an error, not silently ignored."""
    unknown = set(overrides) - set(config)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}: use {sorted(config)}")
    return {**config, **overrides}


RECORDED_BACKEND = "tensorflow"
"""The Keras backend the recorded experiments (``notebooks/results/``) and stored outputs ran on."""

SPREAD_FACTOR = 4.0
"""On another backend a live run must lie within this many standard deviations of the seeds' mean."""


def reproduces(live, seeds, tolerance: float) -> bool:
    """Whether a live run of seed 42 agrees with the record of the same experiment.

    ``seeds`` holds the recorded values of each seed (seed 42 first; a list of numbers, or of
    curves). On the recorded backend (TensorFlow) the live run *is* the first seed: the two must
    agree within ``tolerance`` (the code changed, or the record is stale). On another backend
    (``KERAS_BACKEND=jax``) the same seed draws other initial weights and other batch orders,
    so the live run is one more draw: it must lie within the seeds' spread, mean ±
    ``SPREAD_FACTOR`` standard deviations (at least ± ``tolerance``), every epoch of a curve.
    """
    import keras

    live, seeds = np.asarray(live, dtype=float), np.asarray(seeds, dtype=float)
    if keras.backend.backend() == RECORDED_BACKEND:
        return bool(np.all(np.abs(live - seeds[0]) <= tolerance))
    spread = np.maximum(SPREAD_FACTOR * seeds.std(axis=0, ddof=1), tolerance)
    return bool(np.all(np.abs(live - seeds.mean(axis=0)) <= spread))
