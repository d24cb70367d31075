"""Matrix factorization in Keras: the classic model and the tuned one (notebook 02).

Both models take two integer inputs, ``user_index`` and ``item_index`` (the 0-based indices of
``helpers.data.encode_ids``), and predict a rating in stars. Call a model as
``model([user_index, item_index])`` or, better, through ``predict_ratings``.

``build_classic_mf``  the model of the classic Keras tutorials: two embeddings and a dot product.
``build_tuned_mf``    the series' final model: global mean, user and item biases, per-example L2
                      on the looked-up rows, and an output squashed into the rating range.
``fit_classic_mf`` / ``fit_tuned_mf`` are the training recipes; every later notebook and the
benchmark (``python -m helpers.benchmark``) use them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import SEED, seed_everything

RATING_RANGE = (1.0, 5.0)
"""The lowest and highest rating of MovieLens (stars)."""


def _check_sizes(n_users, n_items, k) -> None:
    for name, value in (("n_users", n_users), ("n_items", n_items), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _metrics():
    import keras

    return ["mae", keras.metrics.RootMeanSquaredError(name="rmse")]


def build_classic_mf(n_users: int, n_items: int, k: int = 20):
    """The classic tutorial's model: rating ≈ user embedding · item embedding (no bias).

    Inputs of shape (1,) as in the classic tutorials, so each embedding comes out as (batch, 1, k)
    and a ``Flatten`` turns it into (batch, k) before the ``Dot``. Compiled with Adam, MSE loss
    and MAE/RMSE metrics.
    """
    import keras
    from keras import layers

    _check_sizes(n_users, n_items, k)
    user = keras.Input(shape=(1,), dtype="int32", name="user_index")
    item = keras.Input(shape=(1,), dtype="int32", name="item_index")
    user_vector = layers.Embedding(int(n_users), int(k), name="user_embedding")(user)
    item_vector = layers.Embedding(int(n_items), int(k), name="item_embedding")(item)
    user_vector = layers.Flatten(name="user_flatten")(user_vector)
    item_vector = layers.Flatten(name="item_flatten")(item_vector)
    rating = layers.Dot(axes=1, name="rating")([user_vector, item_vector])
    model = keras.Model([user, item], rating, name="classic_mf")
    model.compile(optimizer=keras.optimizers.Adam(), loss="mse", metrics=_metrics())
    return model


def build_tuned_mf(n_users: int, n_items: int, global_mean: float, k: int = 32,
                   l2: float = 0.03, learning_rate: float = 3e-3,
                   rating_range: tuple[float, float] | None = (0.5, 5.5)):
    """The series' final model: μ + b_u + b_i + p_u·q_i, squashed into ``rating_range``.

    ``l2`` penalises the looked-up rows of the batch (per-example L2, Keras' activity
    regulariser on the embedding layers), not the whole tables. With ``rating_range=(low, high)``
    the sum is a logit and the output is ``low + (high - low) · sigmoid(logit)``, where μ becomes
    the logit of the global mean; with ``None`` the output is the sum itself.
    """
    import keras
    from keras import layers

    _check_sizes(n_users, n_items, k)
    regulariser = keras.regularizers.L2(l2)
    user = keras.Input(shape=(), dtype="int32", name="user_index")
    item = keras.Input(shape=(), dtype="int32", name="item_index")
    user_vector = layers.Embedding(int(n_users), int(k), name="user_embedding",
                                   activity_regularizer=regulariser)(user)
    item_vector = layers.Embedding(int(n_items), int(k), name="item_embedding",
                                   activity_regularizer=regulariser)(item)
    user_bias = layers.Embedding(int(n_users), 1, name="user_bias", embeddings_initializer="zeros",
                                 activity_regularizer=regulariser)(user)
    item_bias = layers.Embedding(int(n_items), 1, name="item_bias", embeddings_initializer="zeros",
                                 activity_regularizer=regulariser)(item)
    if rating_range is None:
        offset = float(global_mean)
    else:
        low, high = rating_range
        share = (float(global_mean) - low) / (high - low)
        offset = float(np.log(share / (1 - share)))
    interaction = layers.Dot(axes=1, name="interaction")([user_vector, item_vector])
    logit = layers.Add(name="logit")([interaction, user_bias, item_bias])
    logit = layers.Rescaling(1.0, offset=offset, name="global_mean")(logit)
    if rating_range is None:
        rating = layers.Flatten(name="rating")(logit)
    else:
        squashed = layers.Activation("sigmoid", name="sigmoid")(logit)
        rating = layers.Rescaling(high - low, offset=low, name="rating_range")(squashed)
        rating = layers.Flatten(name="rating")(rating)
    model = keras.Model([user, item], rating, name="tuned_mf")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse", metrics=_metrics())
    return model


def _check_train(train: pd.DataFrame, n_users: int, n_items: int) -> None:
    missing = {"user_index", "item_index", "rating"} - set(getattr(train, "columns", []))
    if missing:
        raise ValueError(f"train needs the columns user_index, item_index, rating; missing "
                         f"{sorted(missing)} (encode the ids with helpers.data.encode_ids)")
    if len(train) == 0:
        raise ValueError("train is empty: there is nothing to fit")
    for column, size in (("user_index", n_users), ("item_index", n_items)):
        values = train[column].to_numpy()
        if values.min() < 0 or values.max() >= size:
            raise ValueError(f"{column} must lie in 0..{size - 1}, got {values.min()}..{values.max()}")


def _inputs(frame: pd.DataFrame) -> list[np.ndarray]:
    return [frame["user_index"].to_numpy("int32"), frame["item_index"].to_numpy("int32")]


def fit_classic_mf(train: pd.DataFrame, n_users: int, n_items: int, k: int = 20,
                   epochs: int = 20, batch_size: int = 256, seed: int = SEED):
    """Fit the classic model on ``train``; returns ``(model, history)`` (notebook 02, Part 1).

    A seeded shuffle of ``train`` is fed to ``model.fit``, which keeps its last 10 % for the
    validation curve; the test set is never seen.
    """
    _check_sizes(n_users, n_items, k)
    _check_train(train, n_users, n_items)
    seed_everything(seed)
    model = build_classic_mf(n_users, n_items, k)
    shuffled = train.sample(frac=1.0, random_state=seed)
    history = model.fit(_inputs(shuffled), shuffled["rating"].to_numpy("float32"),
                        batch_size=batch_size, epochs=epochs, validation_split=0.1, verbose=0)
    return model, history


def fit_tuned_mf(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED,
                 k: int = 32, l2: float = 0.03, learning_rate: float = 3e-3,
                 batch_size: int = 512, epochs: int = 30, patience: int = 2):
    """Fit the final model on ``train``; returns ``(model, history)`` (notebook 02, Part 2).

    10 % of ``train`` (a seeded shuffle's last tenth) is held out to stop early when the
    validation RMSE stops improving; the best epoch's weights are kept.
    """
    import keras

    _check_sizes(n_users, n_items, k)
    _check_train(train, n_users, n_items)
    seed_everything(seed)
    model = build_tuned_mf(n_users, n_items, float(train["rating"].mean()), k=k, l2=l2,
                           learning_rate=learning_rate)
    shuffled = train.sample(frac=1.0, random_state=seed)
    stop = keras.callbacks.EarlyStopping(monitor="val_rmse", patience=patience,
                                         restore_best_weights=True)
    history = model.fit(_inputs(shuffled), shuffled["rating"].to_numpy("float32"),
                        batch_size=batch_size, epochs=epochs, validation_split=0.1,
                        callbacks=[stop], verbose=0)
    return model, history


def predict_ratings(model, user_index, item_index, batch_size: int = 8192) -> np.ndarray:
    """The model's predicted ratings for the pairs (user_index[j], item_index[j]), as float64."""
    user_index = np.asarray(user_index).ravel()
    item_index = np.asarray(item_index).ravel()
    if user_index.shape != item_index.shape:
        raise ValueError(f"user_index has {user_index.size} values but item_index has "
                         f"{item_index.size}: pass one user and one item per pair")
    if user_index.size and user_index.dtype.kind not in "iu":
        raise ValueError(f"user_index must hold integers, got {user_index.dtype}")
    if item_index.size and item_index.dtype.kind not in "iu":
        raise ValueError(f"item_index must hold integers, got {item_index.dtype}")
    if user_index.size == 0:
        return np.zeros(0, dtype=np.float64)
    predictions = model.predict([user_index.astype("int32"), item_index.astype("int32")],
                                batch_size=batch_size, verbose=0)
    return np.asarray(predictions, dtype=np.float64).ravel()
