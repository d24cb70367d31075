"""Metrics as pure functions of NumPy arrays (notebooks 02-04).

Rating metrics compare predicted with true ratings; ranking metrics (notebook 04) compare
recommended lists with the items a user liked in the test set.
"""

from __future__ import annotations

import numpy as np


def _as_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} values but y_pred has {y_pred.size}")
    if y_true.size == 0:
        raise ValueError("no ratings to score: y_true is empty")
    return y_true, y_pred


def rmse(y_true, y_pred) -> float:
    """Root mean squared error: sqrt(mean((y - ŷ)²)), in stars."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error: mean(|y - ŷ|), in stars."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))
