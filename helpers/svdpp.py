"""MF that also reads *which* movies were rated: SVD++ on both sides (Koren 2008), in Keras.

The tuned MF of notebook 03 learns a user only from the stars they gave. But the set of movies a
user chose to rate says a lot by itself, and so does the set of users who rated a movie. SVD++
adds that implicit feedback to the user vector; here it is added to the item vector too:

    user vector  p_u + |N(u)|^-½ Σ_{j ∈ N(u)} y_j      N(u): the movies u rated in train
    item vector  q_i + |N(i)|^-½ Σ_{v ∈ N(i)} z_v      N(i): the users who rated i in train

    r̂ = low + (high − low) · σ(μ' + b_u + b_i + user vector · item vector)

with the tuned MF's output, recipe (Adam, cosine decay, a fixed number of epochs) and
per-example L2 on p and q. ``y`` and ``z`` are trainable tables (one row per item, one per user);
``ImplicitSum`` computes the normalised sums as one matrix product with a fixed matrix that holds
|N(·)|^-½ where a pair was rated, and penalises ``y`` (or ``z``) by ``λ · mean over the batch of
mean_{j∈N(u)} ‖y_j‖²``. Only train's pairs enter the matrices: never a test rating.

A user with no train rating gets p = 0 and an empty sum, so the model predicts μ + b_i for them,
as the tuned MF does.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from keras import layers, ops

from helpers import SEED, seed_everything
from helpers.checks import check_sizes, check_train, configure
from helpers.models import (
    PerExampleL2,
    _zero_unseen_rows,
    compile_rating_model,
    model_inputs,
    rating_output,
)

SVDPP_CONFIG = {"k": 32, "l2": 0.5, "y_l2": 0.5, "z_l2": 0.1, "rating_range": (0.5, 5.5),
                "learning_rate": 0.01, "batch_size": 1024, "epochs": 7}
"""Settings chosen on the tuned MF's validation split (``python -m helpers.experiments svdpp``)."""

DENSE_LIMIT = 25_000_000
"""Up to this many users × items the neighbourhood matrices are dense (100 MB of float32 each:
3× faster on a CPU than a sparse product); above it they are sparse."""


