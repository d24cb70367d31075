"""Ranking: baselines, a matrix factorization trained for ranking, and its evaluation (notebook 05).

Every ``*_scores`` function returns a matrix ``scores[u, i]`` (n_users × n_items, higher is
better) that ``helpers.recommend.top_n`` turns into top-n lists, and ``evaluate_ranking`` scores
any such matrix on a train/test split with the metrics of ``helpers.metrics``.

The ranking model reads the ratings as implicit feedback: every train rating, whatever its
stars, says "this user chose this movie". For each user it predicts a probability distribution
over the whole catalog (a softmax over all items) and is trained to put its mass on the movies
the user chose: a multinomial likelihood, one training row per user.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import SEED, seed_everything, steps_per_call
from helpers.checks import check_sizes, check_train, configure
from helpers.metrics import ndcg_at_k, ranking_report, relevant_items
from helpers.recommend import seen_mask, top_n

RANKING_CONFIG = {"embedding_dim": 64, "l2": 1e-4, "epochs": 13, "learning_rate": 1e-2,
                  "batch_size": 64}
"""The ranking model's settings, chosen on a validation split taken from train (notebook 05)."""


def popularity_scores(train: pd.DataFrame, n_users: int, n_items: int) -> np.ndarray:
    """The most-popular baseline: every user scores an item by its number of train ratings."""
    counts = np.bincount(train["item_index"].to_numpy(), minlength=n_items).astype(np.float64)
    return np.broadcast_to(counts, (n_users, n_items)).copy()


def random_scores(n_users: int, n_items: int, seed: int = SEED) -> np.ndarray:
    """The random baseline: independent uniform scores, seeded."""
    return np.random.default_rng(seed).random((n_users, n_items))


EASE_CONFIG = {"l2": 300.0, "positives_from": 4.0}
"""EASE's penalty λ and which ratings it learns from (the ratings ≥ 4; None: every rated item),
both chosen on the ranking validation split (``python -m helpers.experiments ranking_peers``)."""


def ease_scores(train: pd.DataFrame, n_users: int, n_items: int, **settings) -> np.ndarray:
    """EASE (Steck 2019): each item's score is a weighted sum of the items the user chose.

    With ``X`` the users × items 0/1 matrix, the item-item weights ``B`` minimise
    ``‖X − XB‖² + λ‖B‖²`` with ``diag(B) = 0`` (an item may not predict itself). The solution is
    closed form: ``P = (XᵀX + λI)⁻¹``, ``B = −P / diag(P)`` column by column, ``diag(B) = 0``.
    Returns ``X @ B`` (n_users × n_items). Memory grows as n_items²: 1,682 movies need 23 MB.
    """
    config = configure(EASE_CONFIG, settings)
    check_train(train, n_users, n_items)
    rows = train if config["positives_from"] is None else train[train["rating"] >= config["positives_from"]]
    chosen = np.zeros((n_users, n_items))
    chosen[rows["user_index"].to_numpy(), rows["item_index"].to_numpy()] = 1.0
    gram = chosen.T @ chosen + config["l2"] * np.eye(n_items)
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)
    np.fill_diagonal(weights, 0.0)
    return chosen @ weights


def implicit_targets(train: pd.DataFrame, n_users: int, n_items: int) -> np.ndarray:
    """One row per user: 1/|items the user rated| on each rated item, else 0 (rows sum to 1)."""
    targets = seen_mask(train, n_users, n_items).astype(np.float32)
    return targets / np.maximum(targets.sum(axis=1, keepdims=True), 1.0)


def build_ranking_model(n_users: int, n_items: int, **settings):
    """User index → logits over all items: ``u_user · v_item + b_item`` for every item at once.

    The Dense layer ``item_scores`` holds the item embeddings (its kernel, k × n_items) and the
    item biases (its bias); a softmax over its output is the model's distribution over movies.
    Compiled with the softmax's cross-entropy; ``settings`` override entries of ``RANKING_CONFIG``.
    """
    import keras  # here, not at the top: the popularity baseline runs without TensorFlow
    from keras import layers

    config = configure(RANKING_CONFIG, settings)
    user = keras.Input(shape=(), dtype="int32", name="user_index")
    user_vector = layers.Embedding(n_users, config["embedding_dim"], name="user_embedding",
                                   embeddings_regularizer=keras.regularizers.l2(config["l2"]))(user)
    logits = layers.Dense(n_items, name="item_scores",
                          kernel_regularizer=keras.regularizers.l2(config["l2"]))(user_vector)
    model = keras.Model(user, logits, name="softmax_mf")
    model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                  steps_per_execution=steps_per_call(-(-n_users // config["batch_size"])))  # one call an epoch
    return model


def fit_ranking_model(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED,
                      callbacks: list | None = None, **settings):
    """Build and fit the ranking model on ``train``; returns ``(model, history)``.

    ``settings`` override entries of ``RANKING_CONFIG``. Seeded: the same call gives the same model.
    """
    config = configure(RANKING_CONFIG, settings)
    check_sizes(n_users, n_items, config["embedding_dim"])
    check_train(train, n_users, n_items)
    seed_everything(seed)
    model = build_ranking_model(n_users, n_items, **config)
    history = model.fit(np.arange(n_users, dtype=np.int32), implicit_targets(train, n_users, n_items),
                        batch_size=config["batch_size"], epochs=config["epochs"], verbose=0,
                        callbacks=callbacks)
    return model, history


def validation_curve(train: pd.DataFrame, valid: pd.DataFrame, n_users: int, n_items: int,
                     k: int = 10, seed: int = SEED, **config) -> list[float]:
    """NDCG@k on ``valid`` after each epoch of fitting on ``train``: the curve settings are tuned on.

    ``valid`` must come out of the training data (e.g. ``random_split(train)``), never the test set.
    """
    import keras

    exclude = seen_mask(train, n_users, n_items)
    relevant = relevant_items(valid["user_index"], valid["item_index"], valid["rating"], n_users)
    curve: list[float] = []

    class ValidationNDCG(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            top_items = top_n(ranking_scores(self.model), exclude, k)
            curve.append(ndcg_at_k(top_items, relevant, k))

    fit_ranking_model(train, n_users, n_items, seed, callbacks=[ValidationNDCG()], **config)
    return curve


def ranking_scores(model, user_index=None) -> np.ndarray:
    """The ranking model's logits for every item: all users (n_users × n_items) or ``user_index``."""
    user_embeddings = model.get_layer("user_embedding").get_weights()[0]
    kernel, bias = model.get_layer("item_scores").get_weights()
    if user_index is not None:
        user_index = np.atleast_1d(np.asarray(user_index))
        if user_index.min() < 0 or user_index.max() >= len(user_embeddings):
            raise ValueError(f"user_index must lie in 0..{len(user_embeddings) - 1}")
        user_embeddings = user_embeddings[user_index]
    return user_embeddings @ kernel + bias


def evaluate_ranking(scores: np.ndarray, train: pd.DataFrame, test: pd.DataFrame,
                     k: int = 10, threshold: float = 4.0) -> dict[str, float]:
    """Ranking metrics of a score matrix on a split (notebook 05's protocol).

    Candidates: every item the user did not rate in ``train``. Relevant: the user's ``test``
    ratings ≥ ``threshold``. Users with no relevant item are left out. Coverage counts the
    distinct items in every user's top ``k``.
    """
    n_users, n_items = scores.shape
    top_items = top_n(scores, seen_mask(train, n_users, n_items), k)
    relevant = relevant_items(test["user_index"], test["item_index"], test["rating"], n_users,
                              threshold)
    return ranking_report(top_items, relevant, k, n_items)
