"""Matrix factorization in Keras: the classic model (notebook 02) and the tuned one (notebook 03).

Both models take two integer inputs, ``user_index`` and ``item_index`` (the 0-based indices of
``helpers.data.encode_ids``), and predict a rating in stars. Call a model as
``model([user_index, item_index])`` or, better, through ``predict_ratings``.

``build_classic_mf``  the model of the classic Keras tutorials: two embeddings and a dot product.
``build_tuned_mf``    the series' final model: global mean, user and item biases, per-example L2
                      on the looked-up rows, and an output squashed into the rating range.
``fit_classic_mf`` / ``fit_tuned_mf`` are the training recipes; every later notebook and the
benchmark (``python -m helpers.benchmark``) use them.

One rule for every model of the series (here, ``helpers.dnn``, ``helpers.ranking``,
``helpers.nonnegative``): its settings live once, in a ``*_CONFIG`` dict; ``build_*(sizes,
**overrides)`` returns the model compiled and ready to fit; ``fit_*(train, n_users, n_items,
seed=SEED, **overrides)`` checks its input, seeds, builds, trains and returns ``(model,
history)``. The inputs are named ``user_index`` and ``item_index`` in every model.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from keras import layers

from helpers import SEED, seed_everything, steps_per_call
from helpers.checks import check_sizes, check_train, configure

KERAS_TESTED = ((3, 15), (3, 15))
"""The Keras releases (major, minor) whose training results the series' notebooks and tests hold."""


def _check_keras_version(version: str = keras.__version__) -> None:
    major_minor = tuple(int(part) for part in version.split(".")[:2])
    low, high = KERAS_TESTED
    if not low <= major_minor <= high:
        tested = ".".join(map(str, low)) if low == high else f"{low[0]}.{low[1]}–{high[0]}.{high[1]}"
        raise ImportError(f"helpers.models is tested with Keras {tested}.x, but Keras {version} is "
                          f"installed: run `make setup` (it installs the pinned requirements.txt)")


_check_keras_version()


CLASSIC_CONFIG = {"k": 20, "learning_rate": 0.005, "batch_size": 1024, "epochs": 20,
                  "validation_fraction": 0.1}
"""The classic tutorial's recipe (notebook 02): no regularisation, a fixed number of epochs."""