def neighbourhoods(rows, columns, n_rows: int, n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Two n_rows × n_columns matrices over the distinct (row, column) pairs: |N(r)|^-½ and
    |N(r)|^-1 where row r touches the column, else 0 (the sum's weights, and the penalty's)."""
    pairs = np.unique(np.stack([np.asarray(rows), np.asarray(columns)], axis=1), axis=0)
    counts = np.bincount(pairs[:, 0], minlength=n_rows).astype(np.float32)
    scaled = np.zeros((n_rows, n_columns), np.float32)
    mean = np.zeros((n_rows, n_columns), np.float32)
    scaled[pairs[:, 0], pairs[:, 1]] = 1.0 / np.sqrt(counts[pairs[:, 0]])
    mean[pairs[:, 0], pairs[:, 1]] = 1.0 / counts[pairs[:, 0]]
    return scaled, mean


class ImplicitSum(keras.layers.Layer):
    """index → |N(index)|^-½ Σ_{j ∈ N(index)} y_j over a trainable table y (k columns).

    Adds ``rows_l2 · mean over the batch of mean_{j ∈ N(index)} ‖y_j‖²`` to the loss. Written in
    ``keras.ops`` only, so it runs on every Keras backend: a dense matrix product up to
    ``DENSE_LIMIT`` cells, above it a sum over the rated pairs alone (``ops.segment_sum``)."""

    def __init__(self, scaled: np.ndarray, mean: np.ndarray, k: int, rows_l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.sparse = scaled.size > DENSE_LIMIT
        self.n_rows, self.n_columns, self.k, self.rows_l2 = *scaled.shape, int(k), float(rows_l2)
        if self.sparse:  # the rated pairs and their two weights: memory grows with the ratings
            rows, columns = np.nonzero(scaled)
            self.rows, self.columns = ops.convert_to_tensor(rows, "int32"), ops.convert_to_tensor(columns, "int32")
            self.scaled, self.mean = (ops.convert_to_tensor(matrix[rows, columns][:, None]) for matrix in (scaled, mean))
        else:
            self.scaled, self.mean = ops.convert_to_tensor(scaled), ops.convert_to_tensor(mean)

    def build(self, input_shape):
        self.table = self.add_weight(shape=(self.n_columns, self.k), name="table",
                                     initializer=keras.initializers.RandomNormal(stddev=0.01))

    def _product(self, weights, values):
        """The neighbourhood matrix (``self.scaled`` or ``self.mean``) times ``values``."""
        if not self.sparse:
            return ops.matmul(weights, values)
        return ops.segment_sum(ops.take(values, self.columns, axis=0) * weights, self.rows,
                               num_segments=self.n_rows)

    def call(self, index):
        sums = ops.take(self._product(self.scaled, self.table), index, axis=0)
        if self.rows_l2:
            norms = ops.sum(ops.square(self.table), axis=1, keepdims=True)
            self.add_loss(self.rows_l2 * ops.mean(ops.take(self._product(self.mean, norms), index, axis=0)))
        return sums


def build_svdpp(n_users: int, n_items: int, global_mean: float, train: pd.DataFrame, **settings):
    """The model of this module's docstring; ``train`` gives the neighbourhoods N(u) and N(i)."""
    config = configure(SVDPP_CONFIG, settings)
    k, small = config["k"], keras.initializers.RandomNormal(stddev=0.01)
    users, items = train["user_index"].to_numpy(), train["item_index"].to_numpy()
    user = keras.Input(shape=(), dtype="int32", name="user_index")
    item = keras.Input(shape=(), dtype="int32", name="item_index")
    p = PerExampleL2(config["l2"], name="user_l2")(
        layers.Embedding(n_users, k, embeddings_initializer=small, name="user_embedding")(user))
    q = PerExampleL2(config["l2"], name="item_l2")(
        layers.Embedding(n_items, k, embeddings_initializer=small, name="item_embedding")(item))
    rated_by_user = ImplicitSum(*neighbourhoods(users, items, n_users, n_items), k, config["y_l2"],
                                name="user_implicit")(user)
    raters_of_item = ImplicitSum(*neighbourhoods(items, users, n_items, n_users), k, config["z_l2"],
                                 name="item_implicit")(item)
    user_vector = layers.Add(name="user_vector")([p, rated_by_user])
    item_vector = layers.Add(name="item_vector")([q, raters_of_item])
    score = layers.Add(name="add_biases")([
        layers.Dot(axes=1, name="dot")([user_vector, item_vector]),
        layers.Embedding(n_users, 1, embeddings_initializer="zeros", name="user_bias")(user),
        layers.Embedding(n_items, 1, embeddings_initializer="zeros", name="item_bias")(item)])
    rating = rating_output(score, float(global_mean), config["rating_range"])
    return compile_rating_model(keras.Model([user, item], rating, name="svdpp_mf"), config["learning_rate"])


def fit_svdpp(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED, **settings):
    """Fit the model on ``train`` with the tuned MF's recipe; returns ``(model, history)``."""
    config = configure(SVDPP_CONFIG, settings)
    check_sizes(n_users, n_items, config["k"])
    check_train(train, n_users, n_items)
    seed_everything(seed)
    shuffled = train.sample(frac=1.0, random_state=seed)
    steps = int(np.ceil(len(shuffled) / config["batch_size"])) * config["epochs"]
    schedule = keras.optimizers.schedules.CosineDecay(config["learning_rate"], decay_steps=steps)
    model = build_svdpp(n_users, n_items, float(shuffled["rating"].mean()), shuffled,
                        **{**config, "learning_rate": schedule})
    history = model.fit(model_inputs(shuffled), shuffled["rating"].to_numpy("float32"),
                        batch_size=config["batch_size"], epochs=config["epochs"], verbose=0)
    _zero_unseen_rows(model, shuffled, n_users, n_items)
    return model, history
