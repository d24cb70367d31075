"""Retrieval: a two-tower model trained with in-batch negatives, towers that read features, and
the cold-start split they are measured on (notebook 08).

The softmax MF of notebook 05 scores every movie for every training row: fine for 1,682 movies,
impossible for millions. A two-tower model scores a batch of (user, movie) pairs against each
other instead: the other rows' movies are the negatives. Those negatives are drawn in proportion
to how often a movie is chosen, so popular movies are pushed down more than a full softmax would
push them; the logQ correction (Yi et al. 2019) subtracts ``log q_j``, the chance that movie ``j``
fills a row of the batch, from its logit. Keras RS provides the correction as a layer; its layer
for removing accidental hits (a row's own movie appearing again as another row's positive) has
a bug in the pinned release, so ``remove_accidental_hits`` does it in ``keras.ops``.

A tower is a Keras model of its own (``user_tower``, ``item_tower``) that maps ids, and
optionally features, to a vector; the training model joins the two. An id of ``-1`` means
"unknown": the towers then answer from the features alone (cold start), which they learn by
hiding a share of the ids during training (``IdDropout``).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras_rs  # noqa: F401  (imported before any seeding: its import draws from TensorFlow's seeds)
import numpy as np
import pandas as pd

from helpers import SEED, seed_everything, steps_per_call
from helpers.checks import check_sizes, check_train, configure
from helpers.data import GENRES

RETRIEVAL_CONFIG = {"embedding_dim": 64, "temperature": 0.3, "l2": 3e-4, "epochs": 15,
                    "learning_rate": 0.01, "batch_size": 1024, "correction": True,
                    "remove_accidental_hits": True, "user_id_dropout": 0.0, "item_id_dropout": 0.5}
"""The two-tower model's settings: temperature τ, λ and epochs chosen on the ranking validation
split (``python -m helpers.experiments retrieval``); the id dropouts are the feature model's."""

AGE_EDGES = (18, 25, 35, 45, 50, 56)
"""MovieLens 1M's age groups: under 18, 18–24, 25–34, 35–44, 45–49, 50–55, 56 and over."""
YEAR_EDGES = tuple(range(1930, 2000, 5))
"""Release years in five-year groups from 1930 (earlier: one group; unknown year: its own)."""


def item_probability(train: pd.DataFrame, n_items: int) -> np.ndarray:
    """``q_j``: the share of training pairs whose movie is ``j``, the chance that one row of a
    random batch carries it (the in-batch negatives' sampling probability)."""
    counts = np.bincount(train["item_index"].to_numpy(), minlength=n_items)
    return (counts / counts.sum()).astype("float32")


# --------------------------------------------------------------------------------------------
# Features: one integer per categorical feature, the genres as a 0/1 row
# --------------------------------------------------------------------------------------------