def compile_rating_model(model, learning_rate):
    """Adam on the mean squared error, reporting MAE and RMSE: how every rating model here trains."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse",
                  metrics=["mae", keras.metrics.RootMeanSquaredError(name="rmse")],
                  steps_per_execution=steps_per_call(8))  # 8 batches per call: faster on a CPU
    return model


def build_classic_mf(n_users: int, n_items: int, **settings):
    """The classic tutorial's model: rating ≈ user embedding · item embedding (no bias).

    Built the classic way: inputs of shape (1,), so each embedding is (batch, 1, k), the ``Dot``
    over axis 2 gives (batch, 1, 1) and ``Flatten`` makes it (batch, 1). ``settings`` override
    entries of ``CLASSIC_CONFIG``.
    """
    config = configure(CLASSIC_CONFIG, settings)
    user = keras.Input(shape=(1,), dtype="int32", name="user_index")
    item = keras.Input(shape=(1,), dtype="int32", name="item_index")
    user_vector = layers.Embedding(n_users, config["k"], name="user_embedding")(user)
    item_vector = layers.Embedding(n_items, config["k"], name="item_embedding")(item)
    dot = layers.Dot(axes=2, name="dot")([user_vector, item_vector])
    rating = layers.Flatten(name="rating")(dot)
    model = keras.Model([user, item], rating, name="classic_mf")
    return compile_rating_model(model, config["learning_rate"])


def rating_output(score, global_mean: float, rating_range: tuple[float, float] | None):
    """μ + score, or ``low + (high − low) · σ(logit of μ + score)`` inside ``rating_range``.

    Either way an untrained model (score 0) predicts the global mean μ. Returns (batch,) stars.
    """
    if rating_range is None:
        score = layers.Rescaling(1.0, offset=global_mean, name="global_mean")(score)  # + μ
    else:
        low, high = rating_range
        share = (global_mean - low) / (high - low)
        logit_of_mean = float(np.log(share / (1 - share)))  # σ(logit_of_mean) = share
        score = layers.Rescaling(1.0, offset=logit_of_mean, name="global_mean")(score)
        score = layers.Activation("sigmoid", name="sigmoid")(score)
        score = layers.Rescaling(high - low, offset=low, name="rating_range")(score)
    return layers.Reshape((), name="rating")(score)  # (batch, 1) → (batch,)


def build_mf(n_users: int, n_items: int, k: int, learning_rate, global_mean: float = 0.0,
             biases: bool = False, whole_table_l2: float = 0.0, per_example_l2: float = 0.0,
             rating_range: tuple[float, float] | None = None):
    """Matrix factorization with the improvements of notebook 03 as switches (all off by default)."""
    user = keras.Input(shape=(), dtype="int32", name="user_index")
    item = keras.Input(shape=(), dtype="int32", name="item_index")

    def lookup(index, n_rows, width, name, initializer="uniform", regularised=True):
        whole_table = keras.regularizers.L2(whole_table_l2) if regularised and whole_table_l2 else None
        rows = layers.Embedding(n_rows, width, embeddings_initializer=initializer, name=name,
                                embeddings_regularizer=whole_table)(index)  # every row, every step
        if regularised and per_example_l2:
            rows = PerExampleL2(per_example_l2, name=f"{name}_l2")(rows)  # the rows looked up
        return rows

    user_vector = lookup(user, n_users, k, "user_embedding")
    item_vector = lookup(item, n_items, k, "item_embedding")
    score = layers.Dot(axes=1, name="dot")([user_vector, item_vector])
    if biases:
        user_bias = lookup(user, n_users, 1, "user_bias", initializer="zeros", regularised=False)
        item_bias = lookup(item, n_items, 1, "item_bias", initializer="zeros", regularised=False)
        score = layers.Add(name="add_biases")([score, user_bias, item_bias])
    rating = rating_output(score, global_mean, rating_range)
    return compile_rating_model(keras.Model([user, item], rating, name="mf"), learning_rate)


@keras.saving.register_keras_serializable(package="mf_series")
class PerExampleL2(keras.layers.Layer):
    """Per-example L2: adds λ · (mean over the batch of ‖row‖²) to the loss; returns the rows.

    Put after an ``Embedding``: it penalises only the rows the batch looks up, each once per
    rating it appears in (notebook 03). Written out instead of Keras' ``activity_regularizer``,
    whose reduction over the batch changed between Keras 3 releases (a sum, then a mean).
    """

    def __init__(self, l2: float, **kwargs):
        super().__init__(**kwargs)
        self.l2 = float(l2)

    def call(self, rows):
        squared_norms = keras.ops.sum(keras.ops.square(rows), axis=-1)
        self.add_loss(self.l2 * keras.ops.mean(squared_norms))
        return rows

    def get_config(self) -> dict:
        return {**super().get_config(), "l2": self.l2}


TUNED_CONFIG = {"k": 32, "l2": 0.13, "rating_range": (0.5, 5.5), "learning_rate": 0.01,
                "batch_size": 1024, "epochs": 10, "validation_fraction": 0.0}
"""The final model's settings, chosen on a validation split carved from the training set (notebook 03)."""


def build_tuned_mf(n_users: int, n_items: int, global_mean: float, **settings):
    """The series' final model: r̂ = low + (high − low) · σ(μ' + b_u + b_i + p_u · q_i).

    ``l2`` penalises only the embedding rows a batch looks up (``PerExampleL2``, averaged over the
    batch), not the whole tables; the biases are free. μ' is the logit of the global mean, so an
    untrained model predicts ``global_mean``. With ``rating_range=None`` the output is the plain
    sum μ + b_u + b_i + p_u · q_i. ``settings`` override entries of ``TUNED_CONFIG``;
    ``learning_rate`` may be a number or a Keras schedule.
    """
    config = configure(TUNED_CONFIG, settings)
    small = keras.initializers.RandomNormal(stddev=0.01)
    user = keras.Input(shape=(), dtype="int32", name="user_index")
    item = keras.Input(shape=(), dtype="int32", name="item_index")
    user_vector = layers.Embedding(n_users, config["k"], embeddings_initializer=small,
                                   name="user_embedding")(user)
    item_vector = layers.Embedding(n_items, config["k"], embeddings_initializer=small,
                                   name="item_embedding")(item)
    user_vector = PerExampleL2(config["l2"], name="user_l2")(user_vector)
    item_vector = PerExampleL2(config["l2"], name="item_l2")(item_vector)
    user_bias = layers.Embedding(n_users, 1, embeddings_initializer="zeros", name="user_bias")(user)
    item_bias = layers.Embedding(n_items, 1, embeddings_initializer="zeros", name="item_bias")(item)
    dot = layers.Dot(axes=1, name="dot")([user_vector, item_vector])
    score = layers.Add(name="add_biases")([dot, user_bias, item_bias])
    rating = rating_output(score, float(global_mean), config["rating_range"])
    model = keras.Model([user, item], rating, name="tuned_mf")
    return compile_rating_model(model, config["learning_rate"])


