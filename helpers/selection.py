"""Choosing on validation, and claiming a gain only when it is larger than the seed noise (notebooks 02 and 03).

The series' rule: every choice (a number of factors, a penalty, an epoch count, which variant
wins) is made on a validation split carved from the training set; the test set only reports the
chosen models, once. And a gain counts only when it holds over several seeds: each variant is
trained with ``SEEDS`` (the same validation split, a different initialisation and batch order
per seed), and the difference between two variants is read as a paired 95 % interval over the
seeds. An interval that contains 0 means "no measurable difference". Two rules follow:

- adding a part to a model (a bias, a penalty, an output range) is kept only when it makes the
  validation error measurably lower; inside the noise, the simpler model stays;
- a setting on a grid (k, λ) is the one with the lowest mean validation error over the seeds, and
  the notebook says which other settings are within the noise of it.

``carve_validation``      train → (fit part, validation part), seeded
``fit_on_validation``     train a model on the fit part, score the validation part every epoch
``paired_interval``       mean and 95 % interval of the per-seed differences of two variants
``summarise_over_seeds``  one row per variant: mean, spread, interval against a reference
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers import SEED, seed_everything
from helpers.models import model_inputs

SEEDS = tuple(range(SEED, SEED + 5))
"""The five seeds every claimed gain is measured over: 42, 43, 44, 45, 46."""

VALIDATION_FRACTION = 0.1
"""The share of the training ratings held out for validation."""

# 97.5 % quantiles of Student's t distribution, by degrees of freedom (a paired 95 % interval)
_T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
          9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def _t_975(degrees: int) -> float:
    known = [d for d in _T_975 if d <= degrees]
    return _T_975[max(known)] if degrees <= 30 else 1.96


def carve_validation(train: pd.DataFrame, fraction: float = VALIDATION_FRACTION,
                     seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``train`` into the part to fit on and a validation part: the last ``fraction`` of a
    seeded shuffle. The test set is not an argument: nothing chosen on validation can see it."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie strictly between 0 and 1, got {fraction}")
    shuffled = train.sample(frac=1.0, random_state=seed)
    n_fit = len(shuffled) - int(round(fraction * len(shuffled)))
    return shuffled.iloc[:n_fit], shuffled.iloc[n_fit:]


def fit_on_validation(build, fit_part: pd.DataFrame, validation: pd.DataFrame, seed: int = SEED,
                      epochs: int = 10, patience: int | None = 2, batch_size: int = 1024):
    """Seed, ``build()`` a compiled model, train it on ``fit_part``, score ``validation`` after
    every epoch; returns ``(model, history)``. With ``patience``, training stops once the
    validation RMSE has not improved for that many epochs and the best epoch's weights are
    restored (early stopping); ``patience=None`` trains every epoch and keeps the last weights."""
    import keras

    seed_everything(seed)
    model = build()
    stop = [] if patience is None else [keras.callbacks.EarlyStopping(
        monitor="val_rmse", patience=patience, restore_best_weights=True)]
    history = model.fit(model_inputs(fit_part), fit_part["rating"].to_numpy("float32"),
                        batch_size=batch_size, epochs=epochs, callbacks=stop, verbose=0,
                        validation_data=(model_inputs(validation), validation["rating"].to_numpy("float32")))
    return model, history


def paired_interval(scores, reference) -> tuple[float, float, float]:
    """Mean of ``scores − reference`` over the seeds and its 95 % t-interval: (mean, low, high).

    Both hold one score per seed, in the same seed order; pairing by seed removes what the two
    variants share (the same initial draw of the data order), so the interval is narrower than
    the spread of either."""
    differences = np.asarray(scores, dtype=float) - np.asarray(reference, dtype=float)
    if differences.ndim != 1 or len(differences) < 2:
        raise ValueError(f"need one score per seed for at least 2 seeds, got shape {differences.shape}")
    mean = float(differences.mean())
    half = _t_975(len(differences) - 1) * float(differences.std(ddof=1)) / math.sqrt(len(differences))
    return mean, mean - half, mean + half


def summarise_over_seeds(scores: dict[str, list[float]], reference: dict[str, str] | None = None,
                         decimals: int = 4) -> pd.DataFrame:
    """One row per variant: mean and standard deviation over the seeds and, where ``reference``
    names another variant, the paired difference with its 95 % interval and a verdict."""
    reference = reference or {}
    rows = {}
    for name, values in scores.items():
        values = np.asarray(values, dtype=float)
        row = {"mean": values.mean(), "std": values.std(ddof=1), "seeds": len(values)}
        if name in reference:
            mean, low, high = paired_interval(values, scores[reference[name]])
            verdict = "lower" if high < 0 else "higher" if low > 0 else "no measurable difference"
            row.update({"vs": reference[name], "difference": mean, "95% low": low,
                        "95% high": high, "verdict": verdict})
        rows[name] = row
    return pd.DataFrame(rows).T.infer_objects().round(decimals)


def paired_bootstrap(values, reference, statistic=None, n_resamples: int = 2000,
                     seed: int = SEED) -> tuple[float, float, float]:
    """``statistic(values) − statistic(reference)`` and its 95 % percentile interval when the test
    units (rows of both arrays: one per test rating, or per test user) are resampled with
    replacement, the same draw for both: (difference, low, high).

    Where ``paired_interval`` reads the spread between training runs, this reads the spread a
    different sample of test ratings or users would give the same two fitted models (notebook 07).
    ``statistic`` reduces the last axis (default: the mean). For RMSE pass squared errors and
    ``statistic=lambda errors: np.sqrt(errors.mean(axis=-1))``."""
    values, reference = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    if values.shape != reference.shape or values.ndim != 1 or len(values) < 2:
        raise ValueError(f"need two 1-D arrays of the same test units, got shapes {values.shape} "
                         f"and {reference.shape}")
    if statistic is None:
        def statistic(units):
            return units.mean(axis=-1)
    rng = np.random.default_rng(seed)
    differences = []
    for start in range(0, n_resamples, 200):  # 200 resamples at a time: bounded memory
        rows = rng.integers(0, len(values), size=(min(200, n_resamples - start), len(values)))
        differences.append(statistic(values[rows]) - statistic(reference[rows]))
    low, high = np.percentile(np.concatenate(differences), [2.5, 97.5])
    return float(statistic(values) - statistic(reference)), float(low), float(high)
