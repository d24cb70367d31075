"""Shared fixtures: a small synthetic ratings table for fast unit tests, and the real data.

The notebook list and readers come from ``tools.notebook_tools`` and are re-exported here for the
tests (``from conftest import NOTEBOOKS, ROOT, read_notebook, notebook_solutions``). Which tests
are ``slow``, ``browser`` or ``notebooks`` is set in the root ``conftest.py``.
"""

from __future__ import annotations

import os
from functools import cache

import matplotlib
import numpy as np
import pandas as pd
import pytest

import helpers  # noqa: F401  (importing helpers quiets TensorFlow, before any test imports it)
from tools.notebook_tools import NOTEBOOKS, ROOT, run_solution
from tools.notebook_tools import read as read_notebook
from tools.notebook_tools import solutions as notebook_solutions

__all__ = ["BACKEND", "NOTEBOOKS", "ROOT", "notebook_solutions", "read_notebook", "reference_ranking_model",
           "reference_rating_model", "run_solution", "synthetic_ratings", "tensorflow_only"]

BACKEND = os.environ["KERAS_BACKEND"]  # helpers sets "tensorflow" unless the caller chose another
"""The Keras backend of this test run: ``make test`` TensorFlow, ``make test-backends`` JAX."""


def tensorflow_only(why: str):
    """Mark a test that holds only on TensorFlow, saying ``why``: skipped on another backend."""
    return pytest.mark.skipif(BACKEND != "tensorflow", reason=f"TensorFlow only: {why}")


matplotlib.use("Agg")  # unit tests draw off-screen; notebooks (nbval) keep the inline backend


def synthetic_ratings(n_users: int = 30, n_items: int = 40, k: int = 3, density: float = 0.4,
                      seed: int = 0) -> pd.DataFrame:
    """Ratings from a known low-rank model, rounded to 1..5 stars: fast, and learnable."""
    rng = np.random.default_rng(seed)
    users = rng.normal(size=(n_users, k))
    items = rng.normal(size=(n_items, k))
    scores = 3.5 + users @ items.T / np.sqrt(k)
    mask = rng.random((n_users, n_items)) < density
    mask[np.arange(n_users), rng.integers(0, n_items, n_users)] = True  # every user rates
    user_index, item_index = np.nonzero(mask)
    return pd.DataFrame({
        "user_id": user_index + 101,  # ids that are not indices, as in real data
        "item_id": item_index + 1001,
        "rating": np.clip(np.round(scores[mask]), 1, 5).astype("float32"),
        "timestamp": rng.integers(880_000_000, 890_000_000, mask.sum()),
    })


@pytest.fixture(scope="session")
def synthetic() -> pd.DataFrame:
    return synthetic_ratings()


@pytest.fixture(scope="session")
def encoded_synthetic(synthetic) -> tuple[pd.DataFrame, int, int]:
    """The synthetic ratings encoded, with their sizes: ``(encoded, n_users, n_items)``."""
    from helpers.data import encode_ids

    encoded, encoding = encode_ids(synthetic)
    return encoded, encoding.n_users, encoding.n_items


@pytest.fixture(scope="session")
def movielens() -> tuple[pd.DataFrame, pd.DataFrame]:
    from helpers.data import load_movielens_100k

    return load_movielens_100k()


@pytest.fixture(scope="module")
def records(request) -> dict:
    """The values recorded in the committed notebook named by the test module's ``NOTEBOOK``."""
    from helpers.records import read_records

    return read_records(request.module.NOTEBOOK)


@cache
def reference_ranking_model():
    """Notebook 05's ``ranking_model``, trained again on the standard split (seeded: the same
    weights), once per test process: the learner's model in the exercise tests, the model whose
    claims the claims tests recompute. The exercise checkers themselves train nothing."""
    from helpers.exercises import standard_split
    from helpers.ranking import fit_ranking_model

    split = standard_split()
    model, _ = fit_ranking_model(split.train, split.encoding.n_users, split.encoding.n_items)
    return model


@cache
def reference_rating_model():
    """Notebook 05's ``rating_model`` (notebook 03's tuned MF on the standard split, seeded), once
    per test process."""
    from helpers.exercises import standard_split
    from helpers.models import fit_tuned_mf

    split = standard_split()
    model, _ = fit_tuned_mf(split.train, split.encoding.n_users, split.encoding.n_items)
    return model
