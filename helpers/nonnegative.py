r"""Matrix factorization whose factors are never negative (notebook 06).

The model is notebook 03's biased MF, :math:`\hat r_{ui} = \mu + b_u + b_i + p_u^\top q_i`, with
per-example L2 on the looked-up vectors. ``factors`` chooses how the vectors are kept:

``"free"``      ordinary embeddings, any sign (the unconstrained model, for comparison);
``"nonneg"``    embeddings with ``keras.constraints.NonNeg()``: after every optimiser step,
                negative entries are set to 0 (a projected Adam step), so entries can be
                exactly 0;
``"softplus"``  free weights :math:`w` passed through :math:`\operatorname{softplus}(w) =
                \log(1 + e^w) > 0`: positive by construction, never exactly 0.

Every variant trains with the same budget (``FACTOR_CONFIG``: epochs of Adam, batch size); the L2
strength of each (``FACTOR_CONFIG["l2"]``) was chosen on a validation split carved from the
standard train set.
Users and items absent from the train set are scored by the series' one rule
(``helpers.baselines.with_fallback``: the biases baseline predicts them), whatever the model says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import SEED, seed_everything
from helpers.checks import check_sizes, check_train, configure
from helpers.models import PerExampleL2, compile_rating_model, model_inputs

FACTORS = ("free", "nonneg", "softplus")
FACTOR_CONFIG = {"factors": "nonneg", "k": 20, "l2": {"free": 0.15, "nonneg": 0.05, "softplus": 0.003},
                 "learning_rate": 0.01, "batch_size": 2048, "epochs": 12}
"""The variants' shared budget, and each variant's per-example L2 on the looked-up vectors (``l2``),
chosen per variant on a validation split; an override ``l2=λ`` sets it for the variant built."""


def build_factor_mf(n_users: int, n_items: int, global_mean: float, **settings):
    """The biased MF with ``factors`` = "free", "nonneg" or "softplus" vectors (see the module)."""
    import keras
    from keras import layers

    config = configure(FACTOR_CONFIG, settings)
    factors, l2 = config["factors"], config["l2"]
    l2 = l2[factors] if isinstance(l2, dict) else l2
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
        vector = layers.Embedding(size, config["k"], embeddings_initializer=init,
                                  embeddings_constraint=constraint, name=f"{name}_embedding")(index)
        if factors == "softplus":
            vector = layers.Activation("softplus", name=f"{name}_factors")(vector)
        vectors.append(PerExampleL2(l2, name=f"{name}_l2")(vector))  # on the rows a batch looks up
    user_bias = layers.Embedding(n_users, 1, embeddings_initializer="zeros", name="user_bias")(user)
    item_bias = layers.Embedding(n_items, 1, embeddings_initializer="zeros", name="item_bias")(item)
    score = layers.Add()([layers.Dot(axes=1)(vectors), layers.Flatten()(user_bias),
                          layers.Flatten()(item_bias)])
    rating = layers.Rescaling(1.0, offset=float(global_mean), name="rating")(layers.Flatten()(score))
    model = keras.Model([user, item], rating, name=f"mf_{factors}")
    return compile_rating_model(model, config["learning_rate"])


def fit_factor_mf(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED, **settings):
    """Build and train ``build_factor_mf`` on ``train``; returns ``(model, history)``.

    ``settings`` override entries of ``FACTOR_CONFIG`` (``factors="free"`` for another variant).
    """
    config = configure(FACTOR_CONFIG, settings)
    if config["factors"] not in FACTORS:
        raise ValueError(f"factors must be one of {FACTORS}, got {config['factors']!r}")
    check_sizes(n_users, n_items, config["k"])
    check_train(train, n_users, n_items)
    seed_everything(seed)
    model = build_factor_mf(n_users, n_items, float(train["rating"].mean()), **config)
    history = model.fit(model_inputs(train), train["rating"].to_numpy(),
                        batch_size=config["batch_size"], epochs=config["epochs"], shuffle=True,
                        verbose=0)
    return model, history


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
