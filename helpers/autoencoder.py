"""A multinomial denoising autoencoder for top-n ranking (Mult-DAE; Liang et al. 2018).

The softmax MF of notebook 05 learns one free vector per user. The autoencoder instead *computes*
the user's vector from the user's own row of rated movies, as EASE does, through a non-linear
layer: the row (every movie the user rated, whatever the stars) is scaled to unit length, half of
its entries are dropped at random while training (the "denoising": the model must recover movies
it was not shown), encoded into ``hidden`` tanh units, and decoded into one logit per movie. The
loss is the multinomial log-likelihood of the user's *positive* ratings (≥ 4) under the softmax
of those logits: the model learns to put its probability on the movies the user liked.

At prediction time nothing is dropped: the scores of a user are the logits computed from the
whole train row. A user the model never saw needs no retraining: their row is the input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import SEED, seed_everything
from helpers.checks import check_sizes, check_train, configure

DAE_CONFIG = {"hidden": 400, "dropout": 0.5, "l2": 3e-3, "learning_rate": 3e-3, "batch_size": 256,
              "epochs": 33, "positives_from": 4.0}
"""The autoencoder's settings, chosen on the ranking validation split (``python -m helpers.experiments dae``)."""


def item_rows(train: pd.DataFrame, n_users: int, n_items: int,
              positives_from: float | None = None) -> np.ndarray:
    """One 0/1 row per user over every item: the items the user rated in ``train`` (or only those
    rated at least ``positives_from``)."""
    rows = train if positives_from is None else train[train["rating"] >= positives_from]
    matrix = np.zeros((n_users, n_items), dtype=np.float32)
    matrix[rows["user_index"].to_numpy(), rows["item_index"].to_numpy()] = 1.0
    return matrix


def multinomial_loss(positives, logits):
    """−Σᵢ yᵢ log softmax(logits)ᵢ: the log-likelihood of the user's positive items."""
    from keras import ops

    return -ops.sum(ops.multiply(positives, ops.log_softmax(logits, axis=-1)), axis=-1)


def build_dae(n_items: int, **settings):
    """A user's rated-items row → one logit per item, compiled with the multinomial loss."""
    import keras
    from keras import layers

    config = configure(DAE_CONFIG, settings)
    penalty = keras.regularizers.l2(config["l2"])
    rated = keras.Input(shape=(n_items,), name="rated_items")
    row = layers.UnitNormalization(axis=-1, name="unit_length")(rated)
    row = layers.Dropout(config["dropout"], name="drop_items")(row)
    user_vector = layers.Dense(config["hidden"], activation="tanh", kernel_regularizer=penalty,
                               name="encoder")(row)
    logits = layers.Dense(n_items, kernel_regularizer=penalty, name="item_scores")(user_vector)
    model = keras.Model(rated, logits, name="mult_dae")
    model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]), loss=multinomial_loss)
    return model


def fit_dae(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED,
            callbacks: list | None = None, **settings):
    """Build and fit the autoencoder on ``train``; returns ``(model, history)``.

    Input: every user's rated items; target: the same user's positive items. Seeded."""
    config = configure(DAE_CONFIG, settings)
    check_sizes(n_users, n_items, config["hidden"])
    check_train(train, n_users, n_items)
    seed_everything(seed)
    model = build_dae(n_items, **config)
    history = model.fit(item_rows(train, n_users, n_items),
                        item_rows(train, n_users, n_items, config["positives_from"]),
                        batch_size=config["batch_size"], epochs=config["epochs"], verbose=0,
                        callbacks=callbacks)
    return model, history


def dae_scores(model, train: pd.DataFrame, n_users: int, n_items: int, user_index=None) -> np.ndarray:
    """The logits of every item for every user (or for ``user_index``), from their ``train`` rows."""
    rows = item_rows(train, n_users, n_items)
    if user_index is not None:
        rows = rows[np.atleast_1d(np.asarray(user_index))]
    return np.asarray(model.predict(rows, batch_size=1024, verbose=0), dtype=np.float64)