def user_features(users: pd.DataFrame, user_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Per user index (``user_ids[i]`` is index ``i``'s MovieLens id): age group, gender and
    occupation as small integers, the inputs of the feature user tower."""
    table = users.set_index("user_id").reindex(user_ids)
    if table["age"].isna().any():
        missing = np.asarray(user_ids)[table["age"].isna().to_numpy()][:5].tolist()
        raise ValueError(f"no features for user_id {missing}: load them with load_movielens_100k_users()")
    occupations = sorted(users["occupation"].unique())
    return {"age": np.searchsorted(AGE_EDGES, table["age"].to_numpy(), side="right").astype("int32"),
            "gender": (table["gender"].to_numpy() == "F").astype("int32"),
            "occupation": np.searchsorted(occupations, table["occupation"].to_numpy()).astype("int32")}


def item_features(movies: pd.DataFrame, item_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Per item index: the genres as a 0/1 row over ``GENRES`` and the release year's group
    (0 for an unknown year), the inputs of the feature item tower."""
    table = movies.set_index("item_id").reindex(item_ids)
    genres = np.zeros((len(table), len(GENRES)), dtype="float32")
    for row, names in enumerate(table["genres"].fillna("")):
        for name in str(names).split("|"):
            if name in GENRES:
                genres[row, GENRES.index(name)] = 1.0
    years = table["year"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    groups = np.where(np.isnan(years), 0, np.searchsorted(YEAR_EDGES, np.nan_to_num(years), side="right") + 1)
    return {"genres": genres, "year": groups.astype("int32")}


FEATURE_SIZES = {"age": len(AGE_EDGES) + 1, "gender": 2, "occupation": 21, "year": len(YEAR_EDGES) + 2}


# --------------------------------------------------------------------------------------------
# The towers and the in-batch softmax
# --------------------------------------------------------------------------------------------


def id_dropout_layer():
    """``IdDropout``, registered once so that a saved model loads again."""
    import keras

    @keras.saving.register_keras_serializable(package="mf_series")
    class IdDropout(keras.layers.Layer):
        """During training, hide each id with probability ``rate`` (the id becomes -1, "unknown"),
        so the tower learns to answer from the features alone; then shift ids by one, so that
        row 0 of the embedding table is the unknown id's."""

        def __init__(self, rate: float = 0.0, seed: int = SEED, **kwargs):
            super().__init__(**kwargs)
            self.rate, self.seed = rate, seed
            self.generator = keras.random.SeedGenerator(seed)

        def call(self, ids, training=False):
            ids = keras.ops.cast(ids, "int32")
            if training and self.rate > 0:
                hidden = keras.random.uniform(keras.ops.shape(ids), seed=self.generator) < self.rate
                ids = keras.ops.where(hidden, -1, ids)
            return ids + 1

        def get_config(self):
            return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    return IdDropout


def remove_accidental_hits(logits, item_index):
    """Mask the accidental hits of in-batch logits: where column ``j``'s movie is row ``i``'s own
    (``item_index[j] == item_index[i]``, ``j ≠ i``), the logit becomes very negative, so the copy
    is no negative. Keras RS 0.4.0's ``RemoveAccidentalHits`` adds a tiny *positive* number
    instead (``smallest_normal / 100``), which changes nothing (keras-team/keras-rs#206): this is
    the same mask in ``keras.ops``, with TensorFlow Recommenders' constant."""
    from keras import ops

    same = ops.equal(ops.expand_dims(item_index, 1), ops.expand_dims(item_index, 0))
    hits = ops.logical_and(same, ops.logical_not(ops.eye(ops.shape(logits)[0], dtype="bool")))
    return ops.where(hits, ops.cast(np.finfo("float32").min / 100, logits.dtype), logits)


def in_batch_layers():
    """``InBatchLogits`` and ``InBatchSoftmax``, registered once so that a saved model loads."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="mf_series")
    class InBatchLogits(keras.layers.Layer):
        """Every user of a batch scored against every movie of the batch, ``u_i · v_j / τ``, minus
        ``log q_j`` when ``correction`` (Keras RS's ``SamplingProbabilityCorrection``)."""

        def __init__(self, temperature: float = 1.0, correction: bool = True, **kwargs):
            super().__init__(**kwargs)
            self.temperature, self.correction = temperature, correction
            self.correct = keras_rs.layers.SamplingProbabilityCorrection()

        def call(self, user_vectors, item_vectors, probability):
            logits = ops.matmul(user_vectors, ops.transpose(item_vectors)) / self.temperature
            if self.correction:
                logits = self.correct(logits, ops.reshape(probability, (1, -1)))
            return logits

        def get_config(self):
            return {**super().get_config(), "temperature": self.temperature,
                    "correction": self.correction}

    @keras.saving.register_keras_serializable(package="mf_series")
    class InBatchSoftmax(keras.losses.Loss):
        """Row ``i``'s positive is column ``i``: a softmax cross-entropy against the identity.
        ``y_true`` is the batch's movie indices: with ``remove_accidental_hits``, another row's
        copy of row ``i``'s movie is not a negative for row ``i`` (``remove_accidental_hits``)."""

        def __init__(self, remove_accidental_hits: bool = True, name: str = "in_batch_softmax", **kwargs):
            super().__init__(name=name, **kwargs)
            self.remove_accidental_hits = remove_accidental_hits

        def call(self, y_true, y_pred):
            labels = ops.eye(ops.shape(y_pred)[0], dtype=y_pred.dtype)
            if self.remove_accidental_hits:
                y_pred = remove_accidental_hits(y_pred, ops.reshape(y_true, (-1,)))
            return keras.losses.categorical_crossentropy(labels, y_pred, from_logits=True)

        def get_config(self):
            return {**super().get_config(), "remove_accidental_hits": self.remove_accidental_hits}

    return InBatchLogits, InBatchSoftmax


def build_tower(kind: str, n_rows: int, dim: int, features: bool, id_dropout: float = 0.0,
                l2: float = 0.0):
    """A tower: a Keras model from ``{kind}_index`` (and the features, when ``features``) to a
    vector. With features the vector is the sum of one embedding per input (LightFM's way): the
    id's, and the age group's, gender's and occupation's for users, the year group's and the mean
    of the genres' for movies; an index of -1 is unknown and reads row 0 of the id table."""
    import keras
    from keras import layers

    penalty = keras.regularizers.l2(l2) if l2 else None
    index = keras.Input(shape=(), dtype="int32", name=f"{kind}_index")
    inputs = {f"{kind}_index": index}
    if not features:
        vector = layers.Embedding(n_rows, dim, embeddings_regularizer=penalty, name=f"{kind}_embedding")(index)
        return keras.Model(inputs, vector, name=f"{kind}_tower")
    shifted = id_dropout_layer()(id_dropout, name=f"{kind}_id_dropout")(index)
    parts = [layers.Embedding(n_rows + 1, dim, embeddings_regularizer=penalty, name=f"{kind}_embedding")(shifted)]
    for name in ("age", "gender", "occupation") if kind == "user" else ("year",):
        inputs[name] = keras.Input(shape=(), dtype="int32", name=name)
        parts.append(layers.Embedding(FEATURE_SIZES[name], dim, embeddings_regularizer=penalty,
                                      name=f"{name}_embedding")(inputs[name]))
    if kind == "item":
        inputs["genres"] = keras.Input(shape=(len(GENRES),), name="genres")
        share = inputs["genres"] / keras.ops.maximum(keras.ops.sum(inputs["genres"], axis=1, keepdims=True), 1.0)
        parts.append(layers.Dense(dim, use_bias=False, kernel_regularizer=penalty, name="genre_embedding")(share))
    return keras.Model(inputs, layers.Add(name=f"{kind}_vector")(parts), name=f"{kind}_tower")


def build_two_tower(n_users: int, n_items: int, probability: np.ndarray, features: bool = False,
                    **settings):
    """The training model: both towers, the in-batch logits and their softmax, compiled.

    Its inputs are the towers' inputs (a dict), its output the batch × batch logits; fit it with
    ``y`` = the batch's ``item_index`` (the loss removes accidental hits with it). ``probability``
    is ``item_probability(train, n_items)``, kept in a frozen table for the logQ correction.
    """
    import keras
    from keras import layers

    config = configure(RETRIEVAL_CONFIG, settings)
    InBatchLogits, InBatchSoftmax = in_batch_layers()
    dim = config["embedding_dim"]
    user_tower = build_tower("user", n_users, dim, features, config["user_id_dropout"], config["l2"])
    item_tower = build_tower("item", n_items, dim, features, config["item_id_dropout"], config["l2"])
    inputs = {**user_tower.input, **item_tower.input}  # the towers' inputs are the model's
    user_vectors = user_tower(user_tower.input)
    item_vectors = item_tower(item_tower.input)
    frequency = layers.Embedding(n_items, 1, trainable=False, name="item_probability")
    probabilities = frequency(inputs["item_index"])
    frequency.set_weights([np.asarray(probability, dtype="float32").reshape(-1, 1)])
    logits = InBatchLogits(config["temperature"], config["correction"], name="in_batch_logits")(
        user_vectors, item_vectors, probabilities)
    model = keras.Model(inputs, logits, name="two_tower")
    model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]),
                  loss=InBatchSoftmax(config["remove_accidental_hits"]),
                  steps_per_execution=steps_per_call(32))  # fewer Python round trips an epoch
    return model


def training_inputs(train: pd.DataFrame, users: dict | None = None, items: dict | None = None) -> dict:
    """The model's inputs for every training pair: the indices, and each pair's features."""
    user_index = train["user_index"].to_numpy("int32")
    item_index = train["item_index"].to_numpy("int32")
    inputs = {"user_index": user_index, "item_index": item_index}
    for table, index in ((users, user_index), (items, item_index)):
        for name, values in (table or {}).items():
            inputs[name] = values[index]
    return inputs


def fit_two_tower(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED,
                  users: dict | None = None, items: dict | None = None, callbacks: list | None = None,
                  **settings):
    """Build and fit the two-tower model on ``train``'s pairs (every rating is a choice); returns
    ``(model, history)``. With ``users`` and ``items`` (``user_features``, ``item_features``) the
    towers read features too. ``settings`` override ``RETRIEVAL_CONFIG``. Seeded."""
    config = configure(RETRIEVAL_CONFIG, settings)
    check_sizes(n_users, n_items, config["embedding_dim"])
    check_train(train, n_users, n_items)
    if (users is None) != (items is None):
        raise ValueError("give both users= and items= features, or neither")
    seed_everything(seed)
    model = build_two_tower(n_users, n_items, item_probability(train, n_items),
                            features=users is not None, **config)
    inputs = training_inputs(train, users, items)
    history = model.fit(inputs, inputs["item_index"], batch_size=config["batch_size"],
                        epochs=config["epochs"], shuffle=True, verbose=0, callbacks=callbacks)
    return model, history


def retrieval_vectors(model, users: dict | None = None, items: dict | None = None,
                      unknown_users=None, unknown_items=None) -> tuple[np.ndarray, np.ndarray]:
    """The towers' vectors for every user and every movie; scores are their dot products.

    ``unknown_users``/``unknown_items`` (indices) are answered as ids the model never saw: their
    id reads the unknown row, their features (``users``, ``items``) are their own (cold start).
    """
    vectors = []
    for kind, table, unknown in (("user", users, unknown_users), ("item", items, unknown_items)):
        tower = model.get_layer(f"{kind}_tower")
        n_rows = tower.get_layer(f"{kind}_embedding").input_dim - (table is not None)
        index = np.arange(n_rows, dtype="int32")
        if unknown is not None:
            if table is None:
                raise ValueError(f"unknown_{kind}s needs a model with feature towers and {kind}s=")
            index[np.asarray(unknown, dtype=int)] = -1
        inputs = {f"{kind}_index": index, **(table or {})}
        vectors.append(np.asarray(tower.predict(inputs, batch_size=4096, verbose=0)))
    return vectors[0], vectors[1]


def two_tower_scores(model, users: dict | None = None, items: dict | None = None,
                     unknown_users=None, unknown_items=None) -> np.ndarray:
    """Every user's score for every movie (n_users × n_items): the dot product of the towers."""
    user_vectors, item_vectors = retrieval_vectors(model, users, items, unknown_users, unknown_items)
    return user_vectors @ item_vectors.T


# --------------------------------------------------------------------------------------------
# Cold start: movies and users the model never saw
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColdStartSplit:
    """Ratings split so that some movies and some users are held out of training entirely."""

    train: pd.DataFrame      # the other users' ratings of the other movies
    new_items: pd.DataFrame  # the training users' ratings of the held-out movies
    new_users: pd.DataFrame  # the held-out users' ratings of the training movies
    cold_items: np.ndarray   # item indices held out
    cold_users: np.ndarray   # user indices held out


def cold_start_split(ratings: pd.DataFrame, fraction: float = 0.1, seed: int = SEED) -> ColdStartSplit:
    """Hold out a random ``fraction`` of the rated movies and of the users (seeded): nothing of
    theirs is in ``train``. A held-out user's ratings of held-out movies are dropped."""
    if not 0 < fraction < 0.5:
        raise ValueError(f"fraction must lie between 0 and 0.5, got {fraction}")
    rng = np.random.default_rng(seed)
    items, users = np.unique(ratings["item_index"]), np.unique(ratings["user_index"])
    cold_items = np.sort(rng.choice(items, round(fraction * len(items)), replace=False))
    cold_users = np.sort(rng.choice(users, round(fraction * len(users)), replace=False))
    new_item = ratings["item_index"].isin(cold_items).to_numpy()
    new_user = ratings["user_index"].isin(cold_users).to_numpy()
    return ColdStartSplit(ratings[~new_item & ~new_user], ratings[new_item & ~new_user],
                          ratings[new_user & ~new_item], cold_items, cold_users)


def genre_popularity_scores(train: pd.DataFrame, genres: np.ndarray, n_users: int) -> np.ndarray:
    """The new-movie baseline: a movie scores the mean, over its genres, of how many training
    ratings a movie of that genre gets on average. Every user gets the same list."""
    counts = np.bincount(train["item_index"], minlength=len(genres)).astype("float64")
    trained = np.isin(np.arange(len(genres)), train["item_index"].unique())
    per_genre = (genres[trained].T @ counts[trained]) / np.maximum(genres[trained].sum(axis=0), 1)
    scores = (genres @ per_genre) / np.maximum(genres.sum(axis=1), 1)
    return np.broadcast_to(scores, (n_users, len(genres))).copy()


def cold_start_report(scores: np.ndarray, split: ColdStartSplit, new: str, k: int = 10,
                      threshold: float = 4.0) -> dict[str, float]:
    """Ranking metrics for the held-out movies (``new="items"``: each training user's list holds
    only held-out movies) or the held-out users (``new="users"``: their lists hold the training
    movies). Relevant: the held-out ratings ≥ ``threshold``."""
    from helpers.metrics import ranking_report, relevant_items
    from helpers.recommend import top_n

    if new not in ("items", "users"):
        raise ValueError(f"new must be 'items' or 'users', got {new!r}")
    n_users, n_items = scores.shape
    candidates = np.isin(np.arange(n_items), split.cold_items)
    if new == "users":
        candidates = ~candidates
    test = split.new_items if new == "items" else split.new_users
    exclude = np.broadcast_to(~candidates, (n_users, n_items))
    top_items = top_n(scores, exclude, k)
    relevant = relevant_items(test["user_index"], test["item_index"], test["rating"], n_users, threshold)
    return ranking_report(top_items, relevant, k, int(candidates.sum()))
