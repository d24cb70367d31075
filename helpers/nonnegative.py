r"""Matrix factorization whose factors are never negative (notebook 06).

The model is notebook 03's biased MF, :math:`\hat r_{ui} = \mu + b_u + b_i + p_u^\top q_i`, with
per-example L2 on the looked-up vectors. ``factors`` chooses how the vectors are kept:

``"free"``      ordinary embeddings, any sign (the unconstrained model, for comparison);
``"nonneg"``    embeddings with ``keras.constraints.NonNeg()``: after every optimiser step,
                negative entries are set to 0 (a projected Adam step), so entries can be
                exactly 0;
``"softplus"``  free weights :math:`w` passed through :math:`\operatorname{softplus}(w) =
                \log(1 + e^w) > 0`: positive by construction, never exactly 0.

Every variant trains with the same budget (``EPOCHS`` epochs of Adam, batch ``BATCH_SIZE``); the
L2 strength of each (``L2``) was chosen on a validation split carved from the standard train set.
Users and items absent from the train set are scored by the series' one rule
(``helpers.baselines.with_fallback``: the biases baseline predicts them), whatever the model says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import SEED, seed_everything
from helpers.models import PerExampleL2

FACTORS = ("free", "nonneg", "softplus")
L2 = {"free": 0.15, "nonneg": 0.05, "softplus": 0.003}
"""Per-example L2 on the looked-up vectors, chosen per variant on a validation split."""
EPOCHS, BATCH_SIZE, LEARNING_RATE = 12, 2048, 0.01


def build_factor_mf(n_users: int, n_items: int, global_mean: float, k: int = 20,
                    factors: str = "nonneg", l2: float | None = None):
    """The biased MF with ``factors`` = "free", "nonneg" or "softplus" vectors (see the module)."""
    import keras
    from keras import layers

    if factors not in FACTORS:
        raise ValueError(f"factors must be one of {FACTORS}, got {factors!r}")
    l2 = L2[factors] if l2 is None else l2
    if factors == "free":
        init, constraint = keras.initializers.RandomNormal(0.0, 0.05), None
    elif factors == "nonneg":
        init, constraint = keras.initializers.RandomUniform(0.0, 0.1), keras.constraints.NonNeg()
    else:  # softplus(-3) ≈ 0.05: small positive factors at the start
        init, constraint = keras.initializers.RandomNormal(-3.0, 0.3), None

    user = keras.Input(shape=(), dtype="int32", name="user_index")
    item = keras.Input(shape=(), dtype="int32", name="item_index")
    vectors = []
    for name, index, size in (("user", user, n_users), ("item", item, n_items)):
        vector = layers.Embedding(int(size), k, embeddings_initializer=init,
                                  embeddings_constraint=constraint, name=f"{name}_embedding")(index)
        if factors == "softplus":
            vector = layers.Activation("softplus", name=f"{name}_factors")(vector)
        vectors.append(PerExampleL2(l2, name=f"{name}_l2")(vector))  # on the rows a batch looks up
    user_bias = layers.Embedding(int(n_users), 1, embeddings_initializer="zeros", name="user_bias")(user)
    item_bias = layers.Embedding(int(n_items), 1, embeddings_initializer="zeros", name="item_bias")(item)
    score = layers.Add()([layers.Dot(axes=1)(vectors), layers.Flatten()(user_bias),
                          layers.Flatten()(item_bias)])
    rating = layers.Rescaling(1.0, offset=float(global_mean), name="rating")(layers.Flatten()(score))
    model = keras.Model([user, item], rating, name=f"mf_{factors}")
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse",
                  steps_per_execution=8)  # 8 batches per call into TensorFlow: faster on a CPU
    return model


def fit_factor_mf(train: pd.DataFrame, n_users: int, n_items: int, factors: str = "nonneg",
                  k: int = 20, seed: int = SEED, l2: float | None = None):
    """Build and train ``build_factor_mf`` on ``train`` with the series' budget; returns the model."""
    seed_everything(seed)
    model = build_factor_mf(n_users, n_items, float(train["rating"].mean()), k, factors, l2)
    model.fit([train["user_index"].to_numpy(), train["item_index"].to_numpy()],
              train["rating"].to_numpy(), batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=True,
              verbose=0)
    return model


def predict_factor_mf(model, user_index, item_index) -> np.ndarray:
    """Predicted ratings for (user, item) index pairs, clipped to the 1–5 star range."""
    predictions = model.predict([np.asarray(user_index, dtype="int32"),
                                 np.asarray(item_index, dtype="int32")], batch_size=8192, verbose=0)
    return np.clip(np.asarray(predictions, dtype=np.float64).ravel(), 1.0, 5.0)


def factor_matrices(model) -> tuple[np.ndarray, np.ndarray]:
    """The user and item factor matrices as the model uses them (softplus applied if it has one)."""
    users = np.asarray(model.get_layer("user_embedding").get_weights()[0], dtype=np.float64)
    items = np.asarray(model.get_layer("item_embedding").get_weights()[0], dtype=np.float64)
    if any(layer.name == "item_factors" for layer in model.layers):
        users, items = np.logaddexp(0.0, users), np.logaddexp(0.0, items)  # softplus, overflow-safe
    return users, items