def model_inputs(frame: pd.DataFrame) -> list[np.ndarray]:
    """The two input arrays every model of the series takes: user and item indices, as int32."""
    return [frame["user_index"].to_numpy("int32"), frame["item_index"].to_numpy("int32")]


def fit_classic_mf(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED, **settings):
    """Fit the classic model on ``train``; returns ``(model, history)``.

    The last ``validation_fraction`` (10 %) of a seeded shuffle of ``train`` is held out and scored
    after every epoch (``history.history["val_mae"]``); the test set is never seen. No early
    stopping, no regularisation: notebook 02 shows where that leads. ``settings`` override
    entries of ``CLASSIC_CONFIG``.
    """
    config = configure(CLASSIC_CONFIG, settings)
    check_sizes(n_users, n_items, config["k"])
    check_train(train, n_users, n_items)
    seed_everything(seed)
    model = build_classic_mf(n_users, n_items, **config)
    shuffled = train.sample(frac=1.0, random_state=seed)
    history = model.fit(model_inputs(shuffled), shuffled["rating"].to_numpy("float32"),
                        batch_size=config["batch_size"], epochs=config["epochs"],
                        validation_split=config["validation_fraction"], verbose=0)
    return model, history


def fit_tuned_mf(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED, **settings):
    """Fit the final model on ``train``; returns ``(model, history)`` (notebook 03).

    The recipe of ``TUNED_CONFIG`` (``settings`` override entries): a fixed number of epochs on a
    seeded shuffle of all of ``train``, the learning rate decaying along a cosine to 0, no early
    stopping. With ``validation_fraction > 0`` the shuffle's last fraction is held out and scored
    after every epoch (``history.history["val_rmse"]``). Users and items without a training
    rating get zero embedding and bias rows, so the model predicts μ + b_u for a new movie.
    """
    config = configure(TUNED_CONFIG, settings)
    check_sizes(n_users, n_items, config["k"])
    check_train(train, n_users, n_items)
    seed_everything(seed)
    shuffled = train.sample(frac=1.0, random_state=seed)
    n_fit = len(shuffled) - int(round(config["validation_fraction"] * len(shuffled)))
    fit_part, validation = shuffled.iloc[:n_fit], shuffled.iloc[n_fit:]
    steps = int(np.ceil(n_fit / config["batch_size"])) * config["epochs"]
    schedule = keras.optimizers.schedules.CosineDecay(config["learning_rate"], decay_steps=steps)
    model = build_tuned_mf(n_users, n_items, float(fit_part["rating"].mean()),
                           **{**config, "learning_rate": schedule})
    validation_data = None
    if len(validation):
        validation_data = (model_inputs(validation), validation["rating"].to_numpy("float32"))
    history = model.fit(model_inputs(fit_part), fit_part["rating"].to_numpy("float32"),
                        batch_size=config["batch_size"], epochs=config["epochs"],
                        validation_data=validation_data, verbose=0)
    _zero_unseen_rows(model, fit_part, n_users, n_items)
    return model, history


def _zero_unseen_rows(model, train: pd.DataFrame, n_users: int, n_items: int) -> None:
    """Set the embedding and bias rows of users/items absent from ``train`` to zero."""
    for side, size in (("user", n_users), ("item", n_items)):
        unseen = np.bincount(train[f"{side}_index"].to_numpy(), minlength=size) == 0
        for layer_name in (f"{side}_embedding", f"{side}_bias"):
            layer = model.get_layer(layer_name)
            table = np.array(layer.get_weights()[0])
            table[unseen] = 0.0
            layer.set_weights([table])


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
